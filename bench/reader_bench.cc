// How fast the checker reads traces back: traces verified per second through the poller,
//   - from a file: backend (a sink capture: open + index, then poll every trace);
//   - from the Jaeger API v3 reader against an in-process HTTP server on loopback.
// Each trace is a small agent trace (5 spans, 2 services) with known span counts, so every
// trace settles on its first read: the figure is read throughput, not backend latency.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
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

// Starts `server` on a free loopback port in `serving`; the jaeger:// URL that reads it.
absl::StatusOr<BackendUrl> ServeOnLoopback(httplib::Server* server, std::thread* serving) {
  // cpp-httplib writes headers and body separately; without TCP_NODELAY (inherited by the
  // accepted sockets on Linux) every response waits out the client's delayed ACK (~40 ms).
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  server->set_keep_alive_max_count(100000);
  const int port = server->bind_to_any_port("127.0.0.1");
  *serving = std::thread([server] { server->listen_after_bind(); });
  while (!server->is_running()) std::this_thread::yield();
  return ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(port));
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
  std::thread serving;
  auto url = ServeOnLoopback(&server, &serving);
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

// Jaeger's recorded API v3 answers (../shared/upstream/backend-responses/jaeger: GetTrace and
// FindTraces, read at run time, skipped when absent) served by a local fake for `traces` traces
// of the recorded shape, each under its own ID (the recorded ID replaced) and start time (1 ms
// apart): GET by ID answers the recorded GetTrace body; a search answers the recorded FindTraces
// body with one resourceSpans element per trace of the window, most recent first, at most
// query.num_traces of them (as Jaeger 2.12 merges them). In one run, the checker's reader and
// poller read every trace twice, at 8 requests in flight: by ID (traces without a location:
// what every read against a Jaeger was before) and through the search (located as a ledger
// locates them); the ratio of the two rates is the figure.
void BM_JaegerV3RecordedSearchVsById(benchmark::State& state) {
  const uint64_t traces = static_cast<uint64_t>(state.range(0));
  const char* shared = std::getenv("AGENTSTORM_SHARED_DIR");
  const std::string dir =
      std::string(shared != nullptr ? shared : AGENTSTORM_SOURCE_DIR "/../shared") +
      "/upstream/backend-responses/jaeger/";
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
  };
  const std::string get_body = slurp(dir + "apiv3_GetTrace.json");
  const std::string find_body = slurp(dir + "apiv3_FindTraces.json");
  if (get_body.empty() || find_body.empty()) {
    state.SkipWithError(("recorded Jaeger responses absent in " + dir).c_str());
    return;
  }
  constexpr std::string_view kRecordedId = "00000000000000000000000000000001";
  const nlohmann::json found = nlohmann::json::parse(find_body, nullptr, false);
  if (found.is_discarded() || get_body.find(kRecordedId) == std::string::npos ||
      !found.contains("result") || found["result"]["resourceSpans"].size() != 1) {
    state.SkipWithError("the recorded responses are not of the expected shape");
    return;
  }
  const std::string element = found["result"]["resourceSpans"][0].dump();
  auto with_id = [&](std::string text, const TraceId& id) {
    const std::string hex = HexEncode(id);
    for (size_t at = text.find(kRecordedId); at != std::string::npos;
         at = text.find(kRecordedId, at + hex.size())) {
      text.replace(at, kRecordedId.size(), hex);
    }
    return text;
  };
  constexpr uint64_t kStart = 1'780'000'000'000'000'000ull;
  constexpr uint64_t kApart = 1'000'000;  // 1 ms
  std::vector<std::string> elements(traces);
  absl::flat_hash_map<std::string, std::string> by_id;
  for (uint64_t t = 0; t < traces; ++t) {
    elements[t] = with_id(element, TraceIdOf(t));
    by_id[HexEncode(TraceIdOf(t))] = with_id(get_body, TraceIdOf(t));
  }
  httplib::Server server;
  server.Get("/agentstorm/v1/traces",
             [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  server.Get(R"(/api/v3/traces/([0-9a-f]+))",
             [&](const httplib::Request& req, httplib::Response& res) {
               auto it = by_id.find(req.matches[1].str());
               if (it == by_id.end()) {
                 res.status = 404;
                 return;
               }
               res.set_content(it->second, "application/json");
             });
  server.Get("/api/v3/traces", [&](const httplib::Request& req, httplib::Response& res) {
    absl::Time min, max;
    std::string error;
    int depth = 0;
    if (!absl::ParseTime(absl::RFC3339_full, req.get_param_value("query.start_time_min"), &min,
                         &error) ||
        !absl::ParseTime(absl::RFC3339_full, req.get_param_value("query.start_time_max"), &max,
                         &error) ||
        !absl::SimpleAtoi(req.get_param_value("query.num_traces"), &depth)) {
      res.status = 400;
      return;
    }
    // Traces [first, last) start in the window.
    auto index_at = [&](absl::Time t) {
      const int64_t nanos = absl::ToUnixNanos(t) - static_cast<int64_t>(kStart);
      if (nanos <= 0) return uint64_t{0};
      return std::min<uint64_t>(traces, (static_cast<uint64_t>(nanos) + kApart - 1) / kApart);
    };
    const uint64_t first = index_at(min);
    const uint64_t last = index_at(max);
    std::string body = "{\"result\":{\"resourceSpans\":[";
    int n = 0;
    for (uint64_t t = last; t > first && n < depth; --t, ++n) {
      if (n > 0) body.push_back(',');
      body += elements[t - 1];
    }
    if (n == 0) {
      res.status = 404;
      res.set_content(R"({"error":{"httpCode":404,"message":"No traces found"}})",
                      "application/json");
      return;
    }
    body += "]}}";
    res.set_content(body, "application/json");
  });
  std::thread serving;
  auto url = ServeOnLoopback(&server, &serving);

  std::vector<ExpectedTrace> unlocated;
  std::vector<ExpectedTrace> located;
  for (uint64_t t = 0; t < traces; ++t) {
    unlocated.push_back({TraceIdOf(t), 1});
    ExpectedTrace e{TraceIdOf(t), 1};
    e.service = "any";  // the recorded trace has no service.name; the fake does not filter by it
    e.start_unix_nano = kStart + t * kApart;
    located.push_back(e);
  }
  double by_id_rate = 0;
  double search_rate = 0;
  double searches = 0;
  double misses = 0;  // traces the search path read by ID
  bool all_found = true;
  for (auto _ : state) {
    for (const bool search : {false, true}) {
      JaegerV3Reader reader(*url, {});
      PollerOptions options;
      options.concurrency = 8;
      options.keep_data = false;
      const absl::Time start = absl::Now();
      const PollSummary summary =
          Poller(&reader, options).Run(search ? located : unlocated, nullptr);
      const double rate = static_cast<double>(traces) / absl::ToDoubleSeconds(absl::Now() - start);
      all_found = all_found && summary.found == traces;
      (search ? search_rate : by_id_rate) = rate;
      if (search) {
        searches = static_cast<double>(reader.Counts().searches);
        misses = static_cast<double>(reader.Counts().read_by_id);
      }
    }
  }
  server.stop();
  serving.join();
  if (!all_found) state.SkipWithError("not every trace was found");
  state.counters["by_id_traces_per_s"] = by_id_rate;
  state.counters["search_traces_per_s"] = search_rate;
  state.counters["ratio"] = by_id_rate > 0 ? search_rate / by_id_rate : 0;
  state.counters["searches"] = searches;
  state.counters["search_reads_by_id"] = misses;
}
BENCHMARK(BM_JaegerV3RecordedSearchVsById)
    ->Arg(20'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace agentstorm::readers
