#include "core/ids.h"

#include <gtest/gtest.h>

#include "core/rng.h"

namespace agentstorm {
namespace {

TEST(Ids, HexRoundTripIsLowercase) {
  auto bytes = HexDecode("5B8EFFF798038103D269B633813FC60C");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(HexEncode(*bytes), "5b8efff798038103d269b633813fc60c");
}

TEST(Ids, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(ParseTraceId("").has_value());
  EXPECT_FALSE(ParseTraceId(std::string(33, 'a')).has_value());
}

TEST(Ids, ShortTraceIdIsLeftPadded) {
  auto id = ParseTraceId("1");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(HexEncode(*id), "00000000000000000000000000000001");
}

TEST(CounterRng, SameKeyAndCounterGiveSameValue) {
  CounterRng a(42), b(42);
  EXPECT_EQ(a.Next(), b.Next());
  EXPECT_EQ(a.At(1000), b.At(1000));
  EXPECT_NE(CounterRng(42).At(0), CounterRng(43).At(0));
}

TEST(CounterRng, ForkedStreamsAreIndependentOfDrawOrder) {
  CounterRng root(7);
  CounterRng tools = root.Fork("tools");
  root.Next();
  root.Next();
  EXPECT_EQ(tools.At(0), CounterRng(7).Fork("tools").At(0));
  EXPECT_NE(root.Fork("tools").At(0), root.Fork("models").At(0));
}

TEST(CounterRng, DoublesAreInUnitInterval) {
  CounterRng r(1);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double d = r.NextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
    sum += d;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

}  // namespace
}  // namespace agentstorm
