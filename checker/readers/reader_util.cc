#include "checker/readers/reader_util.h"

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace agentstorm::readers {

HttpClientOptions HttpOptionsFor(const BackendUrl& url, const ReaderOptions& options) {
  HttpClientOptions http;
  http.connect_timeout = options.connect_timeout;
  http.request_timeout = options.request_timeout;
  http.deadline = options.deadline;
  http.max_response_bytes = options.max_response_bytes;
  http.insecure_tls = url.insecure_tls;
  http.ca_file = url.ca_file;
  http.cert_file = url.cert_file;
  http.key_file = url.key_file;
  http.headers = url.RequestHeaders();
  if (!url.auth.basic_user.empty() && url.auth.bearer_token.empty()) {
    // Basic auth through a header rather than CURLOPT_USERPWD keeps HttpClient generic.
    const std::string b64 = absl::Base64Escape(url.auth.basic_user + ":" + url.auth.basic_password);
    http.headers.insert(http.headers.begin(), {"Authorization", "Basic " + b64});
  }
  return http;
}

std::vector<TraceId> DistinctTraceIds(const TracesData& data, size_t limit) {
  std::vector<TraceId> ids;
  absl::flat_hash_set<std::string> seen;
  for (const auto& rs : data.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        if (ids.size() >= limit) return ids;
        if (span.trace_id().size() != 16 || !seen.insert(span.trace_id()).second) continue;
        TraceId id;
        std::memcpy(id.data(), span.trace_id().data(), 16);
        ids.push_back(id);
      }
    }
  }
  return ids;
}

absl::Time ClampQueryTime(absl::Time t) {
  if (t == absl::InfinitePast()) return absl::UnixEpoch();
  if (t == absl::InfiniteFuture()) return absl::Now() + absl::Hours(1);
  return t;
}

absl::StatusOr<FetchedTrace> FetchJsonTrace(
    HttpClient& http, const TraceId& id, const std::string& target,
    absl::FunctionRef<absl::Status(std::string_view body, TracesData* out)> decode,
    bool accept_protobuf) {
  auto response = http.Get(
      target, {{"Accept", accept_protobuf ? "application/x-protobuf, application/json;q=0.9"
                                          : "application/json"}});
  if (!response.ok()) return response.status();
  FetchedTrace trace;
  trace.id = id;
  if (response->status == 404) return trace;
  if (response->status != 200) return HttpStatusError(*response, target);
  absl::Status s;
  if (accept_protobuf && absl::StartsWith(response->content_type, "application/x-protobuf")) {
    trace.data = ArenaTraces(response->body.size());
    if (!trace.data->ParseFromString(response->body))
      s = absl::DataLossError("the protobuf answer is not a TracesData message");
  } else {
    s = decode(response->body, trace.data.get());
  }
  if (absl::IsNotFound(s)) return trace;
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("GET ", target, ": ", s.message()));
  trace.span_count = CountSpans(*trace.data);
  trace.found = trace.span_count > 0;
  return trace;
}

}  // namespace agentstorm::readers
