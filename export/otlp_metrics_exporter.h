// OtlpMetricsExporter: sends ExportMetricsServiceRequests to the metrics side of an OTLP
// endpoint, with the same protocol, TLS, headers, compression and timeout as the endpoint's
// trace exporter. One blocking attempt per Export (metrics are cumulative: a lost export is
// made good by the next one).
//
// Endpoint: grpc uses the trace endpoint as is (MetricsService/Export on the same server);
// for http/* a URL ending in /v1/traces gets /v1/metrics instead, and
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (a full URL) wins when the trace endpoint came from the
// environment rather than a flag.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "export/exporter_options.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace agentstorm {

// The options of the metrics exporter that goes with `trace_options`. `endpoint_from_flag`:
// the endpoint was given on the command line (then the METRICS_ENDPOINT variable is ignored).
ExporterOptions MetricsExporterOptions(const ExporterOptions& trace_options,
                                       bool endpoint_from_flag,
                                       const EnvLookup& env = ProcessEnvironment());

class OtlpMetricsExporter {
 public:
  // Errors: InvalidArgument for bad options or unreadable certificate files. Does not connect.
  static absl::StatusOr<std::unique_ptr<OtlpMetricsExporter>> Create(
      const ExporterOptions& options);
  virtual ~OtlpMetricsExporter() = default;

  // Sends `request` once. Errors: Unavailable (not reached), or the server's error.
  virtual absl::Status Export(
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request) = 0;
  // The endpoint for summaries (secrets removed).
  virtual std::string Describe() const = 0;
};

}  // namespace agentstorm
