// OTLP retry semantics (OTLP specification, "Failures" and "OTLP/HTTP Throttling"):
//   gRPC  retry CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and
//         RESOURCE_EXHAUSTED only when the status details carry google.rpc.RetryInfo (the server
//         can recover); honour RetryInfo.retry_delay.
//   HTTP  retry 429, 502, 503, 504; honour Retry-After (delay-seconds or HTTP-date).
// Between attempts: exponential backoff with jitter, capped, or the server's delay when that is
// longer (never less than the backoff: a zero Retry-After does not mean retry at once), and a
// batch is abandoned when the next attempt would begin after RetryOptions::max_elapsed.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "export/exporter_options.h"

namespace agentstorm {

// What a failed attempt says about the next one.
struct RetryVerdict {
  bool retryable = false;
  std::optional<std::chrono::nanoseconds> server_delay;  // RetryInfo / Retry-After
  std::string message;  // google.rpc.Status message when the details carried one
};

// `code` is a grpc::StatusCode value; `details` is grpc::Status::error_details(), a serialized
// google.rpc.Status (may be empty or garbage: then no RetryInfo).
RetryVerdict ClassifyGrpcStatus(int code, absl::string_view details);

// `retry_after` is the Retry-After header value ("" when absent); `now` anchors HTTP-dates.
RetryVerdict ClassifyHttpStatus(
    int http_status, absl::string_view retry_after,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"); a date in the past
// is a zero delay. nullopt when unparseable.
std::optional<std::chrono::nanoseconds> ParseRetryAfter(absl::string_view value,
                                                        std::chrono::system_clock::time_point now);

// Backoff schedule for one batch. Thread-compatible; the jitter source must be thread-safe when
// one policy is shared (the default one is).
class RetryPolicy {
 public:
  // Returns a uniform value in [0, 1).
  using JitterSource = std::function<double()>;
  static JitterSource DefaultJitter();

  explicit RetryPolicy(RetryOptions options, JitterSource jitter = DefaultJitter());

  // The delay before retry number `retry` (1 for the first retry), or nullopt to give up because
  // the retry would start after max_elapsed. `elapsed` is the time since the first attempt
  // started. A server-provided delay replaces the computed backoff (it is not jittered).
  std::optional<std::chrono::nanoseconds> NextDelay(
      int retry, std::chrono::nanoseconds elapsed,
      std::optional<std::chrono::nanoseconds> server_delay) const;

  // The un-jittered backoff before retry number `retry`: initial * multiplier^(retry-1), capped.
  std::chrono::nanoseconds BaseBackoff(int retry) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  JitterSource jitter_;
};

}  // namespace agentstorm
