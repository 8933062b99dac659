// HierarchyRule: the shape of each received trace.
//
// Invariants, checked on every trace (with or without a ledger):
//   hierarchy.missing_root        no span without a parent (once per trace). The spans that point
//                                 at the one absent parent most of the parentless spans share are
//                                 taken as the missing root's children, not as orphans
//   hierarchy.multiple_roots      more than one span without a parent (once per trace)
//   hierarchy.orphan_span         a span whose parent is not in the trace
//   hierarchy.cycle               parent links that loop (once per cycle)
//   hierarchy.duplicate_span_id   two different spans with one span ID (identical copies are
//                                 fidelity.duplicate_span when a ledger is known)
//   hierarchy.mixed_trace_ids     spans of more than one trace ID under one trace
//   hierarchy.child_outside_parent  a child that starts before its parent or ends after it, by
//                                 more than the tolerance (violation with a ledger, improvement
//                                 in live mode, where asynchronous children are legitimate)
// With the expected trace (ledger mode), per span that arrived:
//   hierarchy.parent_mismatch     its parent is not the one sent (and not already an orphan)
//   hierarchy.kind_mismatch       its kind is not the one sent
// Damage that only follows from a lost span (its children look orphaned, the trace has no root
// because the root was lost) is not reported here: fidelity.span_missing reports it once.
// Remote subagents (spans of other services) are part of the same checks: a subagent in another
// trace shows as missing spans, one with another trace ID as hierarchy.mixed_trace_ids.
// Statistics: "traces_with_remote_services".
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "checker/finding.h"
#include "checker/rule.h"

namespace agentstorm {

struct HierarchyRuleOptions {
  absl::Duration time_tolerance = absl::Milliseconds(1);
};

class HierarchyRule : public Rule {
 public:
  explicit HierarchyRule(HierarchyRuleOptions options = {});

  std::string_view family() const override { return "hierarchy"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;
  void Finish(FindingSet* findings) override;

 private:
  const HierarchyRuleOptions options_;
  std::atomic<uint64_t> remote_traces_{0};
};

}  // namespace agentstorm
