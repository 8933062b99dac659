#include "sink/fault_injector.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/duration.h"
#include "core/rng.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::ScopeSpans;
using opentelemetry::proto::trace::v1::Span;
using Attributes = google::protobuf::RepeatedPtrField<KeyValue>;

absl::StatusOr<double> ParseProbability(absl::string_view spec, absl::string_view value) {
  double p = 0;
  absl::string_view number = value;
  const bool percent = absl::ConsumeSuffix(&number, "%");
  if (!absl::SimpleAtod(number, &p) || !(p >= 0) || p > (percent ? 100 : 1)) {
    return absl::InvalidArgumentError(absl::StrCat("--fault ", spec, ": \"", value,
                                                   "\" is not a probability (0..1, or 0%..100%)"));
  }
  return percent ? p / 100 : p;
}

absl::StatusOr<absl::Duration> ParseNonNegativeDuration(absl::string_view spec,
                                                        absl::string_view value) {
  absl::StatusOr<absl::Duration> d = ParseDuration(std::string_view(value.data(), value.size()));
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--fault ", spec, ": ", d.status().message(), " (e.g. 500ms, 2s, 1m)"));
  }
  return d;
}

// Keeps the elements of `field` for which keep() is true, in order.
template <typename T, typename Keep>
uint64_t RemoveIf(google::protobuf::RepeatedPtrField<T>* field, Keep keep) {
  int w = 0;
  for (int r = 0; r < field->size(); ++r) {
    if (keep(field->Get(r))) {
      if (w != r) field->SwapElements(w, r);
      ++w;
    }
  }
  const int removed = field->size() - w;
  if (removed > 0) field->DeleteSubrange(w, removed);
  return static_cast<uint64_t>(removed);
}

uint64_t StripAttributes(Attributes* attrs, const std::vector<std::string>& keys) {
  return RemoveIf(attrs, [&](const KeyValue& kv) {
    return std::find(keys.begin(), keys.end(), kv.key()) == keys.end();
  });
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
void TruncateUtf8(std::string* s, size_t n) {
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>((*s)[cut]) & 0xC0) == 0x80) --cut;
  s->resize(cut);
}

uint64_t TruncateValue(AnyValue* v, size_t n) {
  switch (v->value_case()) {
    case AnyValue::kStringValue:
      if (v->string_value().size() > n) {
        TruncateUtf8(v->mutable_string_value(), n);
        return 1;
      }
      return 0;
    case AnyValue::kArrayValue: {
      uint64_t count = 0;
      for (AnyValue& e : *v->mutable_array_value()->mutable_values()) count += TruncateValue(&e, n);
      return count;
    }
    case AnyValue::kKvlistValue: {
      uint64_t count = 0;
      for (KeyValue& kv : *v->mutable_kvlist_value()->mutable_values()) {
        count += TruncateValue(kv.mutable_value(), n);
      }
      return count;
    }
    default:
      return 0;
  }
}

uint64_t TruncateValues(Attributes* attrs, size_t n) {
  uint64_t count = 0;
  for (KeyValue& kv : *attrs) count += TruncateValue(kv.mutable_value(), n);
  return count;
}

void PruneEmpty(ExportTraceServiceRequest* request) {
  for (ResourceSpans& rs : *request->mutable_resource_spans()) {
    RemoveIf(rs.mutable_scope_spans(), [](const ScopeSpans& ss) { return ss.spans_size() > 0; });
  }
  RemoveIf(request->mutable_resource_spans(),
           [](const ResourceSpans& rs) { return rs.scope_spans_size() > 0; });
}

}  // namespace

bool FaultSpec::empty() const {
  return drop_spans == 0 && drop_traces == 0 && drop_error_traces == 0 && !sample_traces &&
         !tail_sample && strip_attributes.empty() && !truncate_values && break_parent == 0 &&
         !rewrite_service && delay_visibility == absl::ZeroDuration() &&
         unavailable == absl::ZeroDuration() && throttle == absl::ZeroDuration() &&
         partial_reject == 0;
}

absl::StatusOr<FaultSpec> ParseFaultSpecs(const std::vector<std::string>& specs) {
  FaultSpec out;
  std::vector<std::string> seen;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--fault \"", spec, "\": expected NAME=VALUE, e.g. drop-spans=0.1"));
    }
    const std::string name = absl::AsciiStrToLower(spec.substr(0, eq));
    const absl::string_view value = absl::string_view(spec).substr(eq + 1);
    if (name != "strip-attribute" && std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--fault ", name, " given more than once"));
    }
    seen.push_back(name);
    auto probability = [&](double* field) -> absl::Status {
      absl::StatusOr<double> p = ParseProbability(spec, value);
      if (!p.ok()) return p.status();
      *field = *p;
      return absl::OkStatus();
    };
    auto duration = [&](absl::Duration* field) -> absl::Status {
      absl::StatusOr<absl::Duration> d = ParseNonNegativeDuration(spec, value);
      if (!d.ok()) return d.status();
      *field = *d;
      return absl::OkStatus();
    };
    absl::Status status;
    if (name == "drop-spans") {
      status = probability(&out.drop_spans);
    } else if (name == "drop-traces") {
      status = probability(&out.drop_traces);
    } else if (name == "drop-error-traces") {
      status = probability(&out.drop_error_traces);
    } else if (name == "sample-traces") {
      double p = 0;
      status = probability(&p);
      out.sample_traces = p;
    } else if (name == "tail-sample") {
      // P[,slow=D]
      const size_t comma = value.find(',');
      const absl::string_view p = value.substr(0, comma);
      FaultSpec::TailSample ts;
      absl::StatusOr<double> prob = ParseProbability(spec, p);
      if (!prob.ok()) {
        status = prob.status();
      } else {
        ts.probability = *prob;
      }
      if (status.ok() && comma != absl::string_view::npos) {
        absl::string_view option = value.substr(comma + 1);
        if (!absl::ConsumePrefix(&option, "slow=")) {
          status = absl::InvalidArgumentError(
              absl::StrCat("--fault ", spec,
                           ": expected tail-sample=P or tail-sample=P,slow=D (e.g. 0.1,slow=30s)"));
        } else {
          absl::StatusOr<absl::Duration> d = ParseNonNegativeDuration(spec, option);
          if (!d.ok()) {
            status = d.status();
          } else {
            ts.slow = *d;
          }
        }
      }
      out.tail_sample = ts;
    } else if (name == "break-parent") {
      status = probability(&out.break_parent);
    } else if (name == "partial-reject") {
      status = probability(&out.partial_reject);
    } else if (name == "strip-attribute") {
      if (value.empty()) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "--fault ", spec, ": needs an attribute key, e.g. strip-attribute=gen_ai.system"));
      }
      out.strip_attributes.emplace_back(value);
    } else if (name == "truncate-values") {
      size_t n = 0;
      if (!absl::SimpleAtoi(value, &n)) {
        status = absl::InvalidArgumentError(
            absl::StrCat("--fault ", spec, ": \"", value, "\" is not a byte count (0 or more)"));
      }
      out.truncate_values = n;
    } else if (name == "rewrite-service") {
      if (value.empty()) {
        status =
            absl::InvalidArgumentError(absl::StrCat("--fault ", spec, ": needs a service name"));
      }
      out.rewrite_service = std::string(value);
    } else if (name == "delay-visibility") {
      status = duration(&out.delay_visibility);
    } else if (name == "unavailable") {
      status = duration(&out.unavailable);
    } else if (name == "throttle") {
      status = duration(&out.throttle);
    } else {
      status = absl::InvalidArgumentError(absl::StrCat(
          "--fault \"", spec, "\": unknown fault \"", name,
          "\" (known: drop-spans, drop-traces, drop-error-traces, sample-traces, tail-sample, "
          "strip-attribute, truncate-values, "
          "break-parent, rewrite-service, delay-visibility, unavailable, throttle, "
          "partial-reject)"));
    }
    if (!status.ok()) return status;
  }
  return out;
}

FaultInjector::FaultInjector(FaultSpec spec, uint64_t seed) : spec_(std::move(spec)), seed_(seed) {
  changes_data_ = spec_.drop_spans > 0 || spec_.drop_traces > 0 || spec_.drop_error_traces > 0 ||
                  spec_.sample_traces || spec_.tail_sample || !spec_.strip_attributes.empty() ||
                  spec_.truncate_values || spec_.break_parent > 0 || spec_.rewrite_service;
}

double FaultInjector::Draw(std::string_view fault, std::string_view trace_id,
                           std::string_view span_id) const {
  uint64_t h = MixKeys(seed_, HashName(fault));
  h = MixKeys(h, HashName(trace_id));
  h = MixKeys(h, HashName(span_id));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

FaultInjector::Admission FaultInjector::Admit(absl::Duration since_start) const {
  if (since_start < spec_.unavailable) return Admission::kUnavailable;
  if (since_start < spec_.throttle) return Admission::kThrottled;
  return Admission::kAccept;
}

uint64_t FaultInjector::RejectPartially(ExportTraceServiceRequest* request) const {
  if (spec_.partial_reject <= 0) return 0;
  uint64_t rejected = 0;
  for (ResourceSpans& rs : *request->mutable_resource_spans()) {
    for (ScopeSpans& ss : *rs.mutable_scope_spans()) {
      rejected += RemoveIf(ss.mutable_spans(), [&](const Span& s) {
        return Draw("partial-reject", s.trace_id(), s.span_id()) >= spec_.partial_reject;
      });
    }
  }
  if (rejected > 0) PruneEmpty(request);
  return rejected;
}

FaultEffects FaultInjector::Apply(ExportTraceServiceRequest* request) const {
  FaultEffects fx;
  if (!changes_data_) return fx;
  const bool drops = spec_.drop_spans > 0 || spec_.drop_traces > 0 || spec_.drop_error_traces > 0 ||
                     spec_.sample_traces || spec_.tail_sample;
  // drop-error-traces: the traces of this request with an ERROR span that lose the draw.
  std::vector<std::string> dropped_error_traces;
  if (spec_.drop_error_traces > 0) {
    for (const ResourceSpans& rs : request->resource_spans())
      for (const ScopeSpans& ss : rs.scope_spans())
        for (const Span& s : ss.spans())
          if (s.status().code() == opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR &&
              Draw("drop-error-traces", s.trace_id(), {}) < spec_.drop_error_traces)
            dropped_error_traces.push_back(s.trace_id());
  }
  // tail-sample: the traces of this request it does not keep.
  std::vector<std::string> tail_dropped;
  if (spec_.tail_sample) {
    struct Extent {
      bool error = false;
      uint64_t start = UINT64_MAX, end = 0;
    };
    std::vector<std::pair<std::string, Extent>> traces;
    for (const ResourceSpans& rs : request->resource_spans())
      for (const ScopeSpans& ss : rs.scope_spans())
        for (const Span& s : ss.spans()) {
          auto it = std::find_if(traces.begin(), traces.end(),
                                 [&](const auto& t) { return t.first == s.trace_id(); });
          if (it == traces.end()) it = traces.insert(traces.end(), {s.trace_id(), Extent{}});
          Extent& e = it->second;
          e.error |=
              s.status().code() == opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR;
          e.start = std::min<uint64_t>(e.start, s.start_time_unix_nano());
          e.end = std::max<uint64_t>(e.end, s.end_time_unix_nano());
        }
    const FaultSpec::TailSample& ts = *spec_.tail_sample;
    for (const auto& [id, e] : traces) {
      const bool slow = ts.slow != absl::InfiniteDuration() && e.end > e.start &&
                        absl::Nanoseconds(e.end - e.start) > ts.slow;
      if (e.error || slow) continue;
      if (Draw("tail-sample", id, {}) >= ts.probability) tail_dropped.push_back(id);
    }
  }
  for (ResourceSpans& rs : *request->mutable_resource_spans()) {
    if (rs.has_resource() || spec_.rewrite_service) {
      Attributes* attrs = rs.mutable_resource()->mutable_attributes();
      if (!spec_.strip_attributes.empty()) {
        fx.stripped_attributes += StripAttributes(attrs, spec_.strip_attributes);
      }
      if (spec_.rewrite_service) {
        auto it = std::find_if(attrs->begin(), attrs->end(),
                               [](const KeyValue& kv) { return kv.key() == "service.name"; });
        KeyValue* kv = it != attrs->end() ? &*it : attrs->Add();
        kv->set_key("service.name");
        kv->mutable_value()->set_string_value(*spec_.rewrite_service);
        ++fx.rewritten_services;
      }
    }
    for (ScopeSpans& ss : *rs.mutable_scope_spans()) {
      if (!spec_.strip_attributes.empty() && ss.has_scope()) {
        fx.stripped_attributes +=
            StripAttributes(ss.mutable_scope()->mutable_attributes(), spec_.strip_attributes);
      }
      if (drops) {
        RemoveIf(ss.mutable_spans(), [&](const Span& s) {
          if (spec_.sample_traces &&
              Draw("sample-traces", s.trace_id(), {}) >= *spec_.sample_traces) {
            ++fx.unsampled_spans;
            return false;
          }
          if (!tail_dropped.empty() && std::find(tail_dropped.begin(), tail_dropped.end(),
                                                 s.trace_id()) != tail_dropped.end()) {
            ++fx.unsampled_spans;
            return false;
          }
          if (spec_.drop_traces > 0 && Draw("drop-traces", s.trace_id(), {}) < spec_.drop_traces) {
            ++fx.dropped_trace_spans;
            return false;
          }
          if (!dropped_error_traces.empty() &&
              std::find(dropped_error_traces.begin(), dropped_error_traces.end(), s.trace_id()) !=
                  dropped_error_traces.end()) {
            ++fx.dropped_trace_spans;
            return false;
          }
          if (spec_.drop_spans > 0 &&
              Draw("drop-spans", s.trace_id(), s.span_id()) < spec_.drop_spans) {
            ++fx.dropped_spans;
            return false;
          }
          return true;
        });
      }
      for (Span& span : *ss.mutable_spans()) {
        if (!spec_.strip_attributes.empty()) {
          fx.stripped_attributes +=
              StripAttributes(span.mutable_attributes(), spec_.strip_attributes);
          for (auto& e : *span.mutable_events()) {
            fx.stripped_attributes +=
                StripAttributes(e.mutable_attributes(), spec_.strip_attributes);
          }
          for (auto& l : *span.mutable_links()) {
            fx.stripped_attributes +=
                StripAttributes(l.mutable_attributes(), spec_.strip_attributes);
          }
        }
        if (spec_.truncate_values) {
          const size_t n = *spec_.truncate_values;
          fx.truncated_values += TruncateValues(span.mutable_attributes(), n);
          for (auto& e : *span.mutable_events())
            fx.truncated_values += TruncateValues(e.mutable_attributes(), n);
          for (auto& l : *span.mutable_links())
            fx.truncated_values += TruncateValues(l.mutable_attributes(), n);
        }
        if (spec_.break_parent > 0 && !span.parent_span_id().empty() &&
            Draw("break-parent", span.trace_id(), span.span_id()) < spec_.break_parent) {
          // A parent ID derived from the span's own IDs: deterministic, non-zero, and not the
          // original parent.
          uint64_t bogus =
              MixKeys(MixKeys(seed_, HashName("break-parent-id")), HashName(span.span_id()));
          std::string id(8, '\0');
          for (int i = 0; i < 8; ++i) id[i] = static_cast<char>(bogus >> (56 - 8 * i));
          if (id == span.parent_span_id() || id == std::string(8, '\0')) id[7] ^= 0x5a;
          span.set_parent_span_id(std::move(id));
          ++fx.broken_parents;
        }
      }
    }
  }
  if (drops) PruneEmpty(request);
  return fx;
}

}  // namespace agentstorm::sink
