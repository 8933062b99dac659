// The continuous canary (`agentstorm canary`): while a load runs at a steady rate for hours, a
// sample of the acknowledged traces is read back and checked by every rule, round after round,
// and the running totals are exposed as Prometheus metrics (Tempo's vulture, with GenAI traces
// and the whole check).
//
// Sampling: the first acknowledged trace of every `sample_every` interval, at most
// `max_per_round` per round (more are counted as skipped). Each sampled trace is polled from
// its acknowledgement by the round's QueryabilityProbe (time until queryable, up to `give_up`).
// Every `check_every` the traces sampled since the last round become a round: once the probe
// has settled them, they are written to a ledger of their own (the run's header, the sampled
// records) and checked with RunCheck (checker/check_pipeline.h), every rule, its poller reading
// each once more (the probe waited up to `give_up` already); then the ledger is deleted. A
// round still being checked when the next is due delays it (the samples wait, bounded as
// above). Memory is the round's records, one histogram and a count per finding ID: bounded
// however long it runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checker/check_pipeline.h"
#include "checker/queryability_probe.h"
#include "core/histogram.h"
#include "core/ledger.h"

namespace agentstorm {

struct CanaryOptions {
  // What each round's RunCheck uses: backend, headers, config, semconv, concurrency. Its
  // ledger_paths, wait, verify, report and output fields are set by the canary.
  CheckOptions check;
  absl::Duration sample_every = absl::Seconds(1);
  absl::Duration check_every = absl::Seconds(10);
  absl::Duration give_up = absl::Seconds(60);  // each round's --wait
  size_t max_per_round = 100;
  std::string work_dir;  // where the round ledgers are written (and deleted)
};

// A finding ID's running count.
struct CanaryFindingCount {
  FindingLevel level = FindingLevel::kInformation;
  uint64_t count = 0;
};

struct CanaryStats {
  uint64_t written = 0;       // traces every endpoint answered for
  uint64_t acknowledged = 0;  // of which every endpoint acknowledged
  uint64_t sampled = 0;       // taken into a round
  uint64_t skipped = 0;       // due for the sample while the round was full
  uint64_t checked = 0;       // of the sampled, in a round that has been checked
  uint64_t found = 0;         // read back whole
  uint64_t incomplete = 0;    // read back with spans missing at give_up
  uint64_t missing = 0;       // not found within give_up
  uint64_t unreadable = 0;    // every request about it failed
  uint64_t rounds = 0;
  uint64_t round_errors = 0;        // rounds RunCheck refused (the reason is last_error)
  uint64_t rounds_unreachable = 0;  // rounds whose backend could not be read
  std::string last_error;
  absl::Time last_round = absl::InfinitePast();
  std::map<std::string, CanaryFindingCount> findings;  // by finding ID, unsuppressed
  Histogram time_until_queryable_us;                   // of the traces found
};

class Canary {
 public:
  // `header` is the run's ledger header (the round ledgers carry it).
  Canary(CanaryOptions options, LedgerHeader header);
  ~Canary();  // Stop() when not called
  Canary(const Canary&) = delete;
  Canary& operator=(const Canary&) = delete;

  // Starts the round thread.
  void Start();
  // A trace every endpoint answered for (LoadOptions::on_answered); thread-safe and quick.
  void Offer(const LedgerRecord& record, bool acknowledged) ABSL_LOCKS_EXCLUDED(mu_);
  // Checks what was sampled and not yet checked, then stops the round thread. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  CanaryStats Snapshot() const ABSL_LOCKS_EXCLUDED(stats_mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  void CheckRound(std::vector<LedgerRecord> records, std::unique_ptr<QueryabilityProbe> probe)
      ABSL_LOCKS_EXCLUDED(stats_mu_);

  const CanaryOptions options_;
  const LedgerHeader header_;
  // The probe of the round being sampled: it polls each sampled trace from its acknowledgement
  // (time until queryable, at the probe's resolution); null for a file backend.
  std::unique_ptr<QueryabilityProbe> NewProbe() const;

  std::atomic<int64_t> next_sample_nanos_{INT64_MIN};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> acknowledged_{0};
  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::vector<LedgerRecord> pending_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<QueryabilityProbe> probe_ ABSL_GUARDED_BY(mu_);
  uint64_t sampled_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Mutex stats_mu_;
  CanaryStats stats_ ABSL_GUARDED_BY(stats_mu_);  // the round totals
  uint64_t round_seq_ = 0;                        // the round thread's own
  std::thread thread_;
};

// The Prometheus text exposition (version 0.0.4) of `stats`, metric names prefixed
// agentstorm_canary_: counters *_total, the findings by ID and level, the time-until-queryable
// histogram in seconds (`le` buckets from 10 ms to 10 min, erring low by at most one of the
// histogram's 1% buckets), and the last round's time.
std::string CanaryPrometheusText(const CanaryStats& stats);

// One line for the log: "round 12: 10 sampled, 10 found, 0 incomplete, 0 missing, ...".
std::string DescribeCanaryStats(const CanaryStats& stats);

}  // namespace agentstorm
