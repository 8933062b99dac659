#include "scenario/rate_parser.h"

#include <gtest/gtest.h>

namespace agentstorm {
namespace {

LoadProfile Parse(std::string_view rate, double duration, uint64_t traces = 0) {
  auto p = ParseLoadProfile(rate, duration, traces);
  EXPECT_TRUE(p.ok()) << rate << ": " << p.status();
  return p.ok() ? *p : LoadProfile{};
}

std::string Error(std::string_view rate, double duration, uint64_t traces = 0) {
  auto p = ParseLoadProfile(rate, duration, traces);
  EXPECT_FALSE(p.ok()) << rate << " parsed";
  return p.ok() ? "" : std::string(p.status().message());
}

TEST(RateParser, ConstantRateLastsTheDuration) {
  LoadProfile p = Parse("500/s", 30);
  ASSERT_EQ(p.phases.size(), 1u);
  EXPECT_FALSE(p.max_rate);
  EXPECT_EQ(p.phases[0].start_rate, 500);
  EXPECT_EQ(p.phases[0].end_rate, 500);
  EXPECT_EQ(p.phases[0].duration_seconds, 30);
  EXPECT_EQ(p.phases[0].unit, RateUnit::kTracesPerSecond);
  EXPECT_EQ(p.phases[0].arrivals, ArrivalProcess::kConstant);
}

TEST(RateParser, BareNumberIsTracesPerSecond) {
  EXPECT_EQ(Parse("500", 10).phases[0].start_rate, 500);
}

TEST(RateParser, SpansPerSecondWithMultipliers) {
  LoadProfile p = Parse("200k spans/s", 10);
  EXPECT_EQ(p.phases[0].start_rate, 200000);
  EXPECT_EQ(p.phases[0].unit, RateUnit::kSpansPerSecond);
  EXPECT_EQ(Parse("1.5M/s", 10).phases[0].start_rate, 1.5e6);
}

TEST(RateParser, MaxIsClosedLoop) {
  LoadProfile p = Parse("max", 0, 1000);
  EXPECT_TRUE(p.max_rate);
  EXPECT_NE(Error("max", 0).find("--duration or --traces"), std::string::npos);
}

TEST(RateParser, PoissonPrefixSetsArrivals) {
  LoadProfile p = Parse("poisson:500/s", 5);
  EXPECT_EQ(p.phases[0].arrivals, ArrivalProcess::kPoisson);
  EXPECT_EQ(p.phases[0].start_rate, 500);
}

TEST(RateParser, RampThenHoldsTheEndRateForTheRestOfTheDuration) {
  LoadProfile p = Parse("0 -> 5000/s over 30s", 60);
  ASSERT_EQ(p.phases.size(), 2u);
  EXPECT_EQ(p.phases[0].start_rate, 0);
  EXPECT_EQ(p.phases[0].end_rate, 5000);
  EXPECT_EQ(p.phases[0].duration_seconds, 30);
  EXPECT_EQ(p.phases[1].start_rate, 5000);
  EXPECT_EQ(p.phases[1].end_rate, 5000);
  EXPECT_EQ(p.phases[1].duration_seconds, 30);
}

TEST(RateParser, RampCutShortEndsAtItsInterpolatedRate) {
  LoadProfile p = Parse("0 -> 5000/s over 30s", 15);
  ASSERT_EQ(p.phases.size(), 1u);
  EXPECT_DOUBLE_EQ(p.phases[0].end_rate, 2500);
  EXPECT_DOUBLE_EQ(p.phases[0].duration_seconds, 15);
}

TEST(RateParser, RampAloneLastsItsOwnDuration) {
  LoadProfile p = Parse("100 -> 0/s over 10s", 0);
  EXPECT_EQ(ProfileSeconds(p), 10);
}

TEST(RateParser, StepsWithOpenLastStep) {
  LoadProfile p = Parse("100/s for 10s, 500/s for 10s, 50/s", 30);
  ASSERT_EQ(p.phases.size(), 3u);
  EXPECT_EQ(p.phases[1].start_rate, 500);
  EXPECT_EQ(p.phases[2].duration_seconds, 10);
  EXPECT_EQ(ProfileSeconds(p), 30);
}

TEST(RateParser, StepsWithoutDurationFlagUseTheirOwnDurations) {
  EXPECT_EQ(ProfileSeconds(Parse("100/s for 10s, 500/s for 5s", 0)), 15);
}

TEST(RateParser, TracesOnlyLeavesAnOpenLastPhase) {
  LoadProfile p = Parse("500/s", 0, 1000);
  ASSERT_EQ(p.phases.size(), 1u);
  EXPECT_EQ(p.phases[0].duration_seconds, 0);
}

TEST(RateParser, BurstRepeatsOverTheDuration) {
  LoadProfile p = Parse("100/s with burst 2000/s for 2s every 10s", 25);
  ASSERT_EQ(p.phases.size(), 5u);
  EXPECT_EQ(p.phases[0].start_rate, 100);
  EXPECT_EQ(p.phases[0].duration_seconds, 8);
  EXPECT_EQ(p.phases[1].start_rate, 2000);
  EXPECT_EQ(p.phases[1].duration_seconds, 2);
  EXPECT_EQ(p.phases[4].start_rate, 100);
  EXPECT_EQ(p.phases[4].duration_seconds, 5);
  EXPECT_EQ(ProfileSeconds(p), 25);
}

TEST(RateParser, ClearErrors) {
  EXPECT_NE(Error("fast", 10).find("not a rate"), std::string::npos);
  EXPECT_NE(Error("500/s", 0).find("--duration or --traces"), std::string::npos);
  EXPECT_NE(Error("100/s, 200/s for 5s", 10).find("needs \"for DURATION\""), std::string::npos);
  EXPECT_NE(Error("0 -> 100/s", 10).find("over DURATION"), std::string::npos);
  EXPECT_NE(Error("0/s", 10).find("zero throughout"), std::string::npos);
  EXPECT_NE(Error("100/s with burst 10/s for 20s every 10s", 30).find("shorter"),
            std::string::npos);
  EXPECT_NE(Error("100/s with burst 10/s for 2s every 10s", 0, 50).find("--duration"),
            std::string::npos);
  EXPECT_NE(Error("10 traces/s -> 50 spans/s over 5s", 10).find("mix"), std::string::npos);
  EXPECT_NE(Error("100/s for 3 parsecs", 10).find("duration"), std::string::npos);
  EXPECT_NE(Error("100 -> 0/s over 5s", 0, 1000).find("rate 0"), std::string::npos);
}

TEST(RateParser, DescribesProfiles) {
  EXPECT_EQ(DescribeLoadProfile(Parse("0 -> 100/s over 10s", 0)), "0 -> 100 traces/s over 10s");
  EXPECT_EQ(DescribeLoadProfile(Parse("poisson:20 spans/s", 3)), "20 spans/s for 3s (poisson)");
}

}  // namespace
}  // namespace agentstorm
