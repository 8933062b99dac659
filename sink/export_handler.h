// What the sink does with an export request once a receiver has it, the same for gRPC and
// HTTP: admission faults (unavailable, throttle), partial rejection, data faults, capacity,
// capture, store, and the counters of each outcome. Receivers only translate the outcome into
// their protocol's status codes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sink/capture.h"
#include "sink/fault_injector.h"
#include "sink/request_decoder.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"

namespace agentstorm::sink {

enum class ExportResult {
  kOk,               // everything stored
  kPartial,          // stored, but some spans rejected (partial success)
  kInvalid,          // malformed request           gRPC INVALID_ARGUMENT   HTTP 400
  kTooLarge,         // over --max-request-bytes    gRPC RESOURCE_EXHAUSTED HTTP 413
  kUnsupported,      // content type or encoding    HTTP 415
  kUnavailable,      // unavailable fault           gRPC UNAVAILABLE        HTTP 503
  kThrottled,        // throttle fault              gRPC RESOURCE_EXHAUSTED + RetryInfo, HTTP 429
  kFull,             // store full                  gRPC RESOURCE_EXHAUSTED + RetryInfo, HTTP 429
  kError,            // capture write failed        gRPC INTERNAL           HTTP 500
  kUnauthenticated,  // no or wrong bearer token, no client certificate
                     //                             gRPC UNAUTHENTICATED     HTTP 401
};

// Short name used as the `result` label of agentstorm_sink_requests_total.
std::string_view ExportResultName(ExportResult result);

struct ExportOutcome {
  ExportResult result = ExportResult::kOk;
  uint64_t rejected_spans = 0;  // for kPartial
  std::string message;          // error message, or the partial success's error_message
  absl::Duration retry_after = absl::ZeroDuration();  // for kThrottled and kFull
};

class ExportHandler {
 public:
  // `faults`, `capture` may be null. Every pointer must outlive the handler.
  ExportHandler(TraceStore* store, const FaultInjector* faults, CaptureWriter* capture,
                SinkMetrics* metrics, absl::Time start = absl::Now());

  // Admission faults, decided before the body is decoded. nullopt = go on.
  std::optional<ExportOutcome> Admit(std::string_view receiver, std::string_view signal);

  // Stores a decoded, validated request (DecodeTraceBody). Data faults parse it, change it
  // and re-encode it (into *request); without them its bytes are stored as they arrived. The
  // store copies what it keeps: the caller may decode the next request into *request.
  ExportOutcome HandleTraces(std::string_view receiver, DecodedTraceRequest* request);
  ExportOutcome HandleMetrics(
      std::string_view receiver,
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request);

  // Records a request the receiver refused itself (bad body, wrong content type, ...).
  ExportOutcome Refuse(std::string_view receiver, std::string_view signal, ExportResult result,
                       std::string message);

  SinkMetrics& metrics() { return *metrics_; }

 private:
  TraceStore* store_;
  const FaultInjector* faults_;
  CaptureWriter* capture_;
  SinkMetrics* metrics_;
  absl::Time start_;
};

}  // namespace agentstorm::sink
