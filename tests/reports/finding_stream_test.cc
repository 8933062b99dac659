#include "reports/finding_stream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "reports/junit_writer.h"
#include "reports/markdown_writer.h"
#include "reports/report_writer.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(FindingStream, OneLinePerFindingWithoutEmptyFieldsThenTheReport) {
  std::ostringstream out;
  FindingStream stream(&out);
  Finding span;
  span.id = "semconv.required_attribute_missing";
  span.level = FindingLevel::kViolation;
  span.trace_id = "0123456789abcdef0123456789abcdef";
  span.span_id = "0123456789abcdef";
  span.span_name = "chat gpt-4o";
  span.attribute = "gen_ai.request.model";
  span.message = "missing";
  span.variant = "default";
  Finding run_level;
  run_level.id = "config.stale_suppression";
  run_level.level = FindingLevel::kImprovement;
  run_level.message = "matched nothing";
  stream.Add(span);
  stream.Add(run_level);
  ReportModel model = testing::FixedReportModel();
  ASSERT_TRUE(stream.Close(model).ok());

  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  // Type, ID and level lead, so a line reads well in a log too.
  EXPECT_EQ(lines[0].rfind(R"({"type":"finding","id":"semconv.required_attribute_missing",)"
                           R"("level":"violation",)",
                           0),
            0u)
      << lines[0];
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["span_name"], "chat gpt-4o");
  EXPECT_EQ(first["attribute"], "gen_ai.request.model");
  EXPECT_EQ(first["variant"], "default");
  EXPECT_FALSE(first.contains("expected"));  // empty fields are left out
  nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "improvement");
  EXPECT_FALSE(second.contains("trace_id"));
  nlohmann::json last = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(last["type"], "report");
  EXPECT_EQ(last["report"]["run"]["seed"], 42);
  EXPECT_EQ(last["report"]["verdict"], "fail");
  for (const char* secret : testing::kSecrets)
    EXPECT_EQ(out.str().find(secret), std::string::npos) << secret;
}

TEST(FindingStream, AFindingsMessageIsScrubbedOfSecrets) {
  Finding f;
  f.id = "fidelity.value_changed";
  f.actual = "Authorization: Bearer hunter2";
  const std::string line = FindingJsonLine(f);
  EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
  EXPECT_NE(line.find("Authorization: ***"), std::string::npos) << line;
}

TEST(FindingStream, InADirectoryTheFileAppearsOnlyWhenClosed) {
  const std::string dir = ::testing::TempDir() + "/finding_stream_dir/nested";
  std::filesystem::remove_all(dir);
  auto stream = FindingStream::InDirectory(dir);
  ASSERT_TRUE(stream.ok()) << stream.status();
  Finding f;
  f.id = "hierarchy.orphan_span";
  (*stream)->Add(f);
  EXPECT_FALSE(std::filesystem::exists(dir + "/findings.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/findings.jsonl.partial"));
  ASSERT_TRUE((*stream)->Close(testing::FixedReportModel()).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/findings.jsonl.partial"));
  std::ifstream in(dir + "/findings.jsonl");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(Lines(text.str()).size(), 2u);
}

TEST(FindingStream, JsonlIsAFormatNamedOnlyNeverPartOfAll) {
  auto all = ParseReportFormats({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(std::find(all->begin(), all->end(), "jsonl"), all->end());
  auto named = ParseReportFormats({"json,jsonl"});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(*named, (std::vector<std::string>{"json", "jsonl"}));
  EXPECT_EQ(ReportFileName("jsonl"), "findings.jsonl");
  auto unknown = ParseReportFormats({"ndjson"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("jsonl"), std::string::npos);
}

// --fail-on improvement: the reports fail on what the exit code failed on.
TEST(FailOn, ReportsFailOnTheLevelsTheCommandFailedOn) {
  ReportModel m;
  m.run.scenario = "s";
  m.exit_code = 1;
  m.run.fail_on = "improvement";
  FindingRow improvement;
  improvement.id = "semconv.deprecated_attribute";
  improvement.level = "improvement";
  improvement.count = 2;
  FindingRow information;
  information.id = "semconv.recommended_coverage";
  information.level = "information";
  information.count = 1;
  m.findings = {improvement, information};
  EXPECT_TRUE(LevelFails(m, "violation"));
  EXPECT_TRUE(LevelFails(m, "improvement"));
  EXPECT_FALSE(LevelFails(m, "information"));
  const std::string md = RenderMarkdownReport(m);
  EXPECT_NE(md.find("FAIL: `s`: 2 findings at improvement level or above (--fail-on improvement)"),
            std::string::npos)
      << md.substr(0, 200);
  const std::string xml = RenderJunitReport(m);
  EXPECT_NE(xml.find("semconv.deprecated_attribute: 2 findings at improvement level"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.find("semconv.recommended_coverage: 1 finding at"), std::string::npos) << xml;
}

}  // namespace
}  // namespace agentstorm::reports
