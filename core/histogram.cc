#include "core/histogram.h"

#include <algorithm>
#include <cmath>

namespace agentstorm {
namespace {

constexpr int kSubBucketBits = 7;  // 128 sub-buckets per power of two
constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
constexpr uint64_t kLinearLimit = 2 * kSubBuckets;  // values below it have their own bucket

}  // namespace

// Values below 256 map to themselves. Above, a value with its top bit at position m >= 8 is
// shifted right by s = m - 7 so that its mantissa lies in [128, 256): bucket 256 + (s-1)*128 +
// (mantissa - 128). The last bucket (m = 63) ends at UINT64_MAX, hence 256 + 56*128 buckets.
int Histogram::BucketIndex(uint64_t value) {
  if (value < kLinearLimit) return static_cast<int>(value);
  const int msb = 63 - __builtin_clzll(value);
  const int shift = msb - kSubBucketBits;
  const uint64_t mantissa = value >> shift;
  return static_cast<int>(kLinearLimit + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets));
}

uint64_t Histogram::BucketLowest(int index) {
  const auto i = static_cast<uint64_t>(index);
  if (i < kLinearLimit) return i;
  const uint64_t shift = (i - kLinearLimit) / kSubBuckets + 1;
  const uint64_t mantissa = (i - kLinearLimit) % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

uint64_t Histogram::BucketHighest(int index) {
  const auto i = static_cast<uint64_t>(index);
  if (i < kLinearLimit) return i;
  const uint64_t shift = (i - kLinearLimit) / kSubBuckets + 1;
  return BucketLowest(index) + ((uint64_t{1} << shift) - 1);
}

Histogram::Histogram() : counts_(kBucketCount, 0) {}

void Histogram::RecordN(uint64_t value, uint64_t count) {
  if (count == 0) return;
  counts_[BucketIndex(value)] += count;
  count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<unsigned __int128>(value) * count;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
}

double Histogram::Mean() const {
  if (count_ == 0) return 0;
  return static_cast<double>(static_cast<long double>(sum_) / count_);
}

uint64_t Histogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketHighest(i), min(), max_);
  }
  return max_;
}

uint64_t Histogram::CountAtMost(uint64_t value) const {
  if (count_ == 0 || value < min_) return 0;
  if (value >= max_) return count_;
  const int last = BucketIndex(value);
  uint64_t n = 0;
  for (int i = 0; i < last; ++i) n += counts_[i];
  if (BucketHighest(last) <= value) n += counts_[last];
  return n;
}

}  // namespace agentstorm
