#include "export/retry_policy.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace agentstorm {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::string StatusWithRetryInfo(int code, nanoseconds delay) {
  google::rpc::Status status;
  status.set_code(code);
  status.set_message("slow down");
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(delay.count() / 1000000000);
  info.mutable_retry_delay()->set_nanos(static_cast<int>(delay.count() % 1000000000));
  status.add_details()->PackFrom(info);
  return status.SerializeAsString();
}

TEST(ClassifyGrpcStatus, RetriesTheTransientCodes) {
  for (int code : {1, 4, 10, 11, 14, 15}) {
    EXPECT_TRUE(ClassifyGrpcStatus(code, "").retryable) << code;
  }
  for (int code : {2, 3, 5, 6, 7, 9, 12, 13, 16}) {
    EXPECT_FALSE(ClassifyGrpcStatus(code, "").retryable) << code;
  }
}

TEST(ClassifyGrpcStatus, ResourceExhaustedIsRetryableOnlyWithRetryInfo) {
  EXPECT_FALSE(ClassifyGrpcStatus(8, "").retryable);
  google::rpc::Status plain;
  plain.set_code(8);
  plain.set_message("quota");
  EXPECT_FALSE(ClassifyGrpcStatus(8, plain.SerializeAsString()).retryable);

  RetryVerdict verdict = ClassifyGrpcStatus(8, StatusWithRetryInfo(8, milliseconds(1500)));
  EXPECT_TRUE(verdict.retryable);
  ASSERT_TRUE(verdict.server_delay.has_value());
  EXPECT_EQ(*verdict.server_delay, milliseconds(1500));
  EXPECT_EQ(verdict.message, "slow down");
}

TEST(ClassifyGrpcStatus, UnavailableHonoursRetryInfoDelay) {
  RetryVerdict verdict = ClassifyGrpcStatus(14, StatusWithRetryInfo(14, seconds(2)));
  EXPECT_TRUE(verdict.retryable);
  EXPECT_EQ(verdict.server_delay, nanoseconds(seconds(2)));
}

TEST(ClassifyGrpcStatus, GarbageDetailsMeanNoRetryInfo) {
  RetryVerdict verdict = ClassifyGrpcStatus(8, "\xff\xff\xff not a proto");
  EXPECT_FALSE(verdict.retryable);
  EXPECT_FALSE(verdict.server_delay.has_value());
}

TEST(ClassifyHttpStatus, RetriesOnly429And502To504) {
  for (int status : {429, 502, 503, 504}) EXPECT_TRUE(ClassifyHttpStatus(status, "").retryable);
  for (int status : {400, 401, 403, 404, 413, 500, 501}) {
    EXPECT_FALSE(ClassifyHttpStatus(status, "").retryable) << status;
  }
}

TEST(ClassifyHttpStatus, RetryAfterSecondsAndHttpDate) {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ClassifyHttpStatus(429, "7", now).server_delay, nanoseconds(seconds(7)));
  EXPECT_EQ(ClassifyHttpStatus(503, "Wed, 21 Oct 2015 07:28:30 GMT", now).server_delay,
            nanoseconds(seconds(30)));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), nanoseconds(0));
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("", now).has_value());
  EXPECT_FALSE(ClassifyHttpStatus(400, "5", now).server_delay.has_value());
}

RetryOptions Options() {
  RetryOptions o;
  o.initial_backoff = milliseconds(100);
  o.max_backoff = milliseconds(1000);
  o.multiplier = 2.0;
  o.max_elapsed = milliseconds(10000);
  o.jitter = 0.2;
  return o;
}

TEST(RetryPolicy, BackoffGrowsExponentiallyUpToTheCap) {
  RetryPolicy policy(Options(), [] { return 0.5; });  // middle of the jitter range: no change
  EXPECT_EQ(policy.NextDelay(1, {}, std::nullopt), nanoseconds(milliseconds(100)));
  EXPECT_EQ(policy.NextDelay(2, {}, std::nullopt), nanoseconds(milliseconds(200)));
  EXPECT_EQ(policy.NextDelay(3, {}, std::nullopt), nanoseconds(milliseconds(400)));
  EXPECT_EQ(policy.NextDelay(4, {}, std::nullopt), nanoseconds(milliseconds(800)));
  EXPECT_EQ(policy.NextDelay(5, {}, std::nullopt), nanoseconds(milliseconds(1000)));
  EXPECT_EQ(policy.NextDelay(30, {}, std::nullopt), nanoseconds(milliseconds(1000)));
}

TEST(RetryPolicy, JitterSpansPlusMinusTheConfiguredFraction) {
  RetryPolicy low(Options(), [] { return 0.0; });
  RetryPolicy high(Options(), [] { return 0.999999; });
  EXPECT_EQ(low.NextDelay(1, {}, std::nullopt), nanoseconds(milliseconds(80)));
  auto upper = high.NextDelay(1, {}, std::nullopt);
  ASSERT_TRUE(upper.has_value());
  EXPECT_NEAR(static_cast<double>(upper->count()), 120e6, 1e3);
}

TEST(RetryPolicy, DefaultJitterStaysInRange) {
  RetryPolicy policy(Options());
  for (int i = 0; i < 200; ++i) {
    auto d = policy.NextDelay(1, {}, std::nullopt);
    ASSERT_TRUE(d.has_value());
    EXPECT_GE(*d, milliseconds(80));
    EXPECT_LE(*d, milliseconds(120));
  }
}

TEST(RetryPolicy, ALongerServerDelayReplacesTheBackoff) {
  RetryPolicy policy(Options(), [] { return 0.0; });
  EXPECT_EQ(policy.NextDelay(1, {}, milliseconds(2500)), nanoseconds(milliseconds(2500)));
}

// "Retry-After: 0" during a 3 s 429 window once made 1,421 requests for 401 batches: the wait is
// the greater of the backoff and the server's delay, as the OpenTelemetry SDKs do it.
TEST(RetryPolicy, AZeroOrShorterServerDelayStillWaitsTheBackoff) {
  RetryPolicy policy(Options(), [] { return 0.5; });
  EXPECT_EQ(policy.NextDelay(1, {}, nanoseconds(0)), nanoseconds(milliseconds(100)));
  EXPECT_EQ(policy.NextDelay(3, {}, milliseconds(1)), nanoseconds(milliseconds(400)));
  const auto now = std::chrono::system_clock::now();
  const RetryVerdict zero = ClassifyHttpStatus(429, "0", now);
  ASSERT_TRUE(zero.retryable && zero.server_delay.has_value());
  EXPECT_EQ(policy.NextDelay(2, {}, zero.server_delay), nanoseconds(milliseconds(200)));
}

TEST(RetryPolicy, GivesUpWhenTheRetryWouldStartAfterMaxElapsed) {
  RetryPolicy policy(Options(), [] { return 0.5; });
  EXPECT_TRUE(policy.NextDelay(3, milliseconds(9500), std::nullopt).has_value());   // 9.9s
  EXPECT_FALSE(policy.NextDelay(3, milliseconds(9700), std::nullopt).has_value());  // 10.1s
  EXPECT_FALSE(policy.NextDelay(1, {}, seconds(11)).has_value());
}

TEST(RetryPolicy, ZeroMaxElapsedDisablesRetries) {
  RetryOptions o = Options();
  o.max_elapsed = milliseconds(0);
  RetryPolicy policy(o, [] { return 0.5; });
  EXPECT_FALSE(policy.NextDelay(1, {}, std::nullopt).has_value());
}

}  // namespace
}  // namespace agentstorm
