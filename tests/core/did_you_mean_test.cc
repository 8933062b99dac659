#include "core/did_you_mean.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentstorm {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("endpont", "endpoint"), 1);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(ClosestMatch, AcceptsLikelyTyposOnly) {
  const std::vector<std::string> flags = {"--endpoint", "--insecure", "--header", "--traces"};
  EXPECT_EQ(ClosestMatch("--endpont", flags), "--endpoint");
  EXPECT_EQ(ClosestMatch("--ENDPOINT", flags), "--endpoint") << "case is ignored";
  EXPECT_EQ(ClosestMatch("--tracse", flags), "--traces");  // a swap is two edits
  EXPECT_EQ(ClosestMatch("--bogus-thing", flags), "");
  // Short words allow one edit only: "smok" is smoke, "abc" is not "rag".
  const std::vector<std::string> scenarios = {"rag", "smoke", "research-fanout"};
  EXPECT_EQ(ClosestMatch("smok", scenarios), "smoke");
  EXPECT_EQ(ClosestMatch("abc", scenarios), "");
  EXPECT_EQ(ClosestMatch("research-fanot", scenarios), "research-fanout");
  EXPECT_EQ(ClosestMatch("x", {}), "");
}

}  // namespace
}  // namespace agentstorm
