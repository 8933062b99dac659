// Decoding of OTLP export request bodies, shared by the gRPC and HTTP receivers and the fuzz
// target: content decoding (gzip), then protobuf or OTLP/JSON, then the checks a span must pass
// before the store indexes it.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "sink/otlp_wire.h"
#include "sink/trace_store.h"

namespace agentstorm::sink {

enum class BodyEncoding { kProtobuf, kJson };

struct DecodeLimits {
  // Largest body accepted after decompression; bigger gets ResourceExhausted.
  size_t max_decoded_bytes = 16 << 20;
};

// A trace export request ready for the store: its protobuf wire bytes and the wire scanner's
// index of them. Receivers keep one per thread and decode into it again and again, so the
// buffers keep their capacity: the store copies what it keeps (TraceStore::Commit).
struct DecodedTraceRequest {
  std::string bytes;
  wire::ScannedRequest index;
};

// Decodes a trace export body (gzip-compressed when `gzip`): the receivers' path. A protobuf
// body the wire scanner vouches for is kept as it is, without being parsed; one it declines is
// parsed by libprotobuf, which gives the verdict, then validated and re-serialized; an OTLP/JSON
// body is parsed and serialized. Errors as DecodeTraceRequest().
absl::Status DecodeTraceBody(std::string body, BodyEncoding encoding, bool gzip,
                             const DecodeLimits& limits, DecodedTraceRequest* out);

// Serializes `request` (already validated) and indexes it. Internal when the scanner declines
// libprotobuf's own serialization, which would be a bug in the scanner.
absl::Status EncodeTraceRequest(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request,
    DecodedTraceRequest* out);

// A fresh ExportTraceServiceRequest on its own arena: parsing is one pass with few
// allocations, and the whole request is freed at once when the last owner lets go.
std::shared_ptr<opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest>
NewTraceRequest();

// Decodes `body` (gzip-compressed when `gzip`) into `out`, then validates it.
// Errors: ResourceExhausted when the decompressed body exceeds the limit; InvalidArgument
// with a message naming what is wrong (corrupt gzip, not protobuf, JSON error with its field
// path, a span ID of the wrong length, ...).
absl::Status DecodeTraceRequest(
    std::string_view body, BodyEncoding encoding, bool gzip, const DecodeLimits& limits,
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);
absl::Status DecodeMetricsRequest(
    std::string_view body, BodyEncoding encoding, bool gzip, const DecodeLimits& limits,
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest* out);

// The checks every accepted span passes: a 16-byte non-zero trace ID, an 8-byte non-zero span
// ID, and a parent span ID that is empty or 8 bytes. InvalidArgument names the first offender,
// e.g. "resourceSpans[0].scopeSpans[1].spans[3].spanId: must be 8 bytes, got 5".
absl::Status ValidateTraceRequest(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);

// Number of spans in a request.
size_t CountSpans(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);
// Number of data points (all metric types) in a request.
size_t CountDataPoints(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request);

}  // namespace agentstorm::sink
