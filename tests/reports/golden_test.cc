// Golden-file tests: each writer renders the fixed model to exactly the bytes in golden/.
// Regenerate after an intended change with UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "reports/report_writer.h"
#include "reports/sanitize.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

std::string GoldenPath(const std::string& file) {
  return std::string(AGENTSTORM_SOURCE_DIR) + "/tests/reports/golden/" + file;
}

void ExpectMatchesGolden(const std::string& format) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  std::string rendered = RenderReport(model, format);
  std::string path = GoldenPath(ReportFileName(format));
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << rendered;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "no golden file " << path << " (run with UPDATE_GOLDEN=1)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(rendered, golden.str())
      << format << " output differs from " << path << "; if intended, rerun with UPDATE_GOLDEN=1";
}

TEST(ReportGolden, JsonMatchesGolden) { ExpectMatchesGolden("json"); }
TEST(ReportGolden, JunitMatchesGolden) { ExpectMatchesGolden("junit"); }
TEST(ReportGolden, MarkdownMatchesGolden) { ExpectMatchesGolden("md"); }
TEST(ReportGolden, HtmlMatchesGolden) { ExpectMatchesGolden("html"); }

TEST(ReportGolden, RenderingIsDeterministic) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  for (const std::string& format : ReportFormats()) {
    EXPECT_EQ(RenderReport(model, format), RenderReport(model, format)) << format;
  }
}

}  // namespace
}  // namespace agentstorm::reports
