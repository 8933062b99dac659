// `agentstorm capacity SCENARIO --endpoint URL`: the highest rate the pipeline under test sustains
// with zero loss and export p99 within --slo-p99 (generator/capacity.h: ramp, then binary search).
// Prints each probe as it completes, then the curve; --report DIR writes DIR/capacity.json.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/readers/http_client.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/numeric_flags.h"
#include "core/exit_codes.h"
#include "export/exporter_options.h"
#include "generator/capacity.h"
#include "generator/pipeline_counts.h"
#include "scenario/scenario_loader.h"
#include "scenario/units.h"

namespace agentstorm::cli {
namespace {

struct CapacityFlags {
  std::string scenario;
  ExporterFlags exporter;
  std::string endpoint, protocol;
  bool insecure = false;
  std::string start_rate = "10k spans/s";
  std::string max_rate = "100M spans/s";
  std::string probe_duration = "5s";
  std::string slo_p99 = "1s";
  double factor = 2;
  double precision = 0.05;
  int max_probes = 24;
  int threads = 0;
  std::string report_dir;
  std::string pipeline_metrics;  // the collector's own /metrics URL
};

int Usage(const std::string& msg) {
  std::cerr << "agentstorm capacity: " << msg << "\n";
  return kExitUsage;
}

absl::StatusOr<double> SpansPerSecond(const std::string& text, const Scenario& sc) {
  auto r = ParseRate(text);
  if (!r.ok()) return r.status();
  if (r->max) return absl::InvalidArgumentError("a capacity rate cannot be \"max\"");
  if (r->unit == RateUnit::kSpansPerSecond) return r->per_second;
  (void)sc;
  return absl::InvalidArgumentError("give capacity rates in spans/s, e.g. \"10k spans/s\": " +
                                    text);
}

int RunCapacity(CapacityFlags& f) {
  auto sc = LoadScenario(ResolveScenarioPath(f.scenario, BundledScenariosDir(DataDirOrEmpty())));
  if (!sc.ok()) return Usage(std::string(sc.status().message()));
  if (!f.endpoint.empty()) f.exporter.endpoint = f.endpoint;
  if (!f.protocol.empty()) f.exporter.protocol = f.protocol;
  if (f.insecure) f.exporter.insecure = true;
  auto eo = BuildExporterOptions(f.exporter, ProcessEnvironment());
  if (!eo.ok()) return Usage(std::string(eo.status().message()));
  CapacityOptions o;
  auto start = SpansPerSecond(f.start_rate, **sc);
  auto max = SpansPerSecond(f.max_rate, **sc);
  auto probe = ParseDurationSeconds(f.probe_duration);
  auto slo = ParseDurationSeconds(f.slo_p99);
  if (!start.ok()) return Usage("--start-rate: " + std::string(start.status().message()));
  if (!max.ok()) return Usage("--max-rate: " + std::string(max.status().message()));
  if (!probe.ok() || *probe <= 0) return Usage("--probe-duration: a positive duration, e.g. 5s");
  if (!slo.ok() || *slo <= 0) return Usage("--slo-p99: a positive duration, e.g. 1s");
  if (f.factor <= 1) return Usage("--ramp-factor must be > 1");
  o.start_rate = *start;
  o.max_rate = *max;
  o.probe_seconds = *probe;
  o.slo_p99_seconds = *slo;
  o.ramp_factor = f.factor;
  o.precision = f.precision;
  o.max_probes = f.max_probes;

  const std::string endpoint = DescribeExporterOptions(*eo);
  std::cout << absl::StrFormat(
      "capacity of %s with %s: zero loss and p99 <= %.0fms, %.1fs probes\n", endpoint, f.scenario,
      o.slo_p99_seconds * 1e3, o.probe_seconds);
  CapacityProbeFn probe_fn = MakeLoadEngineProbe(*sc, *eo, o.probe_seconds, f.threads);
  std::shared_ptr<readers::HttpClient> metrics_client;
  if (!f.pipeline_metrics.empty()) {
    readers::HttpClientOptions ho;
    ho.request_timeout = absl::Seconds(10);
    metrics_client = std::make_shared<readers::HttpClient>(ho);
    PipelineScrapeFn scrape = [metrics_client,
                               url = f.pipeline_metrics]() -> absl::StatusOr<std::string> {
      auto res = metrics_client->Get(url);
      if (!res.ok()) return res.status();
      if (res->status != 200)
        return absl::UnavailableError(absl::StrCat(url, " answered HTTP ", res->status));
      return std::move(res->body);
    };
    // Before any load: a wrong URL is exit 3 now, not a failed first probe.
    auto first = scrape();
    if (first.ok()) {
      auto counts = CollectorCounts(*first);
      if (!counts.ok()) first = counts.status();
    }
    if (!first.ok()) {
      std::cerr << "agentstorm capacity: --pipeline-metrics " << f.pipeline_metrics << ": "
                << first.status().message() << " (nothing was sent)\n";
      return kExitUnreachable;
    }
    probe_fn = WithPipelineCounts(std::move(probe_fn), std::move(scrape));
  }
  CapacityResult r = FindCapacity(o, probe_fn, [&o](const CapacityProbe& p) {
    std::cout << absl::StrFormat(
        "  %-6s %12.0f spans/s -> achieved %12.0f, lost %llu, p99 %.1fms: %s\n", p.phase,
        p.target_spans_per_second, p.achieved_spans_per_second,
        static_cast<unsigned long long>(p.spans_lost), p.p99_seconds * 1e3,
        p.passed ? "pass" : "FAIL (" + ProbeFailure(p, o) + ")");
    if (p.pipeline)
      std::cout << absl::StrFormat(
          "         pipeline: accepted %.0f (agentstorm acknowledged %llu), refused %.0f, "
          "exported %.0f, export failed %.0f\n",
          p.pipeline->accepted, static_cast<unsigned long long>(p.spans_acknowledged),
          p.pipeline->refused, p.pipeline->exported, p.pipeline->export_failed);
    if (!p.pipeline_error.empty()) std::cout << "         " << p.pipeline_error << "\n";
    std::cout.flush();
  });
  std::cout << "\n" << FormatCapacityTable(r);
  const std::string no_knee = NoKneeReason(r, o);
  if (r.sustained_spans_per_second > 0)
    std::cout << absl::StrFormat("sustained: %.0f spans/s%s\n", r.sustained_spans_per_second,
                                 no_knee.empty() ? "" : " (" + no_knee + ")");
  else if (r.probes.empty() || !PipelineLostSpans(r.probes[0]))
    std::cout << "sustained: none (the first probe already failed; try a lower --start-rate)\n";
  else
    std::cout << "sustained: none (the pipeline lost spans at the first probe, see above)\n";
  if (!f.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(f.report_dir, ec);
    const std::string path = (std::filesystem::path(f.report_dir) / "capacity.json").string();
    std::ofstream out(path);
    out << CapacityToJson(r, o, endpoint, f.scenario).dump(2) << "\n";
    if (!out) return Usage("cannot write " + path);
    std::cout << "wrote " << path << "\n";
  }
  bool reached = false;
  for (const auto& p : r.probes) reached |= p.spans_acknowledged > 0;
  return reached ? kExitOk : kExitUnreachable;
}

}  // namespace

void AddCapacityCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<CapacityFlags>();
  CLI::App* cmd = app.add_subcommand(
      "capacity", "find the highest rate a pipeline sustains with zero loss and p99 within an SLO");
  cmd->add_option("scenario", f->scenario, "Scenario name or file")->required();
  cmd->add_option("--endpoint", f->endpoint, "OTLP endpoint of the pipeline under test")
      ->required();
  cmd->add_option("--protocol", f->protocol, "grpc | http/protobuf | http/json");
  cmd->add_flag("--insecure", f->insecure, "Plaintext gRPC");
  cmd->add_option("--header", f->exporter.headers, "Key=Value sent with every request");
  cmd->add_option("--start-rate", f->start_rate, "First probe")->capture_default_str();
  cmd->add_option("--max-rate", f->max_rate, "Stop ramping here")->capture_default_str();
  cmd->add_option("--ramp-factor", f->factor, "Rate multiplier between ramp probes")
      ->capture_default_str();
  cmd->add_option("--precision", f->precision, "Binary search stops at this relative gap")
      ->capture_default_str();
  cmd->add_option("--max-probes", f->max_probes, "At most this many probes")
      ->capture_default_str()
      ->check(WholeNumber(1, 1000));
  cmd->add_option("--probe-duration", f->probe_duration, "Length of each probe")
      ->capture_default_str();
  cmd->add_option("--slo-p99", f->slo_p99, "Export latency p99 a passing probe stays within")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Generator worker threads (0 = one per core)")
      ->check(WholeNumber(0, 1024));
  cmd->add_option("--report", f->report_dir, "Write DIR/capacity.json");
  cmd->add_option("--pipeline-metrics", f->pipeline_metrics,
                  "The pipeline's own Prometheus metrics (an OpenTelemetry Collector's telemetry, "
                  "e.g. http://127.0.0.1:8888/metrics): each probe also needs none of its spans "
                  "refused or failed to export there");
  cmd->callback([f, exit_code] { *exit_code = RunCapacity(*f); });
}

}  // namespace agentstorm::cli
