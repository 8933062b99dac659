// Span-derived metrics for GenAI agents, computed on ingest the way the collector's spanmetrics
// connector or Tempo's metrics generator would, and served on the sink's GET /metrics so that a
// real Prometheus can scrape them and evaluate alerting rules (scenarios/alerts/genai.rules.yml).
//
// Series (Prometheus text format; every name starts with agentstorm_):
//   span_calls_total, span_duration_seconds (histogram)
//       {service_name, span_name, gen_ai_operation_name, status_code}   every span
//   gen_ai_tokens_total {service_name, gen_ai_operation_name, gen_ai_request_model,
//   gen_ai_token_type}
//       input/output token usage of inference spans (chat, generate_content, text_completion,
//       embeddings); invoke_agent spans carry sums and are not counted again
//   gen_ai_agent_iterations (histogram) {service_name, gen_ai_agent_name}
//       per invoke_agent span (not the CLIENT side of a remote call): how many inference spans
//       are its direct children, i.e. how many model turns its loop took
//   gen_ai_tool_calls_total {service_name, gen_ai_tool_name, outcome}   execute_tool spans;
//       outcome "error" when the status is ERROR or error.type is set, else "ok"
//   gen_ai_context_window_utilization (histogram) {service_name, gen_ai_request_model}
//       the chat span attribute agentstorm.context_window.utilization (input tokens / window)
//   last_span_timestamp_seconds (gauge) {service_name}   unix time a span of the service was
//       last received; `time() - agentstorm_last_span_timestamp_seconds` is its silence
//
// Loop iterations are counted without holding traces: inference spans add one to a pending
// count keyed by (trace ID, parent span ID); an invoke_agent span takes the count of its own ID
// and observes it. This relies on spans being exported when they end (a child no later than its
// parent), which SDK batch processors and agentstorm's whole-trace batches both guarantee. Pending
// counts whose parent never arrives (chats under a workflow, orphans) are forgotten after two
// rotations of a bounded two-generation table, so memory stays bounded.
//
// Thread-safe. Cost per span: one attribute scan and two or three hash lookups, no allocation
// once a series exists.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sink/otlp_wire.h"

namespace agentstorm::sink {

struct SpanMetricsOptions {
  // Most pending iteration counts kept (across both generations).
  size_t max_pending_parents = 200'000;
  // A generation of pending counts is retired after this long.
  absl::Duration pending_ttl = absl::Seconds(60);
};

class SpanMetrics {
 public:
  explicit SpanMetrics(SpanMetricsOptions options = {});
  SpanMetrics(const SpanMetrics&) = delete;
  SpanMetrics& operator=(const SpanMetrics&) = delete;

  // Observes every span of a request the wire scanner indexed, accepted at `received`.
  void Observe(const wire::ScannedRequest& request, absl::Time received) ABSL_LOCKS_EXCLUDED(mu_);
  // The same for a request message (serialized and indexed first; for tests and tools).
  void Observe(const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
               absl::Time received);

  // Appends the series above, with HELP and TYPE lines, sorted by labels.
  void RenderPrometheus(std::string* out) const ABSL_LOCKS_EXCLUDED(mu_);

  // Bucket upper bounds (the +Inf bucket is implied).
  static const std::vector<double>& DurationBuckets();
  static const std::vector<double>& IterationBuckets();
  static const std::vector<double>& UtilizationBuckets();

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket, not cumulative; last = +Inf
    uint64_t count = 0;
    double sum = 0;
    void Observe(const std::vector<double>& bounds, double v);
  };
  // Labels joined with '\x1f' (the key), split again when rendering. Histograms are node maps
  // so that Observe() can keep pointers to the series it used for earlier spans of a request.
  using Counters = absl::flat_hash_map<std::string, uint64_t>;
  using Histograms = absl::node_hash_map<std::string, Histogram>;
  using PendingKey = std::array<char, 24>;  // trace ID + span ID

  void RotatePendingIfDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t TakePending(const PendingKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SpanMetricsOptions options_;
  mutable absl::Mutex mu_;
  Histograms durations_ ABSL_GUARDED_BY(mu_);
  Counters tokens_ ABSL_GUARDED_BY(mu_);
  Histograms iterations_ ABSL_GUARDED_BY(mu_);
  Counters tool_calls_ ABSL_GUARDED_BY(mu_);
  Histograms utilization_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, double> last_span_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PendingKey, uint32_t> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PendingKey, uint32_t> pending_old_ ABSL_GUARDED_BY(mu_);
  absl::Time pending_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string key_ ABSL_GUARDED_BY(mu_);  // scratch
};

}  // namespace agentstorm::sink
