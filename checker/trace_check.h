// Checking one trace as it settles (RunCheck, checker/check_pipeline.h): rebuild what the
// ledger says was sent, hand (received, expected) to every rule, count it, and keep it whole
// when it failed (CheckResult::failing_traces, at most CheckOptions::max_failing_traces).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "checker/check_pipeline.h"
#include "checker/expected_traces.h"
#include "checker/finding.h"
#include "checker/readers/poller.h"
#include "checker/rule.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/synthesized_trace.h"
#include "scenario/scenario.h"

namespace agentstorm {

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | id[8 + i];
    return static_cast<size_t>(h ^ (static_cast<uint64_t>(id[0]) << 56));
  }
};
// Trace ID -> index of its record in Ledger::records.
using LedgerIndex = std::unordered_map<TraceId, size_t, TraceIdHash>;

// What the trace checks of one run share. Ledger mode sets every pointer; ledger-less leaves
// ledger, index, scenario and rebuilder null (the rules check invariants only).
struct TraceCheckContext {
  const Ledger* ledger = nullptr;
  const LedgerIndex* index = nullptr;
  const Scenario* scenario = nullptr;
  const ExpectedTraceRebuilder* rebuilder = nullptr;
  size_t endpoints = 0;  // of the ledger, at least 1 in ledger mode
  std::vector<std::unique_ptr<Rule>>* rules = nullptr;
  size_t max_failing_traces = 0;
  bool compare_wire = true;  // CheckOptions::compare_wire
};

// Thread-safe: the pipeline's workers call Check concurrently; the rules and FindingSet are
// thread-safe, the counts in CheckResult are updated under a lock.
class TraceCheck {
 public:
  // REQUIRES: `context`'s pointees and `result` outlive this object.
  TraceCheck(const TraceCheckContext& context, CheckResult* result)
      : c_(context), findings_(&result->findings), result_(result) {}

  // Checks `polled`: check.trace_not_rebuilt when the ledger record cannot be rebuilt,
  // check.trace_unreadable when every request for it failed, else every rule's CheckTrace (in
  // ledger mode absent traces too: fidelity and sampling count them). Then counts it in
  // CheckResult (traces_read, spans_read, by_variant, by_class, unacknowledged_but_present).
  // `scratch` is the caller's buffer for the expected trace, reused between calls.
  void Check(const readers::PolledTrace& polled, SynthesizedTrace* scratch)
      ABSL_LOCKS_EXCLUDED(counts_mu_);

 private:
  // Whether `polled` is byte for byte the encoding of what `record` says was sent. A backend
  // whose answers carry no bytes, or never match in the first kWireTries (one that re-encodes
  // what it stores), is not asked again.
  bool ArrivedAsSent(const readers::PolledTrace& polled, const LedgerRecord& record,
                     SynthesizedTrace* meta);
  static constexpr uint64_t kWireTries = 64;

  const TraceCheckContext c_;
  std::atomic<uint64_t> wire_tries_{0}, wire_matches_{0};
  FindingSet* const findings_;  // thread-safe on its own
  absl::Mutex counts_mu_;
  CheckResult* const result_ ABSL_PT_GUARDED_BY(counts_mu_);  // its counts and failing_traces
};

}  // namespace agentstorm
