#include "core/thresholds.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/duration.h"
#include "core/load_summary.h"

namespace agentstorm {
namespace {

using Kind = ThresholdMetric::Kind;

struct KnownMetric {
  const char* name;
  Kind kind;
};
constexpr KnownMetric kMetrics[] = {
    {"spans_not_acknowledged", Kind::kCounter},
    {"spans_rejected", Kind::kCounter},
    {"spans_failed", Kind::kCounter},
    {"spans_not_sent", Kind::kCounter},
    {"spans_lost", Kind::kCounter},
    {"traces_lost", Kind::kCounter},
    {"export_latency", Kind::kTrend},
    {"time_until_queryable", Kind::kTrend},
    {"achieved_rate", Kind::kValue},
};

const KnownMetric* FindMetric(absl::string_view name) {
  for (const KnownMetric& m : kMetrics)
    if (name == m.name) return &m;
  return nullptr;
}

std::string MetricNames() {
  std::vector<std::string> names;
  for (const KnownMetric& m : kMetrics) names.emplace_back(m.name);
  return absl::StrJoin(names, ", ");
}

const char* AggregatesOf(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "count, rate";
    case Kind::kTrend:
      return "p(N), med, avg, min, max";
    case Kind::kValue:
      return "value";
  }
  return "";
}

bool Fits(ThresholdAggregate a, Kind kind) {
  switch (a) {
    case ThresholdAggregate::kCount:
    case ThresholdAggregate::kRate:
      return kind == Kind::kCounter;
    case ThresholdAggregate::kValue:
      return kind == Kind::kValue;
    default:
      return kind == Kind::kTrend;
  }
}

const char* OpText(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::kLess:
      return "<";
    case ThresholdOp::kLessEqual:
      return "<=";
    case ThresholdOp::kGreater:
      return ">";
    case ThresholdOp::kGreaterEqual:
      return ">=";
    case ThresholdOp::kEqual:
      return "==";
    case ThresholdOp::kNotEqual:
      return "!=";
  }
  return "?";
}

std::string AggregateText(const Threshold& t) {
  switch (t.aggregate) {
    case ThresholdAggregate::kCount:
      return "count";
    case ThresholdAggregate::kRate:
      return "rate";
    case ThresholdAggregate::kPercentile:
      return absl::StrCat("p(", t.percentile, ")");
    case ThresholdAggregate::kMedian:
      return "med";
    case ThresholdAggregate::kAvg:
      return "avg";
    case ThresholdAggregate::kMin:
      return "min";
    case ThresholdAggregate::kMax:
      return "max";
    case ThresholdAggregate::kValue:
      return "value";
  }
  return "?";
}

std::string BoundText(const Threshold& t) {
  switch (t.aggregate) {
    case ThresholdAggregate::kCount:
      return absl::StrCat(static_cast<uint64_t>(t.bound));
    case ThresholdAggregate::kRate:
    case ThresholdAggregate::kValue:
      return absl::StrCat(t.bound);
    default:
      return absl::StrCat(t.bound, "ms");
  }
}

bool Compare(double observed, ThresholdOp op, double bound) {
  switch (op) {
    case ThresholdOp::kLess:
      return observed < bound;
    case ThresholdOp::kLessEqual:
      return observed <= bound;
    case ThresholdOp::kGreater:
      return observed > bound;
    case ThresholdOp::kGreaterEqual:
      return observed >= bound;
    case ThresholdOp::kEqual:
      return observed == bound;
    case ThresholdOp::kNotEqual:
      return observed != bound;
  }
  return false;
}

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "threshold \"", text, "\": ", why,
      " (the form is METRIC: AGGREGATE OP VALUE, e.g. \"export_latency: p(99)<250ms\")"));
}

std::string FormatMs(double ms) {
  if (ms < 1) return absl::StrFormat("%.3gms", ms);
  if (ms < 1000) return absl::StrFormat("%.1fms", ms);
  return absl::StrFormat("%.2fs", ms / 1000);
}

}  // namespace

absl::StatusOr<Threshold> ParseThreshold(absl::string_view text) {
  const absl::string_view whole = absl::StripAsciiWhitespace(text);
  const size_t colon = whole.find(':');
  if (colon == absl::string_view::npos) return Bad(whole, "no \":\" after the metric name");
  Threshold t;
  t.metric = std::string(absl::StripAsciiWhitespace(whole.substr(0, colon)));
  const KnownMetric* metric = FindMetric(t.metric);
  if (metric == nullptr)
    return Bad(whole, absl::StrCat("unknown metric \"", t.metric, "\"; known: ", MetricNames()));
  absl::string_view expr = absl::StripAsciiWhitespace(whole.substr(colon + 1));

  // The aggregate: an identifier, or p(N).
  size_t at = 0;
  while (at < expr.size() && std::isalpha(static_cast<unsigned char>(expr[at]))) ++at;
  const absl::string_view name = expr.substr(0, at);
  if (name == "p" && at < expr.size() && expr[at] == '(') {
    const size_t close = expr.find(')', at);
    double p = 0;
    if (close == absl::string_view::npos ||
        !absl::SimpleAtod(absl::StripAsciiWhitespace(expr.substr(at + 1, close - at - 1)), &p) ||
        !(p > 0 && p < 100))
      return Bad(whole, "p(N) needs a percentile N between 0 and 100, e.g. p(99)");
    t.aggregate = ThresholdAggregate::kPercentile;
    t.percentile = p;
    at = close + 1;
  } else if (name == "count") {
    t.aggregate = ThresholdAggregate::kCount;
  } else if (name == "rate") {
    t.aggregate = ThresholdAggregate::kRate;
  } else if (name == "med") {
    t.aggregate = ThresholdAggregate::kMedian;
  } else if (name == "avg") {
    t.aggregate = ThresholdAggregate::kAvg;
  } else if (name == "min") {
    t.aggregate = ThresholdAggregate::kMin;
  } else if (name == "max") {
    t.aggregate = ThresholdAggregate::kMax;
  } else if (name == "value") {
    t.aggregate = ThresholdAggregate::kValue;
  } else {
    return Bad(whole, absl::StrCat("unknown aggregate \"", name, "\"; ", t.metric, " takes ",
                                   AggregatesOf(metric->kind)));
  }
  if (!Fits(t.aggregate, metric->kind))
    return Bad(whole, absl::StrCat(t.metric, " takes ", AggregatesOf(metric->kind)));

  // The operator (k6's === and !== too).
  expr = absl::StripLeadingAsciiWhitespace(expr.substr(at));
  struct OpSpelling {
    const char* text;
    ThresholdOp op;
  };
  constexpr OpSpelling kOps[] = {
      {"===", ThresholdOp::kEqual},    {"!==", ThresholdOp::kNotEqual},
      {"<=", ThresholdOp::kLessEqual}, {">=", ThresholdOp::kGreaterEqual},
      {"==", ThresholdOp::kEqual},     {"!=", ThresholdOp::kNotEqual},
      {"<", ThresholdOp::kLess},       {">", ThresholdOp::kGreater}};
  bool found = false;
  for (const OpSpelling& o : kOps) {
    const absl::string_view spelled(o.text);
    if (expr.substr(0, spelled.size()) == spelled) {
      t.op = o.op;
      expr.remove_prefix(spelled.size());
      found = true;
      break;
    }
  }
  if (!found) return Bad(whole, "expected an operator: <, <=, >, >=, == or !=");

  // The bound, in the aggregate's unit.
  const absl::string_view value = absl::StripAsciiWhitespace(expr);
  if (value.empty()) return Bad(whole, "no value after the operator");
  double bound = 0;
  switch (t.aggregate) {
    case ThresholdAggregate::kCount:
      if (!absl::SimpleAtod(value, &bound) || bound < 0 || bound != std::floor(bound) ||
          bound > 1e18)
        return Bad(whole, "a count is a whole number of at least 0");
      break;
    case ThresholdAggregate::kRate: {
      const bool percent = value.back() == '%';
      if (!absl::SimpleAtod(percent ? value.substr(0, value.size() - 1) : value, &bound) ||
          !(bound >= 0) || (percent ? bound > 100 : bound > 1))
        return Bad(whole, "a rate is a fraction from 0 to 1, or a percentage such as 1%");
      if (percent) bound /= 100;
      break;
    }
    case ThresholdAggregate::kValue:
      if (!absl::SimpleAtod(value, &bound) || !std::isfinite(bound))
        return Bad(whole, "expected a number");
      break;
    default: {
      if (absl::SimpleAtod(value, &bound)) {  // a bare number is milliseconds, as in k6
        if (!(bound >= 0) || !std::isfinite(bound)) return Bad(whole, "a duration is at least 0");
        break;
      }
      auto d = ParseDuration(std::string_view(value.data(), value.size()));
      if (!d.ok()) return Bad(whole, d.status().message());
      bound = absl::ToDoubleMilliseconds(*d);
    }
  }
  t.bound = bound;
  t.text = absl::StrCat(t.metric, ": ", AggregateText(t), OpText(t.op), BoundText(t));
  return t;
}

absl::StatusOr<std::vector<Threshold>> ParseThresholds(const std::vector<std::string>& texts) {
  std::vector<Threshold> out;
  std::vector<std::string> errors;
  for (const std::string& text : texts) {
    auto t = ParseThreshold(text);
    if (t.ok()) {
      out.push_back(*std::move(t));
    } else {
      errors.emplace_back(t.status().message());
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return out;
}

std::vector<Threshold> DefaultThresholds() {
  auto t = ParseThreshold("spans_not_acknowledged: count==0");
  t->is_default = true;
  return {*t};
}

std::vector<Threshold> WithDefaultThresholds(std::vector<Threshold> given, bool defaults) {
  if (!defaults) return given;
  for (Threshold& d : DefaultThresholds()) {
    const bool named = std::any_of(given.begin(), given.end(),
                                   [&](const Threshold& t) { return t.metric == d.metric; });
    if (!named) given.push_back(std::move(d));
  }
  return given;
}

void ThresholdFigures::SetCounter(const std::string& metric, uint64_t count, uint64_t total,
                                  std::string unit) {
  ThresholdMetric& m = metrics_[metric];
  m.kind = Kind::kCounter;
  m.measured = true;
  m.count = count;
  m.total = total;
  m.unit = std::move(unit);
}

void ThresholdFigures::SetTrend(const std::string& metric, const Histogram& values,
                                double unit_ns) {
  ThresholdMetric& m = metrics_[metric];
  m.kind = Kind::kTrend;
  m.measured = values.count() > 0;
  m.trend = values;
  m.trend_unit_ns = unit_ns;
  if (!m.measured) m.why_not_measured = "no sample was measured";
}

void ThresholdFigures::SetValue(const std::string& metric, double value) {
  ThresholdMetric& m = metrics_[metric];
  m.kind = Kind::kValue;
  m.measured = true;
  m.value = value;
}

void ThresholdFigures::SetNotMeasured(const std::string& metric, std::string why) {
  ThresholdMetric& m = metrics_[metric];
  m.measured = false;
  m.why_not_measured = std::move(why);
}

bool ThresholdFigures::Has(const std::string& metric) const {
  const auto it = metrics_.find(metric);
  return it != metrics_.end() && it->second.measured;
}

const ThresholdMetric* ThresholdFigures::Find(const std::string& metric) const {
  const auto it = metrics_.find(metric);
  return it == metrics_.end() ? nullptr : &it->second;
}

void AddLoadFigures(const LoadSummary& load, ThresholdFigures* figures) {
  uint64_t rejected = 0, failed = 0, not_sent = 0;
  Histogram latency;
  for (const EndpointStats& e : load.endpoints) {
    rejected += e.spans_rejected;
    failed += e.spans_failed;
    not_sent += e.spans_not_sent;
    latency.Merge(e.latency_from_intended);
  }
  const uint64_t total = load.spans_scheduled * std::max<size_t>(1, load.endpoints.size());
  figures->SetCounter("spans_not_acknowledged", rejected + failed + not_sent, total, "spans");
  figures->SetCounter("spans_rejected", rejected, total, "spans");
  figures->SetCounter("spans_failed", failed, total, "spans");
  figures->SetCounter("spans_not_sent", not_sent, total, "spans");
  figures->SetTrend("export_latency", latency, 1);
  if (load.closed_loop || load.intended_traces_per_second <= 0) {
    figures->SetNotMeasured("achieved_rate",
                            "a closed-loop run (--rate max) has no intended rate to compare with");
  } else {
    figures->SetValue("achieved_rate",
                      load.achieved_traces_per_second / load.intended_traces_per_second);
  }
}

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const ThresholdFigures& figures) {
  std::vector<ThresholdResult> out;
  for (const Threshold& t : thresholds) {
    ThresholdResult r;
    r.threshold = t;
    const ThresholdMetric* m = figures.Find(t.metric);
    if (m == nullptr || !m->measured) {
      r.observed_text =
          absl::StrCat("not measured: ", m == nullptr ? "this command does not measure " + t.metric
                                                      : m->why_not_measured);
      out.push_back(std::move(r));
      continue;
    }
    r.measured = true;
    switch (t.aggregate) {
      case ThresholdAggregate::kCount:
      case ThresholdAggregate::kRate: {
        const double rate = m->total == 0 ? 0 : static_cast<double>(m->count) / m->total;
        r.observed =
            t.aggregate == ThresholdAggregate::kCount ? static_cast<double>(m->count) : rate;
        r.observed_text =
            absl::StrFormat("%d of %d %s (%.3g%%)", m->count, m->total, m->unit, rate * 100);
        break;
      }
      case ThresholdAggregate::kValue:
        r.observed = m->value;
        r.observed_text = absl::StrFormat("%.4g", m->value);
        break;
      default: {
        const Histogram& h = m->trend;
        const double ms_per_ns = m->trend_unit_ns * 1e-6;
        switch (t.aggregate) {
          case ThresholdAggregate::kPercentile:
            r.observed = static_cast<double>(h.Percentile(t.percentile)) * ms_per_ns;
            break;
          case ThresholdAggregate::kMedian:
            r.observed = static_cast<double>(h.Percentile(50)) * ms_per_ns;
            break;
          case ThresholdAggregate::kAvg:
            r.observed = h.Mean() * ms_per_ns;
            break;
          case ThresholdAggregate::kMin:
            r.observed = static_cast<double>(h.min()) * ms_per_ns;
            break;
          default:
            r.observed = static_cast<double>(h.max()) * ms_per_ns;
            break;
        }
        r.observed_text = absl::StrCat(AggregateText(t), " ", FormatMs(r.observed), " over ",
                                       h.count(), h.count() == 1 ? " sample" : " samples");
      }
    }
    r.passed = Compare(r.observed, t.op, t.bound);
    out.push_back(std::move(r));
  }
  return out;
}

bool AllThresholdsPassed(const std::vector<ThresholdResult>& results) {
  return std::all_of(results.begin(), results.end(),
                     [](const ThresholdResult& r) { return r.passed; });
}

std::string FormatThresholds(const std::vector<ThresholdResult>& results) {
  if (results.empty()) return "";
  size_t width = 0;
  for (const ThresholdResult& r : results) width = std::max(width, r.threshold.text.size());
  std::string out = "thresholds:\n";
  for (const ThresholdResult& r : results) {
    absl::StrAppendFormat(&out, "  %s %-*s  %s%s\n", r.passed ? "\u2713" : "\u2717",
                          static_cast<int>(width), r.threshold.text, r.observed_text,
                          r.threshold.is_default ? "  [default]" : "");
  }
  return out;
}

}  // namespace agentstorm
