#include "checker/rules/sampling_rule.h"

#include <cmath>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/rules/trace_view.h"

namespace agentstorm {

using opentelemetry::proto::trace::v1::Status;

double TwoSidedZ(double confidence) {
  // Solve P(|Z| <= z) = erf(z / sqrt 2) = confidence by bisection; erf is monotone.
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (std::erf(mid / std::sqrt(2.0)) < confidence)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

WilsonInterval Wilson(uint64_t kept, uint64_t total, double confidence) {
  if (total == 0) return {0, 1};
  const double n = static_cast<double>(total);
  const double p = static_cast<double>(kept) / n;
  const double z = TwoSidedZ(confidence);
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

SamplingRule::SamplingRule(SamplingExpectation expectation, double confidence)
    : expectation_(expectation), confidence_(confidence) {}

void SamplingRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  if (trace.expected == nullptr || !trace.acknowledged) return;
  const std::vector<SpanRef> sent = trace.arrived_as_sent
                                        ? CollectSpans(*trace.received)
                                        : CollectSpans(trace.expected->resource_spans);
  const std::vector<SpanRef> got = CollectSpans(*trace.received);
  const bool kept = !got.empty();
  bool error = false;
  for (const SpanRef& s : sent) error |= s.span->status().code() == Status::STATUS_CODE_ERROR;
  const double seconds =
      static_cast<double>(trace.expected->end_unix_nano - trace.expected->start_unix_nano) / 1e9;
  const bool slow =
      expectation_.keep_slower_than_seconds > 0 && seconds > expectation_.keep_slower_than_seconds;

  auto add = [&](const char* id, std::string message, std::string expected, std::string actual) {
    Finding f;
    f.id = id;
    f.level = FindingLevel::kViolation;
    f.trace_id = trace.trace_id;
    f.message = std::move(message);
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    f.variant = trace.variant;
    findings->Add(std::move(f));
  };
  bool ok = true;
  if (kept) {
    std::unordered_set<std::string_view> ids;
    for (const SpanRef& g : got) ids.insert(g.span->span_id());
    size_t missing = 0;
    for (const SpanRef& s : sent) missing += ids.count(s.span->span_id()) == 0;
    if (missing > 0) {
      ok = false;
      add("sampling.partial_trace",
          absl::StrCat("kept trace is partial: ", missing, " of ", sent.size(), " spans missing"),
          absl::StrCat(sent.size(), " spans"), absl::StrCat(sent.size() - missing, " spans"));
    }
  }
  const bool tail = expectation_.mode == SamplingExpectation::Mode::kTail;
  if (tail && expectation_.keep_errors && error) {
    if (!kept) {
      ok = false;
      add("sampling.error_trace_dropped", "trace with an error span was not kept", "kept",
          "dropped");
    }
    absl::MutexLock lock(&mu_);
    ++errors_;
    errors_kept_ += kept;
  } else if (tail && slow) {
    if (!kept) {
      ok = false;
      add("sampling.slow_trace_dropped",
          absl::StrFormat("trace of %.3fs (slower than %gs) was not kept", seconds,
                          expectation_.keep_slower_than_seconds),
          "kept", "dropped");
    }
    absl::MutexLock lock(&mu_);
    ++slow_;
    slow_kept_ += kept;
  } else {
    absl::MutexLock lock(&mu_);
    ++rest_total_;
    rest_kept_ += kept;
  }
  findings->RecordEvaluation("sampling", ok);
}

void SamplingRule::Finish(FindingSet* findings) {
  absl::MutexLock lock(&mu_);
  Population pop;
  pop.name = expectation_.mode == SamplingExpectation::Mode::kHead ? "head" : "tail_rest";
  pop.expected = expectation_.probability;
  pop.kept = rest_kept_;
  pop.total = rest_total_;
  pop.confidence = confidence_;
  pop.interval = Wilson(pop.kept, pop.total, confidence_);
  const double observed = pop.total > 0 ? static_cast<double>(pop.kept) / pop.total : 0;
  pop.passed =
      pop.total == 0 || (pop.expected >= pop.interval.low && pop.expected <= pop.interval.high);
  const std::string& n = pop.name;
  findings->SetStatistic("sampling", n + ".expected", pop.expected);
  findings->SetStatistic("sampling", n + ".observed", observed);
  findings->SetStatistic("sampling", n + ".low", pop.interval.low);
  findings->SetStatistic("sampling", n + ".high", pop.interval.high);
  findings->SetStatistic("sampling", n + ".kept", static_cast<double>(pop.kept));
  findings->SetStatistic("sampling", n + ".total", static_cast<double>(pop.total));
  findings->SetStatistic("sampling", "confidence", confidence_);
  if (expectation_.mode == SamplingExpectation::Mode::kTail) {
    findings->SetStatistic("sampling", "tail_errors.kept", static_cast<double>(errors_kept_));
    findings->SetStatistic("sampling", "tail_errors.total", static_cast<double>(errors_));
    findings->SetStatistic("sampling", "tail_slow.kept", static_cast<double>(slow_kept_));
    findings->SetStatistic("sampling", "tail_slow.total", static_cast<double>(slow_));
  }
  findings->RecordEvaluation("sampling", pop.passed);
  if (!pop.passed) {
    Finding f;
    f.id = "sampling.rate_out_of_bounds";
    f.level = FindingLevel::kViolation;
    f.message = absl::StrFormat(
        "%s: kept %d of %d traces (%.4f); the %.1f%% Wilson interval [%.4f, %.4f] does not "
        "contain the expected %.4f",
        n, pop.kept, pop.total, observed, confidence_ * 100, pop.interval.low, pop.interval.high,
        pop.expected);
    f.expected = absl::StrFormat("%g", pop.expected);
    f.actual =
        absl::StrFormat("%.4f in [%.4f, %.4f]", observed, pop.interval.low, pop.interval.high);
    findings->Add(std::move(f));
  }
  populations_ = {pop};
}

std::vector<SamplingRule::Population> SamplingRule::populations() const {
  absl::MutexLock lock(&mu_);
  return populations_;
}

}  // namespace agentstorm
