// Delivery thresholds in the manner of k6: pass/fail criteria over the figures of a run, given
// as `METRIC: AGGREGATE OP VALUE` (`--threshold`, `thresholds:` in a check config):
//
//   spans_not_acknowledged: rate<0.01        at most 1% of the spans sent went unacknowledged
//   spans_rejected: count==0                 no span rejected by partial success
//   export_latency: p(99)<250ms              99th percentile of the export latency
//   time_until_queryable: p(90)<=5s          from acknowledgement to readable in the backend
//   achieved_rate: value>=0.95               achieved / intended traces per second
//
// Metrics come in three kinds, each with its aggregates:
//   counters  count, rate (count / the total it is out of; `1%` is 0.01)
//             spans_not_acknowledged (rejected + failed + not sent), spans_rejected,
//             spans_failed, spans_not_sent (of the spans scheduled, summed over endpoints);
//             spans_lost (acknowledged spans the backend did not return, of those
//             acknowledged) and traces_lost (acknowledged traces not found) after a check
//   trends    p(N) (0 < N < 100), med, avg, min, max; a bare number is milliseconds, or give a
//             duration (500us, 2s); export_latency (answer - intended send time, generate and
//             run), time_until_queryable (check and run)
//   values    value; achieved_rate (open-loop runs only)
// A threshold over a figure the command did not measure fails, saying why: a check never
// passes on a figure it does not have.
//
// `run` and `check` hold DefaultThresholds() (spans_not_acknowledged: count==0) unless turned
// off; a threshold the user gives on the same metric replaces the default.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/histogram.h"

namespace agentstorm {

enum class ThresholdAggregate { kCount, kRate, kPercentile, kMedian, kAvg, kMin, kMax, kValue };
enum class ThresholdOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Threshold {
  std::string text;  // normalized: "metric: aggregate op bound"
  std::string metric;
  ThresholdAggregate aggregate = ThresholdAggregate::kCount;
  double percentile = 0;  // kPercentile
  ThresholdOp op = ThresholdOp::kLess;
  double bound = 0;  // trends in milliseconds, rates as fractions
  bool is_default = false;
};

// InvalidArgument naming the part that is wrong and what is accepted.
absl::StatusOr<Threshold> ParseThreshold(absl::string_view text);
// Every expression parsed; the errors of all of them, one per line.
absl::StatusOr<std::vector<Threshold>> ParseThresholds(const std::vector<std::string>& texts);

// `spans_not_acknowledged: count==0`, marked is_default.
std::vector<Threshold> DefaultThresholds();
// `given`, then the defaults for the metrics `given` does not mention (when `defaults`).
std::vector<Threshold> WithDefaultThresholds(std::vector<Threshold> given, bool defaults);

// What one run measured for one metric.
struct ThresholdMetric {
  enum class Kind { kCounter, kTrend, kValue };
  Kind kind = Kind::kCounter;
  bool measured = false;
  std::string why_not_measured;  // when !measured
  uint64_t count = 0;            // counter
  uint64_t total = 0;            // counter: what count is out of
  std::string unit;              // counter: "spans", "traces"
  Histogram trend;               // trend, in units of trend_unit_ns nanoseconds
  double trend_unit_ns = 1;
  double value = 0;  // value
};

// The figures a command has, by metric name. Set*() records a measured figure; a metric never
// set is "not measured by this command".
class ThresholdFigures {
 public:
  void SetCounter(const std::string& metric, uint64_t count, uint64_t total, std::string unit);
  // `values` in units of `unit_ns` nanoseconds (1 = ns, 1000 = us).
  void SetTrend(const std::string& metric, const Histogram& values, double unit_ns);
  void SetValue(const std::string& metric, double value);
  void SetNotMeasured(const std::string& metric, std::string why);
  bool Has(const std::string& metric) const;
  const ThresholdMetric* Find(const std::string& metric) const;

 private:
  std::map<std::string, ThresholdMetric> metrics_;
};

struct LoadSummary;
// The figures a load run measured: the span counters by outcome (exact span counts, summed over
// endpoints, out of the spans scheduled for every endpoint), export_latency (from the intended
// send time, all endpoints) and achieved_rate (not measured for a closed-loop run).
void AddLoadFigures(const LoadSummary& load, ThresholdFigures* figures);

struct ThresholdResult {
  Threshold threshold;
  bool measured = false;
  bool passed = false;
  double observed = 0;        // in the bound's unit (ms, fraction, count)
  std::string observed_text;  // "77 of 800 spans (9.63%)", "p(99) 12.4ms", "not measured: ..."
};

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const ThresholdFigures& figures);
bool AllThresholdsPassed(const std::vector<ThresholdResult>& results);

// "thresholds:\n  ✓ spans_not_acknowledged: count==0  (0 of 800 spans)\n..."; "" when empty.
std::string FormatThresholds(const std::vector<ThresholdResult>& results);

}  // namespace agentstorm
