// Counters of what the sink's receivers saw, rendered with the store's own counters and the
// span-derived GenAI metrics (sink/span_metrics.h) as the Prometheus text format served on
// GET /metrics. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sink/span_metrics.h"
#include "sink/trace_store.h"

namespace agentstorm::sink {

class SinkMetrics {
 public:
  // One export request answered by `receiver` ("grpc", "http") for `signal` ("traces",
  // "metrics") with `result` ("ok", "partial", "invalid", "too_large", "unsupported",
  // "unavailable", "throttled", "full", "error").
  void CountRequest(std::string_view receiver, std::string_view signal, std::string_view result);
  void CountReceivedSpans(std::string_view service, uint64_t n);
  // Spans refused: "full" (store full), "partial_reject", "unavailable", "throttled".
  void CountRejectedSpans(std::string_view service, std::string_view reason, uint64_t n);
  // Spans removed by a fault ("drop-spans", "drop-traces", "sample-traces").
  void CountDroppedSpans(std::string_view fault, uint64_t n);
  void CountMetricDataPoints(uint64_t n);
  // Span-derived metrics of the spans the store accepted.
  SpanMetrics& span_metrics() { return span_metrics_; }

  uint64_t received_spans() const;
  uint64_t rejected_spans() const;
  uint64_t requests(std::string_view receiver, std::string_view signal,
                    std::string_view result) const;

  // Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus(const TraceStoreStats& store) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t, std::less<>> requests_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t, std::less<>> received_ ABSL_GUARDED_BY(mu_);  // by service
  std::map<std::pair<std::string, std::string>, uint64_t, std::less<>> rejected_
      ABSL_GUARDED_BY(mu_);                                                    // service, reason
  std::map<std::string, uint64_t, std::less<>> dropped_ ABSL_GUARDED_BY(mu_);  // by fault
  uint64_t metric_points_ ABSL_GUARDED_BY(mu_) = 0;
  SpanMetrics span_metrics_;  // has its own lock
};

}  // namespace agentstorm::sink
