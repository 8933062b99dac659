#include "checker/verify_sample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/rng.h"

namespace agentstorm {
namespace {

constexpr char kAccepted[] =
    "a fraction of the ledger's traces (0.1 or 10%) or a number of them (5000)";

uint64_t Key(const TraceId& id, uint64_t seed) {
  uint64_t hi = 0;
  uint64_t lo = 0;
  std::memcpy(&hi, id.data(), 8);
  std::memcpy(&lo, id.data() + 8, 8);
  return MixKeys(MixKeys(seed, hi), lo);
}

// P(X <= k) for X ~ Binomial(n, p), summed in log space.
double BinomialCdf(uint64_t k, uint64_t n, double p) {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  const double log_p = std::log(p);
  const double log_q = std::log1p(-p);
  const double lg_n = std::lgamma(static_cast<double>(n) + 1);
  double sum = 0;
  for (uint64_t i = 0; i <= k; ++i) {
    const double x = static_cast<double>(i);
    const double y = static_cast<double>(n - i);
    sum += std::exp(lg_n - std::lgamma(x + 1) - std::lgamma(y + 1) + x * log_p + y * log_q);
  }
  return std::min(1.0, sum);
}

}  // namespace

absl::StatusOr<VerifySpec> ParseVerifySpec(std::string_view text) {
  std::string t(text);
  absl::StripAsciiWhitespace(&t);
  VerifySpec spec;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  if (!percent) {
    uint64_t n = 0;
    if (absl::SimpleAtoi(t, &n) && t.find_first_not_of("0123456789") == std::string::npos) {
      if (n == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--verify 0 checks nothing: give ", kAccepted));
      }
      spec.count = n;
      return spec;
    }
  }
  double f = 0;
  if (!absl::SimpleAtod(t, &f) || !std::isfinite(f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--verify \"", std::string(text), "\": give ", kAccepted));
  }
  if (percent) f /= 100;
  if (f <= 0 || f > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--verify \"", std::string(text), "\" is not a fraction in (0, 1]: give ", kAccepted));
  }
  spec.fraction = f;
  return spec;
}

uint64_t VerifySampleSize(const VerifySpec& spec, uint64_t population) {
  if (population == 0) return 0;
  if (spec.count > 0) return std::min(spec.count, population);
  const double want = std::ceil(spec.fraction * static_cast<double>(population));
  return std::clamp<uint64_t>(static_cast<uint64_t>(want), 1, population);
}

std::vector<size_t> DrawVerifySample(const std::vector<TraceId>& ids, uint64_t want,
                                     uint64_t seed) {
  std::vector<size_t> out;
  if (want >= ids.size()) {
    out.resize(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) out[i] = i;
    return out;
  }
  // (key, index): ties in the key (2^-64 apart) fall to the trace ID, so the draw does not
  // depend on the order the ledger's shards were read in.
  std::vector<std::pair<uint64_t, size_t>> keyed(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) keyed[i] = {Key(ids[i], seed), i};
  auto less = [&ids](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : ids[a.second] < ids[b.second];
  };
  std::nth_element(keyed.begin(), keyed.begin() + static_cast<ptrdiff_t>(want), keyed.end(), less);
  out.reserve(want);
  for (size_t i = 0; i < want; ++i) out.push_back(keyed[i].second);
  std::sort(out.begin(), out.end());
  return out;
}

double LossRateUpperBound(uint64_t k, uint64_t n, double confidence) {
  if (n == 0 || k >= n) return 1;
  const double alpha = 1 - confidence;
  if (k == 0) return 1 - std::pow(alpha, 1.0 / static_cast<double>(n));
  // BinomialCdf(k; n, p) falls as p grows: bisect for the p where it reaches alpha.
  double lo = static_cast<double>(k) / static_cast<double>(n);
  double hi = 1;
  for (int i = 0; i < 100 && hi - lo > 1e-12; ++i) {
    const double mid = (lo + hi) / 2;
    (BinomialCdf(k, n, mid) > alpha ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace agentstorm
