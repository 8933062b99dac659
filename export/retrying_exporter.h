// RetryingExporter: the transport-independent half of an OTLP exporter. It owns the batch life
// cycle that every transport shares -- bounded concurrency (ExporterOptions::max_in_flight), a
// queue for batches waiting for a slot, OTLP retries with backoff (RetryPolicy), shutdown with a
// grace period, and the span accounting of ExportResult. A transport (gRPC, HTTP) only runs
// single attempts: StartAttempt() puts one request on the wire and later reports it through
// FinishAttempt().
//
// Shutdown(grace): stops accepting batches; queued batches and retries keep going until the
// grace period ends; then queued batches complete kNotSent, batches waiting to retry complete
// kFailed, and attempts on the wire are cancelled (CancelAttempts) and complete kFailed.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "export/exporter.h"
#include "export/exporter_options.h"
#include "export/retry_policy.h"

namespace agentstorm {

class RetryingExporter : public Exporter {
 public:
  // One batch on its way; owned by RetryingExporter. A transport may read `batch` and use
  // `transport_state` between StartAttempt and FinishAttempt.
  struct Call {
    std::shared_ptr<const EncodedBatch> batch;
    ExportCallback done;
    int attempts = 0;
    int resent = 0;  // AttemptOutcome::resent, summed
    std::chrono::steady_clock::time_point first_start;
    uint64_t bytes_sent = 0;
    std::string last_error;
    // For the transport: a request body encoded once and reused by every attempt.
    std::string encoded_body;
    bool body_encoded = false;
  };

  // How one attempt ended, as the transport saw it.
  struct AttemptOutcome {
    enum class Kind { kAccepted, kRetryable, kPermanent };
    Kind kind = Kind::kPermanent;
    uint32_t rejected_spans = 0;  // kAccepted: partial_success.rejected_spans
    std::optional<std::chrono::nanoseconds> server_delay;  // RetryInfo / Retry-After
    std::string error;  // for kRetryable / kPermanent, and a partial-success message
    // No answer came from the server: refused, DNS, TLS handshake, connect timeout.
    bool connection_failed = false;
    uint64_t bytes_sent = 0;  // request bytes put on the wire by this attempt
    // Requests the transport's library sent again on its own within this attempt (libcurl
    // re-sends a request once on a fresh connection when a reused one died under it).
    int resent = 0;
  };

  void Export(std::shared_ptr<const EncodedBatch> batch, ExportCallback done) final
      ABSL_LOCKS_EXCLUDED(mu_);
  void Shutdown(std::chrono::milliseconds grace) final ABSL_LOCKS_EXCLUDED(mu_);
  // Batches accepted whose callback has not been called yet: on the wire, waiting for a slot,
  // or waiting to retry.
  int InFlight() const final ABSL_LOCKS_EXCLUDED(mu_);
  std::string Describe() const final;

  // True once any attempt got an answer from the server (whatever the answer).
  bool EverReached() const ABSL_LOCKS_EXCLUDED(mu_);

 protected:
  RetryingExporter(ExporterOptions options, RetryPolicy::JitterSource jitter);
  // REQUIRES: the derived destructor called Shutdown() (StartAttempt is virtual).
  ~RetryingExporter() override;

  // Puts one attempt of `call` on the wire. Runs without RetryingExporter locks held, on the
  // thread of Export(), of the retry timer, or of a FinishAttempt(). Must lead to exactly one
  // FinishAttempt(call, ...) later (it may be called before StartAttempt returns).
  virtual void StartAttempt(Call* call) = 0;
  // Cancels every attempt on the wire and every attempt started after this call; each must
  // reach FinishAttempt promptly. Called once, during Shutdown after the grace period.
  virtual void CancelAttempts() = 0;
  void FinishAttempt(Call* call, AttemptOutcome outcome) ABSL_LOCKS_EXCLUDED(mu_);

  const ExporterOptions& options() const { return options_; }

 private:
  void Launch(Call* call) ABSL_LOCKS_EXCLUDED(mu_);
  void Complete(Call* call, ExportResult result) ABSL_LOCKS_EXCLUDED(mu_);
  void TimerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // A queued call that may start now, with its slot taken, or nullptr.
  Call* TakeNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ExporterOptions options_;
  const RetryPolicy policy_;

  mutable absl::Mutex mu_;
  absl::CondVar timer_cv_;                         // signalled on a new retry and on stop_timer_
  std::deque<Call*> queued_ ABSL_GUARDED_BY(mu_);  // waiting for a slot
  // Waiting to retry.
  std::multimap<std::chrono::steady_clock::time_point, Call*> backoff_ ABSL_GUARDED_BY(mu_);
  int on_wire_ ABSL_GUARDED_BY(mu_) = 0;
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // accepted, callback not yet returned
  int unfinished_ ABSL_GUARDED_BY(mu_) = 0;   // accepted, callback not yet called
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool grace_expired_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_timer_ ABSL_GUARDED_BY(mu_) = false;
  bool ever_reached_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace agentstorm
