// Small pieces the backend readers share: HTTP client options from a backend URL, distinct
// trace IDs of a TracesData, Unix time conversions for query parameters.
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "checker/readers/http_client.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

HttpClientOptions HttpOptionsFor(const BackendUrl& url, const ReaderOptions& options);

// Distinct trace IDs of the spans in `data`, in order of first appearance, at most `limit`.
// Spans whose trace ID is not 16 bytes are skipped.
std::vector<TraceId> DistinctTraceIds(const TracesData& data, size_t limit);

// `t` clamped to what a backend query accepts: InfinitePast -> the Unix epoch, InfiniteFuture
// -> one hour from now.
absl::Time ClampQueryTime(absl::Time t);

// GETs `target` (a JSON API answering one trace) and decodes the body with `decode`. A 404, or
// a decoder answering NotFound, is a trace that is not there yet (found == false), not an error.
// With `accept_protobuf` the request also offers `application/x-protobuf` (agentstorm's sink
// answers so: TracesData bytes, no JSON on either side); an answer of that type is parsed as
// TracesData, any other by `decode` (a backend that ignores the offer answers JSON).
absl::StatusOr<FetchedTrace> FetchJsonTrace(
    HttpClient& http, const TraceId& id, const std::string& target,
    absl::FunctionRef<absl::Status(std::string_view body, TracesData* out)> decode,
    bool accept_protobuf = false);

}  // namespace agentstorm::readers
