// Traces (and spans) synthesized per second on one thread, reusing one SynthesizedTrace.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "scenario/scenario_loader.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {
namespace {

void BM_Synthesize(benchmark::State& state, const char* name) {
  auto sc = LoadScenario(
      (std::filesystem::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (std::string(name) + ".yaml"))
          .string());
  if (!sc.ok()) {
    state.SkipWithError(std::string(sc.status().message()).c_str());
    return;
  }
  TraceSynthesizer synth(*sc, SynthesizerOptions{});
  SynthesizedTrace trace;
  uint64_t index = 0, spans = 0;
  for (auto _ : state) {
    synth.Synthesize(index++, -1, &trace);
    spans += trace.span_count;
    benchmark::DoNotOptimize(trace.resource_spans.data());
  }
  state.counters["traces/s"] =
      benchmark::Counter(static_cast<double>(index), benchmark::Counter::kIsRate);
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Synthesize, smoke, "smoke");
BENCHMARK_CAPTURE(BM_Synthesize, research_fanout, "research-fanout");
BENCHMARK_CAPTURE(BM_Synthesize, mcp_tools, "mcp-tools");

}  // namespace
}  // namespace agentstorm
