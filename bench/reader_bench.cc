// How fast the checker reads traces back: traces verified per second through the poller,
//   - from a file: backend (a sink capture: open + index, then poll every trace);
//   - from the Jaeger API v3 reader against an in-process HTTP server on loopback.
// Each trace is a small agent trace (5 spans, 2 services) with known span counts, so every
// trace settles on its first read: the figure is read throughput, not backend latency.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "checker/readers/file_reader.h"
#include "checker/readers/jaeger_v3_reader.h"
#include "checker/readers/poller.h"
#include "core/otlp_json.h"
#include "sink/capture.h"

namespace agentstorm::readers {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kSpansPerTrace = 5;

TraceId TraceIdOf(uint64_t n) {
  TraceId id{};
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  id[0] = 0x42;
  return id;
}

// A batch of `count` traces starting at `first`, spread over two services as an agent run is.
ExportTraceServiceRequest MakeBatch(uint64_t first, uint64_t count) {
  ExportTraceServiceRequest request;
  for (const char* service : {"planner", "tools"}) {
    auto* rs = request.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(service);
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("agentstorm");
    for (uint64_t t = first; t < first + count; ++t) {
      const TraceId id = TraceIdOf(t);
      const int spans = std::string(service) == "planner" ? 2 : kSpansPerTrace - 2;
      for (int s = 0; s < spans; ++s) {
        auto* span = ss->add_spans();
        span->set_trace_id(std::string(AsBytes(id)));
        span->set_span_id(std::string(8, static_cast<char>(s + (spans == 2 ? 1 : 3))));
        if (s > 0 || spans != 2) span->set_parent_span_id(std::string(8, '\x01'));
        span->set_name(spans == 2 ? "invoke_agent planner" : "execute_tool search");
        span->set_start_time_unix_nano(1'700'000'000'000'000'000ull + t * 1000);
        span->set_end_time_unix_nano(1'700'000'000'000'000'000ull + t * 1000 + 500);
        auto* a = span->add_attributes();
        a->set_key("gen_ai.usage.input_tokens");
        a->mutable_value()->set_int_value(static_cast<int64_t>(t % 4096));
      }
    }
  }
  return request;
}

std::vector<ExpectedTrace> Expected(uint64_t traces) {
  std::vector<ExpectedTrace> expected;
  expected.reserve(traces);
  for (uint64_t t = 0; t < traces; ++t) expected.push_back({TraceIdOf(t), kSpansPerTrace});
  return expected;
}

void BM_FileCaptureOpenAndPoll(benchmark::State& state) {
  const uint64_t traces = static_cast<uint64_t>(state.range(0));
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("agentstorm_reader_bench_" + std::to_string(::getpid()) + ".capture"))
                               .string();
  {
    auto writer = sink::CaptureWriter::Open(path, false);
    if (!writer.ok()) {
      state.SkipWithError("cannot write capture");
      return;
    }
    for (uint64_t first = 0; first < traces; first += 100) {
      (void)(*writer)->Append(MakeBatch(first, std::min<uint64_t>(100, traces - first)));
    }
    (void)(*writer)->Close();
  }
  const auto expected = Expected(traces);
  uint64_t found = 0;
  for (auto _ : state) {
    auto reader = FileReader::Open(path);
    if (!reader.ok()) {
      state.SkipWithError("cannot open capture");
      break;
    }
    PollerOptions options;
    options.concurrency = 2;
    options.keep_data = false;
    found = Poller(reader->get(), options).Run(expected, nullptr).found;
  }
  std::filesystem::remove(path);
  if (found != traces) state.SkipWithError("not every trace was found");
  state.counters["traces_verified_per_s"] = benchmark::Counter(
      static_cast<double>(traces) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FileCaptureOpenAndPoll)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_JaegerV3ReaderLoopback(benchmark::State& state) {
  const uint64_t traces = static_cast<uint64_t>(state.range(0));
  const int concurrency = static_cast<int>(state.range(1));
  // Pre-rendered API v3 bodies, one per trace, as Jaeger's gateway writes them.
  absl::flat_hash_map<std::string, std::string> bodies;
  for (uint64_t first = 0; first < traces; first += 100) {
    const uint64_t n = std::min<uint64_t>(100, traces - first);
    auto batch = MakeBatch(first, n);
    auto reader = std::make_unique<FileReader>("bench");
    TracesData data;
    data.mutable_resource_spans()->Swap(batch.mutable_resource_spans());
    reader->Add(data);
    for (const TraceId& id : reader->trace_ids()) {
      auto trace = reader->GetTrace(id);
      bodies[HexEncode(id)] = "{\"result\":" + EncodeOtlpJson(*trace->data) + "}";
    }
  }
  httplib::Server server;
  server.Get(R"(/api/v3/traces/([0-9a-f]+))",
             [&](const httplib::Request& req, httplib::Response& res) {
               auto it = bodies.find(req.matches[1].str());
               if (it == bodies.end()) {
                 res.status = 404;
                 return;
               }
               res.set_content(it->second, "application/json");
             });
  // cpp-httplib writes headers and body separately; without TCP_NODELAY (inherited by the
  // accepted sockets on Linux) every response waits out the client's delayed ACK (~40 ms).
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  server.set_keep_alive_max_count(100000);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();

  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(port));
  JaegerV3Reader reader(*url, {});
  const auto expected = Expected(traces);
  uint64_t found = 0;
  for (auto _ : state) {
    PollerOptions options;
    options.concurrency = concurrency;
    options.keep_data = false;
    found = Poller(&reader, options).Run(expected, nullptr).found;
  }
  server.stop();
  serving.join();
  if (found != traces) state.SkipWithError("not every trace was found");
  state.counters["traces_verified_per_s"] = benchmark::Counter(
      static_cast<double>(traces) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JaegerV3ReaderLoopback)
    ->Args({200, 1})
    ->Args({20'000, 8})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace agentstorm::readers
