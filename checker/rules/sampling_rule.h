// SamplingRule: did the pipeline under test sample as the scenario says it should
// (`sampling:` in the scenario, scenario/scenario.h SamplingExpectation)?
//
// Only traces the ledger says were acknowledged count; a trace is "kept" when any of its spans
// arrived. Per trace (CheckTrace) the rule only tallies; it decides in Finish:
//   head P:   the kept fraction of all traces must lie in the Wilson score interval at
//             `confidence` around the observed fraction, i.e. P inside [low, high]
//   tail:     keep_errors: every trace with a span of status ERROR was kept
//                 -> sampling.error_trace_dropped, one per dropped trace (the list)
//             keep_slower_than T: every trace longer than T was kept
//                 -> sampling.slow_trace_dropped, one per dropped trace
//             the rest: kept fraction in the Wilson interval, as for head
//   either:   sampling.rate_out_of_bounds (run-level; the message, expected and actual carry the
//             interval and the observed fraction), statistics "<population>.observed", ".low",
//             ".high", ".kept", ".total" with population "head" or "tail_rest"
//   kept traces must be whole: sampling.partial_trace, one per trace kept with spans missing.
// With no expectation (Mode::kNone) the rule is not constructed: fidelity wants every trace.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "checker/finding.h"
#include "checker/rule.h"
#include "scenario/scenario.h"

namespace agentstorm {

// The two-sided Wilson score interval for `kept` successes out of `total` at `confidence`
// (e.g. 0.999). {0, 1} when total == 0.
struct WilsonInterval {
  double low = 0;
  double high = 1;
};
WilsonInterval Wilson(uint64_t kept, uint64_t total, double confidence);

// The standard normal quantile z with P(|Z| <= z) = confidence.
double TwoSidedZ(double confidence);

class SamplingRule : public Rule {
 public:
  struct Population {
    std::string name;  // "head", "tail_rest"
    double expected = 0;
    uint64_t kept = 0;
    uint64_t total = 0;
    WilsonInterval interval;
    double confidence = 0;
    bool passed = true;
  };

  SamplingRule(SamplingExpectation expectation, double confidence);

  std::string_view family() const override { return "sampling"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;
  void Finish(FindingSet* findings) override;

  // After Finish: the populations whose kept fraction was tested.
  std::vector<Population> populations() const;

 private:
  const SamplingExpectation expectation_;
  const double confidence_;
  mutable absl::Mutex mu_;
  uint64_t rest_kept_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t rest_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t errors_kept_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t slow_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t slow_kept_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Population> populations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace agentstorm
