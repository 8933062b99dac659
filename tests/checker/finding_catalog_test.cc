// The catalog of finding IDs (checker/finding_catalog.h) is what a check config is checked
// against, so it must hold every ID the rooms can report: this scans their sources for ID
// literals of the known families and fails on any the catalog lacks.
#include "checker/finding_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace agentstorm {
namespace {

TEST(FindingCatalog, HoldsEveryIdTheSourcesReport) {
  const std::filesystem::path root = AGENTSTORM_SOURCE_DIR;
  const std::regex literal(
      "\"((alerts|baseline|check|config|fidelity|hierarchy|redaction|sampling|semconv|threshold)"
      "\\.[a-z_]+)\"");
  std::set<std::string> seen;
  for (const char* room : {"checker", "reports", "cli"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / room)) {
      const std::string ext = entry.path().extension().string();
      if (ext != ".cc" && ext != ".h") continue;
      if (entry.path().filename() == "finding_catalog.cc") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string s = text.str();
      for (std::sregex_iterator it(s.begin(), s.end(), literal), end; it != end; ++it)
        seen.insert((*it)[1].str());
    }
  }
  ASSERT_GT(seen.size(), 40u) << "the scan found too little to mean anything";
  const std::vector<std::string>& ids = KnownFindingIds();
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const std::string& id : seen)
    EXPECT_TRUE(std::binary_search(ids.begin(), ids.end(), id))
        << id << " is reported by the sources but missing from checker/finding_catalog.cc";
  for (const std::string& id : ids) {
    EXPECT_EQ(UnknownFindingIdError(id), "") << id;
    EXPECT_FALSE(FindingSummary(id).empty()) << id;
  }
  EXPECT_EQ(FindingSummary("hierarchy.orphan_span"), "a span whose parent is not in the trace");
  EXPECT_EQ(FindingSummary("no.such_id"), "");
}

TEST(FindingCatalog, UnknownIdsGetTheClosestKnownOne) {
  EXPECT_EQ(UnknownFindingIdError("*"), "");
  EXPECT_EQ(UnknownFindingIdError("semconv.*"), "");
  EXPECT_EQ(UnknownFindingIdError("semconv.deprecated_*"), "");
  EXPECT_EQ(UnknownFindingIdError("fidelity.span_mising"),
            "unknown finding ID \"fidelity.span_mising\"; did you mean fidelity.span_missing?");
  EXPECT_EQ(UnknownFindingIdError("hierarchi.*"),
            "unknown finding ID \"hierarchi.*\"; did you mean hierarchy.*?");
  EXPECT_NE(UnknownFindingIdError("completely.different").find("finding IDs are listed"),
            std::string::npos);
}

}  // namespace
}  // namespace agentstorm
