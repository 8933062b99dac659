#include "export/retrying_exporter.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace agentstorm {

using Clock = std::chrono::steady_clock;

RetryingExporter::RetryingExporter(ExporterOptions options, RetryPolicy::JitterSource jitter)
    : options_(std::move(options)),
      policy_(options_.retry, std::move(jitter)),
      timer_([this] { TimerLoop(); }) {}

RetryingExporter::~RetryingExporter() {
  {
    absl::MutexLock lock(&mu_);
    stop_timer_ = true;
  }
  timer_cv_.SignalAll();
  if (timer_.joinable()) timer_.join();
}

void RetryingExporter::Export(std::shared_ptr<const EncodedBatch> batch, ExportCallback done) {
  auto* call = new Call;
  call->batch = std::move(batch);
  call->done = std::move(done);
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
    ++unfinished_;
    if (accepting_) {
      if (on_wire_ < options_.max_in_flight && queued_.empty()) {
        ++on_wire_;
        start = true;
      } else {
        queued_.push_back(call);
        return;
      }
    }
  }
  if (start) {
    Launch(call);
    return;
  }
  ExportResult result;
  result.outcome = ExportResult::Outcome::kNotSent;
  result.not_sent_spans = call->batch->span_count;
  result.error = "exporter is shut down";
  Complete(call, std::move(result));
}

void RetryingExporter::Launch(Call* call) {
  ++call->attempts;
  if (call->attempts == 1) call->first_start = Clock::now();
  StartAttempt(call);
}

RetryingExporter::Call* RetryingExporter::TakeNextLocked() {
  if (grace_expired_ || queued_.empty() || on_wire_ >= options_.max_in_flight) return nullptr;
  Call* next = queued_.front();
  queued_.pop_front();
  ++on_wire_;
  return next;
}

void RetryingExporter::FinishAttempt(Call* call, AttemptOutcome outcome) {
  const uint32_t spans = call->batch->span_count;
  std::optional<ExportResult> result;
  Call* next = nullptr;
  call->bytes_sent += outcome.bytes_sent;
  call->resent += outcome.resent;
  if (!outcome.error.empty()) call->last_error = outcome.error;
  {
    absl::MutexLock lock(&mu_);
    --on_wire_;
    if (!outcome.connection_failed) ever_reached_ = true;
    auto failed = [&](std::string error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      ExportResult r;
      r.outcome = ExportResult::Outcome::kFailed;
      r.failed_spans = spans;
      r.error = std::move(error);
      r.endpoint_unreachable = outcome.connection_failed && !ever_reached_;
      return r;
    };
    switch (outcome.kind) {
      case AttemptOutcome::Kind::kAccepted: {
        ExportResult r;
        r.rejected_spans = std::min(outcome.rejected_spans, spans);
        r.acknowledged_spans = spans - r.rejected_spans;
        r.outcome = r.rejected_spans > 0 ? ExportResult::Outcome::kPartiallyRejected
                                         : ExportResult::Outcome::kAcknowledged;
        r.error = outcome.error;
        result = std::move(r);
        break;
      }
      case AttemptOutcome::Kind::kPermanent:
        result = failed(outcome.error);
        break;
      case AttemptOutcome::Kind::kRetryable: {
        if (grace_expired_) {
          result = failed(absl::StrCat("shutdown: gave up after ", call->attempts,
                                       " attempt(s); last error: ", outcome.error));
          break;
        }
        Clock::time_point now = Clock::now();
        std::optional<std::chrono::nanoseconds> delay =
            policy_.NextDelay(call->attempts, now - call->first_start, outcome.server_delay);
        if (!delay.has_value()) {
          result = failed(absl::StrCat("retries exhausted after ", call->attempts,
                                       " attempt(s); last error: ", outcome.error));
          break;
        }
        backoff_.emplace(now + *delay, call);
        timer_cv_.SignalAll();
        break;
      }
    }
    next = TakeNextLocked();
  }
  if (result.has_value()) Complete(call, *std::move(result));
  if (next != nullptr) Launch(next);
}

void RetryingExporter::Complete(Call* call, ExportResult result) {
  result.attempts = call->attempts;
  result.requests = call->attempts + call->resent;
  result.bytes_sent = call->bytes_sent;
  if (call->attempts > 0) {
    result.latency =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - call->first_start);
  }
  if (result.error.empty() && result.outcome != ExportResult::Outcome::kAcknowledged) {
    result.error = call->last_error;
  }
  {
    absl::MutexLock lock(&mu_);
    --unfinished_;
  }
  if (call->done) call->done(result);
  delete call;
  // Shutdown waits for outstanding_ to reach zero (Mutex::Await, re-evaluated when this lock is
  // released); it may then return and the exporter be destroyed, so nothing may touch *this
  // after the lock is released.
  absl::MutexLock lock(&mu_);
  --outstanding_;
}

void RetryingExporter::TimerLoop() {
  mu_.Lock();
  while (!stop_timer_) {
    if (backoff_.empty()) {
      timer_cv_.Wait(&mu_);
      continue;
    }
    Clock::time_point due = backoff_.begin()->first;
    Clock::time_point now = Clock::now();
    if (now < due) {
      timer_cv_.WaitWithTimeout(&mu_, absl::FromChrono(due - now));
      continue;
    }
    Call* call = backoff_.begin()->second;
    backoff_.erase(backoff_.begin());
    // A retry goes ahead of batches that have not been tried yet.
    queued_.push_front(call);
    std::vector<Call*> ready;
    while (Call* next = TakeNextLocked()) ready.push_back(next);
    mu_.Unlock();
    for (Call* c : ready) Launch(c);
    mu_.Lock();
  }
  mu_.Unlock();
}

void RetryingExporter::Shutdown(std::chrono::milliseconds grace) {
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_ == 0; };
  mu_.Lock();
  if (!accepting_) {
    mu_.Await(absl::Condition(&idle));
    mu_.Unlock();
    return;
  }
  accepting_ = false;
  mu_.AwaitWithTimeout(absl::Condition(&idle), absl::FromChrono(grace));
  grace_expired_ = true;
  std::deque<Call*> never_sent;
  never_sent.swap(queued_);
  std::vector<Call*> backing_off;
  for (auto& [due, call] : backoff_) backing_off.push_back(call);
  backoff_.clear();
  mu_.Unlock();

  for (Call* call : never_sent) {
    ExportResult r;
    // A queued retry has been sent before; only a never-tried batch is "not sent".
    if (call->attempts == 0) {
      r.outcome = ExportResult::Outcome::kNotSent;
      r.not_sent_spans = call->batch->span_count;
      r.error = "shutdown before the batch could be sent";
    } else {
      r.outcome = ExportResult::Outcome::kFailed;
      r.failed_spans = call->batch->span_count;
      r.error = absl::StrCat("shutdown while waiting to retry; last error: ", call->last_error);
    }
    Complete(call, std::move(r));
  }
  for (Call* call : backing_off) {
    ExportResult r;
    r.outcome = ExportResult::Outcome::kFailed;
    r.failed_spans = call->batch->span_count;
    r.error = absl::StrCat("shutdown while waiting to retry; last error: ", call->last_error);
    Complete(call, std::move(r));
  }
  CancelAttempts();

  mu_.Lock();
  mu_.Await(absl::Condition(&idle));
  stop_timer_ = true;
  mu_.Unlock();
  timer_cv_.SignalAll();
  if (timer_.joinable()) timer_.join();
}

int RetryingExporter::InFlight() const {
  absl::MutexLock lock(&mu_);
  return unfinished_;
}

bool RetryingExporter::EverReached() const {
  absl::MutexLock lock(&mu_);
  return ever_reached_;
}

std::string RetryingExporter::Describe() const { return DescribeExporterOptions(options_); }

}  // namespace agentstorm
