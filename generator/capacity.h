// Capacity search: the highest rate a pipeline sustains with zero loss and an export p99 within an
// SLO. `agentstorm capacity SCENARIO --endpoint URL` is how users benchmark ingest throughput.
//
// Ramp: probe start_rate, then multiply by ramp_factor while probes pass. Then binary search
// between the last passing and the first failing rate until they are within `precision` of each
// other (or max_probes is reached). Each probe is a short constant-rate run (open loop, so a slow
// pipeline shows as latency from the intended send time, never as a politely slower generator).
// A probe passes when every scheduled span was acknowledged (no rejection, failure, or span left
// unsent), the p99 of export latency from the intended send time is <= slo_p99_seconds, and the
// achieved rate is at least 90% of the target. With the pipeline's own counts
// (--pipeline-metrics), it also needs them read and none refused or failed to export.
//
// capacity.json (CapacityToJson), for reports:
//   {"sustained_spans_per_second": N,       // highest passing probe rate (0: none passed)
//    "knee_found": bool,                    // false when even max_rate passed
//    "slo_p99_seconds": S, "probe_seconds": D, "endpoint": "...", "scenario": "...",
//    "probes": [{"target_spans_per_second", "achieved_spans_per_second", "spans_scheduled",
//                "spans_acknowledged", "spans_lost", "loss_fraction", "p99_seconds",
//                "passed", "failure" (ProbeFailure, "" when passed), "phase": "ramp" | "search",
//                "pipeline": {"accepted", "refused", "exported", "export_failed"}
//                  or "pipeline_error": "..." (with --pipeline-metrics)}, ...]}   // in run order
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "export/exporter_options.h"
#include "nlohmann/json.hpp"
#include "scenario/scenario.h"

namespace agentstorm {

struct CapacityOptions {
  double start_rate = 10'000;  // spans/s of the first probe
  double ramp_factor = 2;
  double max_rate = 100'000'000;
  double precision = 0.05;  // stop when (bad - good) / good <= precision
  double slo_p99_seconds = 1.0;
  double probe_seconds = 5.0;
  int max_probes = 24;
};

// Spans the pipeline under test counted itself during a probe (generator/pipeline_counts.h).
struct PipelineCounts {
  double accepted = 0;       // taken by its receivers
  double refused = 0;        // refused or failed by its receivers
  double exported = 0;       // sent on by its exporters
  double export_failed = 0;  // its exporters failed to send or to queue
  double cpu_seconds = 0;    // the CPU time it used
  PipelineCounts operator-(const PipelineCounts& o) const {
    return {accepted - o.accepted, refused - o.refused, exported - o.exported,
            export_failed - o.export_failed, cpu_seconds - o.cpu_seconds};
  }
};

struct CapacityProbe {
  double target_spans_per_second = 0;
  double achieved_spans_per_second = 0;
  uint64_t spans_scheduled = 0, spans_acknowledged = 0, spans_lost = 0;
  double p99_seconds = 0;
  bool passed = false;
  std::string phase;  // "ramp" or "search"
  // With --pipeline-metrics: the pipeline's own counts over the probe, or why they are missing.
  std::optional<PipelineCounts> pipeline;
  std::string pipeline_error;
  double loss_fraction() const {
    return spans_scheduled ? static_cast<double>(spans_lost) / static_cast<double>(spans_scheduled)
                           : 0;
  }
};

struct CapacityResult {
  std::vector<CapacityProbe> probes;
  double sustained_spans_per_second = 0;
  bool knee_found = false;
};

// Runs one probe at `spans_per_second`; fills everything but `passed` and `phase`.
using CapacityProbeFn = std::function<CapacityProbe(double spans_per_second)>;

// Whether a probe meets the SLO (see the header comment).
bool ProbePasses(const CapacityProbe& p, const CapacityOptions& options);

// With --pipeline-metrics: whether the pipeline's own counts are missing or show spans refused
// or failed to export (false without pipeline counts asked for).
bool PipelineLostSpans(const CapacityProbe& p);

// Why a probe fails, each unmet condition in words joined by "; " ("" when it passes), e.g.
// "the pipeline failed to export 39672 spans it had acknowledged".
std::string ProbeFailure(const CapacityProbe& p, const CapacityOptions& options);

// Why a search that passed every probe stopped, for the "sustained:" line: "" when it found a
// knee, else "no knee below --max-rate" or "no knee within --max-probes N; a higher rate may
// pass)".
std::string NoKneeReason(const CapacityResult& r, const CapacityOptions& options);

// The search; `on_probe` (may be null) sees each probe as it completes.
CapacityResult FindCapacity(const CapacityOptions& options, const CapacityProbeFn& probe,
                            const std::function<void(const CapacityProbe&)>& on_probe = nullptr);

// A probe that runs the load engine against one OTLP endpoint at a constant rate for
// options.probe_seconds (retries limited so a refusing pipeline fails fast).
CapacityProbeFn MakeLoadEngineProbe(std::shared_ptr<const Scenario> scenario,
                                    ExporterOptions exporter, double probe_seconds,
                                    int threads = 0);

nlohmann::json CapacityToJson(const CapacityResult& result, const CapacityOptions& options,
                              const std::string& endpoint, const std::string& scenario);
// The curve as a text table, one row per probe in rate order.
std::string FormatCapacityTable(const CapacityResult& result);

}  // namespace agentstorm
