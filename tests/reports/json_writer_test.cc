#include "reports/json_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "reports/report_writer.h"
#include "reports/sanitize.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

TEST(JsonReport, ParsesBackWithSchemaVersionAndVerdict) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  nlohmann::json j = nlohmann::json::parse(RenderJsonReport(model));
  EXPECT_EQ(j["schema_version"], kReportSchemaVersion);
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["violations"], 10);  // 7 orphan spans + 3 missing attributes
  EXPECT_EQ(j["run"]["seed"], 42);
  EXPECT_EQ(j["load"]["timeline"].size(), 10u);
  EXPECT_EQ(j["endpoints"][0]["spans"]["acknowledged"], 10470);
  EXPECT_EQ(j["readback"]["time_until_queryable_ms"]["p99"], 2600.0);
  EXPECT_EQ(j["findings"][0]["id"], "hierarchy.orphan_span");
  EXPECT_EQ(j["findings"][0]["examples"][0]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(j["failing_traces"][0]["expected"][2]["mark"], "missing");
}

TEST(JsonReport, RoundTripsThroughReportFromJson) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  std::string first = RenderJsonReport(model);
  auto back = ReportFromJson(nlohmann::json::parse(first));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(RenderJsonReport(*back), first);
}

// An attribute value a backend returned that is not UTF-8 ends up in a finding's actual value:
// the report still writes (nlohmann's dump() threw on it), with U+FFFD in place of the bytes.
TEST(JsonReport, BytesThatAreNotUtf8StillWrite) {
  ReportModel model = testing::FixedReportModel();
  model.findings[0].examples[0].actual = "string \"caf\xe9\"";
  std::string text;
  ASSERT_NO_THROW(text = RenderJsonReport(model));
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["findings"][0]["examples"][0]["actual"], "string \"caf\xef\xbf\xbd\"");
}

TEST(JsonReport, KeysAreSorted) {
  std::string text = RenderJsonReport(testing::FixedReportModel());
  // nlohmann's default object is an ordered std::map: "alerts" comes first at top level.
  EXPECT_LT(text.find("\"alerts\""), text.find("\"endpoints\""));
  EXPECT_LT(text.find("\"endpoints\""), text.find("\"schema_version\""));
}

TEST(JsonReport, RejectsNonReportsAndNewerSchemas) {
  EXPECT_FALSE(ReportFromJson(nlohmann::json::parse(R"({"load": {}})")).ok());
  auto newer = ReportFromJson({{"schema_version", kReportSchemaVersion + 1}});
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadJsonReport("/nonexistent/report.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(JsonReport, ReadJsonReportReadsWhatWriteReportsWrote) {
  std::string dir = ::testing::TempDir() + "/json_roundtrip";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteReports(testing::FixedReportModel(), dir, {"json"}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/report.html"));
  auto model = ReadJsonReport(dir + "/report.json");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->run.scenario, "nightly-conformance");
  EXPECT_DOUBLE_EQ(model->load->achieved_spans_per_second, 1056);
}

TEST(ReportFormats, ParsesListsAndRejectsUnknownNames) {
  EXPECT_EQ(*ParseReportFormats({}), ReportFormats());
  EXPECT_EQ(*ParseReportFormats({"md,json", "html"}),
            (std::vector<std::string>{"md", "json", "html"}));
  EXPECT_EQ(ParseReportFormats({"pdf"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteReports(ReportModel{}, ::testing::TempDir() + "/x", {"pdf"}).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agentstorm::reports
