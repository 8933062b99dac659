// Exporter throughput over loopback against in-process collectors that only count spans:
// OTLP/gRPC (generic stub, payload sent as is) and OTLP/HTTP protobuf/JSON (libcurl multi),
// with and without gzip. Reports spans/s and bytes/s per configuration. The gRPC collector parses
// each request (the sync service API does), the HTTP one does not: compare runs of one kind.
#include <benchmark/benchmark.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "export/exporter_factory.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

std::shared_ptr<const EncodedBatch> Batch(uint32_t spans) {
  ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("agentstorm-bench");
  auto* scope = rs->add_scope_spans();
  for (uint32_t i = 0; i < spans; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(std::string(15, 'a') + static_cast<char>(i / 8));
    span->set_span_id(std::string(7, 'b') + static_cast<char>(i));
    span->set_name("chat gpt-4o");
    span->set_start_time_unix_nano(1700000000000000000ull + i * 1000);
    span->set_end_time_unix_nano(1700000000000900000ull + i * 1000);
    auto* a = span->add_attributes();
    a->set_key("gen_ai.usage.input_tokens");
    a->mutable_value()->set_int_value(1200 + i);
  }
  auto batch = std::make_shared<EncodedBatch>();
  batch->payload = request.SerializeAsString();
  batch->span_count = spans;
  return batch;
}

class CountingService final
    : public opentelemetry::proto::collector::trace::v1::TraceService::Service {
 public:
  grpc::Status Export(grpc::ServerContext*, const ExportTraceServiceRequest*,
                      ExportTraceServiceResponse*) override {
    return grpc::Status::OK;
  }
};

// Keeps `window` batches outstanding until `total` have completed.
void Pump(benchmark::State& state, Exporter& exporter, int window) {
  const uint32_t spans_per_batch = 512;
  auto batch = Batch(spans_per_batch);
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  int64_t acknowledged = 0, failed = 0;
  for (auto _ : state) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return outstanding < window; });
      ++outstanding;
    }
    exporter.Export(batch, [&](const ExportResult& r) {
      std::lock_guard<std::mutex> lock(mu);
      --outstanding;
      acknowledged += r.acknowledged_spans;
      failed += r.failed_spans + r.not_sent_spans;
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(acknowledged), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * batch->payload.size(), benchmark::Counter::kIsRate);
  state.counters["failed"] = static_cast<double>(failed);
}

void BM_GrpcExporter(benchmark::State& state) {
  CountingService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.compression = state.range(0) ? OtlpCompression::kGzip : OtlpCompression::kNone;
  auto exporter = MakeExporter(o);
  if (!exporter.ok()) {
    state.SkipWithError(std::string(exporter.status().message()).c_str());
    return;
  }
  Pump(state, **exporter, 32);
  (*exporter)->Shutdown(std::chrono::seconds(5));
  server->Shutdown();
}
BENCHMARK(BM_GrpcExporter)->Arg(0)->Arg(1)->ArgName("gzip")->UseRealTime()->MinTime(1.0);

void BM_HttpExporter(benchmark::State& state) {
  httplib::Server server;
  server.Post("/v1/traces", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("", "application/x-protobuf");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ExporterOptions o;
  o.protocol = state.range(0) ? OtlpProtocol::kHttpJson : OtlpProtocol::kHttpProtobuf;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  o.compression = state.range(1) ? OtlpCompression::kGzip : OtlpCompression::kNone;
  auto exporter = MakeExporter(o);
  if (exporter.ok()) {
    Pump(state, **exporter, 32);
    (*exporter)->Shutdown(std::chrono::seconds(5));
  } else {
    state.SkipWithError(std::string(exporter.status().message()).c_str());
  }
  server.stop();
  thread.join();
}
BENCHMARK(BM_HttpExporter)
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->ArgNames({"json", "gzip"})
    ->UseRealTime()
    ->MinTime(1.0);

}  // namespace
}  // namespace agentstorm
