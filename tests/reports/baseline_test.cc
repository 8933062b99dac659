#include "reports/baseline.h"

#include <gtest/gtest.h>

namespace agentstorm::reports {
namespace {

ReportModel RunFigures(double spans_per_second, uint64_t acknowledged, uint64_t failed,
                       uint64_t found, double queryable_p99_ms) {
  ReportModel m;
  m.run.scenario = "nightly-conformance";
  m.load = LoadSection{};
  m.load->achieved_spans_per_second = spans_per_second;
  EndpointDelivery e;
  e.spans_acknowledged = acknowledged;
  e.spans_failed = failed;
  m.endpoints.push_back(e);
  m.readback = ReadbackSection{};
  m.readback->traces_expected = 1000;
  m.readback->found = found;
  m.readback->time_until_queryable.count = found;
  m.readback->time_until_queryable.p99 = queryable_p99_ms;
  return m;
}

std::vector<std::string> Ids(const BaselineResult& r) {
  std::vector<std::string> ids;
  for (const Finding& f : r.findings) ids.push_back(f.id);
  return ids;
}

TEST(Baseline, WithinToleranceIsUnchanged) {
  ReportModel base = RunFigures(10000, 10000, 0, 1000, 2000);
  ReportModel now = RunFigures(9100, 10000, 0, 1000, 2150);
  BaselineResult r = CompareWithBaseline(now, base);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_FALSE(r.regressed());
  ASSERT_EQ(r.metrics.size(), 3u);
  for (const BaselineMetric& m : r.metrics) EXPECT_EQ(m.verdict, "unchanged") << m.name;
}

TEST(Baseline, ThroughputDropBeyondToleranceIsAViolation) {
  BaselineResult r = CompareWithBaseline(RunFigures(8500, 10000, 0, 1000, 2000),
                                         RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_EQ(Ids(r), std::vector<std::string>{"baseline.throughput_regression"});
  EXPECT_EQ(r.findings[0].level, FindingLevel::kViolation);
  EXPECT_EQ(r.findings[0].actual, "8500 spans/s");
  EXPECT_TRUE(r.regressed());
}

TEST(Baseline, LossRegressionCountsUnacknowledgedAndMissingTraces) {
  // Not acknowledged: 0.5% vs 0%: beyond the 0.1% floor.
  BaselineResult r = CompareWithBaseline(RunFigures(10000, 9950, 50, 1000, 2000),
                                         RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_EQ(Ids(r), std::vector<std::string>{"baseline.loss_regression"});
  // Missing traces: 2% not found.
  r = CompareWithBaseline(RunFigures(10000, 10000, 0, 980, 2000),
                          RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_EQ(Ids(r), std::vector<std::string>{"baseline.loss_regression"});
  // Below the floor: 0.05% is noise.
  r = CompareWithBaseline(RunFigures(10000, 9995, 5, 1000, 2000),
                          RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_TRUE(r.findings.empty());
}

TEST(Baseline, QueryabilityP99RegressionAndImprovement) {
  BaselineResult worse = CompareWithBaseline(RunFigures(10000, 10000, 0, 1000, 2500),
                                             RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_EQ(Ids(worse), std::vector<std::string>{"baseline.queryability_regression"});
  BaselineResult better = CompareWithBaseline(RunFigures(10000, 10000, 0, 1000, 1000),
                                              RunFigures(10000, 10000, 0, 1000, 2000));
  EXPECT_EQ(Ids(better), std::vector<std::string>{"baseline.queryability_improvement"});
  EXPECT_EQ(better.findings[0].level, FindingLevel::kInformation);
  EXPECT_FALSE(better.regressed());
}

TEST(Baseline, TolerancesAreConfigurable) {
  BaselineOptions loose;
  loose.throughput_tolerance = 0.5;
  BaselineResult r = CompareWithBaseline(RunFigures(6000, 10000, 0, 1000, 2000),
                                         RunFigures(10000, 10000, 0, 1000, 2000), loose);
  EXPECT_TRUE(r.findings.empty());
}

TEST(Baseline, MissingFiguresAreNotCompared) {
  ReportModel base = RunFigures(10000, 10000, 0, 1000, 2000);
  ReportModel now;  // a check-only report: no load, no read-back
  now.run.scenario = "nightly-conformance";
  BaselineResult r = CompareWithBaseline(now, base);
  EXPECT_TRUE(r.metrics.empty());
  EXPECT_TRUE(r.findings.empty());
}

TEST(ApplyBaseline, AddsFindingsRuleAndRaisesTheExitCode) {
  ReportModel now = RunFigures(5000, 10000, 0, 1000, 2000);
  BaselineResult r = CompareWithBaseline(now, RunFigures(10000, 10000, 0, 1000, 2000));
  ApplyBaseline(r, &now);
  EXPECT_EQ(now.exit_code, 1);
  ASSERT_EQ(now.findings.size(), 1u);
  EXPECT_EQ(now.findings[0].id, "baseline.throughput_regression");
  EXPECT_EQ(now.findings[0].count, 1u);
  ASSERT_EQ(now.rules.size(), 1u);
  EXPECT_EQ(now.rules[0].evaluated, 3u);
  EXPECT_EQ(now.rules[0].passed, 2u);
  EXPECT_DOUBLE_EQ(now.rules[0].statistics["current.throughput"], 5000);
  // Unreachable stays unreachable.
  ReportModel down = RunFigures(5000, 10000, 0, 1000, 2000);
  down.exit_code = 3;
  ApplyBaseline(r, &down);
  EXPECT_EQ(down.exit_code, 3);
}

}  // namespace
}  // namespace agentstorm::reports
