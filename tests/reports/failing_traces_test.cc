// Failing traces reach the reports: a check against a faulty sink keeps the first few traces
// with a violation (CheckResult::failing_traces, bounded), and the report model draws each as
// expected vs actual span trees with the sink's damage marked.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reports/check_report.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm::reports {
namespace {

std::string Scenario(const std::string& name) {
  return std::string(AGENTSTORM_SOURCE_DIR) + "/scenarios/" + name + ".yaml";
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

ReportModel Model(const CheckResult& result) {
  ReportRequest request;
  return BuildCheckReport(result, request, nullptr, {});
}

TEST(FailingTraces, BrokenParentsAreDrawnAsChangedParentsOnBothSides) {
  E2e e = GenerateAndCheck(Scenario("research-fanout"), 100, {"break-parent=0.5"});
  ASSERT_TRUE(e.result);
  ASSERT_GT(e.Count("hierarchy.orphan_span"), 10u);
  // Many traces fail; only the first CheckOptions::max_failing_traces (10) are kept.
  ASSERT_EQ(e.result->failing_traces.size(), 10u);
  const ReportModel model = Model(*e.result);
  ASSERT_EQ(model.failing_traces.size(), 10u);
  for (size_t i = 0; i < model.failing_traces.size(); ++i) {
    const FailingTrace& kept = e.result->failing_traces[i];
    const TraceComparison& c = model.failing_traces[i];
    EXPECT_EQ(c.trace_id, kept.trace_id);
    EXPECT_TRUE(Has(c.finding_ids, "hierarchy.orphan_span")) << c.trace_id;
    ASSERT_NE(kept.expected, nullptr) << "a ledger check rebuilds what was sent";
    ASSERT_FALSE(c.expected.empty());
    ASSERT_EQ(c.actual.size(), c.expected.size()) << "no span is lost, only re-parented";
    // Exactly the spans the checker found orphaned are marked, on both sides, as a changed
    // parent.
    uint64_t orphans = 0;
    for (const auto& [span, id] : kept.span_findings) orphans += id == "hierarchy.orphan_span";
    uint64_t changed_actual = 0, changed_expected = 0;
    for (const TreeSpan& s : c.actual) {
      if (s.mark == TreeSpan::Mark::kChanged && Has(s.differences, "parent")) ++changed_actual;
      EXPECT_NE(s.mark, TreeSpan::Mark::kExtra);
    }
    for (const TreeSpan& s : c.expected) {
      if (s.mark == TreeSpan::Mark::kChanged && Has(s.differences, "parent")) ++changed_expected;
      EXPECT_NE(s.mark, TreeSpan::Mark::kMissing);
    }
    EXPECT_GT(orphans, 0u);
    EXPECT_EQ(changed_actual, orphans) << c.trace_id;
    EXPECT_EQ(changed_expected, orphans) << c.trace_id;
  }
}

TEST(FailingTraces, AStrippedKeyAttributeIsMarkedOnTheSpansThatLostIt) {
  const std::string key = "gen_ai.request.model";
  E2e e = GenerateAndCheck(Scenario("smoke"), 50, {"strip-attribute=" + key});
  ASSERT_TRUE(e.result);
  ASSERT_FALSE(e.result->failing_traces.empty()) << e.Summary();
  const ReportModel model = Model(*e.result);
  ASSERT_EQ(model.failing_traces.size(), e.result->failing_traces.size());
  for (const TraceComparison& c : model.failing_traces) {
    EXPECT_TRUE(Has(c.finding_ids, "fidelity.attribute_dropped")) << c.trace_id;
    uint64_t marked = 0;
    for (const TreeSpan& s : c.actual) {
      const bool lost = Has(s.differences, "attribute " + key);
      marked += lost;
      if (lost) EXPECT_EQ(s.mark, TreeSpan::Mark::kChanged);
      for (const auto& [k, v] : s.attributes) EXPECT_NE(k, key) << "the sink stripped it";
    }
    EXPECT_GT(marked, 0u) << c.trace_id;
  }
}

TEST(FailingTraces, ACleanRunKeepsNone) {
  E2e e = GenerateAndCheck(Scenario("smoke"), 50, {});
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->exit_code, 0) << e.Summary();
  EXPECT_TRUE(e.result->failing_traces.empty());
  EXPECT_TRUE(Model(*e.result).failing_traces.empty());
}

TEST(FailingTraces, WithoutAnExpectedTraceTheSpansWithFindingsAreMarked) {
  opentelemetry::proto::trace::v1::TracesData received;
  auto* scope = received.add_resource_spans()->add_scope_spans();
  for (int i = 1; i <= 2; ++i) {
    auto* s = scope->add_spans();
    s->set_trace_id(std::string(15, '\0') + "\x01");
    s->set_span_id(std::string(7, '\0') + static_cast<char>(i));
    if (i == 2) s->set_parent_span_id(std::string(7, '\0') + "\x01");
    s->set_name(i == 1 ? "invoke_agent a" : "chat m");
  }
  ReportModel model;
  AddFailingTrace("00000000000000000000000000000001", nullptr, &received, "",
                  {"semconv.span_kind_mismatch"},
                  {{"0000000000000002", "semconv.span_kind_mismatch"}}, 10, &model);
  ASSERT_EQ(model.failing_traces.size(), 1u);
  const TraceComparison& c = model.failing_traces[0];
  EXPECT_TRUE(c.expected.empty());
  ASSERT_EQ(c.actual.size(), 2u);
  EXPECT_EQ(c.actual[0].mark, TreeSpan::Mark::kSame);
  EXPECT_EQ(c.actual[1].mark, TreeSpan::Mark::kChanged);
  EXPECT_EQ(c.actual[1].differences, std::vector<std::string>{"semconv.span_kind_mismatch"});
}

}  // namespace
}  // namespace agentstorm::reports
