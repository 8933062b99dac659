#include "reports/junit_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "reports/sanitize.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

// Validates `xml` against tests/reports/junit.xsd with libxml2's xmllint; returns its exit code.
int ValidateWithXmllint(const std::string& xml, const std::string& name) {
  std::string path = ::testing::TempDir() + "/" + name + ".xml";
  std::ofstream(path, std::ios::binary) << xml;
  std::string schema = std::string(AGENTSTORM_SOURCE_DIR) + "/tests/reports/junit.xsd";
  std::string command =
      "xmllint --noout --schema '" + schema + "' '" + path + "' 2>" + path + ".log";
  int rc = std::system(command.c_str());
  if (rc != 0) {
    std::ifstream log(path + ".log");
    std::string line;
    while (std::getline(log, line)) ADD_FAILURE() << line;
  }
  return rc;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

class JunitWriter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v xmllint >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "xmllint (Debian package libxml2-utils) is not installed";
    }
  }
};

TEST_F(JunitWriter, FixedModelIsValidAgainstTheJunitSchema) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  EXPECT_EQ(ValidateWithXmllint(RenderJunitReport(model), "fixed"), 0);
}

TEST_F(JunitWriter, OneSuitePerFamilyOneCasePerFindingIdAndVariant) {
  std::string xml = RenderJunitReport(testing::FixedReportModel());
  EXPECT_EQ(Occurrences(xml, "<testsuite "), 4u);  // hierarchy, redaction, semconv, threshold
  // Named by ID and what it means, not the ID alone.
  EXPECT_NE(xml.find("name=\"hierarchy.orphan_span: a span whose parent is not in the trace "
                     "[smoke/default]\""),
            std::string::npos);
  EXPECT_NE(xml.find("name=\"hierarchy.orphan_span: a span whose parent is not in the trace "
                     "[tool-failures/flaky]\""),
            std::string::npos);
  // The command's own time, not the hours since the run's start the ledger gives.
  EXPECT_NE(xml.find("<testsuites name=\"agentstorm nightly-conformance\" tests=\"8\" "
                     "failures=\"4\" errors=\"0\" time=\"4.250\">"),
            std::string::npos)
      << xml.substr(0, 300);
  // A family with no findings passes once per variant.
  EXPECT_NE(xml.find("name=\"redaction [smoke/default]\""), std::string::npos);
  // Violations fail: orphan spans in two variants, the missing attribute once, the failed
  // threshold. Improvements and the threshold that was met pass.
  EXPECT_EQ(Occurrences(xml, "<failure "), 4u);
  EXPECT_NE(xml.find("tests=\"8\" failures=\"4\" errors=\"0\""), std::string::npos);
  // One case per threshold, failing or passing.
  EXPECT_NE(xml.find("<testcase name=\"spans_not_acknowledged: count==0\" "
                     "classname=\"agentstorm.threshold\" time=\"0\">\n      <failure "),
            std::string::npos);
  EXPECT_NE(xml.find("<system-out>p(99) 12.4ms over 800 samples</system-out>"), std::string::npos);
  // Failures carry expected vs actual and the first offending trace IDs.
  EXPECT_NE(xml.find("expected: parent 53995c3f42cd8ad8"), std::string::npos);
  EXPECT_NE(xml.find("first offending traces: 4bf92f3577b34da6a3ce929d0e0e4736"),
            std::string::npos);
}

TEST_F(JunitWriter, EscapesEverythingEvenHostileText) {
  ReportModel model;
  model.run.scenario = "a<b>&\"c'";
  model.run.variants = {"v]]>1"};
  FindingRow row;
  row.id = "hierarchy.<weird>&";
  row.level = "violation";
  row.count = 1;
  row.count_by_variant = {{"v]]>1", 1}};
  row.examples.push_back({"t1", "s1",
                          "name\x01with\x1f"
                          "control",
                          "", "v]]>1", "bad \xff\xfe utf-8 & <tags>", "<x>", "]]>"});
  model.findings.push_back(row);
  std::string xml = RenderJunitReport(model);
  EXPECT_EQ(xml.find("<weird>"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(ValidateWithXmllint(xml, "hostile"), 0);
}

TEST_F(JunitWriter, UnreachableBackendIsAnError) {
  ReportModel model;
  model.exit_code = 3;
  model.run.backend = "jaeger://127.0.0.1:1";
  std::string xml = RenderJunitReport(model);
  EXPECT_NE(xml.find("<error message="), std::string::npos);
  EXPECT_NE(xml.find("errors=\"1\""), std::string::npos);
  EXPECT_EQ(ValidateWithXmllint(xml, "unreachable"), 0);
}

}  // namespace
}  // namespace agentstorm::reports
