#include "checker/readers/backend_url.h"

#include <gtest/gtest.h>

namespace agentstorm::readers {
namespace {

TEST(BackendUrl, ParsesEachKindWithDefaultPorts) {
  auto jaeger = ParseBackendUrl("jaeger://query.local");
  ASSERT_TRUE(jaeger.ok());
  EXPECT_EQ(jaeger->kind, BackendKind::kJaegerV3);
  EXPECT_EQ(jaeger->HttpBase(), "http://query.local:16686");

  auto legacy = ParseBackendUrl("jaeger-legacy://10.0.0.1:8080/jaeger/");
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->kind, BackendKind::kJaegerLegacy);
  EXPECT_EQ(legacy->HttpBase(), "http://10.0.0.1:8080/jaeger");

  auto tempo = ParseBackendUrl("tempo://tempo:3100?api=v2");
  ASSERT_TRUE(tempo.ok());
  EXPECT_EQ(tempo->kind, BackendKind::kTempo);
  EXPECT_EQ(tempo->tempo_api, "v2");
  EXPECT_EQ(ParseBackendUrl("tempo://tempo")->port, 3200);

  auto file = ParseBackendUrl("file:/tmp/run/capture.bin");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->kind, BackendKind::kFile);
  EXPECT_EQ(file->file_path, "/tmp/run/capture.bin");
  EXPECT_EQ(file->HttpBase(), "");
  EXPECT_EQ(ParseBackendUrl("file://relative/dir.jsonl")->file_path, "relative/dir.jsonl");
}

TEST(BackendUrl, HttpsVariantsAndIpv6) {
  auto url = ParseBackendUrl("jaeger+https://[::1]:16686");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->https);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->HttpBase(), "https://[::1]:16686");
  EXPECT_EQ(ParseBackendUrl("tempo+https://grafana.net")->port, 443);
  EXPECT_FALSE(ParseBackendUrl("jaeger-legacy+http://h:1")->https);

  // mTLS: the client certificate and key travel together, and show in Describe (paths only).
  auto mtls = ParseBackendUrl("jaeger+https://h:1?ca=/c/ca.pem&cert=/c/me.pem&key=/c/me.key");
  ASSERT_TRUE(mtls.ok()) << mtls.status();
  EXPECT_EQ(mtls->cert_file, "/c/me.pem");
  EXPECT_EQ(mtls->key_file, "/c/me.key");
  EXPECT_EQ(mtls->Describe(), "jaeger+https://h:1?ca=/c/ca.pem&cert=/c/me.pem&key=/c/me.key");
  EXPECT_FALSE(ParseBackendUrl("jaeger+https://h:1?cert=/c/me.pem").ok());
  EXPECT_FALSE(ParseBackendUrl("jaeger+https://h:1?key=/c/me.key").ok());
}

TEST(BackendUrl, AuthOptionsBecomeHeaders) {
  auto url = ParseBackendUrl(
      "tempo+https://bob:pa%3Ass@tempo:443/"
      "prefix?tenant=team-a&header=X-Api-Key:abc&header=X-Other%3Dv");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->auth.basic_user, "bob");
  EXPECT_EQ(url->auth.basic_password, "pa:ss");
  EXPECT_EQ(url->auth.tenant, "team-a");
  const auto headers = url->RequestHeaders();
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"X-Scope-OrgID", "team-a"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"X-Api-Key", "abc"}));
  EXPECT_EQ(headers[2], (std::pair<std::string, std::string>{"X-Other", "v"}));

  auto bearer = ParseBackendUrl("jaeger://h?token=t0k3n");
  ASSERT_TRUE(bearer.ok());
  EXPECT_EQ(bearer->RequestHeaders()[0],
            (std::pair<std::string, std::string>{"Authorization", "Bearer t0k3n"}));

  BackendAuth auth;
  EXPECT_TRUE(AddBackendHeader("Authorization: Bearer x", &auth).ok());
  EXPECT_EQ(auth.headers[0].second, "Bearer x");
  EXPECT_FALSE(AddBackendHeader("no separator", &auth).ok());
  EXPECT_FALSE(AddBackendHeader(": empty name", &auth).ok());
}

TEST(BackendUrl, DescribeNeverShowsSecrets) {
  auto url = ParseBackendUrl(
      "jaeger+https://alice:hunter2@h:1/p?token=supersecret&tenant=acme&header=X-Key:k3y");
  ASSERT_TRUE(url.ok());
  const std::string d = url->Describe();
  EXPECT_EQ(d, "jaeger+https://alice:***@h:1/p?token=***&tenant=acme&header=X-Key:***");
  for (const char* secret : {"hunter2", "supersecret", "k3y"}) {
    EXPECT_EQ(d.find(secret), std::string::npos) << secret;
  }
}

TEST(BackendUrl, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"", "localhost:16686", "zipkin://h:9411", "jaeger://", "jaeger://h:0", "jaeger://h:99999",
        "jaeger://h:port", "jaeger://h?colour=red", "tempo://h?api=v3",
        "file:", "jaeger://h?header=novalue", "jaeger://h?token=%zz"}) {
    EXPECT_FALSE(ParseBackendUrl(bad).ok()) << bad;
  }
}

// The URLs a newcomer tries first: the UI's http:// URL, a misspelt scheme.
TEST(BackendUrl, SaysWhichSchemeWasMeant) {
  auto ui = ParseBackendUrl("http://127.0.0.1:16686/search");
  ASSERT_FALSE(ui.ok());
  EXPECT_NE(ui.status().message().find("a backend URL names the API to read: "
                                       "jaeger://127.0.0.1:16686 for Jaeger's query API"),
            std::string::npos)
      << ui.status();
  auto tls = ParseBackendUrl("https://jaeger.example");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("jaeger+https://jaeger.example for"), std::string::npos)
      << tls.status();
  auto typo = ParseBackendUrl("jager://h:16686");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown backend scheme \"jager\"; did you mean jaeger?"),
            std::string::npos)
      << typo.status();
}

}  // namespace
}  // namespace agentstorm::readers
