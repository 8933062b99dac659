// Comparing a run with a previous one (`--baseline previous/report.json`), so nightly runs gate
// on trends rather than on flaky absolute thresholds.
//
// Three figures are compared, each only when both reports have it:
//   throughput    load.achieved_spans_per_second; a regression when
//                 current < baseline * (1 - throughput_tolerance)
//   loss          the larger of (spans not acknowledged / spans, over every endpoint) and
//                 (expected traces not found / expected traces, from the read-back); a
//                 regression when current > baseline * (1 + loss_tolerance) + loss_floor
//                 (the floor keeps 0 -> 0.0001 from counting as an infinite regression)
//   queryability  readback time_until_queryable p99 (ms); a regression when
//                 current > baseline * (1 + queryability_tolerance) + queryability_floor_ms
// Regressions are findings at violation level: baseline.throughput_regression,
// baseline.loss_regression, baseline.queryability_regression. A change as large the other way is
// an information finding (baseline.*_improvement). Reports of different scenarios are still
// compared, with an information finding baseline.scenario_changed.
#pragma once

#include <string>
#include <vector>

#include "checker/finding.h"
#include "reports/report_model.h"

namespace agentstorm::reports {

struct BaselineOptions {
  double throughput_tolerance = 0.10;
  double loss_tolerance = 0.10;
  double loss_floor = 0.001;  // absolute, as a fraction
  double queryability_tolerance = 0.10;
  double queryability_floor_ms = 0;
};

struct BaselineMetric {
  std::string name;  // "throughput", "loss", "queryability_p99_ms"
  double baseline = 0;
  double current = 0;
  std::string verdict;  // "regression", "improvement", "unchanged"
};

struct BaselineResult {
  std::vector<BaselineMetric> metrics;  // only the comparable ones
  std::vector<Finding> findings;
  bool regressed() const;
};

BaselineResult CompareWithBaseline(const ReportModel& current, const ReportModel& baseline,
                                   const BaselineOptions& options = {});

// Adds the findings (as finding rows) and a "baseline" rule result with one evaluation per
// metric to `model`; a regression raises model->exit_code from 0 to 1 (kExitViolation).
void ApplyBaseline(const BaselineResult& result, ReportModel* model);

// Loss of a report as defined above, or -1 when it has neither delivery nor read-back figures.
double LossFraction(const ReportModel& model);

}  // namespace agentstorm::reports
