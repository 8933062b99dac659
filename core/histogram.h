// A latency histogram in the style of HdrHistogram: log-linear buckets (128 linear sub-buckets
// per power of two), so every recorded value is kept within 1% relative precision, in fixed
// memory (~58 KiB) whatever the range, for any uint64 value. Histograms merge exactly, so each
// thread can record into its own and a summary merges them.
//
// Not thread-safe: one writer at a time (callers lock or keep one per thread).
#pragma once

#include <cstdint>
#include <vector>

namespace agentstorm {

class Histogram {
 public:
  // Relative width of a bucket: a reported value v stands for a recorded value in
  // [v * (1 - kRelativePrecision), v].
  static constexpr double kRelativePrecision = 1.0 / 128;

  Histogram();

  void Record(uint64_t value) { RecordN(value, 1); }
  void RecordN(uint64_t value, uint64_t count);
  // Adds every value recorded in `other` to this histogram.
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  // Exact minimum and maximum recorded values (0 when empty).
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  // Exact mean of the recorded values (0 when empty).
  double Mean() const;
  // The value at percentile p in [0, 100]: the highest value equivalent (within the precision)
  // to the recorded value of rank ceil(p/100 * count), clamped to [min, max]. 0 when empty.
  uint64_t Percentile(double p) const;
  // How many recorded values are at most `value`, to the precision of the buckets: the values
  // of the bucket holding `value` count when that bucket lies wholly at or below it, so the
  // answer errs low by at most that one bucket (what a Prometheus `le` bucket may show).
  uint64_t CountAtMost(uint64_t value) const;

  // Bucket arithmetic, exposed for tests.
  static int BucketIndex(uint64_t value);
  static uint64_t BucketLowest(int index);
  static uint64_t BucketHighest(int index);
  static constexpr int kBucketCount = 256 + 56 * 128;

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace agentstorm
