// PeriodicMetricsExport: collects a GenAiMetricsAggregator every `interval` on its own thread
// and exports the snapshot to every OtlpMetricsExporter; Stop() exports once more (the final
// values). Lives in the run loop's room: it joins synthesis (the aggregator) and export.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "export/otlp_metrics_exporter.h"
#include "synth/genai_metrics.h"

namespace agentstorm {

struct MetricsExportStats {
  uint64_t exports_ok = 0;
  uint64_t exports_failed = 0;
  uint64_t data_points_last = 0;  // points in the last snapshot
  std::string last_error;
};

class PeriodicMetricsExport {
 public:
  // `aggregator` and `exporters` are not owned and must outlive this object.
  PeriodicMetricsExport(const GenAiMetricsAggregator* aggregator,
                        std::vector<OtlpMetricsExporter*> exporters,
                        std::chrono::milliseconds interval);
  ~PeriodicMetricsExport();  // Stop()s

  void Start();
  // Stops the timer and exports the final snapshot. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, export_mu_);
  MetricsExportStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ExportNow() ABSL_LOCKS_EXCLUDED(mu_, export_mu_);
  void Loop() ABSL_LOCKS_EXCLUDED(mu_, export_mu_);

  const GenAiMetricsAggregator* aggregator_;
  std::vector<OtlpMetricsExporter*> exporters_;
  const std::chrono::milliseconds interval_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // wakes Loop() (Mutex::AwaitWithTimeout)
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex export_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one export at a time
  MetricsExportStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// "metrics: 3 exports, 42 data points, 0 failed" for the summary.
std::string FormatMetricsExportStats(const MetricsExportStats& stats);

}  // namespace agentstorm
