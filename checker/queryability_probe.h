// Time until queryable, measured while the run goes on (`agentstorm run`): a sample of the
// traces the endpoints acknowledged is polled from the moment of the acknowledgement, one read
// every few milliseconds, until the backend returns each whole. A check started after the run
// cannot measure it (its first read comes long after the trace became queryable), so `check`
// alone reports "not measured" rather than a number (checker/check_pipeline.h).
//
// Sampling: the first acknowledged trace of every `every` interval of the run, at most
// `max_samples`, and none while `max_outstanding` are still being polled (reported as skipped);
// a trace not readable within `give_up_after` counts at that value, so a percentile never looks
// better than what was seen.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checker/readers/trace_reader.h"
#include "core/histogram.h"
#include "core/ids.h"

namespace agentstorm {

struct QueryabilityOptions {
  absl::Duration every = absl::Milliseconds(100);
  uint64_t max_samples = 1000;
  size_t max_outstanding = 32;
  absl::Duration give_up_after = absl::Seconds(30);
  absl::Duration first_interval = absl::Milliseconds(5);
  absl::Duration max_interval = absl::Milliseconds(100);  // the resolution, once past 100 ms
};

struct QueryabilitySample {
  bool measured = false;         // a probe ran while the run went on
  uint64_t sampled = 0;          // traces polled
  uint64_t not_queryable = 0;    // of which not readable whole within give_up_after
  uint64_t skipped = 0;          // offered while max_outstanding were being polled
  uint64_t failed_requests = 0;  // reads that failed (the trace was polled again)
  uint64_t sampled_out = 0;      // given up on, then found dropped by the pipeline's sampler
  absl::Duration give_up_after;
  Histogram time_us;  // microseconds, one value per sampled trace (censored at give_up_after)
  // Internals of the set-aside below: the times of the traces read whole, and the IDs of the
  // ones given up on (at most max_samples).
  Histogram queryable_us;
  std::vector<TraceId> given_up;
};

// When the scenario expects the pipeline to sample (`sampling:`), a probed trace the check then
// finds absent was dropped by the sampler, not slow to become queryable: it leaves the sample
// (counted in sampled_out) instead of counting at give_up_after. `not_kept` holds the traces the
// check found absent.
void SetAsideSampledOut(const absl::flat_hash_set<TraceId>& not_kept, QueryabilitySample* sample);

// "p50 1.2ms  p90 3.4ms  p99 9.8ms (120 traces sampled while the run went on)", with the traces
// not queryable in time, the ones the sampler dropped and the skipped ones when any; "not measured
// (...)" when !measured.
std::string DescribeQueryability(const QueryabilitySample& sample);

class QueryabilityProbe {
 public:
  // Starts the polling thread. REQUIRES: reader != nullptr.
  QueryabilityProbe(std::unique_ptr<readers::TraceReader> reader, QueryabilityOptions options);
  ~QueryabilityProbe();  // Finish() when not called
  QueryabilityProbe(const QueryabilityProbe&) = delete;
  QueryabilityProbe& operator=(const QueryabilityProbe&) = delete;

  // A trace every endpoint acknowledged at `acknowledged_at`, with `spans` spans. Thread-safe
  // and quick (the load's exporter threads call it): takes it or not, never reads here.
  void Offer(const TraceId& id, uint32_t spans, absl::Time acknowledged_at)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops taking traces, polls the outstanding ones to their end (each bounded by
  // give_up_after), and returns the sample. Call once.
  QueryabilitySample Finish() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    TraceId id{};
    uint32_t spans = 0;
    absl::Time acknowledged_at;
    absl::Time next_read;
    absl::Duration interval;
  };
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  // Reads `p` once; true when it is settled (readable whole, or given up).
  bool ReadOnce(Pending* p, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<readers::TraceReader> reader_;
  const QueryabilityOptions options_;
  // Offers before it are dropped without the lock (the load calls Offer for every trace).
  std::atomic<int64_t> next_window_nanos_{INT64_MIN};
  absl::Mutex mu_;
  absl::CondVar wake_;
  std::vector<Pending> incoming_ ABSL_GUARDED_BY(mu_);  // taken, not yet seen by the loop
  size_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;         // taken and not settled
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  QueryabilitySample sample_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  bool finished_ = false;  // Finish() was called (by the owner's thread only)
};

// A started probe reading `backend_url` (with `headers`, "K=V"), each read bounded by
// min(options.give_up_after, 5 s); null for a file: backend (the pipeline writes it, so it is
// readable only once closed: time until queryable is then "not measured") or a URL no reader
// takes.
std::unique_ptr<QueryabilityProbe> StartQueryabilityProbe(std::string_view backend_url,
                                                          const std::vector<std::string>& headers,
                                                          QueryabilityOptions options);

}  // namespace agentstorm
