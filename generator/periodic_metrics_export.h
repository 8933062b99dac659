// PeriodicMetricsExport: collects a GenAiMetricsAggregator every `interval` on its own thread
// and exports the snapshot to every OtlpMetricsExporter; Stop() exports once more (the final
// values). Lives in the run loop's room: it joins synthesis (the aggregator) and export.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  void Stop();
  MetricsExportStats stats() const;

 private:
  void ExportNow();
  void Loop();

  const GenAiMetricsAggregator* aggregator_;
  std::vector<OtlpMetricsExporter*> exporters_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::mutex export_mu_;  // one export at a time
  MetricsExportStats stats_;
  std::thread thread_;
};

// "metrics: 3 exports, 42 data points, 0 failed" for the summary.
std::string FormatMetricsExportStats(const MetricsExportStats& stats);

}  // namespace agentstorm
