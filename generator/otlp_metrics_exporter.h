// OtlpMetricsExporter: sends ExportMetricsServiceRequests to the metrics side of an OTLP
// endpoint, with the same protocol, TLS, headers, compression and timeout as the endpoint's
// trace exporter. One blocking attempt per Export (metrics are cumulative: a lost export is
// made good by the next one).
//
// Endpoint: grpc uses the trace endpoint as is (MetricsService/Export on the same server);
// for http/* a URL ending in /v1/traces gets /v1/metrics instead, and
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (a full URL) wins when the trace endpoint came from the
// environment rather than a flag.
//
// PeriodicMetricsExport: collects a GenAiMetricsAggregator every `interval` on its own thread
// and exports the snapshot to every exporter; Stop() exports once more (the final values).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "generator/exporter_options.h"
#include "generator/genai_metrics.h"

namespace agentstorm {

// The options of the metrics exporter that goes with `trace_options`. `endpoint_from_flag`:
// the endpoint was given on the command line (then the METRICS_ENDPOINT variable is ignored).
ExporterOptions MetricsExporterOptions(const ExporterOptions& trace_options, bool endpoint_from_flag,
                                       const EnvLookup& env = ProcessEnvironment());

class OtlpMetricsExporter {
 public:
  // Errors: InvalidArgument for bad options or unreadable certificate files. Does not connect.
  static absl::StatusOr<std::unique_ptr<OtlpMetricsExporter>> Create(const ExporterOptions& options);
  virtual ~OtlpMetricsExporter() = default;

  // Sends `request` once. Errors: Unavailable (not reached), or the server's error.
  virtual absl::Status Export(
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request) = 0;
  // The endpoint for summaries (secrets removed).
  virtual std::string Describe() const = 0;
};

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
