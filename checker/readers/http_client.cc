#include "checker/readers/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/curl_easy.h"

namespace agentstorm::readers {
namespace {

// A URL as an error names it: a bulk read's list of IDs shortened (a message of 3 KB of trace IDs
// hides what went wrong).
std::string ForMessage(std::string_view url) {
  constexpr size_t kShown = 160;
  if (url.size() <= kShown + 40) return std::string(url);
  return absl::StrCat(absl::string_view(url.data(), kShown), "... (", url.size() - kShown,
                      " more characters)");
}

struct Transfer {
  HttpResponse* response;
  size_t limit;
  bool overflow = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response->body.size() + n > t->limit) {
    t->overflow = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWithIgnoreCase(line, "content-type:")) {
    line.remove_prefix(13);
    t->response->content_type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line));
  } else if (absl::StartsWithIgnoreCase(line, "http/")) {
    t->response->content_type.clear();  // a new response (after a redirect or 100-continue)
  }
  return n;
}

std::chrono::milliseconds Millis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  EnsureCurlGlobalInit();
}

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(handle);
}

std::string HttpClient::Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

absl::StatusOr<HttpResponse> HttpClient::Get(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& extra) {
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_reset(curl);  // keeps live connections and caches, drops options

  HttpResponse response;
  Transfer transfer{&response, options_.max_response_bytes};
  CurlHeaderList headers(options_.headers);
  for (const auto& [name, value] : extra) headers.Add(name, value);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  // gzip only: servers that honour "br" (cpp-httplib) spend milliseconds per response on it.
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const absl::Duration left = options_.deadline - absl::Now();
  if (left < absl::Milliseconds(1)) {
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    Release(curl);
    return absl::DeadlineExceededError(
        absl::StrCat("GET ", ForMessage(url), ": not sent, the check's time (--wait) is spent"));
  }
  ApplyCurlEasyConfig(curl, {.tls = {.insecure = options_.insecure_tls,
                                     .ca_file = options_.ca_file,
                                     .cert_file = options_.cert_file,
                                     .key_file = options_.key_file},
                             .headers = &headers,
                             .timeout = Millis(std::min(options_.request_timeout, left)),
                             .connect_timeout = Millis(std::min(options_.connect_timeout, left))});

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  Release(curl);

  if (code == CURLE_OK) return response;
  const std::string what = absl::StrCat("GET ", ForMessage(url), ": ",
                                        error[0] != '\0' ? error : curl_easy_strerror(code));
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return absl::UnavailableError(what);
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(what);
    case CURLE_WRITE_ERROR:
      if (transfer.overflow) {
        return absl::DataLossError(absl::StrCat("GET ", ForMessage(url), ": response larger than ",
                                                options_.max_response_bytes, " bytes"));
      }
      return absl::InternalError(what);
    case CURLE_BAD_CONTENT_ENCODING:
      return absl::DataLossError(what);
    case CURLE_UNSUPPORTED_PROTOCOL:  // "Received HTTP/0.9 when not allowed"
    case CURLE_WEIRD_SERVER_REPLY:
      // Something answered, but not in HTTP/1.x: an HTTP/2-only (gRPC) port, as a Jaeger's
      // 16685 or a collector's 4317 are. No waiting fixes that.
      return absl::FailedPreconditionError(absl::StrCat(
          what,
          " (the server there does not speak HTTP/1.1: a gRPC port? Jaeger's HTTP query "
          "API is on 16686 by default, its gRPC API on 16685, OTLP/gRPC on 4317)"));
    default:
      return absl::InternalError(what);
  }
}

}  // namespace agentstorm::readers

namespace agentstorm::readers {

absl::Status HttpStatusError(const HttpResponse& response, std::string_view url) {
  absl::string_view body(response.body);
  if (body.size() > 200) body = body.substr(0, 200);
  const std::string what = absl::StrCat("GET ", ForMessage(url), ": HTTP ", response.status, ": ",
                                        absl::StripAsciiWhitespace(body));
  switch (response.status) {
    case 401:
      return absl::UnauthenticatedError(what);
    case 403:
      return absl::PermissionDeniedError(what);
    case 429:
      return absl::ResourceExhaustedError(what);
    case 502:
    case 503:
    case 504:
      return absl::UnavailableError(what);
    default:
      if (response.status >= 400 && response.status < 500) return absl::InvalidArgumentError(what);
      return absl::InternalError(what);
  }
}

}  // namespace agentstorm::readers
