#include "core/duration.h"

#include <gtest/gtest.h>

#include <string>

namespace agentstorm {
namespace {

absl::Duration Parsed(const std::string& text) {
  auto d = ParseDuration(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.ok() ? *d : absl::InfiniteDuration();
}

void ExpectRejected(const std::string& text, const std::string& message_part) {
  auto d = ParseDuration(text);
  ASSERT_FALSE(d.ok()) << "\"" << text << "\" parsed as " << *d;
  EXPECT_TRUE(absl::IsInvalidArgument(d.status())) << d.status();
  EXPECT_NE(d.status().message().find(message_part), std::string::npos) << d.status();
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(Parsed("30"), absl::Seconds(30));
  EXPECT_EQ(Parsed("0"), absl::ZeroDuration());
  EXPECT_EQ(Parsed("1.5"), absl::Milliseconds(1500));
  EXPECT_EQ(Parsed(".5"), absl::Milliseconds(500));
}

TEST(ParseDuration, EveryUnit) {
  EXPECT_EQ(Parsed("7ns"), absl::Nanoseconds(7));
  EXPECT_EQ(Parsed("7us"), absl::Microseconds(7));
  EXPECT_EQ(Parsed("7µs"), absl::Microseconds(7));
  EXPECT_EQ(Parsed("800ms"), absl::Milliseconds(800));
  EXPECT_EQ(Parsed("30s"), absl::Seconds(30));
  EXPECT_EQ(Parsed("10m"), absl::Minutes(10));
  EXPECT_EQ(Parsed("10min"), absl::Minutes(10));
  EXPECT_EQ(Parsed("2h"), absl::Hours(2));
}

TEST(ParseDuration, SegmentsAddUp) {
  EXPECT_EQ(Parsed("1m30s"), absl::Seconds(90));
  EXPECT_EQ(Parsed("1h 30m"), absl::Minutes(90));
  EXPECT_EQ(Parsed("1.5s250ms"), absl::Milliseconds(1750));
}

TEST(ParseDuration, WhitespaceAndExponents) {
  EXPECT_EQ(Parsed("  500 ms "), absl::Milliseconds(500));
  EXPECT_EQ(Parsed("1e-3s"), absl::Milliseconds(1));
  EXPECT_EQ(Parsed("2e1"), absl::Seconds(20));
}

TEST(ParseDuration, RejectsEmpty) {
  ExpectRejected("", "not a duration");
  ExpectRejected("   ", "not a duration");
}

TEST(ParseDuration, RejectsSigns) {
  ExpectRejected("-1s", "negative duration");
  ExpectRejected("-0", "negative duration");
  ExpectRejected("+1s", "not a duration");
}

TEST(ParseDuration, RejectsUnknownUnits) {
  ExpectRejected("10x", "unknown duration unit \"x\"");
  ExpectRejected("10sec", "unknown duration unit \"sec\"");
  ExpectRejected("1m30", "not a duration");  // a bare number only alone
  ExpectRejected("1 30s", "not a duration");
  ExpectRejected("s", "not a duration");
  ExpectRejected("1s-2s", "not a duration");
  ExpectRejected("inf", "not a duration");
  ExpectRejected("nan", "not a duration");
}

TEST(ParseDuration, RejectsWhatDoesNotFit) {
  ExpectRejected("1e400", "out of range");
  ExpectRejected("1e400s", "out of range");
  ExpectRejected("99999999999999999999h", "out of range");
  ExpectRejected("9223372036854775807s1s", "out of range");
  EXPECT_EQ(Parsed("100000h"), absl::Hours(100000));
}

}  // namespace
}  // namespace agentstorm
