#include "export/otlp_http_exporter.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <thread>

#include "core/otlp_json.h"
#include "google/rpc/status.pb.h"
#include "tests/export/exporter_test_util.h"

namespace agentstorm {
namespace {

using namespace std::chrono_literals;
using testing::ClosedPort;
using testing::CountSpans;
using testing::ExpectAccounted;
using testing::ExportTraceServiceRequest;
using testing::ExportTraceServiceResponse;
using ::testing::HasSubstr;
using testing::MakeBatch;
using testing::ResultCollector;
using testing::TestCertificates;
using Clock = std::chrono::steady_clock;

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/x-protobuf";
  std::string retry_after;
  bool hang = false;
};

Reply Answer(int status, std::string body = "", std::string content_type = "text/plain",
             std::string retry_after = "") {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.retry_after = std::move(retry_after);
  return r;
}

Reply Hang() {
  Reply r;
  r.hang = true;
  return r;
}

// What one request looked like when it reached the fake collector.
struct Received {
  Clock::time_point at;
  std::string content_type;
  std::string content_encoding;
  std::map<std::string, std::string> headers;
  int spans = -1;  // -1: the body did not decode
};

// An OTLP/HTTP collector on 127.0.0.1 whose replies follow a script (then an empty 200).
// cpp-httplib inflates gzip request bodies itself, so a gzip body that decodes arrived intact.
class FakeHttpCollector {
 public:
  explicit FakeHttpCollector(const TestCertificates* tls = nullptr, bool require_client = false) {
    if (tls == nullptr) {
      server_ = std::make_unique<httplib::Server>();
    } else {
      server_ =
          std::make_unique<httplib::SSLServer>(tls->server_cert.c_str(), tls->server_key.c_str(),
                                               require_client ? tls->ca_cert.c_str() : nullptr);
    }
    server_->Post("/v1/traces", [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeHttpCollector() {
    released_ = true;
    server_->stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }
  void Script(std::vector<Reply> replies) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(replies.begin(), replies.end());
  }
  void Release() { released_ = true; }
  std::vector<Received> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Received r;
    r.at = Clock::now();
    r.content_type = req.get_header_value("Content-Type");
    r.content_encoding = req.get_header_value("Content-Encoding");
    for (const auto& [k, v] : req.headers) r.headers[k] = v;
    ExportTraceServiceRequest request;
    bool decoded = r.content_type == "application/json" ? DecodeOtlpJson(req.body, &request).ok()
                                                        : request.ParseFromString(req.body);
    if (decoded) r.spans = CountSpans(request);
    Reply reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(r);
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      }
    }
    while (reply.hang && !released_) std::this_thread::sleep_for(5ms);
    res.status = reply.status;
    if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
    res.set_content(reply.body, reply.content_type.c_str());
  }

  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Reply> script_;
  std::vector<Received> received_;
  std::atomic<bool> released_{false};
};

ExporterOptions FastOptions(const std::string& url,
                            OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf) {
  ExporterOptions o;
  o.protocol = protocol;
  o.endpoint = url;
  o.timeout = 2000ms;
  o.retry.initial_backoff = 50ms;
  o.retry.max_backoff = 200ms;
  o.retry.multiplier = 2.0;
  o.retry.max_elapsed = 2000ms;
  return o;
}

std::unique_ptr<OtlpHttpExporter> MakeHttp(const ExporterOptions& o) {
  auto exporter = OtlpHttpExporter::Create(o, [] { return 0.5; });  // no jitter
  EXPECT_TRUE(exporter.ok()) << exporter.status();
  return exporter.ok() ? *std::move(exporter) : nullptr;
}

ExportResult SendOne(const ExporterOptions& o, uint32_t spans = 4) {
  auto exporter = MakeHttp(o);
  ResultCollector results;
  exporter->Export(MakeBatch(spans), results.Callback());
  ExportResult r = results.Wait(1)[0];
  ExpectAccounted(r, spans);
  return r;
}

std::string PartialSuccessProto(int64_t rejected) {
  ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_rejected_spans(rejected);
  response.mutable_partial_success()->set_error_message("dropped by policy");
  return response.SerializeAsString();
}

TEST(OtlpHttpExporter, PostsProtobufWithHeadersAndIsAcknowledged) {
  FakeHttpCollector server;
  ExporterOptions o = FastOptions(server.url());
  o.headers = {{"X-Scope-OrgID", "tenant-a"}, {"Authorization", "Bearer s3cret"}};
  ExportResult r = SendOne(o, 9);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.acknowledged_spans, 9u);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GT(r.bytes_sent, 0u);
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_type, "application/x-protobuf");
  EXPECT_EQ(requests[0].spans, 9);
  EXPECT_EQ(requests[0].headers["X-Scope-OrgID"], "tenant-a");
  EXPECT_EQ(requests[0].headers["Authorization"], "Bearer s3cret");
}

TEST(OtlpHttpExporter, JsonProtocolSendsOtlpJson) {
  FakeHttpCollector server;
  ExportResult r = SendOne(FastOptions(server.url(), OtlpProtocol::kHttpJson), 6);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(requests[0].spans, 6);
}

TEST(OtlpHttpExporter, GzipBodiesArriveDecodable) {
  FakeHttpCollector server;
  for (OtlpProtocol protocol : {OtlpProtocol::kHttpProtobuf, OtlpProtocol::kHttpJson}) {
    ExporterOptions o = FastOptions(server.url(), protocol);
    o.compression = OtlpCompression::kGzip;
    auto exporter = MakeHttp(o);
    ResultCollector results;
    auto batch = MakeBatch(40);
    exporter->Export(batch, results.Callback());
    ExportResult r = results.Wait(1)[0];
    EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
    if (protocol == OtlpProtocol::kHttpProtobuf) {
      EXPECT_LT(r.bytes_sent, batch->payload.size());
    }
  }
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const Received& r : requests) {
    EXPECT_EQ(r.content_encoding, "gzip");
    EXPECT_EQ(r.spans, 40);
  }
}

TEST(OtlpHttpExporter, Retries429HonouringRetryAfter) {
  FakeHttpCollector server;
  server.Script({Answer(429, "", "text/plain", "1")});
  ExportResult r = SendOne(FastOptions(server.url()));
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.attempts, 2);
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].at - requests[0].at, 950ms);  // Retry-After: 1, not the 50ms backoff
}

TEST(OtlpHttpExporter, Retries503And502WithBackoff) {
  FakeHttpCollector server;
  server.Script({Answer(503), Answer(502), Answer(504)});
  ExportResult r = SendOne(FastOptions(server.url()));
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.attempts, 4);
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_GE(requests[1].at - requests[0].at, 45ms);
  EXPECT_GE(requests[2].at - requests[1].at, 95ms);
  EXPECT_GE(requests[3].at - requests[2].at, 195ms);
}

TEST(OtlpHttpExporter, BadRequestFailsWithTheStatusMessage) {
  FakeHttpCollector server;
  google::rpc::Status status;
  status.set_code(3);
  status.set_message("span 7 has an empty trace_id");
  server.Script({Answer(400, status.SerializeAsString(), "application/x-protobuf")});
  ExportResult r = SendOne(FastOptions(server.url()));
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.endpoint_unreachable);
  EXPECT_THAT(r.error, HasSubstr("400"));
  EXPECT_THAT(r.error, HasSubstr("span 7 has an empty trace_id"));
}

TEST(OtlpHttpExporter, BadRequestWithJsonStatus) {
  FakeHttpCollector server;
  server.Script({Answer(400, R"({"code":3,"message":"unknown field"})", "application/json")});
  ExportResult r = SendOne(FastOptions(server.url(), OtlpProtocol::kHttpJson));
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_THAT(r.error, HasSubstr("unknown field"));
}

TEST(OtlpHttpExporter, PartialSuccessFromProtobufAndJsonBodies) {
  FakeHttpCollector server;
  server.Script({Answer(200, PartialSuccessProto(2), "application/x-protobuf"),
                 Answer(200, R"({"partialSuccess":{"rejectedSpans":"5","errorMessage":"too old"}})",
                        "application/json")});
  ExportResult proto = SendOne(FastOptions(server.url()), 10);
  EXPECT_EQ(proto.outcome, ExportResult::Outcome::kPartiallyRejected);
  EXPECT_EQ(proto.rejected_spans, 2u);
  EXPECT_EQ(proto.acknowledged_spans, 8u);
  ExportResult json = SendOne(FastOptions(server.url(), OtlpProtocol::kHttpJson), 10);
  EXPECT_EQ(json.outcome, ExportResult::Outcome::kPartiallyRejected);
  EXPECT_EQ(json.rejected_spans, 5u);
  EXPECT_THAT(json.error, HasSubstr("too old"));
}

TEST(OtlpHttpExporter, RejectedSpansAreCappedAtTheBatchSize) {
  FakeHttpCollector server;
  server.Script({Answer(200, PartialSuccessProto(1000), "application/x-protobuf")});
  ExportResult r = SendOne(FastOptions(server.url()), 4);
  EXPECT_EQ(r.rejected_spans, 4u);
  EXPECT_EQ(r.acknowledged_spans, 0u);
}

TEST(OtlpHttpExporter, GivesUpAfterMaxElapsedTime) {
  FakeHttpCollector server;
  server.Script(std::vector<Reply>(100, Answer(503)));
  ExporterOptions o = FastOptions(server.url());
  o.retry.max_elapsed = 400ms;
  Clock::time_point start = Clock::now();
  ExportResult r = SendOne(o);
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_THAT(r.error, HasSubstr("retries exhausted"));
  EXPECT_FALSE(r.endpoint_unreachable);
}

TEST(OtlpHttpExporter, EndpointDownIsReportedUnreachableQuickly) {
  ExporterOptions o =
      FastOptions("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/v1/traces");
  o.retry.max_elapsed = 200ms;
  Clock::time_point start = Clock::now();
  ExportResult r = SendOne(o, 5);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_TRUE(r.endpoint_unreachable);
  EXPECT_GE(r.attempts, 2);
}

TEST(OtlpHttpExporter, ManyBatchesOverKeptAliveConnections) {
  FakeHttpCollector server;
  ExporterOptions o = FastOptions(server.url());
  o.max_in_flight = 4;
  auto exporter = MakeHttp(o);
  ResultCollector results;
  for (int i = 0; i < 50; ++i) exporter->Export(MakeBatch(3, i + 1), results.Callback());
  auto all = results.Wait(50);
  for (const ExportResult& r : all) {
    EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
    ExpectAccounted(r, 3);
  }
  EXPECT_EQ(server.Requests().size(), 50u);
}

TEST(OtlpHttpExporter, ShutdownWithAHungServerCompletesEveryCallback) {
  FakeHttpCollector server;
  server.Script(std::vector<Reply>(10, Hang()));
  ExporterOptions o = FastOptions(server.url());
  o.max_in_flight = 2;
  o.timeout = 10000ms;
  auto exporter = MakeHttp(o);
  ResultCollector results;
  for (int i = 0; i < 5; ++i) exporter->Export(MakeBatch(3, i + 1), results.Callback());
  for (int i = 0; i < 200 && server.Requests().size() < 2; ++i) std::this_thread::sleep_for(10ms);
  Clock::time_point start = Clock::now();
  exporter->Shutdown(150ms);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(results.Count(), 5u);
  int failed = 0, not_sent = 0;
  for (const ExportResult& r : results.Wait(5)) {
    ExpectAccounted(r, 3);
    if (r.outcome == ExportResult::Outcome::kFailed) ++failed;
    if (r.outcome == ExportResult::Outcome::kNotSent) ++not_sent;
  }
  EXPECT_EQ(failed, 2);
  EXPECT_EQ(not_sent, 3);
  server.Release();
}

// A server that reads a second request on a kept-alive connection and closes it unanswered:
// libcurl sends that request again, on a fresh connection, within the same attempt. The server
// has read it twice, and the exporter's request count must say so (it counted one before).
TEST(OtlpHttpExporter, LibcurlsOwnResendIsCounted) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  // Every accept and read gives up after 10 s: the test ends even if no re-send comes.
  const timeval budget{10, 0};
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &budget, sizeof budget);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::atomic<int> requests_read{0};
  // Reads one request (headers, then Content-Length bytes of body); false on EOF or an error.
  auto read_request = [&](int fd) {
    std::string data;
    char buf[65536];
    size_t head_end = std::string::npos, want = 0;
    while (true) {
      if (head_end == std::string::npos &&
          (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        const size_t at = data.find("Content-Length: ");
        want = head_end + 4 + (at == std::string::npos ? 0 : std::stoul(data.substr(at + 16)));
      }
      if (head_end != std::string::npos && data.size() >= want) {
        ++requests_read;
        return true;
      }
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
  };
  const std::string ok =
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
      "Content-Length: 0\r\n\r\n";
  std::thread server([&] {
    const int first = accept(listener, nullptr, nullptr);
    setsockopt(first, SOL_SOCKET, SO_RCVTIMEO, &budget, sizeof budget);
    if (read_request(first)) (void)send(first, ok.data(), ok.size(), MSG_NOSIGNAL);
    (void)read_request(first);  // the second request: read, never answered
    if (first >= 0) close(first);
    const int second = accept(listener, nullptr, nullptr);  // libcurl's re-send
    setsockopt(second, SOL_SOCKET, SO_RCVTIMEO, &budget, sizeof budget);
    if (read_request(second)) (void)send(second, ok.data(), ok.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(200ms);
    if (second >= 0) close(second);
  });

  ExporterOptions o = FastOptions("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  o.max_in_flight = 1;
  auto exporter = MakeHttp(o);
  ResultCollector first, second;
  exporter->Export(MakeBatch(3, 1), first.Callback());
  ASSERT_EQ(first.Wait(1).at(0).requests, 1);
  exporter->Export(MakeBatch(3, 2), second.Callback());
  const ExportResult r = second.Wait(1).at(0);
  server.join();
  close(listener);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged) << r.error;
  EXPECT_EQ(r.attempts, 1) << "one attempt of ours";
  EXPECT_EQ(r.requests, 2) << "two requests on the wire";
  EXPECT_EQ(requests_read.load(), 3) << "the server read three";
}

// ------------------------------------------------------------------ TLS

class OtlpHttpExporterTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = TestCertificates::Generate().release(); }
  static void TearDownTestSuite() { delete certs_; }
  void SetUp() override {
    if (certs_ == nullptr) GTEST_SKIP() << "openssl CLI could not generate test certificates";
  }
  static TestCertificates* certs_;
};
TestCertificates* OtlpHttpExporterTls::certs_ = nullptr;

TEST_F(OtlpHttpExporterTls, SucceedsWithTheRightCaAndFailsWithout) {
  FakeHttpCollector server(certs_);
  ExporterOptions o = FastOptions(server.url("https"));
  // A TLS handshake on a loaded machine (ctest -j2) can take seconds: the connections that must
  // succeed get a budget of several (100 ms once failed a clean CI run).
  o.timeout = 10s;
  o.retry.max_elapsed = 10s;
  o.ca_file = certs_->ca_cert;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kAcknowledged);

  o.ca_file = certs_->other_ca_cert;
  o.retry.max_elapsed = 100ms;  // gRPC reports a bad certificate as UNAVAILABLE: fail it fast
  ExportResult wrong_ca = SendOne(o);
  EXPECT_EQ(wrong_ca.outcome, ExportResult::Outcome::kFailed);
  EXPECT_TRUE(wrong_ca.endpoint_unreachable);
  EXPECT_EQ(wrong_ca.attempts, 1);  // a certificate problem is not retried

  o.retry.max_elapsed = 10s;
  o.ca_file.clear();
  o.insecure = true;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kAcknowledged);
}

TEST_F(OtlpHttpExporterTls, MutualTlsNeedsTheClientCertificate) {
  FakeHttpCollector server(certs_, /*require_client=*/true);
  ExporterOptions o = FastOptions(server.url("https"));
  o.retry.max_elapsed = 100ms;
  o.ca_file = certs_->ca_cert;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kFailed);

  o.timeout = 10s;  // the handshake that must succeed gets seconds (see above)
  o.retry.max_elapsed = 10s;
  o.cert_file = certs_->client_cert;
  o.key_file = certs_->client_key;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kAcknowledged);
}

}  // namespace
}  // namespace agentstorm
