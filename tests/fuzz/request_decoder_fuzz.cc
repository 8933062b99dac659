// Fuzzes the request decode path both sink receivers use (sink/request_decoder.h): gzip,
// protobuf and OTLP/JSON parsing, span validation, and, for what decodes, the faults, the
// store and the query API's re-encoding.
//
// The first input byte picks the path: bit 0 JSON or protobuf, bit 1 gzip, bit 2 traces or
// metrics, bit 3 with the data faults (parse, damage, re-encode) or without (the wire bytes are
// stored as they came). Decoding must never crash, hang or read out of bounds, whatever the bytes;
// a request that decodes must be storable and re-encodable, its query JSON (written from the
// stored bytes) must be what libprotobuf's parse of those bytes encodes to, and a metrics
// request's OTLP/JSON must decode back to what encodes the same.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/otlp_json.h"
#include "sink/export_handler.h"
#include "sink/fault_injector.h"
#include "sink/request_decoder.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"

namespace {

using agentstorm::sink::BodyEncoding;

const agentstorm::sink::FaultInjector& Faults() {
  static const agentstorm::sink::FaultInjector* faults = [] {
    auto spec = agentstorm::sink::ParseFaultSpecs(
        {"drop-spans=0.2", "strip-attribute=secret", "truncate-values=5", "break-parent=0.5"});
    return new agentstorm::sink::FaultInjector(*spec, 1);
  }();
  return *faults;
}

// libprotobuf logs every string field with invalid UTF-8 that it parses (the oracle below parses
// what the scanner stored): millions of lines that slow the run and fill the disk.
void Quiet(google::protobuf::LogLevel /*level*/, const char* /*file*/, int /*line*/,
           const std::string& /*message*/) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(&Quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const BodyEncoding encoding = (mode & 1) ? BodyEncoding::kJson : BodyEncoding::kProtobuf;
  const bool gzip = (mode & 2) != 0;
  const agentstorm::sink::DecodeLimits limits{1 << 20};

  if (mode & 4) {
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
    if (agentstorm::sink::DecodeMetricsRequest(body, encoding, gzip, limits, &request).ok()) {
      (void)agentstorm::sink::CountDataPoints(request);
      // OTLP/JSON round trip: what is encoded decodes to what encodes the same.
      const std::string text = agentstorm::EncodeOtlpJson(request);
      opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest again;
      if (!agentstorm::DecodeOtlpJson(text, &again).ok() ||
          agentstorm::EncodeOtlpJson(again) != text) {
        __builtin_trap();
      }
    }
    return 0;
  }
  // The receivers' path: the wire scanner, or libprotobuf when it declines, then the handler
  // with every data fault, the store, the span metrics and a query.
  agentstorm::sink::DecodedTraceRequest request;
  if (!agentstorm::sink::DecodeTraceBody(std::string(body), encoding, gzip, limits, &request)
           .ok()) {
    return 0;
  }
  if (request.index.spans.empty()) return 0;
  const agentstorm::TraceId id = request.index.spans.front().trace_id;
  agentstorm::sink::TraceStore store({.max_spans = 1 << 16});
  agentstorm::sink::SinkMetrics metrics;
  agentstorm::sink::ExportHandler handler(&store, (mode & 8) ? &Faults() : nullptr, nullptr,
                                          &metrics);
  (void)handler.HandleTraces("fuzz", &request);
  // The query's JSON, written from the stored bytes, is what libprotobuf's parse of them
  // encodes to (when it parses them: the scanner does not check UTF-8).
  for (const std::string& wire : agentstorm::sink::AssembleResourceSpans(store.GetTrace(id))) {
    std::string text;
    const auto* type = opentelemetry::proto::trace::v1::ResourceSpans::descriptor();
    if (!agentstorm::EncodeOtlpJsonWire(wire, type, &text).ok()) __builtin_trap();
    opentelemetry::proto::trace::v1::ResourceSpans parsed;
    if (parsed.ParseFromString(wire) && agentstorm::EncodeOtlpJson(parsed) != text) {
      __builtin_trap();
    }
  }
  std::string text;
  metrics.span_metrics().RenderPrometheus(&text);
  return 0;
}
