// The sink's receive path without the network: decode an OTLP/protobuf export request (512 spans
// of the bench shape, bench/agent7.yaml) and store it through the ExportHandler, as the gRPC and
// HTTP receivers do. Reports decoded+stored spans/s on one thread and the store's memory per
// stored span (RSS growth / spans stored; nothing is evicted, so it is the cost of keeping them).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "scenario/scenario_loader.h"
#include "sink/export_handler.h"
#include "sink/request_decoder.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {
namespace {

double RssBytes() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Requests of ~512 spans each of the bench shape, every trace distinct (as a generator sends
// them), synthesized outside the timed region.
class Batches {
 public:
  static std::unique_ptr<Batches> Load() {
    auto sc = LoadScenario(
        (std::filesystem::path(AGENTSTORM_SOURCE_DIR) / "bench" / "agent7.yaml").string());
    if (!sc.ok()) return nullptr;
    return std::unique_ptr<Batches>(new Batches(*std::move(sc)));
  }
  std::string Next() {
    std::string b;
    uint32_t spans = 0;
    while (spans + 7 <= 512) {
      synth_.SynthesizeEncoded(index_++, -1, &meta_, &b);
      spans += meta_.span_count;
    }
    return b;
  }

 private:
  explicit Batches(std::shared_ptr<const Scenario> sc)
      : synth_(std::move(sc), SynthesizerOptions{}) {}
  TraceSynthesizer synth_;
  SynthesizedTrace meta_;
  uint64_t index_ = 0;
};

void BM_SinkDecodeAndStore(benchmark::State& state) {
  std::unique_ptr<Batches> batches = Batches::Load();
  if (batches == nullptr) {
    state.SkipWithError("cannot load bench/agent7.yaml");
    return;
  }
  sink::TraceStore store(sink::TraceStoreOptions{.max_spans = 100'000'000});
  sink::SinkMetrics metrics;
  sink::ExportHandler handler(&store, nullptr, nullptr, &metrics);
  const double rss0 = RssBytes();
  uint64_t spans = 0;
  sink::DecodedTraceRequest req;  // reused, as each receiver thread does
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = batches->Next();
    state.ResumeTiming();
    absl::Status s = sink::DecodeTraceBody(std::move(body), sink::BodyEncoding::kProtobuf, false,
                                           sink::DecodeLimits{}, &req);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
    spans += req.index.spans.size();
    handler.HandleTraces("grpc", &req);
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
