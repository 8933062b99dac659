#include "generator/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <set>
#include <vector>

namespace agentstorm {
namespace {

using std::chrono::nanoseconds;

RatePhase Phase(double seconds, double r0, double r1,
                ArrivalProcess arrivals = ArrivalProcess::kConstant,
                RateUnit unit = RateUnit::kTracesPerSecond) {
  RatePhase p;
  p.duration_seconds = seconds;
  p.start_rate = r0;
  p.end_rate = r1;
  p.arrivals = arrivals;
  p.unit = unit;
  return p;
}

LoadProfile Profile(std::vector<RatePhase> phases) {
  LoadProfile p;
  p.phases = std::move(phases);
  return p;
}

std::vector<Arrival> All(Scheduler& s) {
  std::vector<Arrival> out;
  while (auto a = s.Next()) out.push_back(*a);
  return out;
}

double Seconds(nanoseconds n) { return std::chrono::duration<double>(n).count(); }

// Arrivals with intended time in [from, to).
int CountIn(const std::vector<Arrival>& arrivals, double from, double to) {
  int n = 0;
  for (const Arrival& a : arrivals) n += Seconds(a.offset) >= from && Seconds(a.offset) < to;
  return n;
}

TEST(Scheduler, ConstantRateIsEvenlySpaced) {
  Scheduler s(Profile({Phase(10, 500, 500)}), {});
  auto arrivals = All(s);
  ASSERT_EQ(arrivals.size(), 5000u);
  for (size_t k = 0; k < arrivals.size(); ++k) {
    ASSERT_EQ(arrivals[k].index, k);
    ASSERT_EQ(arrivals[k].offset.count(), static_cast<int64_t>(k) * 2000000);
    ASSERT_EQ(arrivals[k].phase, 0);
  }
}

TEST(Scheduler, RampFollowsTheIntegralOfTheRate) {
  // 0 -> 1000/s over 10s: Λ(t) = 50 t², 5000 traces in total, 1250 in the first 5 s.
  Scheduler s(Profile({Phase(10, 0, 1000)}), {});
  auto arrivals = All(s);
  EXPECT_EQ(arrivals.size(), 5000u);
  EXPECT_EQ(CountIn(arrivals, 0, 5), 1250);
  for (int second = 0; second < 10; ++second) {
    const int expected = 50 * ((second + 1) * (second + 1) - second * second);
    EXPECT_NEAR(CountIn(arrivals, second, second + 1), expected, 1) << "second " << second;
  }
  EXPECT_DOUBLE_EQ(s.IntendedCount(5), 1250);
  EXPECT_DOUBLE_EQ(s.RateAt(2.5), 250);
}

TEST(Scheduler, DownwardRampAndStepsKeepTheirCounts) {
  Scheduler s(Profile({Phase(2, 100, 100), Phase(4, 300, 100), Phase(2, 0, 0), Phase(1, 50, 50)}),
              {});
  auto arrivals = All(s);
  EXPECT_EQ(CountIn(arrivals, 0, 2), 200);
  EXPECT_EQ(CountIn(arrivals, 2, 6), 800);
  EXPECT_EQ(CountIn(arrivals, 6, 8), 0);
  EXPECT_EQ(CountIn(arrivals, 8, 9), 50);
  EXPECT_EQ(arrivals.size(), 1050u);
  EXPECT_EQ(arrivals[199].phase, 0);
  EXPECT_EQ(arrivals[200].phase, 1);
  EXPECT_EQ(arrivals.back().phase, 3);
  // Monotone in time.
  for (size_t k = 1; k < arrivals.size(); ++k)
    ASSERT_GE(arrivals[k].offset, arrivals[k - 1].offset);
}

TEST(Scheduler, PoissonArrivalsHaveExponentialGapsWithTheRightMeanAndVariance) {
  Scheduler s(Profile({Phase(100, 1000, 1000, ArrivalProcess::kPoisson)}), {.seed = 42});
  auto arrivals = All(s);
  // Count over 100 s: mean 100000, sd ~316.
  EXPECT_NEAR(static_cast<double>(arrivals.size()), 100000, 1500);
  // Counts per 100 ms window: Poisson(100), so variance ≈ mean.
  std::vector<int> windows(1000, 0);
  for (const Arrival& a : arrivals) ++windows[static_cast<size_t>(Seconds(a.offset) * 10)];
  double mean = 0, var = 0;
  for (int w : windows) mean += w;
  mean /= windows.size();
  for (int w : windows) var += (w - mean) * (w - mean);
  var /= windows.size() - 1;
  EXPECT_NEAR(mean, 100, 2);
  EXPECT_NEAR(var / mean, 1.0, 0.15);
}

TEST(Scheduler, PoissonScheduleIsDeterministicForASeed) {
  auto profile = Profile({Phase(1, 500, 500, ArrivalProcess::kPoisson)});
  Scheduler a(profile, {.seed = 7}), b(profile, {.seed = 7}), c(profile, {.seed = 8});
  auto x = All(a), y = All(b), z = All(c);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(x[i].offset, y[i].offset);
  bool differs = x.size() != z.size();
  for (size_t i = 0; !differs && i < x.size(); ++i) differs = x[i].offset != z[i].offset;
  EXPECT_TRUE(differs);
}

TEST(Scheduler, SpansPerSecondUsesTheMeanTraceSize) {
  Scheduler s(Profile({Phase(2, 1000, 1000, ArrivalProcess::kConstant, RateUnit::kSpansPerSecond)}),
              {.mean_spans_per_trace = 10});
  EXPECT_EQ(All(s).size(), 200u);
}

TEST(Scheduler, TraceLimitEndsTheRunAndTheLastRateContinues) {
  Scheduler s(Profile({Phase(1, 100, 100)}), {.max_traces = 250});
  auto arrivals = All(s);
  ASSERT_EQ(arrivals.size(), 250u);
  EXPECT_NEAR(Seconds(arrivals.back().offset), 2.49, 1e-9);
  EXPECT_EQ(arrivals.back().phase, 0);
}

TEST(Scheduler, DurationLimitCutsTheSchedule) {
  Scheduler s(Profile({Phase(0, 100, 100)}), {.max_traces = 1000, .max_seconds = 3});
  EXPECT_EQ(All(s).size(), 300u);
}

TEST(Scheduler, ShardsPartitionTheUnshardedRunWithTheSameTimes) {
  auto profile = Profile({Phase(3, 200, 800, ArrivalProcess::kPoisson)});
  Scheduler whole(profile, {.seed = 3});
  auto all = All(whole);
  std::set<std::pair<uint64_t, int64_t>> expected, got;
  for (const Arrival& a : all) expected.insert({a.index, a.offset.count()});
  for (uint32_t i = 0; i < 3; ++i) {
    Scheduler shard(profile, {.seed = 3, .shard = ShardSpec{i, 3}});
    for (const Arrival& a : All(shard)) {
      EXPECT_EQ(a.index % 3, i);
      EXPECT_TRUE(got.insert({a.index, a.offset.count()}).second);
    }
  }
  EXPECT_EQ(got, expected);
}

TEST(Scheduler, ClosedLoopUsesTheCallersClock) {
  LoadProfile p = Profile({Phase(5, 0, 0)});
  p.max_rate = true;
  Scheduler s(p, {});
  EXPECT_TRUE(s.closed_loop());
  auto a = s.Next(nanoseconds(1234));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->offset.count(), 1234);
  EXPECT_EQ(a->index, 0u);
  EXPECT_TRUE(s.Next(std::chrono::seconds(4)));
  EXPECT_FALSE(s.Next(std::chrono::seconds(5)));
}

TEST(Scheduler, ZeroRateForeverEndsTheSchedule) {
  Scheduler s(Profile({Phase(1, 10, 0)}), {.max_traces = 1000});
  EXPECT_EQ(All(s).size(), 5u);
}

}  // namespace
}  // namespace agentstorm
