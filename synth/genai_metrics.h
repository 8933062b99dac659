// GenAiMetrics: the GenAI (and MCP) client metrics an instrumented agent would emit, aggregated
// from the spans agentstorm actually synthesized, so metrics and spans tell the same story
// (e.g. the sum of gen_ai.client.token.usage{gen_ai.token.type=input} equals the sum of
// gen_ai.usage.input_tokens over the inference and embeddings spans).
//
// Every metric is an explicit-bucket histogram with the bucket boundaries of the GenAI semantic
// conventions (docs/gen-ai/gen-ai-metrics.md, docs/gen-ai/mcp.md), cumulative temporality, one
// ResourceMetrics per span resource (the service that emitted the span). Which spans feed which
// metric (attributes are copied from the span when present, under the same key):
//
//   gen_ai.client.token.usage           spans whose gen_ai.operation.name is chat,
//                                       text_completion, generate_content or embeddings: one
//                                       point per token type (input, output) with a count
//                                       (gen_ai.usage.*_tokens, or the deprecated
//                                       prompt/completion_tokens)
//   gen_ai.client.operation.duration    those spans, and CLIENT spans of any other GenAI operation
//                                       but execute_tool (remote invoke_agent, create_agent,
//                                       retrieval)
//   gen_ai.client.operation.time_to_first_chunk   streaming inference spans
//                                       (gen_ai.response.time_to_first_chunk)
//   gen_ai.invoke_agent.duration        the agent's own (non-CLIENT) invoke_agent spans
//   gen_ai.invoke_agent.inference_calls / .tool_calls
//                                       per such span, its inference / execute_tool spans (not
//                                       those of nested agents)
//   gen_ai.execute_tool.duration        execute_tool spans that are not MCP spans
//   gen_ai.workflow.duration            invoke_workflow spans
//   mcp.client.operation.duration       CLIENT spans with mcp.method.name
//   mcp.server.operation.duration       SERVER spans with mcp.method.name
//
// The deprecated v1.36 gen_ai.system is copied as is when a span carries it instead of
// gen_ai.provider.name, so v1.36-profile metrics match v1.36-profile spans.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace agentstorm {

enum class GenAiMetric : uint8_t {
  kTokenUsage = 0,
  kOperationDuration,
  kTimeToFirstChunk,
  kInvokeAgentDuration,
  kInvokeAgentInferenceCalls,
  kInvokeAgentToolCalls,
  kExecuteToolDuration,
  kWorkflowDuration,
  kMcpClientOperationDuration,
  kMcpServerOperationDuration,
};
inline constexpr int kGenAiMetricCount = 10;

struct GenAiMetricSpec {
  const char* name;
  const char* unit;
  const char* description;
  std::vector<double> boundaries;       // explicit bucket upper bounds (inclusive), ascending
  std::vector<const char*> attributes;  // copied from the span when present, in this order
};
const GenAiMetricSpec& GenAiMetricSpecOf(GenAiMetric metric);

// Thread-safe accumulator. Add() is called once per trace handed to the exporters.
class GenAiMetricsAggregator {
 public:
  // `start_unix_nano`: start_time_unix_nano of every cumulative point (the run's start).
  explicit GenAiMetricsAggregator(uint64_t start_unix_nano);

  void Add(const SynthesizedTrace& trace) ABSL_LOCKS_EXCLUDED(mu_);

  // Replaces *out with a cumulative snapshot stamped `now_unix_nano`; empty (no
  // resource_metrics) until a span fed some metric.
  void Collect(uint64_t now_unix_nano,
               opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* out) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Figures of one series (metric, resource, attribute set), for tests and summaries.
  struct Series {
    opentelemetry::proto::resource::v1::Resource resource;
    std::vector<opentelemetry::proto::common::v1::KeyValue> attributes;
    std::vector<uint64_t> bucket_counts;  // boundaries.size() + 1
    uint64_t count = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
  };
  std::vector<Series> SeriesOf(GenAiMetric metric) const ABSL_LOCKS_EXCLUDED(mu_);
  // Number of data points a Collect() would produce now.
  uint64_t DataPoints() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t traces_added() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct ResourceState {
    opentelemetry::proto::resource::v1::Resource resource;
    // Per metric: serialized attribute set -> series.
    std::map<std::string, Series> series[kGenAiMetricCount];
  };

  // `state` is one of resources_.
  void Record(ResourceState* state, GenAiMetric metric,
              const opentelemetry::proto::trace::v1::Span& span, double value,
              const opentelemetry::proto::common::v1::KeyValue* extra)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t start_unix_nano_;
  mutable absl::Mutex mu_;
  std::map<std::string, ResourceState> resources_ ABSL_GUARDED_BY(mu_);  // by serialized Resource
  uint64_t traces_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace agentstorm
