// The scenario language: bundled scenarios validate, broken files get precise messages.
#include "scenario/scenario_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/shard.h"
#include "scenario/units.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = AGENTSTORM_SOURCE_DIR;

std::vector<std::string> ExpectedMessages(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("# expect: ", 0) == 0) out.push_back(line.substr(10));
  return out;
}

std::string Joined(const std::vector<ScenarioDiagnostic>& errors) {
  std::string s;
  for (const auto& e : errors) s += e.ToString() + "\n";
  return s;
}

TEST(BundledScenarios, EveryOnePassesValidationAndHasADescription) {
  int count = 0;
  for (const auto& e : fs::directory_iterator(kSource / "scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    ++count;
    std::vector<ScenarioDiagnostic> errors;
    auto sc = LoadScenarioFile(e.path().string(), &errors);
    ASSERT_NE(sc, nullptr) << e.path() << "\n" << Joined(errors);
    EXPECT_FALSE(sc->description.empty()) << e.path();
    EXPECT_FALSE(sc->variants.empty()) << e.path();
    double total = 0;
    for (const auto& v : sc->variants) total += v.weight;
    EXPECT_NEAR(total, 1.0, 1e-9) << e.path();
  }
  EXPECT_GE(count, 9);
}

TEST(BundledScenarios, NightlySuiteComposesAllOthersWithPrefixedVariants) {
  std::vector<ScenarioDiagnostic> errors;
  auto sc = LoadScenarioFile((kSource / "scenarios/nightly-conformance.yaml").string(), &errors);
  ASSERT_NE(sc, nullptr) << Joined(errors);
  EXPECT_EQ(sc->parts.size(), 8u);
  EXPECT_GE(sc->FindVariant("smoke/default"), 0);
  EXPECT_GE(sc->FindVariant("runaway-loop/runaway"), 0);
  ASSERT_TRUE(sc->load.has_value());
  EXPECT_EQ(sc->load->phases.size(), 3u);
  EXPECT_EQ(sc->load->phases[2].fault_overrides.at("tool_failure"), 0.3);
  EXPECT_EQ(sc->sampling.mode, SamplingExpectation::Mode::kTail);
  EXPECT_TRUE(sc->sampling.keep_errors);
  EXPECT_DOUBLE_EQ(sc->sampling.keep_slower_than_seconds, 30);
}

// Each file in testdata/broken names the messages it must produce in "# expect:" lines.
TEST(ScenarioValidator, ReportsEveryExpectedMessageForEachBrokenFile) {
  const fs::path dir = kSource / "tests/scenario/testdata/broken";
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    const auto expected = ExpectedMessages(e.path());
    ASSERT_FALSE(expected.empty()) << e.path() << " has no # expect: line";
    std::vector<ScenarioDiagnostic> errors;
    EXPECT_EQ(LoadScenarioFile(e.path().string(), &errors), nullptr) << e.path();
    const std::string all = Joined(errors);
    for (const auto& want : expected)
      EXPECT_NE(all.find(want), std::string::npos)
          << e.path().filename() << ": missing \"" << want << "\" in:\n"
          << all;
  }
  EXPECT_GE(files, 8);
}

TEST(ScenarioValidator, CollectsAllErrorsNotJustTheFirst) {
  std::vector<ScenarioDiagnostic> errors;
  LoadScenarioFile((kSource / "tests/scenario/testdata/broken/many_errors.yaml").string(), &errors);
  EXPECT_GE(errors.size(), 4u) << Joined(errors);
}

TEST(ScenarioValidator, MessageCarriesFileLineColumnAndFieldPath) {
  std::vector<ScenarioDiagnostic> errors;
  LoadScenarioText(
      "name: x\ndescription: d\nservices: {app: {}}\nmodels: {m: {provider: openai}}\n"
      "tools: {web_search: {}}\nagents:\n  researcher:\n    model: m\n    steps:\n"
      "      - chat\n      - chat\n      - tool: web_serch\n",
      "scenarios/x.yaml", &errors);
  ASSERT_EQ(errors.size(), 1u) << Joined(errors);
  EXPECT_EQ(errors[0].ToString(),
            "scenarios/x.yaml:12:15: agents.researcher.steps[2].tool: unknown tool \"web_serch\" "
            "(did you mean \"web_search\"?)");
}

TEST(ScenarioLoader, CompilesLoadSectionIntoLoadProfile) {
  std::vector<ScenarioDiagnostic> errors;
  auto sc = LoadScenarioText(
      "description: d\nservices: {app: {}}\nmodels: {m: {provider: openai}}\n"
      "agents: {a: {model: m, steps: [chat]}}\n"
      "load:\n  phases:\n"
      "    - {name: ramp, duration: 1m, rate: 10/s, ramp_to: 200/s}\n"
      "    - {name: spans, duration: 30s, rate: 50k spans/s, arrivals: poisson, faults: {timeout: "
      "0.5}}\n"
      "redaction: {strip_content: true, attributes: [user.email]}\n"
      "sampling: {head: 0.25}\n",
      "inline.yaml", &errors);
  ASSERT_NE(sc, nullptr) << Joined(errors);
  ASSERT_TRUE(sc->load.has_value());
  const auto& p = sc->load->phases;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "ramp");
  EXPECT_DOUBLE_EQ(p[0].duration_seconds, 60);
  EXPECT_DOUBLE_EQ(p[0].start_rate, 10);
  EXPECT_DOUBLE_EQ(p[0].end_rate, 200);
  EXPECT_EQ(p[1].unit, RateUnit::kSpansPerSecond);
  EXPECT_DOUBLE_EQ(p[1].start_rate, 50000);
  EXPECT_EQ(p[1].arrivals, ArrivalProcess::kPoisson);
  EXPECT_EQ(p[1].fault_overrides.at("timeout"), 0.5);
  EXPECT_TRUE(sc->redaction.strip_content);
  EXPECT_EQ(sc->redaction.attributes, std::vector<std::string>{"user.email"});
  EXPECT_EQ(sc->sampling.mode, SamplingExpectation::Mode::kHead);
  EXPECT_DOUBLE_EQ(sc->sampling.probability, 0.25);
}

TEST(ScenarioLoader, ResolvesBundledNamesAndHonoursScenariosDirOverride) {
  const std::string dir = (kSource / "scenarios").string();
  EXPECT_EQ(ResolveScenarioPath("smoke", dir), (kSource / "scenarios/smoke.yaml").string());
  EXPECT_EQ(ResolveScenarioPath("no-such-thing", dir), "no-such-thing");
  setenv("AGENTSTORM_SCENARIOS_DIR", "/elsewhere", 1);
  EXPECT_EQ(BundledScenariosDir("/src"), "/elsewhere");
  unsetenv("AGENTSTORM_SCENARIOS_DIR");
  EXPECT_EQ(BundledScenariosDir("/src"), "/src/scenarios");
}

TEST(Units, ParsesDurationsSizesRatesAndShards) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("800ms"), 0.8);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("2m"), 120);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1.5"), 1.5);
  EXPECT_FALSE(ParseDurationSeconds("fast").ok());
  EXPECT_FALSE(ParseDurationSeconds("-1s").ok());
  EXPECT_DOUBLE_EQ(*ParseByteSize("100KB"), 100000);
  EXPECT_DOUBLE_EQ(*ParseByteSize("2KiB"), 2048);
  EXPECT_DOUBLE_EQ(ParseRate("500/s")->per_second, 500);
  EXPECT_DOUBLE_EQ(ParseRate("30/m")->per_second, 0.5);
  EXPECT_EQ(ParseRate("200k spans/s")->unit, RateUnit::kSpansPerSecond);
  EXPECT_DOUBLE_EQ(ParseRate("200k spans/s")->per_second, 200000);
  EXPECT_TRUE(ParseRate("max")->max);
  EXPECT_FALSE(ParseRate("lots").ok());
  auto s = ParseShardSpec("2/4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 4u);
  EXPECT_FALSE(ParseShardSpec("4/4").ok());
  EXPECT_FALSE(ParseShardSpec("1").ok());
}

TEST(ShardSpec, ShardsPartitionTheGlobalIndices) {
  const uint64_t total = 103;
  std::vector<int> hits(total, 0);
  for (uint32_t i = 0; i < 4; ++i) {
    const ShardSpec s{i, 4};
    for (uint64_t local = 0; local < s.LocalCount(total); ++local) {
      const uint64_t g = s.GlobalIndex(local);
      ASSERT_LT(g, total);
      EXPECT_TRUE(s.Owns(g));
      ++hits[g];
    }
  }
  for (uint64_t g = 0; g < total; ++g) EXPECT_EQ(hits[g], 1) << g;
}

TEST(Distribution, LognormalMatchesItsMedianAndP99) {
  const Distribution d = Distribution::LognormalP50P99(0.8, 6.0);
  CounterRng rng(42);
  std::vector<double> xs;
  for (int i = 0; i < 20000; ++i) xs.push_back(d.Sample(rng));
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[10000], 0.8, 0.05);
  EXPECT_NEAR(xs[19800], 6.0, 0.8);
}

TEST(Distribution, EmpiricalDrawsOnlyItsValuesWithTheirWeights) {
  const Distribution d = Distribution::Empirical({1, 2, 3}, {5, 3, 2});
  CounterRng rng(7);
  int counts[4] = {0, 0, 0, 0};
  for (int i = 0; i < 10000; ++i) {
    const double v = d.Sample(rng);
    ASSERT_TRUE(v == 1 || v == 2 || v == 3) << v;
    ++counts[static_cast<int>(v)];
  }
  EXPECT_NEAR(counts[1] / 10000.0, 0.5, 0.03);
  EXPECT_NEAR(counts[3] / 10000.0, 0.2, 0.03);
  EXPECT_DOUBLE_EQ(d.Max(), 3);
  EXPECT_NEAR(d.Mean(), 1.7, 1e-9);
}

}  // namespace
}  // namespace agentstorm
