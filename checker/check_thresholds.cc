#include "checker/check_thresholds.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "checker/check_guards.h"

namespace agentstorm {

ThresholdFigures CheckFigures(const CheckResult& r, const Ledger* ledger, const LoadSummary* load) {
  ThresholdFigures figures;
  if (load != nullptr) {
    AddLoadFigures(*load, &figures);
  } else {
    const std::string why = "check measures export latency only inside `run`";
    figures.SetNotMeasured("export_latency", why);
    figures.SetNotMeasured("achieved_rate", "check measures the send rate only inside `run`");
    if (ledger != nullptr) {
      const size_t endpoints = std::max<size_t>(1, ledger->header.endpoints.size());
      uint64_t total = 0, rejected = 0, failed = 0, not_sent = 0;
      for (const LedgerRecord& rec : ledger->records) {
        for (size_t e = 0; e < endpoints; ++e) {
          total += rec.span_count;
          switch (rec.outcome(e)) {
            case DeliveryOutcome::kRejected:
              rejected += rec.span_count;
              break;
            case DeliveryOutcome::kFailed:
              failed += rec.span_count;
              break;
            case DeliveryOutcome::kNotSent:
            case DeliveryOutcome::kNone:
              not_sent += rec.span_count;
              break;
            case DeliveryOutcome::kAcknowledged:
              break;
          }
        }
      }
      figures.SetCounter("spans_not_acknowledged", rejected + failed + not_sent, total, "spans");
      figures.SetCounter("spans_rejected", rejected, total, "spans");
      figures.SetCounter("spans_failed", failed, total, "spans");
      figures.SetCounter("spans_not_sent", not_sent, total, "spans");
    }
  }
  if (ledger != nullptr) {
    const uint64_t acked_read = AcknowledgedTracesRead(r);
    figures.SetCounter("spans_lost", r.spans_expected - std::min(r.spans_expected, r.spans_read),
                       r.spans_expected, "acknowledged spans");
    figures.SetCounter("traces_lost",
                       r.traces_acknowledged - std::min(r.traces_acknowledged, acked_read),
                       r.traces_acknowledged, "acknowledged traces");
  } else {
    const char* why = "without a ledger nothing says what was sent";
    for (const char* m : {"spans_not_acknowledged", "spans_rejected", "spans_failed",
                          "spans_not_sent", "spans_lost", "traces_lost"})
      if (!figures.Has(m)) figures.SetNotMeasured(m, why);
  }
  if (r.queryability.measured && r.queryability.sampled > 0) {
    figures.SetTrend("time_until_queryable", r.queryability.time_us, 1000);
  } else {
    figures.SetNotMeasured("time_until_queryable",
                           r.queryability.measured
                               ? "no trace was acknowledged while the run went on"
                               : "only `agentstorm run` measures it, on a sample polled while it "
                                 "sends; a check after the run would time its own delay");
  }
  return figures;
}

void ApplyThresholds(const std::vector<Threshold>& thresholds, const ThresholdFigures& figures,
                     CheckResult* r) {
  r->thresholds = EvaluateThresholds(thresholds, figures);
  for (const ThresholdResult& t : r->thresholds) {
    r->findings.RecordEvaluation("threshold", t.passed);
    if (t.passed) continue;
    Finding f =
        CheckFinding("threshold.failed", FindingLevel::kViolation,
                     absl::StrCat("threshold ", t.threshold.text, " failed: ", t.observed_text,
                                  t.threshold.is_default
                                      ? " (a default threshold: give your own on this metric, or "
                                        "--no-default-thresholds, to accept loss)"
                                      : ""),
                     t.threshold.text, t.observed_text);
    r->findings.Add(std::move(f));
  }
}

}  // namespace agentstorm
