// Capacity search: ramp then binary search, against a fake pipeline and a real in-process sink.
#include "generator/capacity.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "scenario/scenario_loader.h"
#include "sink/sink.h"

namespace agentstorm {
namespace {

// A pipeline that loses spans above `knee` spans/s.
CapacityProbeFn FakePipeline(double knee, int* calls) {
  return [knee, calls](double rate) {
    ++*calls;
    CapacityProbe p;
    p.spans_scheduled = static_cast<uint64_t>(rate);
    p.spans_lost = rate > knee ? static_cast<uint64_t>(rate - knee) : 0;
    p.spans_acknowledged = p.spans_scheduled - p.spans_lost;
    p.achieved_spans_per_second = static_cast<double>(p.spans_acknowledged);
    p.p99_seconds = 0.01;
    return p;
  };
}

TEST(Capacity, RampsThenBinarySearchesToTheKneeWithinPrecision) {
  int calls = 0;
  CapacityOptions o;
  o.start_rate = 10'000;
  o.precision = 0.02;
  CapacityResult r = FindCapacity(o, FakePipeline(37'000, &calls));
  EXPECT_TRUE(r.knee_found);
  EXPECT_LE(r.sustained_spans_per_second, 37'000);
  EXPECT_GE(r.sustained_spans_per_second, 37'000 * 0.98);
  ASSERT_GE(r.probes.size(), 4u);
  // 10k, 20k pass, 40k fails: the ramp; then the search.
  EXPECT_EQ(r.probes[0].phase, "ramp");
  EXPECT_TRUE(r.probes[1].passed);
  EXPECT_FALSE(r.probes[2].passed);
  EXPECT_EQ(r.probes[2].target_spans_per_second, 40'000);
  EXPECT_EQ(r.probes[3].phase, "search");
  EXPECT_EQ(r.probes[3].target_spans_per_second, 30'000);
  EXPECT_EQ(calls, static_cast<int>(r.probes.size()));
}

TEST(Capacity, LatencyOverTheSloFailsAProbe) {
  CapacityOptions o;
  o.slo_p99_seconds = 0.5;
  CapacityProbe p;
  p.target_spans_per_second = 1000;
  p.achieved_spans_per_second = 1000;
  p.spans_scheduled = p.spans_acknowledged = 1000;
  p.p99_seconds = 0.6;
  EXPECT_FALSE(ProbePasses(p, o));
  p.p99_seconds = 0.4;
  EXPECT_TRUE(ProbePasses(p, o));
  p.achieved_spans_per_second = 800;  // the generator could not keep the rate
  EXPECT_FALSE(ProbePasses(p, o));
}

TEST(Capacity, NoKneeBelowMaxRateReportsMaxRate) {
  int calls = 0;
  CapacityOptions o;
  o.start_rate = 1000;
  o.max_rate = 5000;
  CapacityResult r = FindCapacity(o, FakePipeline(1e9, &calls));
  EXPECT_FALSE(r.knee_found);
  EXPECT_EQ(r.sustained_spans_per_second, 5000);
  EXPECT_EQ(r.probes.back().target_spans_per_second, 5000);
  EXPECT_EQ(NoKneeReason(r, o), "no knee below --max-rate");
}

// Every probe passed but --max-probes ran out below --max-rate: the line must not blame
// --max-rate (it read "no knee below --max-rate" with --max-rate at 100M spans/s).
TEST(Capacity, NoKneeWithinMaxProbesSaysSo) {
  int calls = 0;
  CapacityOptions o;
  o.start_rate = 1000;
  o.max_probes = 2;
  CapacityResult r = FindCapacity(o, FakePipeline(1e9, &calls));
  EXPECT_FALSE(r.knee_found);
  EXPECT_EQ(r.sustained_spans_per_second, 2000);
  EXPECT_EQ(NoKneeReason(r, o), "no knee within --max-probes 2; a higher rate may pass");
  CapacityResult knee = FindCapacity(o, FakePipeline(1500, &calls));
  EXPECT_EQ(NoKneeReason(knee, o), "");
}

TEST(Capacity, FirstProbeFailingSearchesDownward) {
  int calls = 0;
  CapacityOptions o;
  o.start_rate = 10'000;
  o.precision = 0.1;
  CapacityResult r = FindCapacity(o, FakePipeline(3'000, &calls));
  EXPECT_GT(r.sustained_spans_per_second, 0);
  EXPECT_LE(r.sustained_spans_per_second, 3'000);
}

TEST(Capacity, JsonCarriesTheCurve) {
  int calls = 0;
  CapacityOptions o;
  CapacityResult r = FindCapacity(o, FakePipeline(25'000, &calls));
  nlohmann::json j = CapacityToJson(r, o, "grpc 127.0.0.1:4317", "smoke");
  EXPECT_EQ(j["sustained_spans_per_second"], r.sustained_spans_per_second);
  EXPECT_EQ(j["probes"].size(), r.probes.size());
  EXPECT_TRUE(j["probes"][0].contains("loss_fraction"));
  EXPECT_NE(FormatCapacityTable(r).find("target span/s"), std::string::npos);
}

// The real engine against an in-process sink that holds only `max_spans`: a fresh sink per probe,
// so a probe loses spans exactly when rate * duration exceeds it, which puts a knee at
// max_spans / duration.
TEST(Capacity, FindsTheKneeOfASmallSinkWithTheLoadEngine) {
  auto sc = LoadScenario(
      (std::filesystem::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / "smoke.yaml").string());
  ASSERT_TRUE(sc.ok()) << sc.status();
  constexpr double kProbeSeconds = 0.5;
  constexpr size_t kMaxSpans = 1600;  // knee near 3200 spans/s
  CapacityProbeFn probe = [&](double rate) {
    sink::SinkOptions so;
    so.grpc_address = "127.0.0.1:0";
    so.http_address = "";
    so.query_address = "";
    so.max_spans = kMaxSpans;
    auto s = sink::Sink::Start(so);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return CapacityProbe{};
    ExporterOptions eo;
    eo.endpoint = "127.0.0.1:" + std::to_string((*s)->grpc_port());
    eo.insecure = true;
    CapacityProbe p = MakeLoadEngineProbe(*sc, eo, kProbeSeconds, 1)(rate);
    (void)(*s)->Shutdown(absl::Seconds(1));
    return p;
  };
  CapacityOptions o;
  o.start_rate = 800;
  o.precision = 0.25;
  o.max_probes = 6;
  o.slo_p99_seconds = 5;
  o.probe_seconds = kProbeSeconds;
  CapacityResult r = FindCapacity(o, probe);
  ASSERT_TRUE(r.knee_found);
  EXPECT_GE(r.sustained_spans_per_second, 1600);
  EXPECT_LE(r.sustained_spans_per_second, 3200 * 1.1);
  bool lost = false;
  for (const CapacityProbe& p : r.probes) lost |= !p.passed && p.spans_lost > 0;
  EXPECT_TRUE(lost);
}

}  // namespace
}  // namespace agentstorm
