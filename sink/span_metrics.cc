#include "sink/span_metrics.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

constexpr char kSep = '\x1f';

// What one span says about itself, gathered in one pass over its attributes.
struct SpanFacts {
  absl::string_view operation;
  absl::string_view request_model;
  absl::string_view response_model;
  absl::string_view tool_name;
  absl::string_view agent_name;
  bool has_error_type = false;
  bool has_input = false, has_output = false, has_utilization = false;
  int64_t input_tokens = 0, output_tokens = 0;
  double utilization = 0;
};

int64_t IntOf(const wire::Value& v) {
  if (v.type == wire::Value::Type::kInt) return v.int_value;
  if (v.type == wire::Value::Type::kDouble) return static_cast<int64_t>(v.double_value);
  return 0;
}

SpanFacts FactsOf(const wire::ScannedRequest& request, const wire::ScannedSpan& span) {
  SpanFacts f;
  for (uint32_t i = span.first_attribute; i < span.first_attribute + span.attribute_count; ++i) {
    const std::string_view k = request.attributes[i].key;
    const wire::Value& v = request.attributes[i].value;
    if (k.size() < 10) continue;
    if (k.compare(0, 7, "gen_ai.") == 0) {
      // Dispatch on the length first: one comparison per attribute instead of up to seven.
      const absl::string_view rest(k.data() + 7, k.size() - 7);
      const absl::string_view str = v.type == wire::Value::Type::kString
                                        ? absl::string_view(v.bytes.data(), v.bytes.size())
                                        : absl::string_view();
      switch (rest.size()) {
        case 14:
          if (rest == "operation.name")
            f.operation = str;
          else if (rest == "response.model")
            f.response_model = str;
          break;
        case 13:
          if (rest == "request.model") f.request_model = str;
          break;
        case 9:
          if (rest == "tool.name") f.tool_name = str;
          break;
        case 10:
          if (rest == "agent.name") f.agent_name = str;
          break;
        case 18:
          if (rest == "usage.input_tokens") f.has_input = true, f.input_tokens = IntOf(v);
          break;
        case 19:
          if (rest == "usage.output_tokens") f.has_output = true, f.output_tokens = IntOf(v);
          break;
        default:
          break;
      }
    } else if (k == "error.type") {
      f.has_error_type = true;
    } else if (k.size() == 37 && k == "agentstorm.context_window.utilization") {
      if (v.type == wire::Value::Type::kDouble) {
        f.has_utilization = true;
        f.utilization = v.double_value;
      } else if (v.type == wire::Value::Type::kInt) {
        f.has_utilization = true;
        f.utilization = static_cast<double>(v.int_value);
      }
    }
  }
  return f;
}

bool IsInference(absl::string_view op) {
  return op == "chat" || op == "generate_content" || op == "text_completion" || op == "embeddings";
}

absl::string_view StatusName(int32_t code) {
  switch (code) {
    case Status::STATUS_CODE_OK:
      return "ok";
    case Status::STATUS_CODE_ERROR:
      return "error";
    default:
      return "unset";
  }
}

// key = a + SEP + b + ..., reusing `key`'s buffer.
template <typename... Parts>
const std::string& Key(std::string* key, absl::string_view first, const Parts&... rest) {
  key->assign(first.data(), first.size());
  ((key->push_back(kSep),
    key->append(absl::string_view(rest).data(), absl::string_view(rest).size())),
   ...);
  return *key;
}

std::string LabelValue(absl::string_view v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

// {a="x",b="y"} from a key and label names (extra appended verbatim, e.g. le="1").
std::string Labels(const std::string& key, const std::vector<absl::string_view>& names,
                   absl::string_view extra = "") {
  std::vector<absl::string_view> values = absl::StrSplit(key, kSep);
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, names[i], "=\"", LabelValue(i < values.size() ? values[i] : ""), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, names.empty() ? "" : ",", extra);
  out += '}';
  return out;
}

template <typename Map>
std::vector<const typename Map::value_type*> Sorted(const Map& m) {
  std::vector<const typename Map::value_type*> v;
  v.reserve(m.size());
  for (const auto& e : m) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return v;
}

void Help(std::string* out, absl::string_view name, absl::string_view type,
          absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

std::string Number(double v) { return absl::StrCat(v); }

}  // namespace

const std::vector<double>& SpanMetrics::DurationBuckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                        5,     10,   20,    30,   45,  60,   120, 300};
  return b;
}
const std::vector<double>& SpanMetrics::IterationBuckets() {
  static const std::vector<double> b = {1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100};
  return b;
}
const std::vector<double>& SpanMetrics::UtilizationBuckets() {
  static const std::vector<double> b = {0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 1, 1.1, 1.25, 1.5, 2};
  return b;
}

void SpanMetrics::Histogram::Observe(const std::vector<double>& bounds, double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  const size_t i = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
  ++counts[i];  // bounds are inclusive upper limits ("le")
  ++count;
  sum += v;
}

SpanMetrics::SpanMetrics(SpanMetricsOptions options) : options_(options) {}

void SpanMetrics::RotatePendingIfDue(absl::Time now) {
  if (pending_since_ == absl::InfinitePast()) pending_since_ = now;
  if (pending_.size() >= options_.max_pending_parents / 2 ||
      now - pending_since_ >= options_.pending_ttl) {
    pending_old_ = std::move(pending_);
    pending_.clear();
    pending_since_ = now;
  }
}

uint64_t SpanMetrics::TakePending(const PendingKey& key) {
  uint64_t n = 0;
  if (auto it = pending_.find(key); it != pending_.end()) {
    n += it->second;
    pending_.erase(it);
  }
  if (auto it = pending_old_.find(key); it != pending_old_.end()) {
    n += it->second;
    pending_old_.erase(it);
  }
  return n;
}

void SpanMetrics::Observe(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    absl::Time received) {
  const std::string bytes = request.SerializeAsString();
  wire::ScannedRequest index;
  if (wire::ScanTraceRequest(bytes, &index)) Observe(index, received);
}

void SpanMetrics::Observe(const wire::ScannedRequest& request, absl::Time received) {
  const double received_unix = absl::ToDoubleSeconds(received - absl::UnixEpoch());
  // What each span says about itself is read before taking the lock, so that receivers on
  // other threads only wait for the series updates.
  thread_local std::vector<SpanFacts> facts;
  facts.clear();
  facts.reserve(request.spans.size());
  for (const wire::ScannedSpan& span : request.spans) facts.push_back(FactsOf(request, span));
  absl::MutexLock lock(&mu_);
  RotatePendingIfDue(received);
  PendingKey pk;
  // The duration series used so far in this request, by their label values (which point into
  // the request): a few (service, span name, operation, status) combinations repeat for every
  // trace, and comparing with them is cheaper than building and hashing the joined key.
  struct DurationSlot {
    absl::string_view service, name, operation, status;
    Histogram* histogram;
  };
  std::vector<DurationSlot> slots;
  auto sv = [](std::string_view s) { return absl::string_view(s.data(), s.size()); };
  // Pass 1: every span's own series, and the inference spans' pending iteration counts.
  absl::InlinedVector<bool, 8> group_has_spans(request.groups.size(), false);
  for (size_t i = 0; i < request.spans.size(); ++i) {
    const wire::ScannedSpan& span = request.spans[i];
    const SpanFacts& f = facts[i];
    group_has_spans[span.group] = true;
    const absl::string_view service = sv(request.groups[span.group].service);
    const absl::string_view name = sv(span.name);
    const double seconds =
        span.end_time_unix_nano > span.start_time_unix_nano
            ? static_cast<double>(span.end_time_unix_nano - span.start_time_unix_nano) / 1e9
            : 0.0;
    const absl::string_view status = StatusName(span.status_code);
    Histogram* duration = nullptr;
    for (const DurationSlot& slot : slots) {
      if (slot.status == status && slot.name == name && slot.operation == f.operation &&
          slot.service == service) {
        duration = slot.histogram;
        break;
      }
    }
    if (duration == nullptr) {
      duration = &durations_[Key(&key_, service, name, f.operation, status)];
      if (slots.size() < 64) slots.push_back({service, name, f.operation, status, duration});
    }
    duration->Observe(DurationBuckets(), seconds);
    if (IsInference(f.operation)) {
      const absl::string_view model = !f.request_model.empty() ? f.request_model : f.response_model;
      if (f.has_input && f.input_tokens > 0)
        tokens_[Key(&key_, service, f.operation, model, absl::string_view("input"))] +=
            static_cast<uint64_t>(f.input_tokens);
      if (f.has_output && f.output_tokens > 0)
        tokens_[Key(&key_, service, f.operation, model, absl::string_view("output"))] +=
            static_cast<uint64_t>(f.output_tokens);
      if (f.has_utilization)
        utilization_[Key(&key_, service, model)].Observe(UtilizationBuckets(), f.utilization);
      if (span.has_parent) {
        std::memcpy(pk.data(), span.trace_id.data(), 16);
        std::memcpy(pk.data() + 16, span.parent_span_id.data(), 8);
        ++pending_[pk];
      }
    } else if (f.operation == "execute_tool") {
      const bool error = f.has_error_type || span.status_code == Status::STATUS_CODE_ERROR;
      tool_calls_[Key(&key_, service, f.tool_name, absl::string_view(error ? "error" : "ok"))] += 1;
    }
  }
  for (size_t g = 0; g < request.groups.size(); ++g) {
    if (!group_has_spans[g]) continue;
    const std::string_view service = request.groups[g].service;
    auto it = last_span_.find(sv(service));
    if (it == last_span_.end()) it = last_span_.emplace(std::string(service), 0.0).first;
    it->second = std::max(it->second, received_unix);
  }
  // Pass 2: agents, after their children in the same request have been counted.
  for (size_t i = 0; i < request.spans.size(); ++i) {
    const wire::ScannedSpan& span = request.spans[i];
    if (span.kind == Span::SPAN_KIND_CLIENT || span.name.compare(0, 12, "invoke_agent") != 0) {
      continue;
    }
    const SpanFacts& f = facts[i];
    if (f.operation != "invoke_agent") continue;
    std::memcpy(pk.data(), span.trace_id.data(), 16);
    std::memcpy(pk.data() + 16, span.span_id.data(), 8);
    iterations_[Key(&key_, sv(request.groups[span.group].service), f.agent_name)].Observe(
        IterationBuckets(), static_cast<double>(TakePending(pk)));
  }
}

void SpanMetrics::RenderPrometheus(std::string* out) const {
  absl::MutexLock lock(&mu_);
  auto histogram = [out](absl::string_view name, const Histograms& series,
                         const std::vector<double>& bounds,
                         const std::vector<absl::string_view>& names) {
    for (const auto* e : Sorted(series)) {
      const Histogram& h = e->second;
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += h.counts[i];
        const std::string le =
            i < bounds.size() ? absl::StrCat("le=\"", Number(bounds[i]), "\"") : "le=\"+Inf\"";
        absl::StrAppend(out, name, "_bucket", Labels(e->first, names, le), " ", cumulative, "\n");
      }
      absl::StrAppend(out, name, "_sum", Labels(e->first, names), " ", Number(h.sum), "\n");
      absl::StrAppend(out, name, "_count", Labels(e->first, names), " ", h.count, "\n");
    }
  };
  auto counter = [out](absl::string_view name, const Counters& series,
                       const std::vector<absl::string_view>& names) {
    for (const auto* e : Sorted(series))
      absl::StrAppend(out, name, Labels(e->first, names), " ", e->second, "\n");
  };
  const std::vector<absl::string_view> red = {"service_name", "span_name", "gen_ai_operation_name",
                                              "status_code"};

  Help(out, "agentstorm_span_calls_total", "counter",
       "Spans received, by service, span name, GenAI operation and status (spanmetrics calls).");
  for (const auto* e : Sorted(durations_))
    absl::StrAppend(out, "agentstorm_span_calls_total", Labels(e->first, red), " ", e->second.count,
                    "\n");
  Help(out, "agentstorm_span_duration_seconds", "histogram", "Span durations (end - start).");
  histogram("agentstorm_span_duration_seconds", durations_, DurationBuckets(), red);

  Help(out, "agentstorm_gen_ai_tokens_total", "counter",
       "Token usage of inference spans (gen_ai.usage.input_tokens / output_tokens).");
  counter("agentstorm_gen_ai_tokens_total", tokens_,
          {"service_name", "gen_ai_operation_name", "gen_ai_request_model", "gen_ai_token_type"});

  Help(out, "agentstorm_gen_ai_agent_iterations", "histogram",
       "Model turns per invoke_agent span: its direct inference children.");
  histogram("agentstorm_gen_ai_agent_iterations", iterations_, IterationBuckets(),
            {"service_name", "gen_ai_agent_name"});

  Help(out, "agentstorm_gen_ai_tool_calls_total", "counter",
       "execute_tool spans by tool and outcome (error: status ERROR or error.type set).");
  counter("agentstorm_gen_ai_tool_calls_total", tool_calls_,
          {"service_name", "gen_ai_tool_name", "outcome"});

  Help(out, "agentstorm_gen_ai_context_window_utilization", "histogram",
       "Input tokens / the model's context window, per inference span that records it.");
  histogram("agentstorm_gen_ai_context_window_utilization", utilization_, UtilizationBuckets(),
            {"service_name", "gen_ai_request_model"});

  Help(out, "agentstorm_last_span_timestamp_seconds", "gauge",
       "Unix time a span of the service was last received.");
  for (const auto* e : Sorted(last_span_))
    absl::StrAppend(out, "agentstorm_last_span_timestamp_seconds{service_name=\"",
                    LabelValue(e->first), "\"} ", absl::StrFormat("%.3f", e->second), "\n");
}

}  // namespace agentstorm::sink
