// Fuzzes the request decode path both sink receivers use (sink/request_decoder.h): gzip,
// protobuf and OTLP/JSON parsing, span validation, and, for what decodes, the faults, the
// store and the query API's re-encoding.
//
// The first input byte picks the path: bit 0 JSON or protobuf, bit 1 gzip, bit 2 traces or
// metrics. Decoding must never crash, hang or read out of bounds, whatever the bytes; a
// request that decodes must be storable and re-encodable.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/otlp_json.h"
#include "sink/fault_injector.h"
#include "sink/request_decoder.h"
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

}  // namespace

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
    }
    return 0;
  }
  auto request = agentstorm::sink::NewTraceRequest();
  if (!agentstorm::sink::DecodeTraceRequest(body, encoding, gzip, limits, request.get()).ok()) {
    return 0;
  }
  Faults().RejectPartially(request.get());
  Faults().Apply(request.get());
  agentstorm::sink::TraceStore store({.max_spans = 1 << 16});
  if (!store.Add(request).ok()) return 0;
  for (const auto& rs : request->resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        agentstorm::TraceId id{};
        std::copy(span.trace_id().begin(), span.trace_id().end(), id.begin());
        (void)agentstorm::EncodeOtlpJson(agentstorm::sink::AssembleTracesData(store.GetTrace(id)));
        return 0;
      }
    }
  }
  return 0;
}
