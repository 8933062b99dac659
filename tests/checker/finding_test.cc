#include "checker/finding.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "checker/check_config.h"

namespace agentstorm {
namespace {

Finding Make(const std::string& id, FindingLevel level, const std::string& span_name = "chat m",
             const std::string& attribute = "") {
  Finding f;
  f.id = id;
  f.level = level;
  f.trace_id = "0123456789abcdef0123456789abcdef";
  f.span_id = "0123456789abcdef";
  f.span_name = span_name;
  f.attribute = attribute;
  f.message = "m";
  return f;
}

TEST(Finding, FamilyIsThePartBeforeTheFirstDot) {
  EXPECT_EQ(Make("semconv.required_attribute_missing", FindingLevel::kViolation).family(),
            "semconv");
  EXPECT_EQ(Make("plain", FindingLevel::kViolation).family(), "plain");
}

TEST(FindingLevel, NamesRoundTrip) {
  for (FindingLevel l :
       {FindingLevel::kInformation, FindingLevel::kImprovement, FindingLevel::kViolation}) {
    EXPECT_EQ(ParseFindingLevel(FindingLevelName(l)), l);
  }
  EXPECT_FALSE(ParseFindingLevel("fatal").has_value());
}

TEST(FindingSet, CountsEveryFindingButKeepsOnlyTheFirstKExamples) {
  FindingSetOptions options;
  options.examples_per_id = 3;
  FindingSet set(options);
  for (int i = 0; i < 1000; ++i) {
    Finding f = Make("hierarchy.orphan_span", FindingLevel::kViolation);
    f.span_id = std::to_string(i);
    set.Add(f);
  }
  set.Add(Make("semconv.recommended_coverage", FindingLevel::kInformation));
  std::vector<FindingSummary> s = set.Summaries();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "hierarchy.orphan_span");
  EXPECT_EQ(s[0].count, 1000u);
  ASSERT_EQ(s[0].examples.size(), 3u);
  EXPECT_EQ(s[0].examples[0].span_id, "0");
  EXPECT_EQ(s[0].examples[2].span_id, "2");
  EXPECT_EQ(set.Count("hierarchy.orphan_span"), 1000u);
  EXPECT_EQ(set.CountAtLevel(FindingLevel::kViolation), 1000u);
  EXPECT_EQ(set.CountAtLevel(FindingLevel::kInformation), 1u);
  EXPECT_TRUE(set.HasViolations());
}

TEST(FindingSet, OnlyViolationsMakeTheRunFail) {
  FindingSet set;
  set.Add(Make("semconv.conditionally_required_missing", FindingLevel::kImprovement));
  set.Add(Make("semconv.unknown_enum_value", FindingLevel::kInformation));
  EXPECT_FALSE(set.HasViolations());
}

TEST(FindingSet, ConfiguredLevelOverridesTheRulesLevelExactIdBeforeFamily) {
  FindingSetOptions options;
  options.levels["semconv.*"] = FindingLevel::kInformation;
  options.levels["semconv.span_kind_mismatch"] = FindingLevel::kViolation;
  FindingSet set(options);
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kViolation));
  set.Add(Make("semconv.span_kind_mismatch", FindingLevel::kImprovement));
  EXPECT_EQ(set.CountAtLevel(FindingLevel::kViolation), 1u);
  EXPECT_EQ(set.CountAtLevel(FindingLevel::kInformation), 1u);
  std::vector<FindingSummary> s = set.Summaries();
  EXPECT_EQ(s[0].id, "semconv.deprecated_attribute");
  EXPECT_EQ(s[0].level, FindingLevel::kInformation);
  EXPECT_EQ(s[0].examples[0].level, FindingLevel::kInformation);
}

TEST(FindingSet, ExpectedViolationSuppressesOnlyWhatItMatches) {
  FindingSetOptions options;
  options.expected_violations.push_back(
      {"semconv.deprecated_attribute", "SDK 1.2 still sends it", "chat *", "gen_ai.system", ""});
  FindingSet set(options);
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kViolation, "chat gpt-4o",
               "gen_ai.system"));
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kViolation, "chat gpt-4o",
               "gen_ai.usage.prompt_tokens"));
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kViolation, "execute_tool x",
               "gen_ai.system"));
  std::vector<FindingSummary> s = set.Summaries();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].count, 2u);
  EXPECT_EQ(s[0].suppressed, 1u);
  EXPECT_EQ(set.SuppressionMatches(), std::vector<uint64_t>{1});
  set.Finish();
  EXPECT_EQ(set.Count("config.stale_suppression"), 0u);
}

TEST(FindingSet, ReportsASuppressionThatMatchedNothingAsStale) {
  FindingSetOptions options;
  options.expected_violations.push_back(
      {"fidelity.value_changed", "collector truncates long values", "", "", ""});
  FindingSet set(options);
  set.Add(Make("hierarchy.orphan_span", FindingLevel::kViolation));
  set.Finish();
  ASSERT_EQ(set.Count("config.stale_suppression"), 1u);
  std::vector<FindingSummary> s = set.Summaries();
  const FindingSummary& stale = s[0];
  EXPECT_EQ(stale.id, "config.stale_suppression");
  EXPECT_EQ(stale.level, FindingLevel::kImprovement);
  EXPECT_NE(stale.examples[0].message.find("fidelity.value_changed"), std::string::npos);
  EXPECT_NE(stale.examples[0].message.find("collector truncates long values"), std::string::npos);
}

// `--format jsonl` streams what the set counts: every unsuppressed finding with its configured
// level, in order, and the stale suppressions Finish() adds; a suppressed one never.
TEST(FindingSet, StreamsEveryUnsuppressedFindingAsItIsRecorded) {
  FindingSetOptions options;
  options.examples_per_id = 1;  // the stream has every finding, not only the examples
  options.levels["semconv.deprecated_attribute"] = FindingLevel::kViolation;
  options.expected_violations.push_back({"hierarchy.orphan_span", "known", "", "", ""});
  options.expected_violations.push_back({"fidelity.value_changed", "stale", "", "", ""});
  std::vector<std::pair<std::string, FindingLevel>> streamed;
  options.on_finding = [&](const Finding& f) { streamed.emplace_back(f.id, f.level); };
  FindingSet set(options);
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kImprovement));
  set.Add(Make("hierarchy.orphan_span", FindingLevel::kViolation));  // suppressed
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kImprovement));
  set.Finish();
  const std::vector<std::pair<std::string, FindingLevel>> want = {
      {"semconv.deprecated_attribute", FindingLevel::kViolation},
      {"semconv.deprecated_attribute", FindingLevel::kViolation},
      {"config.stale_suppression", FindingLevel::kImprovement}};
  EXPECT_EQ(streamed, want);
}

TEST(FindingSet, CountsFindingsAtOrAboveALevel) {
  FindingSet set;
  set.Add(Make("semconv.recommended_coverage", FindingLevel::kInformation));
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kImprovement));
  set.Add(Make("semconv.deprecated_attribute", FindingLevel::kImprovement));
  EXPECT_EQ(set.CountAtOrAbove(FindingLevel::kViolation), 0u);
  EXPECT_EQ(set.CountAtOrAbove(FindingLevel::kImprovement), 2u);
  EXPECT_EQ(set.CountAtOrAbove(FindingLevel::kInformation), 3u);
}

TEST(FindingSet, KeepsPerRuleTotalsAndStatistics) {
  FindingSet set;
  set.RecordEvaluation("semconv", true);
  set.RecordEvaluation("semconv", false);
  set.RecordEvaluations("hierarchy", 10, 9);
  set.SetStatistic("semconv", "recommended_coverage.gen_ai.inference.client", 50);
  set.SetStatistic("semconv", "recommended_coverage.gen_ai.inference.client", 75);
  auto totals = set.Totals();
  EXPECT_EQ(totals["semconv"].evaluated, 2u);
  EXPECT_EQ(totals["semconv"].passed, 1u);
  EXPECT_EQ(totals["semconv"].failed(), 1u);
  EXPECT_EQ(totals["hierarchy"].failed(), 1u);
  EXPECT_DOUBLE_EQ(set.Statistics()["semconv"]["recommended_coverage.gen_ai.inference.client"], 75);
}

TEST(FindingSet, AcceptsFindingsFromManyThreads) {
  FindingSet set;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&set] {
      for (int i = 0; i < 2500; ++i) {
        set.Add(Make("fidelity.value_changed", FindingLevel::kViolation));
        set.RecordEvaluation("fidelity", false);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(set.Count("fidelity.value_changed"), 10000u);
  EXPECT_EQ(set.Totals()["fidelity"].evaluated, 10000u);
}

TEST(WildcardMatch, MatchesStarsAnywhere) {
  EXPECT_TRUE(WildcardMatch("semconv.*", "semconv.deprecated_attribute"));
  EXPECT_TRUE(WildcardMatch("chat *", "chat gpt-4o"));
  EXPECT_TRUE(WildcardMatch("*tool*", "execute_tool search"));
  EXPECT_TRUE(WildcardMatch("exact", "exact"));
  EXPECT_FALSE(WildcardMatch("chat *", "embeddings m"));
  EXPECT_FALSE(WildcardMatch("exact", "exact2"));
}

TEST(CheckConfig, ParsesLevelsAndExpectedViolations) {
  auto options = ParseCheckConfig(R"(
examples_per_id: 2
levels:
  semconv.recommended_coverage: information
  semconv.*: improvement
expected_violations:
  - id: semconv.deprecated_attribute
    reason: SDK 1.2 still sends gen_ai.system
    match:
      span_name: "chat *"
      attribute: gen_ai.system
  - id: hierarchy.orphan_span
    reason: remote subagent spans arrive late
)");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->examples_per_id, 2u);
  EXPECT_EQ(options->levels.at("semconv.*"), FindingLevel::kImprovement);
  ASSERT_EQ(options->expected_violations.size(), 2u);
  EXPECT_EQ(options->expected_violations[0].span_name, "chat *");
  EXPECT_EQ(options->expected_violations[0].attribute, "gen_ai.system");
  EXPECT_EQ(options->expected_violations[1].reason, "remote subagent spans arrive late");
}

TEST(CheckConfig, RejectsAnExpectedViolationWithoutAReason) {
  auto options = ParseCheckConfig("expected_violations:\n  - id: semconv.deprecated_attribute\n");
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("reason"), absl::string_view::npos);
}

TEST(CheckConfig, RejectsUnknownKeysAndLevels) {
  EXPECT_FALSE(ParseCheckConfig("level:\n  a.b: violation\n").ok());
  EXPECT_FALSE(ParseCheckConfig("levels:\n  a.b: fatal\n").ok());
  EXPECT_FALSE(
      ParseCheckConfig("expected_violations:\n  - id: a.b\n    reason: r\n    match: {span: x}\n")
          .ok());
}

TEST(CheckConfig, EmptyFileMeansDefaults) {
  auto options = ParseCheckConfig("");
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->levels.empty());
  EXPECT_TRUE(options->expected_violations.empty());
}

TEST(CheckConfig, MissingFileIsNotFound) {
  EXPECT_EQ(LoadCheckConfig("/nonexistent/agentstorm-check.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace agentstorm
