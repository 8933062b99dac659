// Every bundled scenario, sent through a pipeline that does what the scenario expects of it,
// checks clean: generate -> in-process sink -> RunCheck gives no violation and exit 0.
// (broken-instrumentation is the exception by design: check_e2e_test.cc proves each of its
// defects is flagged.) "Does what the scenario expects": the sink applies the scenario's
// `sampling:` policy with its own fault (tail-sample / sample-traces) and strips the content a
// `redaction:` section wants gone (strip-attribute), so that a checker or
// synthesizer bug cannot hide behind a pipeline that keeps everything.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/check_config.h"
#include "checker/rules/redaction_rule.h"
#include "core/exit_codes.h"
#include "scenario/scenario_loader.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> BundledScenarios() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios")) {
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The sink faults that make the embedded sink the pipeline `expectation` describes.
std::vector<std::string> SinkFor(const SamplingExpectation& expectation) {
  switch (expectation.mode) {
    case SamplingExpectation::Mode::kNone:
      return {};
    case SamplingExpectation::Mode::kHead:
      return {absl::StrFormat("sample-traces=%g", expectation.probability)};
    case SamplingExpectation::Mode::kTail: {
      // tail-sample always keeps error traces.
      EXPECT_TRUE(expectation.keep_errors) << "tail-sample cannot drop error traces";
      std::string spec = absl::StrFormat("tail-sample=%g", expectation.probability);
      if (expectation.keep_slower_than_seconds > 0) {
        absl::StrAppendFormat(&spec, ",slow=%gs", expectation.keep_slower_than_seconds);
      }
      return {spec};
    }
  }
  return {};
}

class BundledScenarioChecksClean : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledScenarioChecksClean, NoViolationAndExitZero) {
  const std::string name = GetParam();
  const std::string path =
      (fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string();
  auto scenario = LoadScenario(path);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  std::vector<std::string> faults = SinkFor((*scenario)->sampling);
  const bool sampled = !faults.empty();
  // A scenario that wants content stripped gets a sink that strips it.
  const RedactionExpectation& redaction = (*scenario)->redaction;
  if (redaction.strip_content) {
    for (const std::string& key : RedactionRuleOptions{}.content_attributes) {
      faults.push_back("strip-attribute=" + key);
    }
  }
  for (const std::string& key : redaction.attributes) faults.push_back("strip-attribute=" + key);

  FindingSetOptions options;
  // The nightly suite mixes broken-instrumentation in on purpose: its defects are accepted by
  // the config the project ships for it (one suppression per defect), so everything else must
  // be clean and every suppression must still match.
  const std::filesystem::path config = std::filesystem::path(path).parent_path() / "check-configs" /
                                       std::filesystem::path(path).filename();
  const bool has_config = std::filesystem::exists(config);
  if (has_config) {
    auto loaded = LoadCheckConfig(config.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    options = *loaded;
  }

  // A sampling sink leaves traces that never appear: a short --wait (the in-process sink shows
  // what it keeps at once) and enough traces for the sampled fraction to be tested.
  // A fixed run ID: which traces a sampling sink keeps is a hash of their IDs, and a fresh run
  // ID each time once left none of the few broken-instrumentation traces kept (1 run in many).
  const int traces = sampled ? 600 : 200;
  E2e e =
      GenerateAndCheck(path, traces, faults, sampled ? absl::Milliseconds(800) : absl::Seconds(3),
                       options, "--run-id bundled-scenarios-clean");
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{}) << name << "\n" << e.Summary();
  EXPECT_EQ(e.result->exit_code, kExitOk) << e.Summary();
  EXPECT_EQ(e.result->traces_acknowledged, static_cast<uint64_t>(traces));
  EXPECT_GT(e.result->traces_read, 0u);
  if (!sampled) {
    EXPECT_EQ(e.result->traces_read, static_cast<uint64_t>(traces)) << e.Summary();
    EXPECT_EQ(e.result->spans_read, e.result->spans_expected) << e.Summary();
  } else {
    EXPECT_LT(e.result->traces_read, static_cast<uint64_t>(traces)) << "the sink sampled";
    ASSERT_FALSE(e.result->sampling.empty());
    for (const SamplingInterval& s : e.result->sampling) EXPECT_TRUE(s.passed) << s.population;
  }
  if (has_config) {
    uint64_t suppressed = 0;
    for (uint64_t n : e.result->findings.SuppressionMatches()) suppressed += n;
    EXPECT_GT(suppressed, 0u) << "the broken part was sent and flagged";
  }
}

std::vector<std::string> CleanScenarios() {
  std::vector<std::string> out;
  for (const std::string& n : BundledScenarios()) {
    if (n != "broken-instrumentation") out.push_back(n);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Bundled, BundledScenarioChecksClean, ::testing::ValuesIn(CleanScenarios()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(BundledScenarios, AllButBrokenInstrumentationAreCheckedClean) {
  // Guards against the directory scan finding nothing (and the suite above passing on nothing).
  EXPECT_GE(CleanScenarios().size(), 8u);
}

}  // namespace
}  // namespace agentstorm
