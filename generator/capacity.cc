#include "generator/capacity.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "export/exporter_factory.h"
#include "generator/load_engine.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {

// One source of truth: a probe passes when nothing in ProbeFailure applies.
bool ProbePasses(const CapacityProbe& p, const CapacityOptions& options) {
  return ProbeFailure(p, options).empty();
}

bool PipelineLostSpans(const CapacityProbe& p) {
  return !p.pipeline_error.empty() ||
         (p.pipeline && (p.pipeline->refused > 0 || p.pipeline->export_failed > 0));
}

std::string ProbeFailure(const CapacityProbe& p, const CapacityOptions& options) {
  std::vector<std::string> why;
  if (p.spans_scheduled == 0) why.push_back("nothing was scheduled");
  if (p.spans_lost > 0 || p.spans_acknowledged != p.spans_scheduled)
    why.push_back(absl::StrFormat("%d of %d spans acknowledged (%d lost)", p.spans_acknowledged,
                                  p.spans_scheduled, p.spans_lost));
  if (p.p99_seconds > options.slo_p99_seconds)
    why.push_back(absl::StrFormat("p99 %.1fms over the SLO %.1fms", p.p99_seconds * 1e3,
                                  options.slo_p99_seconds * 1e3));
  if (p.achieved_spans_per_second < 0.9 * p.target_spans_per_second)
    why.push_back("achieved under 90% of the target");
  if (!p.pipeline_error.empty()) why.push_back("no pipeline counts: " + p.pipeline_error);
  if (p.pipeline && p.pipeline->refused > 0)
    why.push_back(absl::StrFormat("the pipeline refused %.0f spans", p.pipeline->refused));
  if (p.pipeline && p.pipeline->export_failed > 0)
    why.push_back(absl::StrFormat("the pipeline failed to export %.0f spans it had acknowledged",
                                  p.pipeline->export_failed));
  return absl::StrJoin(why, "; ");
}

std::string NoKneeReason(const CapacityResult& r, const CapacityOptions& options) {
  if (r.knee_found || r.probes.empty()) return "";
  if (r.probes.back().target_spans_per_second >= options.max_rate)
    return "no knee below --max-rate";
  return absl::StrFormat("no knee within --max-probes %d; a higher rate may pass",
                         options.max_probes);
}

CapacityResult FindCapacity(const CapacityOptions& options, const CapacityProbeFn& probe,
                            const std::function<void(const CapacityProbe&)>& on_probe) {
  CapacityResult r;
  auto run = [&](double rate, const char* phase) {
    CapacityProbe p = probe(rate);
    p.target_spans_per_second = rate;
    p.passed = ProbePasses(p, options);
    p.phase = phase;
    r.probes.push_back(p);
    if (on_probe) on_probe(p);
    return p.passed;
  };
  double good = 0, bad = 0;
  for (double rate = options.start_rate; static_cast<int>(r.probes.size()) < options.max_probes;
       rate *= options.ramp_factor) {
    rate = std::min(rate, options.max_rate);
    if (!run(rate, "ramp")) {
      bad = rate;
      break;
    }
    good = rate;
    if (rate >= options.max_rate) break;
  }
  r.knee_found = bad > 0;
  while (r.knee_found && static_cast<int>(r.probes.size()) < options.max_probes &&
         (good <= 0 || (bad - good) / good > options.precision)) {
    const double mid = (good + bad) / 2;
    if (run(mid, "search"))
      good = mid;
    else
      bad = mid;
  }
  r.sustained_spans_per_second = good;
  return r;
}

CapacityProbeFn MakeLoadEngineProbe(std::shared_ptr<const Scenario> scenario,
                                    ExporterOptions exporter, double probe_seconds, int threads) {
  return [scenario, exporter, probe_seconds, threads](double rate) {
    CapacityProbe p;
    ExporterOptions eo = exporter;
    // A refusing pipeline must fail the probe quickly, not retry for 30 s.
    eo.retry.max_elapsed =
        std::min<std::chrono::milliseconds>(eo.retry.max_elapsed, std::chrono::milliseconds(1000));
    eo.retry.initial_backoff = std::min<std::chrono::milliseconds>(eo.retry.initial_backoff,
                                                                   std::chrono::milliseconds(200));
    auto exp = MakeExporter(eo);
    if (!exp.ok()) return p;
    SynthesizerOptions so;
    so.seed = 1;
    TraceSynthesizer synth(scenario, so);
    LoadOptions lo;
    RatePhase phase;
    phase.duration_seconds = probe_seconds;
    phase.start_rate = phase.end_rate = rate;
    phase.unit = RateUnit::kSpansPerSecond;
    lo.profile.phases.push_back(phase);
    lo.max_seconds = probe_seconds;
    lo.threads = threads;
    lo.progress = ProgressMode::kQuiet;
    lo.grace = std::chrono::milliseconds(static_cast<int64_t>(1000 * std::max(2.0, probe_seconds)));
    lo.batch_linger = std::chrono::milliseconds(50);
    LoadSummary s;
    {
      LoadEngine engine(lo, synth, {exp->get()});
      s = engine.Run();
    }
    const EndpointStats& e = s.endpoints.at(0);
    p.spans_scheduled = s.spans_scheduled;
    p.spans_acknowledged = e.spans_acknowledged;
    p.spans_lost = s.spans_scheduled - std::min(s.spans_scheduled, e.spans_acknowledged);
    p.achieved_spans_per_second =
        s.elapsed_seconds > 0
            ? static_cast<double>(e.spans_acknowledged) / std::max(s.elapsed_seconds, probe_seconds)
            : 0;
    p.p99_seconds = static_cast<double>(e.latency_from_intended.Percentile(99)) / 1e9;
    return p;
  };
}

nlohmann::json CapacityToJson(const CapacityResult& result, const CapacityOptions& options,
                              const std::string& endpoint, const std::string& scenario) {
  nlohmann::json probes = nlohmann::json::array();
  for (const CapacityProbe& p : result.probes) {
    nlohmann::json j = {{"target_spans_per_second", p.target_spans_per_second},
                        {"achieved_spans_per_second", p.achieved_spans_per_second},
                        {"spans_scheduled", p.spans_scheduled},
                        {"spans_acknowledged", p.spans_acknowledged},
                        {"spans_lost", p.spans_lost},
                        {"loss_fraction", p.loss_fraction()},
                        {"p99_seconds", p.p99_seconds},
                        {"passed", p.passed},
                        {"failure", ProbeFailure(p, options)},
                        {"phase", p.phase}};
    if (p.pipeline)
      j["pipeline"] = {{"accepted", p.pipeline->accepted},
                       {"refused", p.pipeline->refused},
                       {"exported", p.pipeline->exported},
                       {"export_failed", p.pipeline->export_failed}};
    if (!p.pipeline_error.empty()) j["pipeline_error"] = p.pipeline_error;
    probes.push_back(std::move(j));
  }
  return {{"sustained_spans_per_second", result.sustained_spans_per_second},
          {"knee_found", result.knee_found},
          {"slo_p99_seconds", options.slo_p99_seconds},
          {"probe_seconds", options.probe_seconds},
          {"endpoint", endpoint},
          {"scenario", scenario},
          {"probes", probes}};
}

std::string FormatCapacityTable(const CapacityResult& result) {
  std::vector<CapacityProbe> rows = result.probes;
  std::stable_sort(rows.begin(), rows.end(), [](const CapacityProbe& a, const CapacityProbe& b) {
    return a.target_spans_per_second < b.target_spans_per_second;
  });
  std::string out = absl::StrFormat("%14s %14s %10s %10s %6s\n", "target span/s", "achieved",
                                    "loss", "p99", "pass");
  for (const CapacityProbe& p : rows)
    out += absl::StrFormat("%14.0f %14.0f %9.3f%% %8.1fms %6s\n", p.target_spans_per_second,
                           p.achieved_spans_per_second, 100 * p.loss_fraction(),
                           p.p99_seconds * 1e3, p.passed ? "yes" : "no");
  return out;
}

}  // namespace agentstorm
