#include "export/otlp_http_exporter.h"

#include <curl/curl.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/gzip.h"
#include "core/otlp_json.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

constexpr size_t kMaxResponseBytes = 1 << 20;

// Transport errors where no HTTP answer came back because the server could not be reached.
bool IsConnectionError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return true;
    default:
      return false;
  }
}

// Transport errors that a retry cannot fix (configuration, certificates).
bool IsPermanentTransportError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return true;
    default:
      return false;
  }
}

bool ContainsIgnoreCase(absl::string_view text, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), needle);
}

bool IsJson(absl::string_view content_type) { return ContainsIgnoreCase(content_type, "json"); }

// The message of a google.rpc.Status body, or a short prefix of whatever the body is.
std::string ErrorBodyMessage(const std::string& body, absl::string_view content_type) {
  if (body.empty()) return "";
  if (IsJson(content_type)) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("message") && j["message"].is_string()) {
      return j["message"].get<std::string>();
    }
  } else if (ContainsIgnoreCase(content_type, "protobuf")) {
    google::rpc::Status status;
    if (status.ParseFromString(body) && !status.message().empty()) return status.message();
  }
  std::string text = body.substr(0, 200);
  for (char& c : text) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = ' ';
  }
  return std::string(absl::StripAsciiWhitespace(text));
}

size_t AppendBody(char* data, size_t size, size_t count, void* user);
size_t CaptureHeader(char* data, size_t size, size_t count, void* user);
int CountRequestsSent(CURL* easy, curl_infotype type, char* data, size_t size, void* user);

}  // namespace

struct OtlpHttpExporter::Request {
  Call* call = nullptr;
  CURL* easy = nullptr;
  std::string response_body;
  std::string content_type;
  std::string retry_after;
  int requests_sent = 0;  // request header blocks libcurl put on the wire for this attempt
};

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t n = size * count;
  if (body->size() < kMaxResponseBytes) {
    body->append(data, std::min(n, kMaxResponseBytes - body->size()));
  }
  return n;
}

// libcurl sends a request again on its own, on a fresh connection, when a reused one died
// before the answer: the server may have read it (and counts it), so we count it too. Each
// request libcurl writes passes here once as its header block.
int CountRequestsSent(CURL* /*easy*/, curl_infotype type, char* /*data*/, size_t /*size*/,
                      void* user) {
  if (type == CURLINFO_HEADER_OUT) ++static_cast<OtlpHttpExporter::Request*>(user)->requests_sent;
  return 0;
}

size_t CaptureHeader(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<OtlpHttpExporter::Request*>(user);
  size_t n = size * count;
  absl::string_view line(data, n);
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "retry-after")) request->retry_after = std::string(value);
    if (absl::EqualsIgnoreCase(name, "content-type")) request->content_type = std::string(value);
  } else if (absl::StartsWith(line, "HTTP/")) {
    // A new response (after a redirect or 100-continue) starts: forget the previous headers.
    request->retry_after.clear();
    request->content_type.clear();
  }
  return n;
}

}  // namespace

CurlHeaderList OtlpHttpHeaders(const ExporterOptions& options) {
  CurlHeaderList headers;
  headers.Add("Content-Type", options.protocol == OtlpProtocol::kHttpJson
                                  ? "application/json"
                                  : "application/x-protobuf");
  if (options.compression == OtlpCompression::kGzip) headers.Add("Content-Encoding", "gzip");
  headers.Suppress("Expect");  // no 100-continue round trip
  for (const auto& [key, value] : options.headers) headers.Add(key, value);
  return headers;
}

CurlEasyConfig OtlpHttpCurlConfig(const ExporterOptions& options, const CurlHeaderList* headers) {
  return {.tls = {.insecure = options.insecure,
                  .ca_file = options.ca_file,
                  .cert_file = options.cert_file,
                  .key_file = options.key_file},
          .headers = headers,
          .timeout = options.timeout,
          .connect_timeout = std::min(options.timeout, std::chrono::milliseconds(10000))};
}

absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    const ExporterOptions& options, RetryPolicy::JitterSource jitter) {
  if (options.protocol == OtlpProtocol::kGrpc) {
    return absl::InvalidArgumentError("OtlpHttpExporter needs protocol http/protobuf or http/json");
  }
  if (absl::Status s = ValidateExporterOptions(options); !s.ok()) return s;
  EnsureCurlGlobalInit();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.max_in_flight));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_in_flight));

  return std::unique_ptr<OtlpHttpExporter>(
      new OtlpHttpExporter(options, std::move(jitter), multi, OtlpHttpHeaders(options)));
}

OtlpHttpExporter::OtlpHttpExporter(const ExporterOptions& options, RetryPolicy::JitterSource jitter,
                                   void* multi, CurlHeaderList headers)
    : RetryingExporter(options, std::move(jitter)),
      multi_(multi),
      headers_(std::move(headers)),
      curl_config_(OtlpHttpCurlConfig(options, &headers_)),
      worker_([this] { WorkerLoop(); }) {}

OtlpHttpExporter::~OtlpHttpExporter() {
  Shutdown(std::chrono::milliseconds(0));
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  worker_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void OtlpHttpExporter::StartAttempt(Call* call) {
  if (!call->body_encoded) {
    std::string json;
    const std::string* body = &call->batch->payload;
    if (options().protocol == OtlpProtocol::kHttpJson) {
      ExportTraceServiceRequest request;
      request.ParseFromString(call->batch->payload);
      json = EncodeOtlpJson(request);
      body = &json;
    }
    if (options().compression == OtlpCompression::kGzip) {
      call->encoded_body = GzipCompress(*body);
    } else if (body == &json) {
      call->encoded_body = std::move(json);
    }
    call->body_encoded = true;
  }
  auto* request = new Request;
  request->call = call;
  {
    absl::MutexLock lock(&mu_);
    inbox_.push_back(request);
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void OtlpHttpExporter::CancelAttempts() {
  {
    absl::MutexLock lock(&mu_);
    cancel_requested_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void OtlpHttpExporter::Begin(Request* request) {
  const Call* call = request->call;
  // The protobuf body without compression is the batch payload itself, sent without a copy.
  const std::string& body = (options().protocol == OtlpProtocol::kHttpProtobuf &&
                             options().compression == OtlpCompression::kNone)
                                ? call->batch->payload
                                : call->encoded_body;
  CURL* easy = curl_easy_init();
  request->easy = easy;
  curl_easy_setopt(easy, CURLOPT_URL, options().endpoint.c_str());
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &request->response_body);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, CaptureHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, request);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, request);
  curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, CountRequestsSent);
  curl_easy_setopt(easy, CURLOPT_DEBUGDATA, request);
  curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);  // the debug function is called only then
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  ApplyCurlEasyConfig(easy, curl_config_);
  curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
}

void OtlpHttpExporter::Abort(Request* request, const char* why) {
  if (request->easy != nullptr) {
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), request->easy);
    curl_easy_cleanup(request->easy);
  }
  Call* call = request->call;
  delete request;
  AttemptOutcome outcome;
  outcome.kind = AttemptOutcome::Kind::kRetryable;
  outcome.error = why;
  FinishAttempt(call, std::move(outcome));
}

void OtlpHttpExporter::Finish(Request* request, int curl_code) {
  CURL* easy = request->easy;
  const auto code = static_cast<CURLcode>(curl_code);
  Call* call = request->call;
  AttemptOutcome outcome;
  curl_off_t uploaded = 0;
  curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  outcome.bytes_sent = static_cast<uint64_t>(uploaded);
  outcome.resent = std::max(0, request->requests_sent - 1);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);

  if (code != CURLE_OK) {
    outcome.kind = IsPermanentTransportError(code) ? AttemptOutcome::Kind::kPermanent
                                                   : AttemptOutcome::Kind::kRetryable;
    outcome.error = absl::StrCat("HTTP transport: ", curl_easy_strerror(code));
    curl_off_t connect_time = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
    outcome.connection_failed =
        status == 0 &&
        (IsConnectionError(code) || (code == CURLE_OPERATION_TIMEDOUT && connect_time == 0));
  } else if (status >= 200 && status < 300) {
    outcome.kind = AttemptOutcome::Kind::kAccepted;
    ExportTraceServiceResponse response;
    bool parsed = false;
    if (!request->response_body.empty()) {
      parsed = IsJson(request->content_type)
                   ? DecodeOtlpJson(request->response_body, &response).ok()
                   : response.ParseFromString(request->response_body);
    }
    if (parsed && response.has_partial_success()) {
      outcome.rejected_spans = static_cast<uint32_t>(std::clamp<int64_t>(
          response.partial_success().rejected_spans(), 0, call->batch->span_count));
      outcome.error = response.partial_success().error_message();
    }
  } else {
    RetryVerdict verdict = ClassifyHttpStatus(static_cast<int>(status), request->retry_after);
    outcome.kind =
        verdict.retryable ? AttemptOutcome::Kind::kRetryable : AttemptOutcome::Kind::kPermanent;
    outcome.server_delay = verdict.server_delay;
    std::string message = ErrorBodyMessage(request->response_body, request->content_type);
    outcome.error = message.empty() ? absl::StrCat("HTTP ", status)
                                    : absl::StrCat("HTTP ", status, ": ", message);
  }
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), easy);
  curl_easy_cleanup(easy);
  delete request;
  FinishAttempt(call, std::move(outcome));
}

void OtlpHttpExporter::WorkerLoop() {
  auto* multi = static_cast<CURLM*>(multi_);
  std::vector<Request*> active;
  while (true) {
    std::deque<Request*> starting;
    bool cancel_now = false;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      starting.swap(inbox_);
      if (cancel_requested_) {
        cancel_requested_ = false;
        cancelling_ = true;
        cancel_now = true;
      }
      stop = stop_;
      cancel_now = cancel_now || cancelling_;
    }
    if (cancel_now) {
      std::vector<Request*> doomed;
      doomed.swap(active);
      for (Request* r : doomed) Abort(r, "cancelled at shutdown");
      for (Request* r : starting) Abort(r, "cancelled at shutdown");
      starting.clear();
    }
    for (Request* r : starting) {
      Begin(r);
      active.push_back(r);
    }
    if (stop && active.empty()) break;

    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Request* r = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
      CURLcode result = msg->data.result;
      active.erase(std::remove(active.begin(), active.end(), r), active.end());
      Finish(r, result);
    }
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
}

}  // namespace agentstorm
