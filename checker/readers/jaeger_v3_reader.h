// Reads traces from Jaeger's query API v3 over HTTP (the grpc-gateway JSON of
// jaeger.api_v3.QueryService), which the embedded sink also serves:
//   GET /api/v3/traces/{trace_id}   one or more concatenated {"result": TracesData} chunks
//   GET /api/v3/traces?query.service_name=..&query.start_time_min=..&query.start_time_max=..
//       &query.num_traces=..        the same shape, all matching traces merged
// TracesData inside "result" is OTLP/JSON (hex IDs, enums as integers). A 404, or an
// {"error": {"httpCode": 404}} chunk, means "no such trace". Query parameters use the
// snake_case names every Jaeger v2 release accepts (newer ones also take camelCase).
//
// What a real Jaeger v2 does to what it stores (seen with 2.12, tests/field/, docs/field.md):
// it keeps no schema URLs (Carries() says so, and they are not compared), sorts attributes by key,
// and adds an "@jaeger@warnings" attribute to spans its adjusters had something to say about,
// which DecodeJaegerV3Body removes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checker/readers/http_client.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

// Decodes a /api/v3/traces body into `out` (cleared first), merging every "result" chunk.
// NotFound when the body is an error chunk saying 404; DataLoss when it does not parse.
absl::Status DecodeJaegerV3Body(std::string_view body, TracesData* out);

class JaegerV3Reader : public TraceReader {
 public:
  JaegerV3Reader(BackendUrl url, const ReaderOptions& options);

  // Jaeger's storage model has no schema URL (the embedded sink keeps them, but one URL scheme
  // cannot tell the two apart): not compared.
  ReaderCarries Carries() const override { return {/*schema_urls=*/false, true}; }
  absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) override;
  // Bulk reads from agentstorm's own sink: GET /agentstorm/v1/traces?ids=... answers up to
  // kBulkTraces traces in one protobuf message (sink/query_api.h). A backend that answers that
  // path any other way (Jaeger: 404, or its UI's page) is read one trace per request from then
  // on; an error that GetTrace would also meet (unreachable, 401, 5xx) fails the batch instead.
  size_t MaxBatch() const override {
    return bulk_.load(std::memory_order_relaxed) ? kBulkTraces : 1;
  }
  std::vector<absl::StatusOr<FetchedTrace>> GetTraces(absl::Span<const TraceId> ids) override;
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) override;
  std::string Describe() const override { return url_.Describe(); }

  // Traces per bulk request: a URL of about 3.3 KB, within the sink's limit of 256.
  static constexpr size_t kBulkTraces = 100;

 private:
  const BackendUrl url_;
  HttpClient http_;
  std::atomic<bool> bulk_{true};  // until the backend shows it has no bulk request
};

// Splits the answer of GET /agentstorm/v1/traces (`repeated TracesData traces = 1`) into
// one FetchedTrace per ID of `ids`, in order. DataLoss when it does not parse or holds another
// number of them.
absl::StatusOr<std::vector<FetchedTrace>> DecodeTraceBatch(std::string_view body,
                                                           absl::Span<const TraceId> ids);

}  // namespace agentstorm::readers
