// Reads traces from Jaeger's query API v3 over HTTP (the grpc-gateway JSON of
// jaeger.api_v3.QueryService), which the embedded sink also serves:
//   GET /api/v3/traces/{trace_id}   one or more concatenated {"result": TracesData} chunks
//   GET /api/v3/traces?query.service_name=..&query.start_time_min=..&query.start_time_max=..
//       &query.num_traces=..        the same shape, all matching traces merged (whole traces:
//                                   every span of a trace with a span of that service starting
//                                   in the window)
// TracesData inside "result" is OTLP/JSON (hex IDs, enums as integers). A 404, or an
// {"error": {"httpCode": 404}} chunk, means "no such trace". Query parameters use the
// snake_case names every Jaeger v2 release accepts (newer ones also take camelCase).
//
// Reads ask for the traces as stored (raw_traces=true, query.raw_traces=true; a Jaeger before
// that parameter ignores it): Jaeger 2.12's query service otherwise runs its adjusters on the
// in-memory store's own trace objects, and two reads of one trace at once (a search and a read by
// ID, or a run's queryability probe and its check) race in its attribute sort, which then answers
// keys with other keys' values (seen about once per 2,000 research-fanout traces; docs/field.md).
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

#include "absl/container/flat_hash_map.h"
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
  // Bulk reads, in this order of preference:
  //  - from agentstorm's own sink: GET /agentstorm/v1/traces?ids=... answers up to kBulkTraces
  //    traces by ID in one protobuf message (sink/query_api.h). A backend that answers that path
  //    any other way (Jaeger: 404, or its UI's page) is not asked again; an error that GetTrace
  //    would also meet (unreachable, 401, 5xx) fails the batch instead.
  //  - from any Jaeger, through its search (FindTraces) by the located traces' root service and
  //    the window of their start times, up to kSearchTraces located traces per search, each
  //    search asking for at most twice as many traces as it looks for (query.num_traces). Where
  //    a search found as many traces as it asked for and some are missing, they are searched
  //    again in two halves (paging by time window); a trace a search does not return is then
  //    read by ID, which stays the authority (a pipeline may have renamed its service or moved
  //    its times; a backend's search index may lag its trace store). A backend that refuses the
  //    search (400) three times in a row is read one trace per request from then on.
  size_t MaxBatch() const override {
    if (bulk_.load(std::memory_order_relaxed)) return kBulkTraces;
    return search_.load(std::memory_order_relaxed) ? kSearchTraces : 1;
  }
  bool BatchesNeedLocations() const override { return !bulk_.load(std::memory_order_relaxed); }
  std::vector<absl::StatusOr<FetchedTrace>> GetTraces(
      absl::Span<const TraceLookup> traces) override;
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) override;
  std::string Describe() const override { return url_.Describe(); }
  ReadCounts Counts() const override;

  // Traces per bulk request: a URL of about 3.3 KB, within the sink's limit of 256.
  static constexpr size_t kBulkTraces = 100;
  // Located traces per search, and the most traces one search asks for: a Jaeger with in-memory
  // storage refuses a search deeper than its max_traces.
  static constexpr size_t kSearchTraces = 200;
  static constexpr size_t kMaxSearchDepth = 2 * kSearchTraces + 16;

 private:
  // The search path of GetTraces; `out` has a slot per lookup.
  void SearchTraces(absl::Span<const TraceLookup> traces,
                    std::vector<absl::StatusOr<FetchedTrace>>* out);

  const BackendUrl url_;
  HttpClient http_;
  std::atomic<bool> bulk_{true};    // until the backend shows it has no bulk request
  std::atomic<bool> search_{true};  // until the backend refuses searches
  static constexpr int kRefusalsToStopSearching = 3;
  std::atomic<int> refused_searches_{0};  // in a row
  std::atomic<uint64_t> searches_{0};
  std::atomic<uint64_t> found_by_search_{0};
  std::atomic<uint64_t> read_by_id_{0};
};

// Splits the answer of a search (GET /api/v3/traces?query...: every matching trace's resource
// spans, in one or more {"result": TracesData} chunks) by trace: for each trace ID, the
// TracesData wire bytes of its spans, with their resources and scopes. A resource's spans of
// several traces are split between them. An {"error": 404} chunk is no traces; DataLoss or
// Internal as DecodeJaegerV3Body.
absl::StatusOr<absl::flat_hash_map<TraceId, std::string>> SplitJaegerV3Traces(
    std::string_view body);

// Splits the answer of GET /agentstorm/v1/traces (`repeated TracesData traces = 1`) into
// one FetchedTrace per ID of `ids`, in order. DataLoss when it does not parse or holds another
// number of them.
absl::StatusOr<std::vector<FetchedTrace>> DecodeTraceBatch(std::string_view body,
                                                           absl::Span<const TraceId> ids);

}  // namespace agentstorm::readers
