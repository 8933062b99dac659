// The thresholds step of RunCheck (checker/check_pipeline.h): the figures of the run measured
// into core/thresholds.h's ThresholdFigures, each threshold judged, the results kept in
// CheckResult::thresholds, and one `threshold.failed` violation per threshold that failed (so
// the verdict, the exit code and every report format carry it).
#pragma once

#include <vector>

#include "checker/check_pipeline.h"
#include "core/ledger.h"
#include "core/load_summary.h"
#include "core/thresholds.h"

namespace agentstorm {

// The figures a check has: with `load` (run) its exact span counters, export_latency and
// achieved_rate; else the span counters from the `ledger`'s per-trace outcomes (a partially
// rejected trace counts whole); with a ledger spans_lost and traces_lost (acknowledged but not
// read back); time_until_queryable from the poll.
ThresholdFigures CheckFigures(const CheckResult& result, const Ledger* ledger,
                              const LoadSummary* load);

// Evaluates `thresholds` on `figures` into result->thresholds and adds the findings and the
// "threshold" rule totals. Call before FindingSet::Finish().
void ApplyThresholds(const std::vector<Threshold>& thresholds, const ThresholdFigures& figures,
                     CheckResult* result);

}  // namespace agentstorm
