#include "reports/sanitize.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/report_writer.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

TEST(ScrubSecrets, RemovesUrlUserinfo) {
  EXPECT_EQ(ScrubSecrets("tempo+https://alice:hunter2@tempo:3200/x"),
            "tempo+https://***@tempo:3200/x");
  EXPECT_EQ(ScrubSecrets("see http://token@host/ now"), "see http://***@host/ now");
}

TEST(ScrubSecrets, MasksQueryValuesButKeepsHarmlessOptions) {
  EXPECT_EQ(ScrubSecrets("tempo://h:3200?token=abc&tenant=team-a&api=v2"),
            "tempo://h:3200?token=***&tenant=team-a&api=v2");
  EXPECT_EQ(ScrubSecrets("https://x/v1/traces?api_key=sk-1&sig=zz#frag"),
            "https://x/v1/traces?api_key=***&sig=***#frag");
  EXPECT_EQ(ScrubSecrets("jaeger://h?header=X-Key:abc"), "jaeger://h?header=***");
}

TEST(ScrubSecrets, MasksHeaderForms) {
  EXPECT_EQ(ScrubSecrets("Authorization: Bearer abc.def"), "Authorization: ***");
  EXPECT_EQ(ScrubSecrets("failed (authorization=Basic dXNlcjpwYXNz)"),
            "failed (authorization=***)");
  EXPECT_EQ(ScrubSecrets("x-api-key: k123, next"), "x-api-key: ***, next");
  EXPECT_EQ(ScrubSecrets("Cookie: session=abc"), "Cookie: ***");
  EXPECT_EQ(ScrubSecrets("password=pw1 user=bob"), "password=*** user=bob");
}

TEST(ScrubSecrets, MasksBareBearerAndBasicCredentials) {
  EXPECT_EQ(ScrubSecrets("sent Bearer eyJhbGciOi.x"), "sent Bearer ***");
  EXPECT_EQ(ScrubSecrets("Basic dXNlcjpwYXNz"), "Basic ***");
}

TEST(ScrubSecrets, LeavesOrdinaryTextAlone) {
  for (const char* text :
       {"grpc://127.0.0.1:4317", "Basic checks passed", "gen_ai.usage.input_tokens=5",
        "parent span 53995c3f42cd8ad8 is not in the trace", "jaeger://127.0.0.1:16686",
        "file:/tmp/capture.bin", "tokens 1200/310"}) {
    EXPECT_EQ(ScrubSecrets(text), text);
  }
}

TEST(WriteReports, NoSecretReachesAnyReportFile) {
  std::string dir = ::testing::TempDir() + "/sanitize_reports";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteReports(testing::FixedReportModel(), dir, {}).ok());
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    ++files;
    for (const char* secret : testing::kSecrets) {
      EXPECT_EQ(text.str().find(secret), std::string::npos)
          << secret << " leaked into " << entry.path();
    }
    // The harmless parts of the same strings survive.
    EXPECT_NE(text.str().find("tempo.example:3200"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 4);
}

TEST(AddLoadSummaryAndFindings, ScrubEndpointsErrorsAndMessages) {
  LoadSummary summary;
  EndpointStats e;
  e.endpoint = "https://user:pw123@collector:4318/v1/traces";
  e.last_error = "HTTP 401 (Authorization: Bearer tok-999)";
  summary.endpoints.push_back(e);
  ReportModel model;
  AddLoadSummary(summary, &model);
  ASSERT_EQ(model.endpoints.size(), 1u);
  EXPECT_EQ(model.endpoints[0].endpoint, "https://***@collector:4318/v1/traces");
  EXPECT_EQ(model.endpoints[0].last_error, "HTTP 401 (Authorization: ***)");
  EXPECT_EQ(model.run.endpoints, std::vector<std::string>{"https://***@collector:4318/v1/traces"});

  FindingSet findings;
  Finding leak;
  leak.id = "redaction.content_present";
  leak.message = "content leaked: Bearer abcdefgh123";
  leak.actual = "api_key=k-42";
  findings.Add(std::move(leak));
  AddFindings(findings, &model);
  ASSERT_EQ(model.findings.size(), 1u);
  EXPECT_EQ(model.findings[0].examples[0].message, "content leaked: Bearer ***");
  EXPECT_EQ(model.findings[0].examples[0].actual, "api_key=***");
}

}  // namespace
}  // namespace agentstorm::reports
