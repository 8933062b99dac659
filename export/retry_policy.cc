#include "export/retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace agentstorm {
namespace {

// grpc::StatusCode values, spelled out so this file needs no gRPC header.
enum GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kDeadlineExceeded = 4,
  kResourceExhausted = 8,
  kAborted = 10,
  kOutOfRange = 11,
  kUnavailable = 14,
  kDataLoss = 15,
};

}  // namespace

RetryVerdict ClassifyGrpcStatus(int code, absl::string_view details) {
  RetryVerdict verdict;
  bool has_retry_info = false;
  google::rpc::Status status;
  if (!details.empty() && status.ParseFromArray(details.data(), static_cast<int>(details.size()))) {
    verdict.message = status.message();
    for (const google::protobuf::Any& any : status.details()) {
      google::rpc::RetryInfo info;
      if (any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&info)) {
        has_retry_info = true;
        if (info.has_retry_delay()) {
          auto delay = std::chrono::seconds(info.retry_delay().seconds()) +
                       std::chrono::nanoseconds(info.retry_delay().nanos());
          verdict.server_delay = std::max<std::chrono::nanoseconds>(delay, {});
        }
      }
    }
  }
  switch (code) {
    case kCancelled:
    case kDeadlineExceeded:
    case kAborted:
    case kOutOfRange:
    case kUnavailable:
    case kDataLoss:
      verdict.retryable = true;
      break;
    case kResourceExhausted:
      verdict.retryable = has_retry_info;
      break;
    default:
      verdict.retryable = false;
  }
  if (!verdict.retryable) verdict.server_delay.reset();
  return verdict;
}

std::optional<std::chrono::nanoseconds> ParseRetryAfter(absl::string_view value,
                                                        std::chrono::system_clock::time_point now) {
  std::string text(absl::StripAsciiWhitespace(value));
  if (text.empty()) return std::nullopt;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  // curl_getdate understands the three HTTP-date forms (RFC 9110 section 5.6.7).
  time_t when = curl_getdate(text.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  auto delay = std::chrono::system_clock::from_time_t(when) - now;
  return std::max<std::chrono::nanoseconds>(delay, {});
}

RetryVerdict ClassifyHttpStatus(int http_status, absl::string_view retry_after,
                                std::chrono::system_clock::time_point now) {
  RetryVerdict verdict;
  verdict.retryable =
      http_status == 429 || http_status == 502 || http_status == 503 || http_status == 504;
  if (verdict.retryable) verdict.server_delay = ParseRetryAfter(retry_after, now);
  return verdict;
}

RetryPolicy::JitterSource RetryPolicy::DefaultJitter() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

RetryPolicy::RetryPolicy(RetryOptions options, JitterSource jitter)
    : options_(options), jitter_(std::move(jitter)) {}

std::chrono::nanoseconds RetryPolicy::BaseBackoff(int retry) const {
  using std::chrono::nanoseconds;
  double base = std::chrono::duration_cast<nanoseconds>(options_.initial_backoff).count() *
                std::pow(options_.multiplier, std::max(0, retry - 1));
  double cap = std::chrono::duration_cast<nanoseconds>(options_.max_backoff).count();
  return nanoseconds(static_cast<int64_t>(std::min(base, cap)));
}

std::optional<std::chrono::nanoseconds> RetryPolicy::NextDelay(
    int retry, std::chrono::nanoseconds elapsed,
    std::optional<std::chrono::nanoseconds> server_delay) const {
  const double u = jitter_ ? std::clamp(jitter_(), 0.0, 1.0) : 0.5;
  const double factor = 1.0 + options_.jitter * (2.0 * u - 1.0);
  std::chrono::nanoseconds delay(
      static_cast<int64_t>(static_cast<double>(BaseBackoff(retry).count()) * factor));
  // The greater of our backoff and the server's delay, as the OpenTelemetry SDKs wait: a
  // "Retry-After: 0" (or a zero RetryInfo) is not an invitation to retry in a tight loop.
  if (server_delay.has_value()) delay = std::max(delay, *server_delay);
  if (elapsed + delay > options_.max_elapsed) return std::nullopt;
  return delay;
}

}  // namespace agentstorm
