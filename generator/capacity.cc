#include "generator/capacity.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "export/exporter_factory.h"
#include "generator/load_engine.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {

bool ProbePasses(const CapacityProbe& p, const CapacityOptions& options) {
  return p.spans_scheduled > 0 && p.spans_lost == 0 && p.spans_acknowledged == p.spans_scheduled &&
         p.p99_seconds <= options.slo_p99_seconds &&
         p.achieved_spans_per_second >= 0.9 * p.target_spans_per_second;
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
  for (const CapacityProbe& p : result.probes)
    probes.push_back({{"target_spans_per_second", p.target_spans_per_second},
                      {"achieved_spans_per_second", p.achieved_spans_per_second},
                      {"spans_scheduled", p.spans_scheduled},
                      {"spans_acknowledged", p.spans_acknowledged},
                      {"spans_lost", p.spans_lost},
                      {"loss_fraction", p.loss_fraction()},
                      {"p99_seconds", p.p99_seconds},
                      {"passed", p.passed},
                      {"phase", p.phase}});
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
