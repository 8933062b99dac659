#include "checker/readers/reader_util.h"

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"

namespace agentstorm::readers {

HttpClientOptions HttpOptionsFor(const BackendUrl& url, const ReaderOptions& options) {
  HttpClientOptions http;
  http.connect_timeout = options.connect_timeout;
  http.request_timeout = options.request_timeout;
  http.max_response_bytes = options.max_response_bytes;
  http.insecure_tls = url.insecure_tls;
  http.ca_file = url.ca_file;
  http.headers = url.RequestHeaders();
  if (!url.auth.basic_user.empty() && url.auth.bearer_token.empty()) {
    // Basic auth through a header rather than CURLOPT_USERPWD keeps HttpClient generic.
    const std::string b64 =
        absl::Base64Escape(url.auth.basic_user + ":" + url.auth.basic_password);
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

}  // namespace agentstorm::readers
