#include "core/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace agentstorm {
namespace {

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.Percentile(99), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
  EXPECT_DOUBLE_EQ(h.Mean(), 127.5);
  EXPECT_EQ(h.Percentile(50), 127u);
  EXPECT_EQ(h.Percentile(100), 255u);
}

TEST(Histogram, EveryBucketContainsItsBoundsAndIsWithinOnePercent) {
  for (int i = 0; i < Histogram::kBucketCount; ++i) {
    const uint64_t lo = Histogram::BucketLowest(i);
    const uint64_t hi = Histogram::BucketHighest(i);
    ASSERT_EQ(Histogram::BucketIndex(lo), i);
    ASSERT_EQ(Histogram::BucketIndex(hi), i);
    if (i + 1 < Histogram::kBucketCount) {
      ASSERT_EQ(Histogram::BucketLowest(i + 1), hi + 1);
    }
    ASSERT_LE(static_cast<double>(hi - lo), static_cast<double>(hi) * 0.01);
  }
  EXPECT_EQ(Histogram::BucketHighest(Histogram::kBucketCount - 1), UINT64_MAX);
}

TEST(Histogram, PercentilesOfAUniformRangeAreWithinOnePercent) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000000; ++v) h.Record(v * 1000);  // 1 us .. 1 s in ns
  for (double p : {1.0, 25.0, 50.0, 90.0, 99.0, 99.9}) {
    const double expected = p / 100.0 * 1e9;
    EXPECT_NEAR(static_cast<double>(h.Percentile(p)), expected, expected * 0.01) << "p" << p;
  }
  EXPECT_EQ(h.Percentile(100), 1000000000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_NEAR(h.Mean(), 500000500.0, 1e-3);
}

TEST(Histogram, PercentileIsClampedToRecordedRange) {
  Histogram h;
  h.Record(1000003);
  EXPECT_EQ(h.Percentile(0), 1000003u);
  EXPECT_EQ(h.Percentile(50), 1000003u);
  EXPECT_EQ(h.Percentile(100), 1000003u);
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 50000; v += 7) {
    (v % 2 ? a : b).Record(v * v);
    all.Record(v * v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.Mean(), all.Mean());
  for (double p : {10.0, 50.0, 99.0, 99.99}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
}

TEST(Histogram, RecordsExtremesAndResets) {
  Histogram h;
  h.Record(UINT64_MAX);
  h.RecordN(5, 3);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.Percentile(75), 5u);
  EXPECT_EQ(h.Percentile(100), UINT64_MAX);
  h.Reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
}

TEST(Histogram, CountAtMostIsExactForSmallValuesAndErrsLowByOneBucket) {
  Histogram h;
  EXPECT_EQ(h.CountAtMost(100), 0u);
  for (uint64_t v = 1; v <= 200; ++v) h.Record(v);
  EXPECT_EQ(h.CountAtMost(0), 0u);
  EXPECT_EQ(h.CountAtMost(100), 100u);  // below 256 every value has a bucket of its own
  EXPECT_EQ(h.CountAtMost(200), 200u);
  EXPECT_EQ(h.CountAtMost(UINT64_MAX), 200u);
  Histogram big;
  for (uint64_t v = 1'000'000; v < 2'000'000; v += 1000) big.Record(v);  // 1000 values
  for (uint64_t bound : {1'000'000ull, 1'250'000ull, 1'500'000ull, 1'999'000ull}) {
    const uint64_t exact = (bound - 1'000'000) / 1000 + 1;
    const uint64_t got = big.CountAtMost(bound);
    EXPECT_LE(got, exact) << bound;
    // One bucket is within 1% of its values: at most ~1% of this range's 1000 values.
    EXPECT_GE(got + 20, exact) << bound;
  }
  EXPECT_EQ(big.CountAtMost(999'999), 0u);
  EXPECT_EQ(big.CountAtMost(1'999'000), 1000u);
}

}  // namespace
}  // namespace agentstorm
