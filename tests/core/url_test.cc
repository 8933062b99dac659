#include "core/url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"

namespace agentstorm {
namespace {

using ::testing::HasSubstr;

TEST(Url, SplitsEveryPart) {
  auto url = ParseUrl("https://alice:s3cret@collector.example:4318/v1/traces?api_key=k#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_TRUE(url->has_userinfo);
  EXPECT_EQ(url->user, "alice");
  EXPECT_EQ(url->password, "s3cret");
  EXPECT_EQ(url->host, "collector.example");
  EXPECT_EQ(url->port, 4318);
  EXPECT_EQ(url->path, "/v1/traces");
  EXPECT_EQ(url->query, "api_key=k");
  EXPECT_EQ(url->fragment, "frag");
}

TEST(Url, AcceptsAnySchemeAndLowercasesIt) {
  auto url = ParseUrl("Tempo+HTTPS://tempo:3200");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "tempo+https");
  EXPECT_EQ(url->HostPort(), "tempo:3200");
}

TEST(Url, Ipv6LiteralLosesItsBracketsAndGetsThemBack) {
  auto url = ParseUrl("http://[::1]:4317");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 4317);
  EXPECT_EQ(url->HostPort(), "[::1]:4317");
  EXPECT_EQ(ParseUrl("http://[2001:db8::7]")->HostPort(), "[2001:db8::7]");
  EXPECT_FALSE(ParseUrl("http://[::1:4317").ok());
  EXPECT_FALSE(ParseUrl("http://[not-v6]:1").ok());
}

TEST(Url, UserinfoIsPercentDecodedAndPlusStaysPlus) {
  auto url = ParseUrl("jaeger://bob:pa%3Ass+w@h");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->user, "bob");
  EXPECT_EQ(url->password, "pa:ss+w");
  auto user_only = ParseUrl("jaeger://bob@h");
  ASSERT_TRUE(user_only.ok());
  EXPECT_TRUE(user_only->has_userinfo);
  EXPECT_EQ(user_only->password, "");
  EXPECT_FALSE(ParseUrl("jaeger://h")->has_userinfo);
  EXPECT_FALSE(ParseUrl("jaeger://bob:%zz@h").ok());
}

TEST(Url, SchemeIsRequiredUnlessOptional) {
  auto required = ParseUrl("collector:4317");
  EXPECT_FALSE(required.ok());
  EXPECT_THAT(std::string(required.status().message()), HasSubstr("no scheme"));

  auto bare = ParseUrl("collector:4317", SchemeRule::kOptional);
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->scheme, "");
  EXPECT_EQ(bare->host, "collector");
  EXPECT_EQ(bare->port, 4317);
  // curl would guess ftp:// from the name; without "://" there is no scheme at all.
  EXPECT_EQ(ParseUrl("ftp.example:21", SchemeRule::kOptional)->scheme, "");
}

TEST(Url, RejectsBadPortsAndMissingHosts) {
  for (const char* bad :
       {"http://h:0", "http://h:65536", "http://h:99999", "http://h:port", "http://h:-1"}) {
    auto url = ParseUrl(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_THAT(std::string(url.status().message()), HasSubstr("bad port")) << bad;
  }
  EXPECT_EQ(ParseUrl("http://h:65535")->port, 65535);
  EXPECT_EQ(ParseUrl("http://h")->port, 0);
  for (const char* bad : {"http://", "http://:4317", "jaeger://user@"}) {
    auto url = ParseUrl(bad);
    ASSERT_FALSE(url.ok()) << bad;
    EXPECT_THAT(std::string(url.status().message()), HasSubstr("no host")) << bad;
  }
  EXPECT_FALSE(ParseUrl("").ok());
}

TEST(Url, KeepsPathAndQueryAsWritten) {
  auto url = ParseUrl("http://h/a/../b//c/?x=%20y&z=a+b");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->path, "/a/../b//c/");
  EXPECT_EQ(url->query, "x=%20y&z=a+b");
  EXPECT_EQ(ParseUrl("http://h")->path, "/");
  EXPECT_EQ(ParseUrl("http://h?q=1")->query, "q=1");
}

TEST(Url, RejectsHostileInput) {
  for (const std::string bad : {std::string("http://a b/"), std::string("http://h/\r\nHost: evil"),
                                std::string("http://h\r\n:80/"), std::string("http://h/x\ty"),
                                std::string("http://h/\0evil", 14), std::string(" http://h")}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << absl::CHexEscape(bad);
  }
  // Longer than curl's 8 MB limit.
  EXPECT_FALSE(ParseUrl("http://h/" + std::string(9'000'000, 'a')).ok());
  // Long but sane: kept whole.
  const std::string long_path = "/" + std::string(4000, 'p');
  auto url = ParseUrl("http://h" + long_path);
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->path, long_path);
}

TEST(RedactUrl, DropsUserinfoAndQueryValues) {
  EXPECT_EQ(RedactUrl("https://user:hunter2@collector.example:4318/v1/traces?api_key=s3cret#x"),
            "https://collector.example:4318/v1/traces?<redacted>");
  EXPECT_EQ(RedactUrl("http://localhost:4317"), "http://localhost:4317");
  EXPECT_EQ(RedactUrl("collector:4317"), "collector:4317");
  EXPECT_EQ(RedactUrl("http://[::1]:4317/p"), "http://[::1]:4317/p");
  // Unparsable text is echoed only when nothing in it could be a secret.
  EXPECT_EQ(RedactUrl("http://:4317"), "http://:4317");
  EXPECT_EQ(RedactUrl("http://u:hunter2@:1"), "<unparsable URL>");
  EXPECT_EQ(RedactUrl("http://h:1/\r\n"), "http://h:1/\\r\\n");
}

TEST(PercentDecode, IsStrict) {
  EXPECT_EQ(*PercentDecode("a%20b%3a"), "a b:");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", /*plus_is_space=*/true), "a b");
  EXPECT_FALSE(PercentDecode("%zz").ok());
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("abc%").ok());
}

// A file path as a query value: what PercentDecode (with '+' as a space) gives back whole.
TEST(PercentEncode, KeepsUnreservedAndSlashesAndRoundTrips) {
  EXPECT_EQ(PercentEncode("/tmp/a-b_c.d~e/F9"), "/tmp/a-b_c.d~e/F9");
  EXPECT_EQ(PercentEncode("my certs/a+b&c=d?e#f%"), "my%20certs/a%2Bb%26c%3Dd%3Fe%23f%25");
  std::string every;
  for (int c = 0; c < 256; ++c) every.push_back(static_cast<char>(c));
  EXPECT_EQ(*PercentDecode(PercentEncode(every), /*plus_is_space=*/true), every);
}

}  // namespace
}  // namespace agentstorm
