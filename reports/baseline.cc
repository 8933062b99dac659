#include "reports/baseline.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/exit_codes.h"
#include "reports/text_format.h"

namespace agentstorm::reports {
namespace {

Finding MakeFinding(const std::string& id, FindingLevel level, const std::string& message,
                    const std::string& expected, const std::string& actual) {
  Finding f;
  f.id = id;
  f.level = level;
  f.message = message;
  f.expected = expected;
  f.actual = actual;
  return f;
}

std::string Pct(double fraction) { return absl::StrFormat("%.3f%%", fraction * 100); }

}  // namespace

bool BaselineResult::regressed() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.level == FindingLevel::kViolation; });
}

double LossFraction(const ReportModel& m) {
  double loss = -1;
  uint64_t total = 0, acknowledged = 0;
  for (const EndpointDelivery& e : m.endpoints) {
    total += e.spans_acknowledged + e.spans_rejected + e.spans_failed + e.spans_not_sent;
    acknowledged += e.spans_acknowledged;
  }
  if (total > 0) {
    loss = static_cast<double>(total - acknowledged) / static_cast<double>(total);
  }
  if (m.readback && m.readback->traces_expected > 0) {
    uint64_t found = std::min(m.readback->found, m.readback->traces_expected);
    double missing = static_cast<double>(m.readback->traces_expected - found) /
                     static_cast<double>(m.readback->traces_expected);
    loss = std::max(loss, missing);
  }
  return loss;
}

BaselineResult CompareWithBaseline(const ReportModel& current, const ReportModel& baseline,
                                   const BaselineOptions& o) {
  BaselineResult r;
  if (current.run.scenario != baseline.run.scenario) {
    r.findings.push_back(
        MakeFinding("baseline.scenario_changed", FindingLevel::kInformation,
                    absl::StrCat("the baseline is of scenario \"", baseline.run.scenario,
                                 "\", this run of \"", current.run.scenario, "\""),
                    baseline.run.scenario, current.run.scenario));
  }
  if (current.load && baseline.load && baseline.load->achieved_spans_per_second > 0) {
    double b = baseline.load->achieved_spans_per_second;
    double c = current.load->achieved_spans_per_second;
    BaselineMetric metric{"throughput", b, c, "unchanged"};
    std::string change = absl::StrFormat("%+.1f%%", (c / b - 1) * 100);
    if (c < b * (1 - o.throughput_tolerance)) {
      metric.verdict = "regression";
      r.findings.push_back(MakeFinding(
          "baseline.throughput_regression", FindingLevel::kViolation,
          absl::StrCat("achieved throughput fell ", change, " against the baseline (tolerance ",
                       ShortNumber(o.throughput_tolerance * 100), "%)"),
          absl::StrCat(">= ", ShortNumber(b * (1 - o.throughput_tolerance), 6), " spans/s"),
          absl::StrCat(ShortNumber(c, 6), " spans/s")));
    } else if (c > b * (1 + o.throughput_tolerance)) {
      metric.verdict = "improvement";
      r.findings.push_back(
          MakeFinding("baseline.throughput_improvement", FindingLevel::kInformation,
                      absl::StrCat("achieved throughput rose ", change, " against the baseline"),
                      absl::StrCat(ShortNumber(b, 6), " spans/s"),
                      absl::StrCat(ShortNumber(c, 6), " spans/s")));
    }
    r.metrics.push_back(metric);
  }
  double bl = LossFraction(baseline), cl = LossFraction(current);
  if (bl >= 0 && cl >= 0) {
    BaselineMetric metric{"loss", bl, cl, "unchanged"};
    double limit = bl * (1 + o.loss_tolerance) + o.loss_floor;
    if (cl > limit) {
      metric.verdict = "regression";
      r.findings.push_back(MakeFinding(
          "baseline.loss_regression", FindingLevel::kViolation,
          absl::StrCat("loss (not acknowledged or not found) rose from ", Pct(bl), " to ", Pct(cl)),
          absl::StrCat("<= ", Pct(limit)), Pct(cl)));
    } else if (cl < bl * (1 - o.loss_tolerance) - o.loss_floor) {
      metric.verdict = "improvement";
      r.findings.push_back(MakeFinding("baseline.loss_improvement", FindingLevel::kInformation,
                                       absl::StrCat("loss fell from ", Pct(bl), " to ", Pct(cl)),
                                       Pct(bl), Pct(cl)));
    }
    r.metrics.push_back(metric);
  }
  if (current.readback && baseline.readback && current.readback->time_until_queryable.count > 0 &&
      baseline.readback->time_until_queryable.count > 0) {
    double b = baseline.readback->time_until_queryable.p99;
    double c = current.readback->time_until_queryable.p99;
    BaselineMetric metric{"queryability_p99_ms", b, c, "unchanged"};
    double limit = b * (1 + o.queryability_tolerance) + o.queryability_floor_ms;
    if (c > limit) {
      metric.verdict = "regression";
      r.findings.push_back(MakeFinding("baseline.queryability_regression", FindingLevel::kViolation,
                                       absl::StrCat("time until queryable p99 rose from ",
                                                    HumanMillis(b), " to ", HumanMillis(c)),
                                       absl::StrCat("<= ", HumanMillis(limit)), HumanMillis(c)));
    } else if (c < b * (1 - o.queryability_tolerance) - o.queryability_floor_ms) {
      metric.verdict = "improvement";
      r.findings.push_back(MakeFinding("baseline.queryability_improvement",
                                       FindingLevel::kInformation,
                                       absl::StrCat("time until queryable p99 fell from ",
                                                    HumanMillis(b), " to ", HumanMillis(c)),
                                       HumanMillis(b), HumanMillis(c)));
    }
    r.metrics.push_back(metric);
  }
  return r;
}

void ApplyBaseline(const BaselineResult& result, ReportModel* model) {
  for (const Finding& f : result.findings) {
    auto it = std::find_if(model->findings.begin(), model->findings.end(),
                           [&](const FindingRow& row) { return row.id == f.id; });
    if (it == model->findings.end()) {
      FindingRow row;
      row.id = f.id;
      row.level = FindingLevelName(f.level);
      model->findings.push_back(std::move(row));
      it = model->findings.end() - 1;
    }
    it->count += 1;
    it->examples.push_back({"", "", "", "", "", f.message, f.expected, f.actual});
  }
  std::sort(model->findings.begin(), model->findings.end(),
            [](const FindingRow& a, const FindingRow& b) { return a.id < b.id; });
  RuleResult rule;
  rule.rule = "baseline";
  for (const BaselineMetric& m : result.metrics) {
    rule.evaluated += 1;
    if (m.verdict != "regression") rule.passed += 1;
    rule.statistics["baseline." + m.name] = m.baseline;
    rule.statistics["current." + m.name] = m.current;
  }
  model->rules.erase(std::remove_if(model->rules.begin(), model->rules.end(),
                                    [](const RuleResult& r) { return r.rule == "baseline"; }),
                     model->rules.end());
  model->rules.push_back(std::move(rule));
  std::sort(model->rules.begin(), model->rules.end(),
            [](const RuleResult& a, const RuleResult& b) { return a.rule < b.rule; });
  if (result.regressed() && model->exit_code == kExitOk) model->exit_code = kExitViolation;
}

}  // namespace agentstorm::reports
