// Reads traces from Jaeger's UI/HTTP API (/api/traces), the "legacy" model of Jaeger v1 and
// still served by Jaeger v2:
//   GET /api/traces/{id}                                   {"data": [trace], "errors": ...}
//   GET /api/traces?service=..&start=us&end=us&limit=..    {"data": [trace, ...]}
// and maps each trace back into OTLP the way the OpenTelemetry Collector's Jaeger translator
// does, so that what was sent as OTLP compares with what comes back:
//   - processes[p] -> one ResourceSpans per process: service.name = serviceName, tags as
//     resource attributes;
//   - typed tags (string, bool, int64, float64, binary) -> attributes of the same type;
//     int64 given as a JSON string (values beyond 2^53) is read exactly;
//   - tag span.kind -> kind; otel.status_code / otel.status_description, or error=true ->
//     status (the consumed tags are removed); otel.scope.name/version (or the older
//     otel.library.*) -> the scope; w3c.tracestate -> trace_state;
//   - the first CHILD_OF reference in the same trace -> parent span ID; every other reference
//     -> a link (a CHILD_OF one gets attribute opentracing.ref_type=child_of, FOLLOWS_FROM
//     ones none, since OTLP links are what Jaeger shows as FOLLOWS_FROM);
//   - logs -> events: a string field "event" is the event name, the other fields attributes;
//   - 64-bit trace IDs (16 hex digits) are left-padded to 128 bits; times are microseconds.
// Nothing is deduplicated: a span Jaeger returns twice is returned twice.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checker/readers/http_client.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

// Appends one Jaeger UI-model trace (an element of "data") to `out`.
absl::Status AppendJaegerLegacyTrace(const nlohmann::json& trace, TracesData* out);

// Decodes a whole {"data": [...]} body into `out` (cleared first): every trace appended.
// NotFound when "errors" carries code 404; DataLoss when the body does not parse.
absl::Status DecodeJaegerLegacyBody(std::string_view body, TracesData* out);

class JaegerLegacyReader : public TraceReader {
 public:
  JaegerLegacyReader(BackendUrl url, const ReaderOptions& options);

  absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) override;
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) override;
  std::string Describe() const override { return url_.Describe(); }
  // The legacy JSON has scope name and version (otel.scope.* tags) but no scope attributes and no
  // schema URLs.
  ReaderCarries Carries() const override { return {false, false, 1000}; }

 private:
  const BackendUrl url_;
  HttpClient http_;
};

}  // namespace agentstorm::readers
