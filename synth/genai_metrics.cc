#include "synth/genai_metrics.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace agentstorm {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;

const std::vector<double> kTokenBuckets = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
const std::vector<double> kDurationBuckets = {0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                              1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
const std::vector<double> kCallBuckets = {1, 2, 4, 8, 16, 32, 64, 128};
const std::vector<double> kMcpBuckets = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,
                                         2,    5,    10,   30,  60,  120, 300};

// The base attribute set M of the conventions, plus the deprecated gen_ai.system.
#define GENAI_BASE                                                                          \
  "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model", \
      "gen_ai.response.model", "server.address", "server.port"

const GenAiMetricSpec kSpecs[kGenAiMetricCount] = {
    {"gen_ai.client.token.usage",
     "{token}",
     "Number of input and output tokens used.",
     kTokenBuckets,
     {GENAI_BASE}},
    {"gen_ai.client.operation.duration",
     "s",
     "GenAI operation duration.",
     kDurationBuckets,
     {GENAI_BASE, "error.type"}},
    {"gen_ai.client.operation.time_to_first_chunk",
     "s",
     "Time to receive the first chunk in a streaming operation.",
     kDurationBuckets,
     {GENAI_BASE}},
    {"gen_ai.invoke_agent.duration",
     "s",
     "Duration of an agent invocation.",
     {0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6},
     {"gen_ai.agent.name", "gen_ai.request.model", "error.type"}},
    {"gen_ai.invoke_agent.inference_calls",
     "{inference_call}",
     "Number of inference calls an agent invocation made.",
     kCallBuckets,
     {"gen_ai.agent.name"}},
    {"gen_ai.invoke_agent.tool_calls",
     "{tool_call}",
     "Number of tool calls an agent invocation made.",
     kCallBuckets,
     {"gen_ai.agent.name"}},
    {"gen_ai.execute_tool.duration",
     "s",
     "Duration of a tool execution.",
     kDurationBuckets,
     {"gen_ai.tool.name", "gen_ai.tool.type", "gen_ai.agent.name", "error.type"}},
    {"gen_ai.workflow.duration",
     "s",
     "Duration of a workflow invocation.",
     {1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200},
     {"gen_ai.workflow.name", "error.type"}},
    {"mcp.client.operation.duration",
     "s",
     "Duration of an MCP request as seen by the client.",
     kMcpBuckets,
     {"mcp.method.name", "gen_ai.tool.name", "gen_ai.operation.name", "gen_ai.prompt.name",
      "mcp.protocol.version", "network.transport", "network.protocol.name",
      "network.protocol.version", "rpc.response.status_code", "server.address", "server.port",
      "error.type"}},
    {"mcp.server.operation.duration",
     "s",
     "Duration of an MCP request as seen by the server.",
     kMcpBuckets,
     {"mcp.method.name", "gen_ai.tool.name", "gen_ai.operation.name", "gen_ai.prompt.name",
      "mcp.protocol.version", "network.transport", "network.protocol.name",
      "network.protocol.version", "rpc.response.status_code", "error.type"}},
};
#undef GENAI_BASE

const KeyValue* FindAttr(const Span& span, std::string_view key) {
  for (const KeyValue& kv : span.attributes())
    if (kv.key() == key) return &kv;
  return nullptr;
}

std::string_view StrAttr(const Span& span, std::string_view key) {
  const KeyValue* kv = FindAttr(span, key);
  if (kv == nullptr || kv->value().value_case() != AnyValue::kStringValue) return {};
  return kv->value().string_value();
}

bool IntAttr(const Span& span, std::string_view key, int64_t* out) {
  const KeyValue* kv = FindAttr(span, key);
  if (kv == nullptr || kv->value().value_case() != AnyValue::kIntValue) return false;
  *out = kv->value().int_value();
  return true;
}

bool IsInference(std::string_view op) {
  return op == "chat" || op == "text_completion" || op == "generate_content";
}

double Seconds(const Span& span) {
  if (span.end_time_unix_nano() <= span.start_time_unix_nano()) return 0;
  return static_cast<double>(span.end_time_unix_nano() - span.start_time_unix_nano()) / 1e9;
}

// Index of the first bucket whose upper bound is >= value (OTLP: bounds are inclusive upper).
size_t BucketOf(const std::vector<double>& bounds, double value) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                             bounds.begin());
}

}  // namespace

const GenAiMetricSpec& GenAiMetricSpecOf(GenAiMetric metric) {
  return kSpecs[static_cast<int>(metric)];
}

GenAiMetricsAggregator::GenAiMetricsAggregator(uint64_t start_unix_nano)
    : start_unix_nano_(start_unix_nano) {}

void GenAiMetricsAggregator::Record(ResourceState* state, GenAiMetric metric, const Span& span,
                                    double value, const KeyValue* extra) {
  const GenAiMetricSpec& spec = GenAiMetricSpecOf(metric);
  std::string key;
  const KeyValue* found[16];
  size_t n = 0;
  for (const char* name : spec.attributes) {
    const KeyValue* kv = FindAttr(span, name);
    if (kv == nullptr) continue;
    found[n++] = kv;
    key += kv->key();
    key.push_back('\0');
    key += kv->value().SerializeAsString();
    key.push_back('\0');
  }
  if (extra != nullptr) {
    key += extra->SerializeAsString();
  }
  auto [it, inserted] = state->series[static_cast<int>(metric)].try_emplace(std::move(key));
  Series& s = it->second;
  if (inserted) {
    s.resource = state->resource;
    for (size_t i = 0; i < n; ++i) s.attributes.push_back(*found[i]);
    if (extra != nullptr) s.attributes.push_back(*extra);
    s.bucket_counts.assign(spec.boundaries.size() + 1, 0);
    s.min = s.max = value;
  }
  ++s.bucket_counts[BucketOf(spec.boundaries, value)];
  ++s.count;
  s.sum += value;
  s.min = std::min(s.min, value);
  s.max = std::max(s.max, value);
}

void GenAiMetricsAggregator::Add(const SynthesizedTrace& trace) {
  // Spans by ID, to find the agent that owns an inference or tool call.
  std::unordered_map<std::string_view, const Span*> by_id;
  for (const auto& rs : trace.resource_spans)
    for (const auto& ss : rs.scope_spans())
      for (const Span& span : ss.spans()) by_id.emplace(span.span_id(), &span);
  auto is_agent = [](const Span& s) {
    return s.kind() != Span::SPAN_KIND_CLIENT &&
           StrAttr(s, "gen_ai.operation.name") == "invoke_agent";
  };
  // Per agent span: inference calls, tool calls.
  std::unordered_map<const Span*, std::pair<uint64_t, uint64_t>> calls;
  auto owner = [&](const Span& s) -> const Span* {
    const Span* cur = &s;
    for (int depth = 0; depth < 1024; ++depth) {
      auto it = by_id.find(cur->parent_span_id());
      if (cur->parent_span_id().empty() || it == by_id.end()) return nullptr;
      cur = it->second;
      if (is_agent(*cur)) return cur;
    }
    return nullptr;
  };

  KeyValue input_type, output_type;
  input_type.set_key("gen_ai.token.type");
  input_type.mutable_value()->set_string_value("input");
  output_type.set_key("gen_ai.token.type");
  output_type.mutable_value()->set_string_value("output");

  absl::MutexLock lock(&mu_);
  ++traces_;
  for (const auto& rs : trace.resource_spans) {
    std::string resource_key = rs.resource().SerializeAsString();
    auto [rit, inserted] = resources_.try_emplace(std::move(resource_key));
    ResourceState* state = &rit->second;
    if (inserted) state->resource = rs.resource();
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        const std::string_view op = StrAttr(span, "gen_ai.operation.name");
        const bool mcp = FindAttr(span, "mcp.method.name") != nullptr;
        const bool client = span.kind() == Span::SPAN_KIND_CLIENT;
        if (mcp) {
          if (client)
            Record(state, GenAiMetric::kMcpClientOperationDuration, span, Seconds(span), nullptr);
          else if (span.kind() == Span::SPAN_KIND_SERVER)
            Record(state, GenAiMetric::kMcpServerOperationDuration, span, Seconds(span), nullptr);
          continue;
        }
        if (op.empty()) continue;
        if (IsInference(op) || op == "embeddings") {
          Record(state, GenAiMetric::kOperationDuration, span, Seconds(span), nullptr);
          int64_t tokens = 0;
          if (IntAttr(span, "gen_ai.usage.input_tokens", &tokens) ||
              IntAttr(span, "gen_ai.usage.prompt_tokens", &tokens))
            Record(state, GenAiMetric::kTokenUsage, span, static_cast<double>(tokens), &input_type);
          if (IntAttr(span, "gen_ai.usage.output_tokens", &tokens) ||
              IntAttr(span, "gen_ai.usage.completion_tokens", &tokens))
            Record(state, GenAiMetric::kTokenUsage, span, static_cast<double>(tokens),
                   &output_type);
          const KeyValue* ttfc = FindAttr(span, "gen_ai.response.time_to_first_chunk");
          if (ttfc != nullptr && ttfc->value().value_case() == AnyValue::kDoubleValue)
            Record(state, GenAiMetric::kTimeToFirstChunk, span, ttfc->value().double_value(),
                   nullptr);
          if (IsInference(op))
            if (const Span* agent = owner(span)) ++calls[agent].first;
        } else if (op == "execute_tool") {
          Record(state, GenAiMetric::kExecuteToolDuration, span, Seconds(span), nullptr);
          if (const Span* agent = owner(span)) ++calls[agent].second;
        } else if (op == "invoke_workflow") {
          Record(state, GenAiMetric::kWorkflowDuration, span, Seconds(span), nullptr);
        } else if (client) {
          Record(state, GenAiMetric::kOperationDuration, span, Seconds(span), nullptr);
        }
      }
    }
  }
  // Agent spans last: their call counts are complete now.
  for (const auto& rs : trace.resource_spans) {
    ResourceState* state = &resources_.find(rs.resource().SerializeAsString())->second;
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        if (!is_agent(span)) continue;
        Record(state, GenAiMetric::kInvokeAgentDuration, span, Seconds(span), nullptr);
        auto it = calls.find(&span);
        const auto counts = it == calls.end() ? std::pair<uint64_t, uint64_t>{0, 0} : it->second;
        Record(state, GenAiMetric::kInvokeAgentInferenceCalls, span,
               static_cast<double>(counts.first), nullptr);
        Record(state, GenAiMetric::kInvokeAgentToolCalls, span, static_cast<double>(counts.second),
               nullptr);
      }
    }
  }
}

void GenAiMetricsAggregator::Collect(
    uint64_t now_unix_nano,
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* out) const {
  out->Clear();
  absl::MutexLock lock(&mu_);
  for (const auto& [key, state] : resources_) {
    opentelemetry::proto::metrics::v1::ResourceMetrics* rm = nullptr;
    opentelemetry::proto::metrics::v1::ScopeMetrics* sm = nullptr;
    for (int m = 0; m < kGenAiMetricCount; ++m) {
      if (state.series[m].empty()) continue;
      if (rm == nullptr) {
        rm = out->add_resource_metrics();
        *rm->mutable_resource() = state.resource;
        sm = rm->add_scope_metrics();
        sm->mutable_scope()->set_name("agentstorm");
      }
      const GenAiMetricSpec& spec = kSpecs[m];
      auto* metric = sm->add_metrics();
      metric->set_name(spec.name);
      metric->set_unit(spec.unit);
      metric->set_description(spec.description);
      auto* h = metric->mutable_histogram();
      h->set_aggregation_temporality(
          opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
      for (const auto& [attrs, s] : state.series[m]) {
        auto* p = h->add_data_points();
        for (const KeyValue& kv : s.attributes) *p->add_attributes() = kv;
        p->set_start_time_unix_nano(start_unix_nano_);
        p->set_time_unix_nano(now_unix_nano);
        p->set_count(s.count);
        p->set_sum(s.sum);
        p->set_min(s.min);
        p->set_max(s.max);
        for (uint64_t c : s.bucket_counts) p->add_bucket_counts(c);
        for (double b : spec.boundaries) p->add_explicit_bounds(b);
      }
    }
  }
}

std::vector<GenAiMetricsAggregator::Series> GenAiMetricsAggregator::SeriesOf(
    GenAiMetric metric) const {
  std::vector<Series> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, state] : resources_)
    for (const auto& [attrs, s] : state.series[static_cast<int>(metric)]) out.push_back(s);
  return out;
}

uint64_t GenAiMetricsAggregator::DataPoints() const {
  uint64_t n = 0;
  absl::MutexLock lock(&mu_);
  for (const auto& [key, state] : resources_)
    for (const auto& m : state.series) n += m.size();
  return n;
}

uint64_t GenAiMetricsAggregator::traces_added() const {
  absl::MutexLock lock(&mu_);
  return traces_;
}

}  // namespace agentstorm
