#include "core/run_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace agentstorm {
namespace {

TEST(RunId, FreshIdsDifferAndAreNeverZero) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    const uint64_t id = NewRunId();
    EXPECT_NE(id, 0u);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RunId, APrintedIdParsesBackToItself) {
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{0xfedcba9876543210ULL}, NewRunId()}) {
    const std::string text = FormatRunId(id);
    EXPECT_EQ(text.size(), 16u);
    auto parsed = ParseRunId(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, id) << text;
  }
  EXPECT_EQ(*ParseRunId("FEDCBA9876543210"), 0xfedcba9876543210ULL);
}

TEST(RunId, OtherTextIsHashedSoShardsCanShareAJobUid) {
  auto a = ParseRunId("8a1b2c3d-4e5f-6789-abcd-ef0123456789");
  auto b = ParseRunId("8a1b2c3d-4e5f-6789-abcd-ef0123456789");
  auto c = ParseRunId("8a1b2c3d-4e5f-6789-abcd-ef012345678a");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*a, 0u);
  // 16 characters that are not all hex are a name, not a number.
  auto name = ParseRunId("nightly-run-0001");
  ASSERT_TRUE(name.ok());
  EXPECT_NE(FormatRunId(*name), "nightly-run-0001");
}

TEST(RunId, EmptyLongOrUnprintableIsRefusedWithAReason) {
  for (const std::string& bad : {std::string(), std::string(257, 'x'), std::string("a b"),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    auto parsed = ParseRunId(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(parsed.status().message().empty());
  }
}

}  // namespace
}  // namespace agentstorm
