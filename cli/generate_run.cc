// RunGenerate: `agentstorm generate` without --dry-run. Compiles the scenario, builds one exporter
// per --endpoint (flags over OTEL_EXPORTER_OTLP_* over defaults), runs the LoadEngine, writes the
// ledger and the summary. Exit codes: 0 sent, 2 usage/config error, 3 an endpoint could not be
// reached (or accepted nothing).
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/generate_flags.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "core/run_id.h"
#include "export/exporter_factory.h"
#include "export/exporter_options.h"
#include "export/retrying_exporter.h"
#include "generator/load_engine.h"
#include "generator/periodic_metrics_export.h"
#include "generator/scheduler.h"
#include "scenario/rate_parser.h"
#include "scenario/scenario_loader.h"
#include "synth/genai_metrics.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

// Installs SIGINT/SIGTERM handlers for its lifetime; a second signal kills as usual.
class StopSignals {
 public:
  StopSignals() {
    g_stop = false;
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

int Usage(const char* command, const std::string& message) {
  std::cerr << "agentstorm " << command << ": " << message << "\n";
  return kExitUsage;
}

uint64_t NowUnixNano() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The load profile: --rate when given, else the scenario's `load:` section (whose phases may
// override fault rates), fitted to --duration.
absl::StatusOr<LoadProfile> ResolveProfile(const GenerateFlags& flags, const Scenario& scenario) {
  if (!flags.rate.empty())
    return ParseLoadProfile(flags.rate, flags.duration_seconds, flags.traces);
  if (!scenario.load && flags.traces > 0 && flags.duration_seconds <= 0)
    return ParseLoadProfile("max", 0, flags.traces);  // a count and no pace: as fast as taken
  if (!scenario.load) {
    return absl::InvalidArgumentError(
        "give --rate (e.g. --rate 100/s), or a `load:` section in the scenario");
  }
  LoadProfile profile = *scenario.load;
  if (flags.duration_seconds > 0) FitProfileToDuration(&profile, flags.duration_seconds);
  if (ProfileSeconds(profile) <= 0 && flags.traces == 0 && !profile.max_rate)
    return absl::InvalidArgumentError(
        "the scenario's load has no duration: give --duration or --traces");
  return profile;
}

}  // namespace

int RunGenerate(const GenerateFlags& flags, const char* command, LoadSummary* load_out,
                std::function<void(const TraceAnswered&)> on_answered,
                std::function<void(const LedgerHeader&)> on_start) {
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> loaded = LoadScenarioFile(flags.scenario_path, &errors);
  if (!loaded) {
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    return kExitUsage;
  }
  ApplyAttributeOverrides(flags.attributes, loaded.get());
  std::shared_ptr<const Scenario> scenario = std::move(loaded);

  auto profile = ResolveProfile(flags, *scenario);
  if (!profile.ok()) return Usage(command, std::string(profile.status().message()));
  if (flags.rate.empty() && !scenario->load && profile->max_rate && !flags.quiet && !flags.dry_run)
    std::fprintf(stderr,
                 "agentstorm %s: no --rate: sending the %llu trace%s as fast as the endpoint takes "
                 "them (--rate max)\n",
                 command, static_cast<unsigned long long>(flags.traces),
                 flags.traces == 1 ? "" : "s");

  // Exporters: one per --endpoint; with none, the OTEL_EXPORTER_OTLP_* environment (or the
  // default localhost endpoint) decides.
  std::vector<std::optional<std::string>> endpoints;
  for (const std::string& e : flags.endpoints) endpoints.emplace_back(e);
  if (endpoints.empty()) endpoints.emplace_back(std::nullopt);
  if (endpoints.size() > static_cast<size_t>(kLedgerMaxEndpoints))
    return Usage(command, "at most " + std::to_string(kLedgerMaxEndpoints) + " --endpoint");
  LoadOptions options;
  std::vector<std::unique_ptr<Exporter>> exporters;
  std::vector<Exporter*> exporter_ptrs;
  std::vector<std::unique_ptr<OtlpMetricsExporter>> metrics_exporters;
  std::vector<ExporterOptions> endpoint_options;  // for the hints of an unreachable one
  for (const auto& endpoint : endpoints) {
    ExporterFlags ef;
    ef.endpoint = endpoint;
    ef.protocol = flags.protocol;
    ef.headers = flags.headers;
    ef.compression = flags.compression;
    if (flags.insecure) ef.insecure = true;
    ef.ca_file = flags.ca_file;
    ef.cert_file = flags.cert_file;
    ef.key_file = flags.key_file;
    ef.max_in_flight = options.max_in_flight;
    ef.connections = flags.connections;
    auto eo = BuildExporterOptions(ef);
    if (!eo.ok()) return Usage(command, std::string(eo.status().message()));
    endpoint_options.push_back(*eo);
    auto exporter = MakeExporter(*eo);
    if (!exporter.ok()) return Usage(command, std::string(exporter.status().message()));
    exporter_ptrs.push_back(exporter->get());
    exporters.push_back(std::move(*exporter));
    if (flags.metrics) {
      auto me = OtlpMetricsExporter::Create(MetricsExporterOptions(*eo, endpoint.has_value()));
      if (!me.ok()) return Usage(command, std::string(me.status().message()));
      metrics_exporters.push_back(std::move(*me));
    }
  }

  const uint64_t run_start = flags.start_unix_nano != 0 ? flags.start_unix_nano : NowUnixNano();
  options.profile = *profile;
  options.max_traces = flags.traces;
  options.max_seconds = flags.duration_seconds;
  options.shard = ShardSpec{flags.shard_index, flags.shard_count};
  options.seed = flags.seed;
  options.run_start_unix_nano = run_start;
  if (flags.batch_spans > 0) options.batch_spans = flags.batch_spans;
  if (flags.max_batch_bytes > 0) options.max_batch_bytes = flags.max_batch_bytes;
  options.progress = flags.quiet ? ProgressMode::kQuiet : flags.progress;
  if (flags.threads > 0) options.threads = flags.threads;
  options.on_answered = std::move(on_answered);

  SynthesizerOptions so;
  so.seed = flags.seed;
  so.run_id = flags.run_id;
  so.start_unix_nano = run_start;
  so.load = &options.profile;
  {
    // Synthetic start times follow the intended mean spacing, so trace timestamps look like the
    // load that carried them.
    TraceSynthesizer probe(scenario, so);
    Scheduler schedule(options.profile,
                       SchedulerOptions{probe.MeanSpansPerTrace(), flags.seed, ShardSpec{},
                                        flags.traces, flags.duration_seconds});
    const double seconds = std::isfinite(schedule.end_seconds()) ? schedule.end_seconds() : 0;
    const double count = seconds > 0 ? schedule.IntendedCount(seconds) : 0;
    so.trace_interval_nanos = count > 0 ? static_cast<uint64_t>(seconds / count * 1e9) : 1'000'000;
  }
  TraceSynthesizer synth(scenario, so);

  LedgerHeader header;
  header.scenario_hash = scenario->SourceHash();
  header.seed = flags.seed;
  header.run_id = flags.run_id;
  header.shard = options.shard;
  header.run_start_unix_nano = run_start;
  header.semconv_profile = scenario->SemconvProfileLabel();
  header.scenario_path = flags.scenario_path;
  header.load = DescribeLoadProfile(options.profile);
  for (Exporter* e : exporter_ptrs) header.endpoints.push_back(e->Describe());
  header.attribute_overrides = EncodeAttributeOverrides(flags.attributes);
  std::unique_ptr<LedgerWriter> ledger;
  if (!flags.ledger.empty()) {
    auto w = LedgerWriter::Create(flags.ledger, header);
    if (!w.ok()) return Usage(command, std::string(w.status().message()));
    ledger = std::move(*w);
    options.ledger = ledger.get();
  }

  // GenAI client metrics, aggregated from the traces as they join batches.
  std::unique_ptr<GenAiMetricsAggregator> aggregator;
  std::unique_ptr<PeriodicMetricsExport> metrics_export;
  if (flags.metrics) {
    aggregator = std::make_unique<GenAiMetricsAggregator>(run_start);
    std::vector<OtlpMetricsExporter*> ptrs;
    for (auto& e : metrics_exporters) ptrs.push_back(e.get());
    metrics_export = std::make_unique<PeriodicMetricsExport>(
        aggregator.get(), std::move(ptrs),
        std::chrono::milliseconds(static_cast<int64_t>(flags.metrics_interval_seconds * 1000)));
    options.on_trace = [agg = aggregator.get()](const SynthesizedTrace& t) { agg->Add(t); };
    metrics_export->Start();
  }

  if (on_start) on_start(header);
  LoadSummary summary;
  {
    StopSignals signals;
    options.stop_flag = &g_stop;
    LoadEngine engine(options, synth, exporter_ptrs);
    summary = engine.Run();
    summary.run_id = FormatRunId(flags.run_id);
    summary.seed = flags.seed;
  }
  std::optional<MetricsExportStats> metrics_stats;
  if (metrics_export) {
    metrics_export->Stop();
    metrics_stats = metrics_export->stats();
  }
  // An exporter that never got an answer from its server (even when shutdown cut its retries
  // short) could not be reached.
  std::vector<bool> never_reached;
  for (Exporter* e : exporter_ptrs) {
    auto* retrying = dynamic_cast<RetryingExporter*>(e);
    never_reached.push_back(retrying != nullptr && !retrying->EverReached() &&
                            summary.traces_sent > 0);
  }
  exporters.clear();

  int code = kExitOk;
  if (ledger) {
    absl::Status closed = ledger->Close();
    if (!closed.ok()) {
      std::cerr << "agentstorm " << command << ": " << closed.message() << "\n";
      code = kExitUsage;
    }
  }
  std::cout << FormatSummaryText(summary);
  if (metrics_stats) std::cout << FormatMetricsExportStats(*metrics_stats);
  std::cout.flush();
  if (!flags.summary_json.empty()) {
    std::ofstream out(flags.summary_json);
    out << SummaryToJson(summary).dump(2) << "\n";
    if (!out) {
      std::cerr << "agentstorm " << command << ": cannot write " << flags.summary_json << "\n";
      code = kExitUsage;
    }
  }
  for (size_t i = 0; i < summary.endpoints.size(); ++i) {
    const EndpointStats& e = summary.endpoints[i];
    if (e.unreachable() || never_reached[i]) {
      std::cerr << "agentstorm " << command << ": endpoint " << e.endpoint
                << " could not be reached: " << e.last_error << "\n";
      if (i < endpoint_options.size()) {
        const std::string hint = UnreachableHint(endpoint_options[i], e.last_error);
        if (!hint.empty()) std::cerr << "  " << hint << "\n";
      }
      code = kExitUnreachable;
    } else if (summary.spans_scheduled > 0 && e.spans_acknowledged == 0 && e.spans_rejected == 0) {
      std::cerr << "agentstorm " << command << ": endpoint " << e.endpoint << " accepted no span"
                << (e.last_error.empty() ? "" : ": " + e.last_error) << "\n";
      code = kExitUnreachable;
    }
  }
  if (load_out != nullptr) *load_out = std::move(summary);
  return code;
}

}  // namespace agentstorm::cli
