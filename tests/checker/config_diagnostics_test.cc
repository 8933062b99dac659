// The hand-written checker inputs (check config, semconv profile) report every mistake at once,
// each as file:line:column: field: message, the way the scenario loader does.
#include <gtest/gtest.h>

#include <string>

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
