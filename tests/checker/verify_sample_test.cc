// --verify: the grammar, the draw (uniform, reproducible, independent of record order) and the
// loss-rate bound (against exact binomial values computed apart).
#include "checker/verify_sample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace agentstorm {
namespace {

TraceId IdOf(uint64_t n) {
  TraceId id{};
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  id[0] = 0x4b;
  return id;
}

TEST(VerifySample, ParsesAFractionAPercentOrACount) {
  auto f = ParseVerifySpec("0.1");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_DOUBLE_EQ(f->fraction, 0.1);
  EXPECT_EQ(f->count, 0u);
  auto p = ParseVerifySpec("2.5%");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_DOUBLE_EQ(p->fraction, 0.025);
  auto n = ParseVerifySpec("5000");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->count, 5000u);
  auto whole = ParseVerifySpec("1");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->count, 1u) << "a whole number is a count";
  for (const char* bad : {"0", "0.0", "1.5", "150%", "-0.1", "ten", "", "nan", "10 traces"}) {
    auto s = ParseVerifySpec(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find("--verify"), std::string::npos) << s.status();
  }
}

TEST(VerifySample, SizesRoundUpAndNeverExceedThePopulation) {
  EXPECT_EQ(VerifySampleSize({0.1, 0}, 20000), 2000u);
  EXPECT_EQ(VerifySampleSize({0.1, 0}, 15), 2u);
  EXPECT_EQ(VerifySampleSize({0.0001, 0}, 15), 1u);
  EXPECT_EQ(VerifySampleSize({1.0, 5000}, 300), 300u);
  EXPECT_EQ(VerifySampleSize({1.0, 0}, 0), 0u);
}

TEST(VerifySample, TheDrawIsReproducibleAndIndependentOfRecordOrder) {
  std::vector<TraceId> ids;
  for (uint64_t i = 0; i < 5000; ++i) ids.push_back(IdOf(i));
  const std::vector<size_t> a = DrawVerifySample(ids, 500, 42);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<size_t>(a.begin(), a.end()).size(), 500u);
  EXPECT_EQ(DrawVerifySample(ids, 500, 42), a);
  EXPECT_NE(DrawVerifySample(ids, 500, 43), a) << "the seed does not change the draw";

  std::set<TraceId> drawn;
  for (size_t i : a) drawn.insert(ids[i]);
  std::vector<TraceId> shuffled = ids;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  std::set<TraceId> drawn_shuffled;
  for (size_t i : DrawVerifySample(shuffled, 500, 42)) drawn_shuffled.insert(shuffled[i]);
  EXPECT_EQ(drawn_shuffled, drawn) << "shards read in another order drew another sample";

  EXPECT_EQ(DrawVerifySample(ids, 9000, 42).size(), 5000u);
}

// Uniform: every tenth of the records (consecutive IDs, as a generator writes them) gets its
// share of a 10% sample, within a bound a fair draw exceeds with probability under 1e-6.
TEST(VerifySample, TheDrawIsUniformOverTheRecords) {
  std::vector<TraceId> ids;
  for (uint64_t i = 0; i < 100000; ++i) ids.push_back(IdOf(i));
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::vector<int> per_tenth(10, 0);
    for (size_t i : DrawVerifySample(ids, 10000, seed)) ++per_tenth[i / 10000];
    for (int n : per_tenth) {
      // Hypergeometric sd about 28.5 here: 5 sd either side.
      EXPECT_NEAR(n, 1000, 150) << "seed " << seed;
    }
  }
}

TEST(VerifySample, TheLossBoundIsTheClopperPearsonUpperBound) {
  // k = 0: 1 - alpha^(1/n), about 3/n at 95% (the rule of three).
  EXPECT_NEAR(LossRateUpperBound(0, 2995, 0.95), 1 - std::pow(0.05, 1.0 / 2995), 1e-12);
  EXPECT_NEAR(LossRateUpperBound(0, 2995, 0.95), 0.001, 1e-5);
  // Exact binomial values, computed apart with rational arithmetic.
  EXPECT_NEAR(LossRateUpperBound(1, 10, 0.95), 0.3941633024365047, 1e-9);
  EXPECT_NEAR(LossRateUpperBound(5, 100, 0.95), 0.10225337764327452, 1e-9);
  EXPECT_NEAR(LossRateUpperBound(3, 10000, 0.999), 0.0013055670752268322, 1e-9);
  EXPECT_EQ(LossRateUpperBound(0, 0, 0.95), 1.0);
  EXPECT_EQ(LossRateUpperBound(10, 10, 0.95), 1.0);
  // More confidence, a wider bound; a bigger sample, a narrower one.
  EXPECT_GT(LossRateUpperBound(2, 1000, 0.999), LossRateUpperBound(2, 1000, 0.95));
  EXPECT_LT(LossRateUpperBound(2, 100000, 0.95), LossRateUpperBound(2, 1000, 0.95));
}

}  // namespace
}  // namespace agentstorm
