#include "checker/rules/hierarchy_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "trace_test_util.h"

namespace agentstorm {
namespace {

using trace_testing::Live;
using trace_testing::MakeSpan;
using trace_testing::Received;
using trace_testing::RuleRun;
using trace_testing::Sent;
using trace_testing::Service;
using trace_testing::Span;
using trace_testing::SpanHex;
using trace_testing::TraceCase;
using trace_testing::TraceHex;
using trace_testing::WithLedger;

// invoke_agent (1) -> chat (2), execute_tool (3) -> chat (4), each inside its parent.
std::vector<Span> AgentTree() {
  return {MakeSpan(1, 0, "invoke_agent planner", 0, 1000, Span::SPAN_KIND_CLIENT),
          MakeSpan(2, 1, "chat gpt-4o", 100, 400, Span::SPAN_KIND_CLIENT),
          MakeSpan(3, 1, "execute_tool search", 500, 900),
          MakeSpan(4, 3, "chat gpt-4o", 600, 800, Span::SPAN_KIND_CLIENT)};
}

RuleRun Check(const std::vector<TraceCase>& traces, HierarchyRuleOptions options = {}) {
  HierarchyRule rule(options);
  return RuleRun(rule, traces);
}

TEST(HierarchyRule, AWellFormedTreePassesWithAndWithoutALedger) {
  RuleRun live = Check({Live(AgentTree())});
  EXPECT_TRUE(live.Ids().empty());
  EXPECT_EQ(live.Totals("hierarchy").evaluated, 1u);
  EXPECT_EQ(live.Totals("hierarchy").passed, 1u);

  RuleRun ledger = Check({WithLedger(AgentTree(), AgentTree())});
  EXPECT_TRUE(ledger.Ids().empty());
  EXPECT_EQ(ledger.Totals("hierarchy").passed, 1u);
}

TEST(HierarchyRule, ATraceWithNoSpansIsNotEvaluated) {
  RuleRun run = Check({Live({})});
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(run.Totals("hierarchy").evaluated, 0u);
}

TEST(HierarchyRule, ReportsOrphanWhenParentMissing) {
  std::vector<Span> spans = AgentTree();
  spans.push_back(MakeSpan(5, 9, "execute_tool lost", 200, 300));
  RuleRun run = Check({Live(spans)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.orphan_span"});
  const Finding f = run.Only("hierarchy.orphan_span");
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_EQ(f.trace_id, TraceHex());
  EXPECT_EQ(f.span_id, SpanHex(5));
  EXPECT_EQ(f.span_name, "execute_tool lost");
  EXPECT_EQ(f.actual, SpanHex(9));
  EXPECT_EQ(f.expected, "");  // live mode: nobody knows the right parent
  EXPECT_EQ(f.variant, "default");
  EXPECT_EQ(run.Totals("hierarchy").failed(), 1u);
}

TEST(HierarchyRule, MissingRootIsTheAbsentParentMostSpansShare) {
  // 2 and 3 point at absent 9 (the root that never came); 4 points at absent 8.
  RuleRun run =
      Check({Live({MakeSpan(2, 9, "chat a"), MakeSpan(3, 9, "chat b"), MakeSpan(4, 8, "chat c")})});
  EXPECT_EQ(run.Count("hierarchy.missing_root"), 1u);
  EXPECT_NE(run.Only("hierarchy.missing_root").message.find(SpanHex(9)), std::string::npos);
  EXPECT_EQ(run.Only("hierarchy.missing_root").span_id, "");
  // Only the span under the other absent parent is an orphan.
  ASSERT_EQ(run.Count("hierarchy.orphan_span"), 1u);
  EXPECT_EQ(run.Only("hierarchy.orphan_span").span_id, SpanHex(4));
}

TEST(HierarchyRule, ReportsMissingRootWhenEverySpanHasAParentInTheTrace) {
  // 1 and 2 are each other's parent: no root, no absent parent, one cycle.
  RuleRun run = Check({Live({MakeSpan(1, 2, "a"), MakeSpan(2, 1, "b")})});
  EXPECT_EQ(run.Count("hierarchy.missing_root"), 1u);
  EXPECT_NE(run.Only("hierarchy.missing_root").message.find("every span has a parent"),
            std::string::npos);
  EXPECT_EQ(run.Count("hierarchy.cycle"), 1u);
}

TEST(HierarchyRule, ReportsMultipleRootsOnceWithTheirNames) {
  std::vector<Span> spans = AgentTree();
  spans.push_back(MakeSpan(5, 0, "invoke_agent critic", 0, 1000));
  spans.push_back(MakeSpan(6, 0, "invoke_agent auditor", 0, 1000));
  RuleRun run = Check({Live(spans)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.multiple_roots"});
  const Finding f = run.Only("hierarchy.multiple_roots");
  EXPECT_EQ(f.expected, "1");
  EXPECT_EQ(f.actual, "invoke_agent auditor, invoke_agent critic, invoke_agent planner");
}

TEST(HierarchyRule, ReportsEachCycleOnceWithItsPath) {
  std::vector<Span> spans = AgentTree();
  spans.push_back(MakeSpan(5, 6, "x", 100, 200));  // 5 -> 6 -> 5
  spans.push_back(MakeSpan(6, 5, "y", 100, 200));
  spans.push_back(MakeSpan(7, 7, "self", 100, 200));  // its own parent
  RuleRun run = Check({Live(spans)});
  ASSERT_EQ(run.Count("hierarchy.cycle"), 2u);
  std::vector<std::string> sizes;
  for (const Finding& f : run.Examples("hierarchy.cycle")) {
    EXPECT_EQ(f.expected, "a tree");
    sizes.push_back(f.message);
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::string>{"parent links form a cycle of 1 span(s)",
                                             "parent links form a cycle of 2 span(s)"}));
  for (const Finding& f : run.Examples("hierarchy.cycle")) {
    if (f.span_id == SpanHex(7)) EXPECT_EQ(f.actual, "self " + SpanHex(7));
    if (f.span_id != SpanHex(7)) EXPECT_NE(f.actual.find(" -> "), std::string::npos) << f.actual;
  }
}

TEST(HierarchyRule, DifferentSpansSharingASpanIdAreDuplicates) {
  std::vector<Span> spans = AgentTree();
  spans.push_back(MakeSpan(4, 3, "execute_tool other", 600, 800));
  for (const TraceCase& t : {Live(spans), WithLedger(AgentTree(), spans)}) {
    RuleRun run = Check({t});
    ASSERT_EQ(run.Count("hierarchy.duplicate_span_id"), 1u);
    const Finding f = run.Only("hierarchy.duplicate_span_id");
    EXPECT_EQ(f.span_id, SpanHex(4));
    EXPECT_EQ(f.actual, "chat gpt-4o and execute_tool other");
    EXPECT_EQ(f.message.find("identical"), std::string::npos);
  }
}

TEST(HierarchyRule, IdenticalCopiesAreLeftToFidelityWithALedger) {
  std::vector<Span> spans = AgentTree();
  spans.push_back(spans[3]);
  RuleRun ledger = Check({WithLedger(AgentTree(), spans)});
  EXPECT_TRUE(ledger.Ids().empty());

  RuleRun live = Check({Live(spans)});
  ASSERT_EQ(live.Count("hierarchy.duplicate_span_id"), 1u);
  EXPECT_NE(live.Only("hierarchy.duplicate_span_id").message.find("(identical copies)"),
            std::string::npos);
}

TEST(HierarchyRule, ReportsSpansOfAnotherTraceId) {
  std::vector<Span> spans = AgentTree();
  spans[3].set_trace_id(trace_testing::TraceIdBytes('\x02'));
  RuleRun run = Check({Live(spans)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.mixed_trace_ids"});
  const Finding f = run.Only("hierarchy.mixed_trace_ids");
  EXPECT_EQ(f.expected, TraceHex());
  EXPECT_EQ(f.actual, TraceHex('\x01') + ", " + TraceHex('\x02'));
  EXPECT_EQ(f.span_id, "");
}

TEST(HierarchyRule, ChildOutsideItsParentIsAViolationOnlyWithALedger) {
  std::vector<Span> spans = AgentTree();
  spans[2].set_end_time_unix_nano(trace_testing::kT0 + 1000 + 5'000'000);  // ends 5ms late
  RuleRun live = Check({Live(spans)});
  ASSERT_EQ(live.Count("hierarchy.child_outside_parent"), 1u);
  const Finding f = live.Only("hierarchy.child_outside_parent");
  EXPECT_EQ(f.level, FindingLevel::kImprovement);
  EXPECT_EQ(f.span_id, SpanHex(3));
  EXPECT_EQ(f.message, "ends after its parent invoke_agent planner");

  RuleRun ledger = Check({WithLedger(spans, spans)});
  ASSERT_EQ(ledger.Count("hierarchy.child_outside_parent"), 1u);
  EXPECT_EQ(ledger.Only("hierarchy.child_outside_parent").level, FindingLevel::kViolation);
}

TEST(HierarchyRule, ChildStartingBeforeItsParentIsReported) {
  std::vector<Span> spans = {MakeSpan(1, 0, "root", 5'000'000, 9'000'000),
                             MakeSpan(2, 1, "early", 1'000'000, 6'000'000)};
  RuleRun run = Check({Live(spans)});
  ASSERT_EQ(run.Count("hierarchy.child_outside_parent"), 1u);
  EXPECT_EQ(run.Only("hierarchy.child_outside_parent").message, "starts before its parent root");
}

TEST(HierarchyRule, TimeWindowAllowsTheTolerance) {
  std::vector<Span> spans = {MakeSpan(1, 0, "root", 1'000'000, 2'000'000),
                             MakeSpan(2, 1, "skewed", 500'000, 2'400'000)};     // 0.5ms early
  EXPECT_EQ(Check({Live(spans)}).Count("hierarchy.child_outside_parent"), 0u);  // default 1ms

  HierarchyRuleOptions strict;
  strict.time_tolerance = absl::Microseconds(100);
  EXPECT_EQ(Check({Live(spans)}, strict).Count("hierarchy.child_outside_parent"), 1u);
}

TEST(HierarchyRule, ReportsAParentOtherThanTheOneSent) {
  std::vector<Span> got = AgentTree();
  got[3].set_parent_span_id(trace_testing::SpanIdBytes(2));  // sent under 3, arrived under 2
  got[3].set_start_time_unix_nano(got[1].start_time_unix_nano());
  got[3].set_end_time_unix_nano(got[1].end_time_unix_nano());
  RuleRun run = Check({WithLedger(AgentTree(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.parent_mismatch"});
  const Finding f = run.Only("hierarchy.parent_mismatch");
  EXPECT_EQ(f.span_id, SpanHex(4));
  EXPECT_EQ(f.expected, SpanHex(3));
  EXPECT_EQ(f.actual, SpanHex(2));
}

TEST(HierarchyRule, ARootThatArrivesWithAParentIsAParentMismatch) {
  std::vector<Span> sent = {MakeSpan(1, 0, "root"), MakeSpan(2, 1, "child"),
                            MakeSpan(3, 0, "second root")};
  std::vector<Span> got = sent;
  got[2].set_parent_span_id(trace_testing::SpanIdBytes(1));
  RuleRun run = Check({WithLedger(sent, got)});
  ASSERT_EQ(run.Count("hierarchy.parent_mismatch"), 1u);
  EXPECT_EQ(run.Only("hierarchy.parent_mismatch").expected, "(root)");
  EXPECT_EQ(run.Only("hierarchy.parent_mismatch").actual, SpanHex(1));
  EXPECT_EQ(run.Count("hierarchy.multiple_roots"), 0u);  // what arrived has one root
}

TEST(HierarchyRule, ReportsAKindOtherThanTheOneSent) {
  std::vector<Span> got = AgentTree();
  got[1].set_kind(Span::SPAN_KIND_SERVER);
  RuleRun run = Check({WithLedger(AgentTree(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.kind_mismatch"});
  const Finding f = run.Only("hierarchy.kind_mismatch");
  EXPECT_EQ(f.span_id, SpanHex(2));
  EXPECT_EQ(f.expected, "CLIENT");
  EXPECT_EQ(f.actual, "SERVER");
  // Live mode has nothing to compare with.
  EXPECT_TRUE(Check({Live(got)}).Ids().empty());
}

TEST(HierarchyRule, AnOrphanInLedgerModeNamesTheParentSentAndIsNotAlsoAMismatch) {
  std::vector<Span> got = AgentTree();
  got[3].set_parent_span_id(trace_testing::SpanIdBytes(9));  // a parent nobody sent
  RuleRun run = Check({WithLedger(AgentTree(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.orphan_span"});
  EXPECT_EQ(run.Only("hierarchy.orphan_span").expected, SpanHex(3));
  EXPECT_EQ(run.Only("hierarchy.orphan_span").actual, SpanHex(9));
}

TEST(HierarchyRule, DamageThatFollowsFromALostSpanIsLeftToFidelity) {
  // The tool span (3) was lost: its child looks orphaned, but only fidelity reports it.
  std::vector<Span> lost_middle = AgentTree();
  lost_middle.erase(lost_middle.begin() + 2);
  RuleRun middle = Check({WithLedger(AgentTree(), lost_middle)});
  EXPECT_TRUE(middle.Ids().empty());
  EXPECT_EQ(middle.Totals("hierarchy").passed, 1u);

  // The root was lost: the trace has no root, but that too is fidelity.span_missing.
  std::vector<Span> lost_root = AgentTree();
  lost_root.erase(lost_root.begin());
  RuleRun root = Check({WithLedger(AgentTree(), lost_root)});
  EXPECT_TRUE(root.Ids().empty());

  // Without a ledger the same traces are broken.
  EXPECT_EQ(Check({Live(lost_middle)}).Count("hierarchy.orphan_span"), 1u);
  EXPECT_EQ(Check({Live(lost_root)}).Count("hierarchy.missing_root"), 1u);
}

TEST(HierarchyRule, CountsTracesThatSpanSeveralServices) {
  std::vector<Span> tree = AgentTree();
  TraceCase remote{Received(
      {Service("planner", {tree[0], tree[1]}), Service("search-agent", {tree[2], tree[3]})})};
  TraceCase local = Live(tree);
  HierarchyRule rule;
  RuleRun run(rule, {remote, local, remote});
  EXPECT_TRUE(run.Ids().empty());  // remote children are still one tree
  EXPECT_EQ(run.Statistic("hierarchy", "traces_with_remote_services").value_or(-1), 2.0);
  EXPECT_EQ(run.Totals("hierarchy").evaluated, 3u);
}

TEST(HierarchyRule, ASubagentUnderAnotherTraceIdIsMixedTraceIds) {
  std::vector<Span> tree = AgentTree();
  for (Span* s : {&tree[2], &tree[3]}) s->set_trace_id(trace_testing::TraceIdBytes('\x03'));
  TraceCase t{Received({Service("planner", {tree[0], tree[1]}),
                        Service("search-agent", {tree[2], tree[3]})}),
              Sent(AgentTree())};
  RuleRun run = Check({t});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"hierarchy.mixed_trace_ids"});
}

}  // namespace
}  // namespace agentstorm
