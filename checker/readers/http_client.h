// A small blocking HTTP GET client over libcurl for the backend readers: connections are
// kept alive and reused (one pooled curl handle per concurrent caller), responses may be
// gzip-compressed, TLS verifies the peer unless told otherwise.
//
// Thread-safe: Get may be called from many threads at once; each call borrows a handle from
// the pool and returns it when done.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace agentstorm::readers {

struct HttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // No request outlives it: each one's connect and total timeouts are cut to what is left, and a
  // request made after it fails at once (DeadlineExceeded). The check's --wait sets it.
  absl::Time deadline = absl::InfiniteFuture();
  bool insecure_tls = false;  // skip peer and host verification
  std::string ca_file;        // "" = system trust store
  std::string cert_file;      // mTLS client certificate (PEM), with key_file; "" = none
  std::string key_file;
  size_t max_response_bytes = 512u << 20;
  // Sent with every request (authorization, tenant, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  long status = 0;
  std::string content_type;  // lowercased, parameters kept ("application/json; charset=utf-8")
  std::string body;          // already decompressed
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GETs `url` with the client's headers plus `extra_headers`. Any HTTP status is a response;
  // errors are transport failures only:
  //   Unavailable       connection refused, host not resolved, TLS handshake failed
  //   DeadlineExceeded  a timeout elapsed, or the client's deadline had passed
  //   DataLoss          the body exceeded max_response_bytes or could not be decoded
  //   Internal          anything else curl reports
  absl::StatusOr<HttpResponse> Get(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

  // Percent-encodes `text` for a URL query value.
  static std::string Escape(std::string_view text);

 private:
  void* Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  void Release(void* handle) ABSL_LOCKS_EXCLUDED(mu_);

  const HttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<void*> idle_
      ABSL_GUARDED_BY(mu_);  // CURL* handles, each keeping its connections alive
};

// The error for a response whose status is not the one the caller can use, with the start of
// the body for context: 401 Unauthenticated, 403 PermissionDenied, 429 ResourceExhausted,
// 502/503/504 Unavailable (the backend behind a gateway is down), other 4xx InvalidArgument,
// other statuses Internal.
absl::Status HttpStatusError(const HttpResponse& response, std::string_view url);

}  // namespace agentstorm::readers
