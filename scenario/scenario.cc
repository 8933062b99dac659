#include "scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace agentstorm {
namespace {
// z-score of the 99th percentile of a standard normal.
constexpr double kZ99 = 2.3263478740408408;
}  // namespace

const char* TraceClassName(TraceClass c) {
  switch (c) {
    case TraceClass::kNormal:
      return "normal";
    case TraceClass::kError:
      return "error";
    case TraceClass::kSlow:
      return "slow";
    case TraceClass::kRunaway:
      return "runaway";
    case TraceClass::kOverflow:
      return "overflow";
  }
  return "unknown";
}

const char* FaultKindName(FaultKind f) {
  switch (f) {
    case FaultKind::kToolFailure:
      return "tool_failure";
    case FaultKind::kRunawayLoop:
      return "runaway_loop";
    case FaultKind::kContextOverflow:
      return "context_overflow";
    case FaultKind::kRateLimit:
      return "rate_limit";
    case FaultKind::kTimeout:
      return "timeout";
    case FaultKind::kOrphanSpan:
      return "orphan_span";
    case FaultKind::kMissingRoot:
      return "missing_root";
    case FaultKind::kMissingRequiredAttribute:
      return "missing_required_attribute";
    case FaultKind::kWrongSpanKind:
      return "wrong_span_kind";
    case FaultKind::kDeprecatedAttributeOnly:
      return "deprecated_attribute_only";
  }
  return "unknown";
}

bool ParseFaultKind(const std::string& name, FaultKind* out) {
  for (int i = 0; i < kFaultKindCount; ++i) {
    if (name == FaultKindName(static_cast<FaultKind>(i))) {
      *out = static_cast<FaultKind>(i);
      return true;
    }
  }
  return false;
}

const char* SemconvProfileName(SemconvProfile p) {
  switch (p) {
    case SemconvProfile::kLatest:
      return "latest";
    case SemconvProfile::kV136:
      return "v1.36";
    case SemconvProfile::kDual:
      return "dual";
  }
  return "unknown";
}

Distribution Distribution::Constant(double v) {
  Distribution d;
  d.kind = Kind::kConstant;
  d.a = v;
  return d;
}

Distribution Distribution::Uniform(double lo, double hi) {
  Distribution d;
  d.kind = Kind::kUniform;
  d.a = lo;
  d.b = hi;
  return d;
}

Distribution Distribution::Normal(double mean, double stddev) {
  Distribution d;
  d.kind = Kind::kNormal;
  d.a = mean;
  d.b = stddev;
  return d;
}

Distribution Distribution::LognormalP50P99(double p50, double p99) {
  Distribution d;
  d.kind = Kind::kLognormal;
  d.a = std::log(p50);
  d.b = (std::log(p99) - std::log(p50)) / kZ99;
  return d;
}

Distribution Distribution::Empirical(std::vector<double> values, std::vector<double> weights) {
  Distribution d;
  d.kind = Kind::kEmpirical;
  double total = 0;
  for (double w : weights) total += w;
  double acc = 0;
  for (double w : weights) {
    acc += w / total;
    d.cumulative.push_back(acc);
  }
  if (!d.cumulative.empty()) d.cumulative.back() = 1.0;
  d.values = std::move(values);
  return d;
}

double Distribution::Sample(CounterRng& rng) const {
  double v = 0;
  switch (kind) {
    case Kind::kConstant:
      v = a;
      break;
    case Kind::kUniform:
      v = a + (b - a) * rng.NextDouble();
      break;
    case Kind::kNormal:
      v = a + b * rng.NextNormal();
      break;
    case Kind::kLognormal:
      v = std::exp(a + b * rng.NextNormal());
      break;
    case Kind::kEmpirical: {
      const double u = rng.NextDouble();
      const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
      const size_t i = std::min<size_t>(it - cumulative.begin(), values.size() - 1);
      v = values[i];
      break;
    }
  }
  return v < 0 ? 0 : v;
}

double Distribution::Mean() const {
  switch (kind) {
    case Kind::kConstant:
      return a;
    case Kind::kUniform:
      return (a + b) / 2;
    case Kind::kNormal:
      return std::max(0.0, a);
    case Kind::kLognormal:
      return std::exp(a + b * b / 2);
    case Kind::kEmpirical: {
      double m = 0, prev = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        m += values[i] * (cumulative[i] - prev);
        prev = cumulative[i];
      }
      return m;
    }
  }
  return 0;
}

double Distribution::Max() const {
  switch (kind) {
    case Kind::kConstant:
      return a;
    case Kind::kUniform:
      return std::max(a, b);
    case Kind::kNormal:
    case Kind::kLognormal:
      return std::numeric_limits<double>::infinity();
    case Kind::kEmpirical:
      return *std::max_element(values.begin(), values.end());
  }
  return 0;
}

std::string Distribution::Describe() const {
  switch (kind) {
    case Kind::kConstant:
      return absl::StrFormat("%g", a);
    case Kind::kUniform:
      return absl::StrFormat("uniform(%g..%g)", a, b);
    case Kind::kNormal:
      return absl::StrFormat("normal(mean=%g, stddev=%g)", a, b);
    case Kind::kLognormal:
      return absl::StrFormat("lognormal(p50=%g, p99=%g)", std::exp(a), std::exp(a + kZ99 * b));
    case Kind::kEmpirical:
      return absl::StrFormat("empirical(%d values)", values.size());
  }
  return "?";
}

std::string Scenario::SemconvProfileLabel() const {
  if (parts.empty()) return "latest";
  const SemconvProfile first = parts[0].semconv;
  for (const auto& p : parts)
    if (p.semconv != first) return "mixed";
  return SemconvProfileName(first);
}

double AlertExpectations::FaultPhaseOffsetSeconds(const std::optional<LoadProfile>& load) const {
  if (fault_phase.empty() || !load) return 0;
  double offset = 0;
  for (const RatePhase& ph : load->phases) {
    if (ph.name == fault_phase) return offset;
    offset += ph.duration_seconds;
  }
  return 0;
}

int Scenario::FindVariant(const std::string& name) const {
  for (size_t i = 0; i < variants.size(); ++i)
    if (variants[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace agentstorm
