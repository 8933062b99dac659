// Shared pieces of the exporter tests: batches of synthetic spans, a result collector, the
// accounting invariant, and test certificates made with the openssl CLI.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "export/exporter.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm::testing {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

inline std::shared_ptr<const EncodedBatch> MakeBatch(uint32_t spans, uint64_t seed = 1) {
  ExportTraceServiceRequest request;
  auto* scope = request.add_resource_spans()->add_scope_spans();
  for (uint32_t i = 0; i < spans; ++i) {
    auto* span = scope->add_spans();
    std::string trace_id(16, '\0'), span_id(8, '\0');
    trace_id[0] = static_cast<char>(seed);
    trace_id[15] = 1;
    span_id[0] = static_cast<char>(i + 1);
    span_id[7] = static_cast<char>(seed);
    span->set_trace_id(trace_id);
    span->set_span_id(span_id);
    span->set_name("invoke_agent planner");
    span->set_start_time_unix_nano(1700000000000000000ull + i);
    span->set_end_time_unix_nano(1700000000000001000ull + i);
  }
  auto batch = std::make_shared<EncodedBatch>();
  batch->payload = request.SerializeAsString();
  batch->span_count = spans;
  batch->trace_indices = {seed};
  return batch;
}

inline int CountSpans(const ExportTraceServiceRequest& request) {
  int n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  }
  return n;
}

// Every span lands in exactly one bucket.
inline void ExpectAccounted(const ExportResult& r, uint32_t span_count) {
  EXPECT_EQ(r.acknowledged_spans + r.rejected_spans + r.failed_spans + r.not_sent_spans, span_count)
      << "ack=" << r.acknowledged_spans << " rejected=" << r.rejected_spans
      << " failed=" << r.failed_spans << " not_sent=" << r.not_sent_spans;
}

class ResultCollector {
 public:
  ExportCallback Callback() {
    return [this](const ExportResult& r) {
      std::lock_guard<std::mutex> lock(mu_);
      results_.push_back(r);
      cv_.notify_all();
    };
  }
  // Waits for `n` results; fails the test after `timeout`.
  std::vector<ExportResult> Wait(
      size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mu_);
    bool done = cv_.wait_for(lock, timeout, [&] { return results_.size() >= n; });
    EXPECT_TRUE(done) << "only " << results_.size() << " of " << n << " results";
    return results_;
  }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ExportResult> results_;
};

// A 127.0.0.1 port that nothing listens on (bound, then released).
inline int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  (void)bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline std::string ReadFileOrDie(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  if (f == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  fclose(f);
  return out;
}

// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by
// the CA, written by the openssl CLI into a fresh temporary directory.
struct TestCertificates {
  std::string dir;
  std::string ca_cert, server_cert, server_key, client_cert, client_key;
  std::string other_ca_cert;  // a CA that signed nothing here

  static std::unique_ptr<TestCertificates> Generate() {
    auto c = std::make_unique<TestCertificates>();
    char tmpl[] = "/tmp/agentstorm-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return nullptr;
    c->dir = tmpl;
    const std::string d = c->dir;
    c->ca_cert = d + "/ca.pem";
    c->server_cert = d + "/server.pem";
    c->server_key = d + "/server.key";
    c->client_cert = d + "/client.pem";
    c->client_key = d + "/client.key";
    c->other_ca_cert = d + "/other-ca.pem";
    FILE* ext = fopen((d + "/server.ext").c_str(), "w");
    if (ext == nullptr) return nullptr;
    fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", ext);
    fclose(ext);
    ext = fopen((d + "/client.ext").c_str(), "w");
    fputs("extendedKeyUsage=clientAuth\n", ext);
    fclose(ext);
    const std::string q = " >/dev/null 2>&1";
    const std::string script =
        "cd " + d + " && " +
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=agentstorm-test-ca" +
        q + " && " +
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 2 "
        "-subj /CN=agentstorm-other-ca" +
        q + " && " +
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=127.0.0.1" +
        q + " && " +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile server.ext" +
        q + " && " +
        "openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr "
        "-subj /CN=agentstorm-client" +
        q + " && " +
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out client.pem -days 2 -extfile client.ext" +
        q;
    if (std::system(script.c_str()) != 0) return nullptr;
    return c;
  }
  ~TestCertificates() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

}  // namespace agentstorm::testing
