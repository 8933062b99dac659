// Reads traces from Grafana Tempo:
//   GET /api/traces/{id}     (default) asked as protobuf: a tempopb.Trace, whose only field
//                            `repeated ResourceSpans batches = 1` makes it wire-identical to
//                            OTLP TracesData; asked or answered as JSON: Tempo's own mapping
//                            (below), not OTLP/JSON.
//   GET /api/v2/traces/{id}  (tempo://...?api=v2) a TraceByIDResponse {Trace trace = 1;
//                            metrics = 2; PartialStatus status = 3; message = 4}; as JSON
//                            {"trace": {...}, "status": "COMPLETE"|"PARTIAL"}.
//   GET /api/search?q={ resource.service.name = "NAME" }&start=s&end=s&limit=N   TraceQL
//                            search; its trace IDs drop leading zeros and are left-padded.
// A 404 means "no such trace".
//
// Tempo's JSON (gogo jsonpb over tempopb.Trace) differs from OTLP/JSON: the resource list is
// "batches" (v1) or "resourceSpans"; old versions say "instrumentationLibrarySpans" /
// "instrumentationLibrary"; trace and span IDs are base64 of the bytes; enums are names
// ("SPAN_KIND_SERVER", "STATUS_CODE_ERROR"). DecodeTempoTraceJson accepts all of that, and
// hex IDs too (an ID is read as hex when it has exactly the hex length of its field, else as
// base64, which never yields the same length).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checker/readers/http_client.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

// Decodes a Tempo JSON trace ({"batches": [...]} or {"resourceSpans": [...]}) into `out`.
absl::Status DecodeTempoTraceJson(const nlohmann::json& trace, TracesData* out);

// Decodes a whole trace-by-ID body into `out`: JSON or protobuf (chosen by `content_type`, or
// by the first byte when it says neither), of /api/traces (v2 = false) or /api/v2/traces
// (v2 = true; a JSON body is recognised by its "trace" key either way). Sets *partial when a
// v2 response says the trace is PARTIAL. DataLoss when the body does not parse.
absl::Status DecodeTempoTraceBody(std::string_view body, std::string_view content_type, bool v2,
                                  TracesData* out, bool* partial);

// Trace IDs of a /api/search response body ({"traces": [{"traceID": ...}]}), left-padded.
absl::StatusOr<std::vector<TraceId>> DecodeTempoSearchBody(std::string_view body);

class TempoReader : public TraceReader {
 public:
  TempoReader(BackendUrl url, const ReaderOptions& options);

  absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) override;
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) override;
  std::string Describe() const override { return url_.Describe(); }

 private:
  const BackendUrl url_;
  HttpClient http_;
};

}  // namespace agentstorm::readers
