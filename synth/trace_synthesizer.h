// TraceSynthesizer: turns a compiled Scenario into OTLP traces of GenAI agents.
//
// Synthesize(i) is a pure function of (scenario, seed, run ID, i): the trace and span IDs derive
// from seed, run ID and the global index i (the run ID changes identifiers only, never content),
// every random choice from counter-based streams forked by purpose (variant,
// faults, structure, timing, tokens, content, IDs), so one kind of draw never shifts another.
// Shards call Synthesize with global indices (ShardSpec::GlobalIndex), which makes their union
// the unsharded run. Timestamps come from a synthetic clock: trace i starts at
// start_unix_nano + i * trace_interval_nanos and its spans nest properly in time.
//
// The span shapes (one function per span type in the .cc: EmitInvokeAgent, EmitInference,
// EmitExecuteTool, EmitMcp, EmitEmbeddings, EmitRetrieval, EmitCreateAgent, EmitWorkflow)
// follow the semconv profile of the scenario part: latest, v1.36 or dual.
#pragma once

#include <memory>
#include <vector>

#include "core/synthesized_trace.h"
#include "scenario/load_profile.h"
#include "scenario/scenario.h"

namespace agentstorm {

class EncoderTables;

struct SynthesizerOptions {
  uint64_t seed = 1;
  // The run's identity (core/run_id.h): mixed into every trace and span ID, never into content.
  // 0 gives the IDs of runs recorded before run IDs existed (ledger version 1).
  uint64_t run_id = 0;
  uint64_t start_unix_nano = 1'700'000'000'000'000'000ULL;  // the run's start (trace 0)
  uint64_t trace_interval_nanos = 0;  // trace i starts at start + i * interval
  // Phases whose fault overrides Synthesize(_, phase, _) applies; null = the scenario's `load:`.
  const LoadProfile* load = nullptr;
  // Skip content capture (for estimates that only count spans).
  bool skip_content = false;
  // SynthesizeEncoded builds libprotobuf messages and serializes them (the reference path)
  // instead of writing wire format directly (the templated path, synth/wire_trace_writer.h).
  bool reference_encoding = false;
  // Estimate each variant's shape and the mean spans per trace at construction (200 traces per
  // variant). Off: shapes() is empty and MeanSpansPerTrace() 0, for a synthesizer that only
  // rebuilds traces (the checker's, built for every check and canary round).
  bool estimate_shapes = true;
};

// Per-variant shape figures for `validate` and the rate conversion.
struct VariantShape {
  double mean_spans = 0;   // estimated from a deterministic sample of traces
  uint32_t max_spans = 0;  // analytic upper bound (runaway loops at their largest)
  double mean_duration_seconds = 0;
  std::vector<std::string> services;  // services whose spans appear in this variant
};

class TraceSynthesizer : public TraceSource {
 public:
  // REQUIRES: `scenario` came from the loader (valid) and outlives nothing: it is shared.
  TraceSynthesizer(std::shared_ptr<const Scenario> scenario, SynthesizerOptions options);

  void Synthesize(uint64_t index, int phase, SynthesizedTrace* out) const override;
  // The templated path: the same trace as Synthesize, appended to *out in wire format without
  // building messages (*meta gets everything but resource_spans, which it leaves empty).
  void SynthesizeEncoded(uint64_t index, int phase, SynthesizedTrace* meta,
                         std::string* out) const override;
  // SynthesizeEncoded (always the templated path) with the trace starting at `start_unix_nano`
  // instead of the options' start + index x interval, every time in it moved along: the trace as
  // sent at that time (the checker's rebuild of a ledger record).
  void SynthesizeEncodedAt(uint64_t index, int phase, uint64_t start_unix_nano,
                           SynthesizedTrace* meta, std::string* out) const;
  double MeanSpansPerTrace() const override { return mean_spans_; }

  // The variant trace `index` uses (the same draw Synthesize makes).
  int VariantOf(uint64_t index) const;
  // The 16-byte W3C trace ID of trace `index`: never all zero, unique per (seed, run ID, index).
  TraceId TraceIdOf(uint64_t index) const;

  const std::vector<VariantShape>& shapes() const { return shapes_; }
  const Scenario& scenario() const { return *scenario_; }
  const SynthesizerOptions& options() const { return options_; }

 private:
  void ComputeShapes();

  std::shared_ptr<const Scenario> scenario_;
  SynthesizerOptions options_;
  std::shared_ptr<const EncoderTables> tables_;  // precompiled fragments for SynthesizeEncoded
  std::vector<double> variant_cumulative_;
  std::vector<VariantShape> shapes_;
  double mean_spans_ = 0;
};

}  // namespace agentstorm
