// The hand-written checker inputs (check config, semconv profile) report every mistake at once,
// each as file:line:column: field: message, the way the scenario loader does.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checker/check_config.h"
#include "checker/semconv/profile.h"

namespace agentstorm {
namespace {

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST(CheckConfigDiagnostics, ReportsEveryErrorWithLineAndColumn) {
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(R"(levels:
  semconv.deprecated_attribute: fatal
expected_violations:
  - id: hierarchy.orphan_span
    reason: late subagent spans
    match: {span: "chat *"}
)");
  ASSERT_FALSE(options.ok());
  const std::string message(options.status().message());
  EXPECT_TRUE(Contains(message,
                       "check config:2:33: levels.semconv.deprecated_attribute: "
                       "\"fatal\" is not violation, improvement or information"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "check config:6:13: expected_violations[0].match.span: "
                       "unknown field \"span\""))
      << message;
}

TEST(CheckConfigDiagnostics, AMistypedFindingIdIsAnErrorWithTheClosestOne) {
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(R"(levels:
  semconv.deprecated_atribute: information
  semcov.*: improvement
  fidelity.*: information
  sampling.partial_trace: information
expected_violations:
  - id: hierarchy.orphan_spans
    reason: late subagent spans
  - id: semconv.deprecated_*
    reason: SDK 1.2
  - id: "*"
    reason: everything, for a dry run of the config
)");
  ASSERT_FALSE(options.ok());
  const std::string message(options.status().message());
  EXPECT_TRUE(Contains(message,
                       "check config:2:3: levels.semconv.deprecated_atribute: unknown finding ID "
                       "\"semconv.deprecated_atribute\"; did you mean "
                       "semconv.deprecated_attribute?"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "levels.semcov.*: unknown finding ID \"semcov.*\"; did you mean "
                       "semconv.*?"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "check config:7:9: expected_violations[0].id: unknown finding ID "
                       "\"hierarchy.orphan_spans\"; did you mean hierarchy.orphan_span?"))
      << message;
  EXPECT_FALSE(Contains(message, "fidelity.*")) << message;
  EXPECT_FALSE(Contains(message, "sampling.partial_trace")) << message;
  EXPECT_FALSE(Contains(message, "deprecated_*")) << message;
  EXPECT_FALSE(Contains(message, "[2]")) << message;
}

TEST(CheckConfigThresholds, ReadsTheK6ShapeAndTheDefaultSwitch) {
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(R"(thresholds:
  spans_not_acknowledged: ["rate<1%"]
  export_latency: ["p(99)<250ms", "p(50) < 50"]
  time_until_queryable: "p(90)<=5s"
default_thresholds: false
)");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->thresholds,
            (std::vector<std::string>{"spans_not_acknowledged: rate<0.01",
                                      "export_latency: p(99)<250ms", "export_latency: p(50)<50ms",
                                      "time_until_queryable: p(90)<=5000ms"}));
  EXPECT_EQ(options->default_thresholds, false);
  absl::StatusOr<FindingSetOptions> none = ParseCheckConfig("levels: {}\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->thresholds.empty());
  EXPECT_FALSE(none->default_thresholds.has_value());
}

TEST(CheckConfigRedaction, ReadsKeysAndPatternsAndNamesABadPatternAtItsLine) {
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(R"(redaction:
  keys: [app.user.email, "customer.*"]
  patterns: ['[\w.+-]+@[\w-]+\.\w+', 'sk-[A-Za-z0-9]{20,}']
)");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->redaction_keys, (std::vector<std::string>{"app.user.email", "customer.*"}));
  EXPECT_EQ(options->redaction_patterns,
            (std::vector<std::string>{"[\\w.+-]+@[\\w-]+\\.\\w+", "sk-[A-Za-z0-9]{20,}"}));

  absl::StatusOr<FindingSetOptions> bad = ParseCheckConfig(R"(redaction:
  keyz: [a]
  patterns: ["ok", "(unclosed"]
)");
  ASSERT_FALSE(bad.ok());
  const std::string message(bad.status().message());
  EXPECT_TRUE(Contains(message, "check config:2:3: redaction.keyz")) << message;
  EXPECT_TRUE(Contains(message,
                       "check config:3:20: redaction.patterns[1]: not a regular expression (RE2 "
                       "syntax): missing )"))
      << message;
}

TEST(CheckConfigThresholds, ReportsEachBadExpressionAtItsLine) {
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(R"(thresholds:
  export_latency: ["p(99)<250ms", "rate<1%"]
  latency: ["p(99)<1s"]
default_thresholds: maybe
)");
  ASSERT_FALSE(options.ok());
  const std::string message(options.status().message());
  EXPECT_TRUE(Contains(message,
                       "check config:2:35: thresholds.export_latency[1]: threshold "
                       "\"export_latency: rate<1%\": export_latency takes p(N)"))
      << message;
  EXPECT_TRUE(Contains(message,
                       "check config:3:13: thresholds.latency[0]: threshold "
                       "\"latency: p(99)<1s\": unknown metric \"latency\""))
      << message;
  EXPECT_TRUE(Contains(message, "check config:4:21: default_thresholds")) << message;
}

TEST(SemconvProfileDiagnostics, ReportsEveryErrorWithLineAndColumn) {
  absl::StatusOr<semconv::SemconvModel> model = semconv::ParseSemconvProfile(R"(attributes:
  gen_ai.operation.name: {type: strng}
span_types:
  - id: chat
    operations: [chat]
    kind: sideways
)",
                                                                             "bad.yaml");
  ASSERT_FALSE(model.ok());
  const std::string message(model.status().message());
  EXPECT_TRUE(Contains(message,
                       "bad.yaml:2:33: attributes.gen_ai.operation.name.type: "
                       "unknown type 'strng'"))
      << message;
  EXPECT_TRUE(
      Contains(message, "bad.yaml:6:11: span_types[chat].kind: unknown span kind 'sideways'"))
      << message;
}

// A content schema is read relative to the profile: a copied profile without its content/
// folder says where it looked and why.
TEST(SemconvProfileDiagnostics, AContentSchemaThatIsNotThereNamesWhereItLooked) {
  absl::StatusOr<semconv::SemconvModel> model = semconv::ParseSemconvProfile(R"(attributes:
  gen_ai.input.messages: {type: any, json_schema: content/input-messages.json}
span_types:
  - id: chat
    operations: [chat]
)",
                                                                             "/nowhere/mine.yaml");
  ASSERT_FALSE(model.ok());
  const std::string message(model.status().message());
  EXPECT_TRUE(Contains(message,
                       "/nowhere/mine.yaml:2:51: attributes.gen_ai.input.messages.json_schema: "
                       "cannot read JSON schema /nowhere/content/input-messages.json (a path "
                       "relative to the profile's directory"))
      << message;
}

TEST(SemconvProfileDiagnostics, ASyntaxErrorIsAValueWithItsMark) {
  absl::StatusOr<semconv::SemconvModel> model =
      semconv::ParseSemconvProfile("attributes: {a: [\n", "broken.yaml");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(model.status().message(), "broken.yaml:")) << model.status();
  EXPECT_TRUE(Contains(model.status().message(), "YAML syntax error")) << model.status();
}

}  // namespace
}  // namespace agentstorm
