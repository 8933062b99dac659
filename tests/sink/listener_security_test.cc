#include "sink/listener_security.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "sink/listen_address.h"

namespace agentstorm::sink {
namespace {

TEST(BearerMatches, OnlyTheExactTokenAfterTheBearerScheme) {
  EXPECT_TRUE(BearerMatches("Bearer s3cret", "s3cret"));
  EXPECT_TRUE(BearerMatches("bearer s3cret", "s3cret")) << "the scheme is case-insensitive";
  EXPECT_TRUE(BearerMatches("BEARER s3cret", "s3cret"));
  for (const char* wrong : {"Bearer s3cre", "Bearer s3cret2", "Bearer S3CRET", "Bearer  s3cret",
                            "s3cret", "Basic s3cret", "Bearer", "Bearer ", ""}) {
    EXPECT_FALSE(BearerMatches(wrong, "s3cret")) << wrong;
  }
  EXPECT_FALSE(BearerMatches("Bearer ", "")) << "no token configured matches nothing";
}

TEST(LoadListenerSecurity, ReadsPemFilesAndNamesTheOneThatIsWrong) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "agentstorm-listener-security";
  std::filesystem::create_directories(dir);
  const std::string pem = (dir / "x.pem").string(), text = (dir / "x.txt").string();
  std::ofstream(pem) << "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  std::ofstream(text) << "not pem\n";

  auto none = LoadListenerSecurity("", "", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->tls());
  EXPECT_EQ(none->Describe(), "");
  EXPECT_EQ(LoadListenerSecurity("", "", "", "t")->Describe(), "bearer token");
  // PEM in form but no certificate and key that go together: refused before any listener
  // starts, naming both files (tests/e2e/sink_tls_auth.sh starts real ones, and a real
  // certificate with another certificate's key).
  auto not_a_pair = LoadListenerSecurity(pem, pem, "", "");
  EXPECT_TRUE(absl::IsInvalidArgument(not_a_pair.status()));
  EXPECT_TRUE(absl::StartsWith(not_a_pair.status().message(),
                               "--tls-cert " + pem + " and --tls-key " + pem + ": "))
      << not_a_pair.status();

  auto not_pem = LoadListenerSecurity(text, pem, "", "");
  EXPECT_EQ(not_pem.status().message(), "--tls-cert " + text + ": not a PEM file");
  auto missing = LoadListenerSecurity(pem, (dir / "absent").string(), "", "");
  EXPECT_EQ(missing.status().message(),
            "--tls-key " + (dir / "absent").string() + ": cannot read file");
  EXPECT_FALSE(LoadListenerSecurity(pem, "", "", "").ok()) << "a certificate without its key";
  EXPECT_FALSE(LoadListenerSecurity("", "", pem, "").ok()) << "a client CA without TLS";
  std::filesystem::remove_all(dir);
}

TEST(ListenAddress, LoopbackIsOnlyThisMachine) {
  EXPECT_TRUE(IsLoopback({"127.0.0.1", 0}));
  EXPECT_TRUE(IsLoopback({"127.1.2.3", 0}));
  EXPECT_TRUE(IsLoopback({"::1", 0}));
  EXPECT_TRUE(IsLoopback({"localhost", 0}));
  EXPECT_FALSE(IsLoopback({"0.0.0.0", 0}));
  EXPECT_FALSE(IsLoopback({"::", 0}));
  EXPECT_FALSE(IsLoopback({"10.0.0.1", 0}));
  EXPECT_FALSE(IsLoopback({"1270.0.0.1", 0}));
}

}  // namespace
}  // namespace agentstorm::sink
