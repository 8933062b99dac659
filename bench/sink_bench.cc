// The sink's receive path without the network: decode an OTLP/protobuf export request (512 spans
// of the bench shape, bench/agent7.yaml) and store it through the ExportHandler, as the gRPC and
// HTTP receivers do. Reports decoded+stored spans/s on one thread and the store's memory per
// stored span (RSS growth / spans stored; nothing is evicted, so it is the cost of keeping them).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "generator/scenario_loader.h"
#include "generator/trace_synthesizer.h"
#include "sink/export_handler.h"
#include "sink/request_decoder.h"

namespace agentstorm {
namespace {

double RssBytes() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Requests of ~512 spans each, distinct trace indices.
std::vector<std::string> Batches(int count) {
  auto sc = LoadScenario(
      (std::filesystem::path(AGENTSTORM_SOURCE_DIR) / "bench" / "agent7.yaml").string());
  if (!sc.ok()) return {};
  TraceSynthesizer synth(*sc, SynthesizerOptions{});
  std::vector<std::string> out(count);
  SynthesizedTrace meta;
  uint64_t index = 0;
  for (std::string& b : out) {
    uint32_t spans = 0;
    while (spans + 7 <= 512) {
      synth.SynthesizeEncoded(index++, -1, &meta, &b);
      spans += meta.span_count;
    }
  }
  return out;
}

void BM_SinkDecodeAndStore(benchmark::State& state) {
  const std::vector<std::string> batches = Batches(64);
  if (batches.empty()) {
    state.SkipWithError("cannot load bench/agent7.yaml");
    return;
  }
  sink::TraceStore store(sink::TraceStoreOptions{.max_spans = 100'000'000});
  sink::SinkMetrics metrics;
  sink::ExportHandler handler(&store, nullptr, nullptr, &metrics);
  const double rss0 = RssBytes();
  size_t i = 0;
  uint64_t spans = 0;
  for (auto _ : state) {
    auto req = sink::NewTraceRequest();
    // Every request is a distinct copy as far as the store is concerned (it keeps them whole);
    // trace IDs repeat after 64 batches, which the store counts as duplicates and still stores.
    absl::Status s =
        sink::DecodeTraceRequest(batches[i++ % batches.size()], sink::BodyEncoding::kProtobuf,
                                 false, sink::DecodeLimits{}, req.get());
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    spans += sink::CountSpans(*req);
    handler.HandleTraces("grpc", std::move(req));
  }
  const double stored = static_cast<double>(store.span_count());
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  state.counters["stored"] = stored;
  state.counters["bytes/stored_span"] = stored > 0 ? (RssBytes() - rss0) / stored : 0;
}

// 4000 requests x 512 spans = ~2M spans stored.
BENCHMARK(BM_SinkDecodeAndStore)->Iterations(4000)->Unit(benchmark::kMillisecond);
// ~100k spans: short enough to run under `valgrind --tool=callgrind`, whose instruction counts
// are repeatable on a shared machine (--benchmark_filter=BM_SinkDecodeAndStore/iterations:200).
BENCHMARK(BM_SinkDecodeAndStore)->Iterations(200)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace agentstorm
