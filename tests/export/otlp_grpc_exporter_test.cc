#include "export/otlp_grpc_exporter.h"

#include <gmock/gmock.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "export/exporter_factory.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
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

// One scripted answer of the fake collector.
struct Answer {
  grpc::Status status = grpc::Status::OK;
  int64_t rejected_spans = 0;
  bool hang = false;  // wait until released or cancelled
};

grpc::Status WithRetryInfo(grpc::StatusCode code, std::chrono::milliseconds delay) {
  google::rpc::Status status;
  status.set_code(code);
  status.set_message("try later");
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(delay.count() / 1000);
  info.mutable_retry_delay()->set_nanos(static_cast<int>(delay.count() % 1000) * 1000000);
  status.add_details()->PackFrom(info);
  return grpc::Status(code, "try later", status.SerializeAsString());
}

// A TraceService whose answers follow a script (then OK), recording what arrives.
class FakeCollector final
    : public opentelemetry::proto::collector::trace::v1::TraceService::Service {
 public:
  grpc::Status Export(grpc::ServerContext* context, const ExportTraceServiceRequest* request,
                      ExportTraceServiceResponse* response) override {
    Answer answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      arrivals_.push_back(Clock::now());
      peers_.insert(context->peer());
      for (const auto& [k, v] : context->client_metadata()) {
        metadata_[std::string(k.data(), k.size())] = std::string(v.data(), v.size());
      }
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
      ++concurrent_;
      max_concurrent_ = std::max(max_concurrent_, concurrent_);
    }
    while (answer.hang && !released_ && !context->IsCancelled()) {
      std::this_thread::sleep_for(5ms);
    }
    std::lock_guard<std::mutex> lock(mu_);
    --concurrent_;
    if (answer.status.ok()) {
      spans_stored_ += CountSpans(*request) - static_cast<int>(answer.rejected_spans);
      if (answer.rejected_spans > 0) {
        response->mutable_partial_success()->set_rejected_spans(answer.rejected_spans);
        response->mutable_partial_success()->set_error_message("span too large");
      }
    }
    return answer.status;
  }

  void Script(std::vector<Answer> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.assign(answers.begin(), answers.end());
  }
  void Release() { released_ = true; }
  std::vector<Clock::time_point> Arrivals() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrivals_;
  }
  std::map<std::string, std::string> Metadata() {
    std::lock_guard<std::mutex> lock(mu_);
    return metadata_;
  }
  int SpansStored() {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_stored_;
  }
  int MaxConcurrent() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_concurrent_;
  }
  // Client addresses seen: one per connection.
  std::set<std::string> Peers() {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

 private:
  std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<Clock::time_point> arrivals_;
  std::map<std::string, std::string> metadata_;
  std::set<std::string> peers_;
  int spans_stored_ = 0;
  int concurrent_ = 0;
  int max_concurrent_ = 0;
  std::atomic<bool> released_{false};
};

class FakeServer {
 public:
  explicit FakeServer(
      std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials()) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
    builder.RegisterService(&collector_);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() {
    collector_.Release();
    server_->Shutdown(std::chrono::system_clock::now() + 1s);
  }
  int port() const { return port_; }
  FakeCollector& collector() { return collector_; }

 private:
  FakeCollector collector_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

ExporterOptions FastOptions(int port, const std::string& scheme = "http") {
  ExporterOptions o;
  o.endpoint = scheme + "://127.0.0.1:" + std::to_string(port);
  o.timeout = 2000ms;
  o.retry.initial_backoff = 50ms;
  o.retry.max_backoff = 200ms;
  o.retry.multiplier = 2.0;
  o.retry.max_elapsed = 2000ms;
  return o;
}

std::unique_ptr<OtlpGrpcExporter> MakeGrpc(const ExporterOptions& o) {
  auto exporter = OtlpGrpcExporter::Create(o, [] { return 0.5; });  // no jitter
  EXPECT_TRUE(exporter.ok()) << exporter.status();
  return exporter.ok() ? *std::move(exporter) : nullptr;
}

TEST(OtlpGrpcExporter, AcknowledgesABatchAndSendsHeadersAsMetadata) {
  FakeServer server;
  ExporterOptions o = FastOptions(server.port());
  o.headers = {{"X-Tenant", "acme"}, {"authorization", "Bearer t0ken"}};
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  exporter->Export(MakeBatch(12), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.acknowledged_spans, 12u);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_GT(r.bytes_sent, 0u);
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_FALSE(r.endpoint_unreachable);
  ExpectAccounted(r, 12);
  EXPECT_EQ(server.collector().SpansStored(), 12);
  auto metadata = server.collector().Metadata();
  EXPECT_EQ(metadata["x-tenant"], "acme");
  EXPECT_EQ(metadata["authorization"], "Bearer t0ken");
  EXPECT_THAT(exporter->Describe(), ::testing::Not(HasSubstr("t0ken")));
}

TEST(OtlpGrpcExporter, BareHostPortWithInsecureIsPlaintext) {
  FakeServer server;
  ExporterOptions o = FastOptions(server.port());
  o.endpoint = "127.0.0.1:" + std::to_string(server.port());
  o.insecure = true;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  exporter->Export(MakeBatch(3), results.Callback());
  EXPECT_EQ(results.Wait(1)[0].outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_THAT(exporter->Describe(), HasSubstr("plaintext"));
}

TEST(OtlpGrpcExporter, RetriesUnavailableWithExponentialBackoffThenSucceeds) {
  FakeServer server;
  server.collector().Script({{grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy")},
                             {grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy")}});
  auto exporter = MakeGrpc(FastOptions(server.port()));
  ResultCollector results;
  exporter->Export(MakeBatch(5), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.attempts, 3);
  ExpectAccounted(r, 5);
  auto arrivals = server.collector().Arrivals();
  ASSERT_EQ(arrivals.size(), 3u);
  EXPECT_GE(arrivals[1] - arrivals[0], 45ms);  // initial backoff 50ms
  EXPECT_GE(arrivals[2] - arrivals[1], 95ms);  // then 100ms
  EXPECT_EQ(server.collector().SpansStored(), 5);
}

TEST(OtlpGrpcExporter, ResourceExhaustedWithoutRetryInfoIsNotRetried) {
  FakeServer server;
  server.collector().Script({{grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "quota")}});
  auto exporter = MakeGrpc(FastOptions(server.port()));
  ResultCollector results;
  exporter->Export(MakeBatch(4), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_EQ(r.failed_spans, 4u);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_FALSE(r.endpoint_unreachable);
  EXPECT_THAT(r.error, HasSubstr("quota"));
  ExpectAccounted(r, 4);
}

TEST(OtlpGrpcExporter, ResourceExhaustedWithRetryInfoWaitsTheServerDelay) {
  FakeServer server;
  server.collector().Script({{WithRetryInfo(grpc::StatusCode::RESOURCE_EXHAUSTED, 300ms)}});
  auto exporter = MakeGrpc(FastOptions(server.port()));
  ResultCollector results;
  exporter->Export(MakeBatch(4), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(r.attempts, 2);
  ExpectAccounted(r, 4);
  auto arrivals = server.collector().Arrivals();
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_GE(arrivals[1] - arrivals[0], 290ms);  // RetryInfo, not the 50ms backoff
}

TEST(OtlpGrpcExporter, PartialSuccessCountsRejectedSpans) {
  FakeServer server;
  server.collector().Script({{grpc::Status::OK, /*rejected_spans=*/3}});
  auto exporter = MakeGrpc(FastOptions(server.port()));
  ResultCollector results;
  exporter->Export(MakeBatch(10), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kPartiallyRejected);
  EXPECT_EQ(r.acknowledged_spans, 7u);
  EXPECT_EQ(r.rejected_spans, 3u);
  EXPECT_THAT(r.error, HasSubstr("span too large"));
  ExpectAccounted(r, 10);
}

TEST(OtlpGrpcExporter, InvalidArgumentFailsWithoutRetry) {
  FakeServer server;
  server.collector().Script({{grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad span")}});
  auto exporter = MakeGrpc(FastOptions(server.port()));
  ResultCollector results;
  exporter->Export(MakeBatch(2), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_THAT(r.error, HasSubstr("bad span"));
  ExpectAccounted(r, 2);
  EXPECT_EQ(server.collector().Arrivals().size(), 1u);
}

TEST(OtlpGrpcExporter, GivesUpAfterMaxElapsedTime) {
  FakeServer server;
  std::vector<Answer> always_unavailable(100, {grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")});
  server.collector().Script(always_unavailable);
  ExporterOptions o = FastOptions(server.port());
  o.retry.max_elapsed = 400ms;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  Clock::time_point start = Clock::now();
  exporter->Export(MakeBatch(3), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_LE(r.latency, 450ms);
  // Backoffs 50, 100, 200 (cap) -> attempts at 0, 50, 150, 350; the next (550) is past 400.
  EXPECT_EQ(r.attempts, 4);
  EXPECT_THAT(r.error, HasSubstr("retries exhausted"));
  EXPECT_FALSE(r.endpoint_unreachable);  // the server did answer
  ExpectAccounted(r, 3);
}

TEST(OtlpGrpcExporter, EndpointDownIsReportedUnreachableQuickly) {
  ExporterOptions o = FastOptions(ClosedPort());
  o.retry.max_elapsed = 200ms;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  Clock::time_point start = Clock::now();
  exporter->Export(MakeBatch(6), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_TRUE(r.endpoint_unreachable);
  EXPECT_GE(r.attempts, 2);
  ExpectAccounted(r, 6);
}

TEST(OtlpGrpcExporter, BoundsRequestsInFlightAndQueuesTheRest) {
  FakeServer server;
  server.collector().Script(std::vector<Answer>(6, {grpc::Status::OK, 0, /*hang=*/true}));
  ExporterOptions o = FastOptions(server.port());
  o.max_in_flight = 2;
  o.timeout = 10000ms;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  for (int i = 0; i < 6; ++i) exporter->Export(MakeBatch(2, i + 1), results.Callback());
  EXPECT_EQ(exporter->InFlight(), 6);
  for (int i = 0; i < 200 && server.collector().Arrivals().size() < 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.collector().Arrivals().size(), 2u);
  server.collector().Release();
  auto all = results.Wait(6);
  for (const ExportResult& r : all) {
    EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
    ExpectAccounted(r, 2);
  }
  EXPECT_EQ(server.collector().MaxConcurrent(), 2);
  EXPECT_EQ(server.collector().SpansStored(), 12);
  EXPECT_EQ(exporter->InFlight(), 0);
}

TEST(OtlpGrpcExporter, SpreadsRequestsOverItsConnectionsInTurn) {
  for (int connections : {1, 3}) {
    FakeServer server;
    ExporterOptions o = FastOptions(server.port());
    o.connections = connections;
    auto exporter = MakeGrpc(o);
    ResultCollector results;
    for (int i = 0; i < 9; ++i) exporter->Export(MakeBatch(2, i + 1), results.Callback());
    for (const ExportResult& r : results.Wait(9)) {
      EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
      ExpectAccounted(r, 2);
    }
    EXPECT_EQ(server.collector().Peers().size(), static_cast<size_t>(connections))
        << "each connection has its own client port";
    EXPECT_EQ(server.collector().SpansStored(), 18);
  }
}

TEST(OtlpGrpcExporter, ShutdownWithAHungServerCompletesEveryCallback) {
  FakeServer server;
  server.collector().Script(std::vector<Answer>(10, {grpc::Status::OK, 0, /*hang=*/true}));
  ExporterOptions o = FastOptions(server.port());
  o.max_in_flight = 2;
  o.timeout = 10000ms;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  for (int i = 0; i < 5; ++i) exporter->Export(MakeBatch(3, i + 1), results.Callback());
  std::this_thread::sleep_for(100ms);
  Clock::time_point start = Clock::now();
  exporter->Shutdown(150ms);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(results.Count(), 5u);  // every callback ran before Shutdown returned
  int failed = 0, not_sent = 0;
  for (const ExportResult& r : results.Wait(5)) {
    ExpectAccounted(r, 3);
    if (r.outcome == ExportResult::Outcome::kFailed) ++failed;
    if (r.outcome == ExportResult::Outcome::kNotSent) ++not_sent;
  }
  EXPECT_EQ(failed, 2);    // the two on the wire, cancelled
  EXPECT_EQ(not_sent, 3);  // the queued ones never went out
  EXPECT_EQ(exporter->InFlight(), 0);
}

TEST(OtlpGrpcExporter, ExportAfterShutdownIsNotSent) {
  FakeServer server;
  auto exporter = MakeGrpc(FastOptions(server.port()));
  exporter->Shutdown(0ms);
  ResultCollector results;
  exporter->Export(MakeBatch(2), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kNotSent);
  ExpectAccounted(r, 2);
}

TEST(OtlpGrpcExporter, GzipCompressedRequestsArriveIntact) {
  FakeServer server;
  ExporterOptions o = FastOptions(server.port());
  o.compression = OtlpCompression::kGzip;
  auto exporter = MakeGrpc(o);
  ResultCollector results;
  exporter->Export(MakeBatch(50), results.Callback());
  ExportResult r = results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(server.collector().SpansStored(), 50);
}

TEST(OtlpGrpcExporter, GzipIsReallyOnTheWire) {
  // A server that refuses gzip-compressed messages rejects the gzip exporter only.
  FakeCollector collector;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&collector);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();

  ExporterOptions o = FastOptions(port);
  ResultCollector plain_results, gzip_results;
  auto plain = MakeGrpc(o);
  plain->Export(MakeBatch(5), plain_results.Callback());
  EXPECT_EQ(plain_results.Wait(1)[0].outcome, ExportResult::Outcome::kAcknowledged);

  o.compression = OtlpCompression::kGzip;
  auto gzip = MakeGrpc(o);
  gzip->Export(MakeBatch(5), gzip_results.Callback());
  ExportResult r = gzip_results.Wait(1)[0];
  EXPECT_EQ(r.outcome, ExportResult::Outcome::kFailed);
  EXPECT_THAT(r.error, HasSubstr("ompress"));
  EXPECT_EQ(collector.SpansStored(), 5);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

// ------------------------------------------------------------------ TLS

std::shared_ptr<grpc::ServerCredentials> ServerTls(const TestCertificates& c, bool require_client) {
  grpc::SslServerCredentialsOptions ssl(
      require_client ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                     : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_root_certs = testing::ReadFileOrDie(c.ca_cert);
  ssl.pem_key_cert_pairs.push_back(
      {testing::ReadFileOrDie(c.server_key), testing::ReadFileOrDie(c.server_cert)});
  return grpc::SslServerCredentials(ssl);
}

class OtlpGrpcExporterTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = TestCertificates::Generate().release(); }
  static void TearDownTestSuite() { delete certs_; }
  void SetUp() override {
    if (certs_ == nullptr) GTEST_SKIP() << "openssl CLI could not generate test certificates";
  }
  ExportResult SendOne(const ExporterOptions& o) {
    auto exporter = MakeGrpc(o);
    ResultCollector results;
    exporter->Export(MakeBatch(3), results.Callback());
    ExportResult r = results.Wait(1)[0];
    ExpectAccounted(r, 3);
    return r;
  }
  static TestCertificates* certs_;
};
TestCertificates* OtlpGrpcExporterTls::certs_ = nullptr;

TEST_F(OtlpGrpcExporterTls, SucceedsWithTheRightCaAndFailsWithout) {
  FakeServer server(ServerTls(*certs_, /*require_client=*/false));
  ExporterOptions o = FastOptions(server.port(), "https");
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

  o.retry.max_elapsed = 10s;
  o.ca_file.clear();
  o.insecure = true;  // https + insecure: TLS without verifying the server
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kAcknowledged);
}

TEST_F(OtlpGrpcExporterTls, MutualTlsNeedsTheClientCertificate) {
  FakeServer server(ServerTls(*certs_, /*require_client=*/true));
  ExporterOptions o = FastOptions(server.port(), "https");
  o.retry.max_elapsed = 100ms;
  o.ca_file = certs_->ca_cert;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kFailed);

  o.timeout = 10s;  // the handshake that must succeed gets seconds (see above)
  o.retry.max_elapsed = 10s;
  o.cert_file = certs_->client_cert;
  o.key_file = certs_->client_key;
  EXPECT_EQ(SendOne(o).outcome, ExportResult::Outcome::kAcknowledged);
  EXPECT_EQ(server.collector().SpansStored(), 3);
}

TEST(ExporterFactory, MakesTheExporterOfTheProtocolAndRejectsBadOptions) {
  ExporterOptions o;
  o.endpoint = "http://127.0.0.1:4317";
  auto grpc_exporter = MakeExporter(o);
  ASSERT_TRUE(grpc_exporter.ok()) << grpc_exporter.status();
  EXPECT_THAT((*grpc_exporter)->Describe(), HasSubstr("grpc http://127.0.0.1:4317"));

  o.protocol = OtlpProtocol::kHttpJson;
  o.endpoint = "http://127.0.0.1:4318/v1/traces";
  auto http_exporter = MakeExporter(o);
  ASSERT_TRUE(http_exporter.ok()) << http_exporter.status();
  EXPECT_THAT((*http_exporter)->Describe(), HasSubstr("http/json"));

  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(MakeExporter(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agentstorm
