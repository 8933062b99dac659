// Synthesis + encoding spans/s on one thread: the templated wire encoder against the libprotobuf
// reference path (build messages + serialize), each alone and then side by side with the ratio.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "scenario/scenario_loader.h"
#include "synth/encode_comparison.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {
namespace {

std::shared_ptr<const Scenario> Load(benchmark::State& state, const char* name) {
  auto sc = LoadScenario(
      (std::filesystem::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (std::string(name) + ".yaml"))
          .string());
  if (!sc.ok()) {
    state.SkipWithError(std::string(sc.status().message()).c_str());
    return nullptr;
  }
  return *sc;
}

void BM_Encode(benchmark::State& state, const char* name, bool reference) {
  auto sc = Load(state, name);
  if (!sc) return;
  SynthesizerOptions opt;
  opt.reference_encoding = reference;
  TraceSynthesizer synth(sc, opt);
  SynthesizedTrace meta;
  std::string batch;
  uint64_t index = 0, spans = 0, bytes = 0;
  for (auto _ : state) {
    if (batch.size() > (1 << 20)) {
      bytes += batch.size();
      batch.clear();
    }
    synth.SynthesizeEncoded(index++, -1, &meta, &batch);
    spans += meta.span_count;
  }
  bytes += batch.size();
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(spans);
}

// Both paths interleaved in one run; the counters are the side-by-side figures and the ratio.
void BM_EncodeRatio(benchmark::State& state, const char* name) {
  auto sc = Load(state, name);
  if (!sc) return;
  EncodeComparison r;
  for (auto _ : state) r = CompareEncoders(sc, EncodeComparisonOptions{.seconds = 2.0});
  state.counters["templated_spans/s"] = r.templated_spans_per_second;
  state.counters["libprotobuf_spans/s"] = r.reference_spans_per_second;
  state.counters["ratio"] = r.ratio();
}

BENCHMARK_CAPTURE(BM_Encode, templated_smoke, "smoke", false);
BENCHMARK_CAPTURE(BM_Encode, libprotobuf_smoke, "smoke", true);
BENCHMARK_CAPTURE(BM_Encode, templated_research_fanout, "research-fanout", false);
BENCHMARK_CAPTURE(BM_Encode, libprotobuf_research_fanout, "research-fanout", true);
BENCHMARK_CAPTURE(BM_EncodeRatio, smoke, "smoke")->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_EncodeRatio, research_fanout, "research-fanout")
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_EncodeRatio, nightly_conformance, "nightly-conformance")
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace agentstorm
