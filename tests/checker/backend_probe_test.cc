// ProbeBackend (checker/readers/backend_probe.h): the API a backend URL names answers, or the
// message says which one does; a backend that is down is left to the poller.
#include "checker/readers/backend_probe.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sink/sink.h"
#include "tests/checker/reader_test_support.h"

namespace agentstorm::readers {
namespace {

class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink::SinkOptions so;
    so.grpc_address = "";
    so.http_address = "";
    so.query_address = "127.0.0.1:0";
    auto started = sink::Sink::Start(so);
    ASSERT_TRUE(started.ok()) << started.status();
    sink_ = std::move(*started);
  }
  void TearDown() override {
    if (sink_) (void)sink_->Shutdown(absl::Seconds(1));
  }
  absl::Status Probe(const std::string& scheme) {
    auto url = ParseBackendUrl(scheme + "://127.0.0.1:" + std::to_string(sink_->query_port()));
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? ProbeBackend(*url, ReaderOptions{}) : url.status();
  }
  std::unique_ptr<sink::Sink> sink_;
};

TEST_F(ProbeTest, TheApiTheUrlNamesAnswers) { EXPECT_TRUE(Probe("jaeger").ok()); }

TEST_F(ProbeTest, TheWrongKindOfBackendSaysWhichApiAnswered) {
  const absl::Status tempo = Probe("tempo");
  EXPECT_EQ(tempo.code(), absl::StatusCode::kFailedPrecondition) << tempo;
  EXPECT_NE(tempo.message().find("does not answer the Tempo API (GET /api/echo: HTTP 404)"),
            std::string::npos)
      << tempo;
  EXPECT_NE(tempo.message().find("the Jaeger API v3 (or agentstorm sink) answers there"),
            std::string::npos)
      << tempo;
  const absl::Status legacy = Probe("jaeger-legacy");
  EXPECT_EQ(legacy.code(), absl::StatusCode::kFailedPrecondition) << legacy;
  EXPECT_NE(legacy.message().find("Jaeger API v3"), std::string::npos) << legacy;
}

// `jaeger://HOST:16685` (Jaeger's gRPC port) or an OTLP/gRPC port: an HTTP/2-only server answers
// an HTTP/1.1 request in a way libcurl reads as HTTP/0.9. That is the wrong port, now, not a
// backend to wait --wait for.
TEST(Probe, AGrpcPortIsTheWrongPortAtOnce) {
  sink::SinkOptions so;
  so.grpc_address = "127.0.0.1:0";
  so.http_address = "";
  so.query_address = "";
  auto sink = sink::Sink::Start(so);
  ASSERT_TRUE(sink.ok()) << sink.status();
  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string((*sink)->grpc_port()));
  ASSERT_TRUE(url.ok()) << url.status();
  const absl::Status s = ProbeBackend(*url, ReaderOptions{});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("does not speak HTTP/1.1: a gRPC port? Jaeger's HTTP query API is "
                             "on 16686"),
            std::string::npos)
      << s;
  (void)(*sink)->Shutdown(absl::Seconds(1));
}

// A real Jaeger v2 (2.12) with nothing stored yet answers GET /api/v3/services with `{}`:
// protobuf's JSON mapping leaves an empty list out. That is API v3, not another API.
TEST(Probe, AnEmptyJaegerV3IsJaegerV3) {
  testing::TestServer server;
  server.server().Get("/api/v3/services", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "text/plain; charset=utf-8");
  });
  server.server().Get("/api/services", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"data":null,"total":0,"limit":0,"offset":0,"errors":null})",
                    "application/json");
  });
  server.Start();
  EXPECT_TRUE(ProbeBackend(server.Url("jaeger"), ReaderOptions{}).ok());
  EXPECT_TRUE(ProbeBackend(server.Url("jaeger-legacy"), ReaderOptions{}).ok());
}

TEST(Probe, ABackendThatIsDownIsUnavailableForThePollerToWaitFor) {
  auto url = ParseBackendUrl("tempo://127.0.0.1:1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(ProbeBackend(*url, ReaderOptions{}).code(), absl::StatusCode::kUnavailable);
  auto file = ParseBackendUrl("file:/nonexistent.jsonl");
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(ProbeBackend(*file, ReaderOptions{}).ok());  // the reader opens it
}

}  // namespace
}  // namespace agentstorm::readers
