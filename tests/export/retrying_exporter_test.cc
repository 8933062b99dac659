#include "export/retrying_exporter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/export/exporter_test_util.h"

namespace agentstorm {
namespace {

using namespace std::chrono_literals;
using testing::ExpectAccounted;
using testing::MakeBatch;
using testing::ResultCollector;
using Kind = RetryingExporter::AttemptOutcome::Kind;
using Outcome = ExportResult::Outcome;

// One scripted attempt: how it ends, and whether it stays on the wire until Release() or
// CancelAttempts().
struct Step {
  RetryingExporter::AttemptOutcome outcome;
  bool hold = false;
};

Step Accepted(uint32_t rejected = 0) {
  Step s;
  s.outcome.kind = Kind::kAccepted;
  s.outcome.rejected_spans = rejected;
  if (rejected > 0) s.outcome.error = "some spans were rejected";
  s.outcome.bytes_sent = 100;
  return s;
}
Step Retryable(std::string error = "UNAVAILABLE",
               std::optional<std::chrono::nanoseconds> server_delay = std::nullopt) {
  Step s;
  s.outcome.kind = Kind::kRetryable;
  s.outcome.error = std::move(error);
  s.outcome.server_delay = server_delay;
  s.outcome.bytes_sent = 100;
  return s;
}
Step Permanent(std::string error = "INVALID_ARGUMENT") {
  Step s;
  s.outcome.kind = Kind::kPermanent;
  s.outcome.error = std::move(error);
  s.outcome.bytes_sent = 100;
  return s;
}
Step Refused() {
  Step s;
  s.outcome.kind = Kind::kRetryable;
  s.outcome.error = "connection refused";
  s.outcome.connection_failed = true;
  return s;
}
Step Held(Step s) {
  s.hold = true;
  return s;
}

// A transport without a wire: attempt i ends as script[i] (the last step repeats). An attempt
// that is not held finishes before StartAttempt returns.
class FakeTransport final : public RetryingExporter {
 public:
  FakeTransport(ExporterOptions options, std::vector<Step> script)
      : RetryingExporter(std::move(options), [] { return 0.5; }), script_(std::move(script)) {}
  ~FakeTransport() override { Shutdown(0ms); }

  int attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  int max_on_wire() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_on_wire_;
  }
  int held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(held_.size());
  }
  // Ends the held attempts as scripted.
  void Release() {
    std::deque<std::pair<Call*, AttemptOutcome>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (auto& [call, outcome] : held) Finish(call, std::move(outcome));
  }

 protected:
  void StartAttempt(Call* call) override {
    AttemptOutcome outcome;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const Step& step = script_[std::min<size_t>(attempts_, script_.size() - 1)];
      ++attempts_;
      max_on_wire_ = std::max(max_on_wire_, ++on_wire_);
      if (cancelled_) {
        outcome = CancelledOutcome();
      } else if (step.hold) {
        held_.emplace_back(call, step.outcome);
        return;
      } else {
        outcome = step.outcome;
      }
    }
    Finish(call, std::move(outcome));
  }

  // Like a real transport: cancelled calls end with a retryable status (gRPC CANCELLED).
  void CancelAttempts() override {
    std::deque<std::pair<Call*, AttemptOutcome>> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
      held.swap(held_);
    }
    for (auto& [call, outcome] : held) Finish(call, CancelledOutcome());
  }

 private:
  static AttemptOutcome CancelledOutcome() {
    AttemptOutcome o;
    o.kind = Kind::kRetryable;
    o.error = "CANCELLED";
    return o;
  }
  void Finish(Call* call, AttemptOutcome outcome) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --on_wire_;
    }
    FinishAttempt(call, std::move(outcome));
  }

  mutable std::mutex mu_;
  const std::vector<Step> script_;
  std::deque<std::pair<Call*, AttemptOutcome>> held_;
  int attempts_ = 0;
  int on_wire_ = 0;
  int max_on_wire_ = 0;
  bool cancelled_ = false;
};

// Fast retries: 5ms, 10ms, 20ms, ... (the jitter source always says 0.5: no jitter), given up
// after `max_elapsed`.
ExporterOptions Options(std::chrono::milliseconds max_elapsed = 5s, int max_in_flight = 16) {
  ExporterOptions o;
  o.endpoint = "http://collector.test:4317";
  o.max_in_flight = max_in_flight;
  o.retry.initial_backoff = 5ms;
  o.retry.multiplier = 2;
  o.retry.max_backoff = 1s;
  o.retry.max_elapsed = max_elapsed;
  return o;
}

TEST(RetryingExporter, AcknowledgesABatchAcceptedOnTheFirstAttempt) {
  FakeTransport exporter(Options(), {Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(10), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kAcknowledged);
  EXPECT_EQ(r[0].acknowledged_spans, 10u);
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_EQ(r[0].bytes_sent, 100u);
  EXPECT_EQ(r[0].error, "");
  EXPECT_FALSE(r[0].endpoint_unreachable);
  ExpectAccounted(r[0], 10);
  EXPECT_TRUE(exporter.EverReached());
  EXPECT_EQ(exporter.InFlight(), 0);
}

TEST(RetryingExporter, RetriesRetryableOutcomesUntilAccepted) {
  FakeTransport exporter(Options(), {Retryable(), Retryable("DEADLINE_EXCEEDED"), Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(10), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kAcknowledged);
  EXPECT_EQ(r[0].acknowledged_spans, 10u);
  EXPECT_EQ(r[0].attempts, 3);
  EXPECT_EQ(r[0].bytes_sent, 300u);  // every attempt's bytes
  EXPECT_GE(r[0].latency, 15ms);     // two backoffs: 5ms and 10ms
  ExpectAccounted(r[0], 10);
  EXPECT_EQ(exporter.attempts(), 3);
}

TEST(RetryingExporter, APermanentErrorFailsTheBatchWithoutARetry) {
  FakeTransport exporter(Options(), {Permanent("INVALID_ARGUMENT: bad span"), Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(7), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r[0].failed_spans, 7u);
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_EQ(r[0].error, "INVALID_ARGUMENT: bad span");
  ExpectAccounted(r[0], 7);
  EXPECT_EQ(exporter.attempts(), 1);
}

TEST(RetryingExporter, GivesUpWhenTheNextRetryWouldPassMaxElapsed) {
  // Backoffs of 100ms, 200ms, ...: the first retry starts at 100ms, the second would start at
  // 300ms or later, after the 250ms budget, however late the timer runs.
  ExporterOptions o = Options(250ms);
  o.retry.initial_backoff = 100ms;
  FakeTransport exporter(o, {Retryable("UNAVAILABLE: overloaded")});
  ResultCollector results;
  exporter.Export(MakeBatch(5), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r[0].failed_spans, 5u);
  EXPECT_EQ(r[0].attempts, 2);
  EXPECT_EQ(r[0].error,
            "retries exhausted after 2 attempt(s); last error: UNAVAILABLE: overloaded");
  ExpectAccounted(r[0], 5);
  EXPECT_EQ(exporter.attempts(), 2);
}

TEST(RetryingExporter, ZeroMaxElapsedDisablesRetries) {
  FakeTransport exporter(Options(0ms), {Retryable(), Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(3), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r[0].attempts, 1);
  ExpectAccounted(r[0], 3);
}

TEST(RetryingExporter, TheServersLongerDelayIsWaited) {
  // The computed backoff is 1 ms; the server asks for 1.5 s, and the retry waits for it.
  ExporterOptions o = Options(10min);
  o.retry.initial_backoff = 1ms;
  o.retry.max_backoff = 1ms;
  FakeTransport exporter(o, {Retryable("RESOURCE_EXHAUSTED", 1500ms), Accepted()});
  ResultCollector results;
  const auto start = std::chrono::steady_clock::now();
  exporter.Export(MakeBatch(4), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1, 20s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(r[0].outcome, Outcome::kAcknowledged);
  EXPECT_EQ(r[0].attempts, 2);
}

TEST(RetryingExporter, AServerDelayBeyondTheBudgetGivesUpAtOnce) {
  FakeTransport exporter(Options(1s), {Retryable("RESOURCE_EXHAUSTED", 1h), Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(4), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1, 2s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r[0].attempts, 1);
}

TEST(RetryingExporter, PartialSuccessCountsTheRejectedSpans) {
  FakeTransport exporter(Options(), {Accepted(3)});
  ResultCollector results;
  exporter.Export(MakeBatch(10), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kPartiallyRejected);
  EXPECT_EQ(r[0].acknowledged_spans, 7u);
  EXPECT_EQ(r[0].rejected_spans, 3u);
  EXPECT_EQ(r[0].error, "some spans were rejected");
  ExpectAccounted(r[0], 10);
}

TEST(RetryingExporter, RejectedSpansNeverExceedTheBatch) {
  FakeTransport exporter(Options(), {Accepted(25)});
  ResultCollector results;
  exporter.Export(MakeBatch(10), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].rejected_spans, 10u);
  EXPECT_EQ(r[0].acknowledged_spans, 0u);
  ExpectAccounted(r[0], 10);
}

TEST(RetryingExporter, AnEndpointThatNeverAnsweredIsUnreachable) {
  FakeTransport refused(Options(0ms), {Refused()});
  ResultCollector results;
  refused.Export(MakeBatch(2), results.Callback());
  std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_TRUE(r[0].endpoint_unreachable);
  EXPECT_EQ(r[0].error, "retries exhausted after 1 attempt(s); last error: connection refused");
  EXPECT_FALSE(refused.EverReached());

  // Once the server has answered, a refused connection is a failure, not an unreachable endpoint.
  FakeTransport flaky(Options(0ms), {Accepted(), Refused()});
  ResultCollector flaky_results;
  flaky.Export(MakeBatch(2), flaky_results.Callback());
  flaky_results.Wait(1);
  flaky.Export(MakeBatch(2), flaky_results.Callback());
  r = flaky_results.Wait(2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].outcome, Outcome::kFailed);
  EXPECT_FALSE(r[1].endpoint_unreachable);
  EXPECT_TRUE(flaky.EverReached());
}

TEST(RetryingExporter, KeepsAtMostMaxInFlightAttemptsOnTheWire) {
  FakeTransport exporter(Options(5s, /*max_in_flight=*/2), {Held(Accepted())});
  ResultCollector results;
  for (int i = 0; i < 5; ++i) exporter.Export(MakeBatch(10, i + 1), results.Callback());
  EXPECT_EQ(exporter.held(), 2);
  EXPECT_EQ(exporter.InFlight(), 5);  // two on the wire, three waiting for a slot
  // Each release lets queued batches take the free slots.
  for (int i = 0; i < 3 && results.Count() < 5; ++i) exporter.Release();
  const std::vector<ExportResult> r = results.Wait(5);
  ASSERT_EQ(r.size(), 5u);
  for (const ExportResult& e : r) {
    EXPECT_EQ(e.outcome, Outcome::kAcknowledged);
    ExpectAccounted(e, 10);
  }
  EXPECT_EQ(exporter.max_on_wire(), 2);
  EXPECT_EQ(exporter.InFlight(), 0);
}

TEST(RetryingExporter, ShutdownEndsEveryBatchAndCountsEverySpan) {
  // One batch on the wire, two waiting for the slot.
  FakeTransport exporter(Options(5s, /*max_in_flight=*/1), {Held(Accepted())});
  ResultCollector results;
  exporter.Export(MakeBatch(4, 1), results.Callback());
  exporter.Export(MakeBatch(5, 2), results.Callback());
  exporter.Export(MakeBatch(6, 3), results.Callback());
  exporter.Shutdown(0ms);
  const std::vector<ExportResult> r = results.Wait(3);
  ASSERT_EQ(r.size(), 3u);
  uint32_t counted = 0;
  for (const ExportResult& e : r) {
    counted += e.acknowledged_spans + e.rejected_spans + e.failed_spans + e.not_sent_spans;
    if (e.outcome == Outcome::kNotSent) {  // never tried
      EXPECT_EQ(e.attempts, 0);
      EXPECT_TRUE(e.not_sent_spans == 5 || e.not_sent_spans == 6) << e.not_sent_spans;
      ExpectAccounted(e, e.not_sent_spans);
      EXPECT_EQ(e.error, "shutdown before the batch could be sent");
    } else {  // cancelled on the wire
      EXPECT_EQ(e.outcome, Outcome::kFailed);
      ExpectAccounted(e, 4);
      EXPECT_EQ(e.failed_spans, 4u);
      EXPECT_EQ(e.error, "shutdown: gave up after 1 attempt(s); last error: CANCELLED");
    }
  }
  EXPECT_EQ(counted, 4u + 5u + 6u);
  EXPECT_EQ(exporter.InFlight(), 0);
}

TEST(RetryingExporter, ShutdownFailsABatchWaitingToRetry) {
  FakeTransport exporter(Options(10min), {Retryable("UNAVAILABLE", 1min)});
  ResultCollector results;
  exporter.Export(MakeBatch(8), results.Callback());
  EXPECT_EQ(exporter.InFlight(), 1);
  exporter.Shutdown(0ms);
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kFailed);
  EXPECT_EQ(r[0].failed_spans, 8u);
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_EQ(r[0].error, "shutdown while waiting to retry; last error: UNAVAILABLE");
  ExpectAccounted(r[0], 8);
}

TEST(RetryingExporter, ShutdownLetsRetriesFinishWithinTheGracePeriod) {
  FakeTransport exporter(Options(), {Retryable(), Retryable(), Accepted()});
  ResultCollector results;
  exporter.Export(MakeBatch(6), results.Callback());
  exporter.Shutdown(5s);
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kAcknowledged);
  EXPECT_EQ(r[0].attempts, 3);
}

TEST(RetryingExporter, ABatchExportedAfterShutdownIsNotSent) {
  FakeTransport exporter(Options(), {Accepted()});
  exporter.Shutdown(0ms);
  ResultCollector results;
  exporter.Export(MakeBatch(9), results.Callback());
  const std::vector<ExportResult> r = results.Wait(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].outcome, Outcome::kNotSent);
  EXPECT_EQ(r[0].not_sent_spans, 9u);
  EXPECT_EQ(r[0].attempts, 0);
  ExpectAccounted(r[0], 9);
  EXPECT_EQ(exporter.attempts(), 0);
}

TEST(RetryingExporter, EverySpanOfAMixedRunLandsInOneBucket) {
  // Attempts cycle through accepted, partial, retryable and permanent answers.
  const std::vector<Step> cycle = {Accepted(),  Retryable(), Accepted(2), Permanent(),
                                   Retryable(), Retryable(), Accepted()};
  std::vector<Step> script;
  for (int i = 0; i < 20; ++i) script.insert(script.end(), cycle.begin(), cycle.end());
  FakeTransport exporter(Options(5s, /*max_in_flight=*/4), script);
  ResultCollector results;
  uint32_t sent = 0;
  for (int i = 0; i < 40; ++i) {
    const uint32_t spans = 1 + i % 7;
    sent += spans;
    exporter.Export(MakeBatch(spans, i + 1), results.Callback());
  }
  const std::vector<ExportResult> r = results.Wait(40);
  ASSERT_EQ(r.size(), 40u);
  uint32_t counted = 0, acknowledged = 0, rejected = 0, failed = 0;
  for (const ExportResult& e : r) {
    counted += e.acknowledged_spans + e.rejected_spans + e.failed_spans + e.not_sent_spans;
    acknowledged += e.acknowledged_spans;
    rejected += e.rejected_spans;
    failed += e.failed_spans;
  }
  EXPECT_EQ(counted, sent);
  EXPECT_GT(acknowledged, 0u);
  EXPECT_GT(rejected, 0u);
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(exporter.InFlight(), 0);
}

TEST(RetryingExporter, DescribesItsEndpoint) {
  FakeTransport exporter(Options(), {Accepted()});
  EXPECT_NE(exporter.Describe().find("collector.test:4317"), std::string::npos)
      << exporter.Describe();
}

}  // namespace
}  // namespace agentstorm
