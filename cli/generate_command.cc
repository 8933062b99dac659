// `agentstorm generate SCENARIO ...`: parses the full option set of DESIGN.md. With --dry-run it
// prints the traces (OTLP/JSON lines or a tree) instead of sending them; otherwise RunGenerate.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/generate_flags.h"
#include "cli/numeric_flags.h"
#include "core/exit_codes.h"
#include "core/ids.h"
#include "core/load_summary.h"
#include "core/otlp_json.h"
#include "core/run_id.h"
#include "core/shard.h"
#include "core/thresholds.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "scenario/scenario_loader.h"
#include "scenario/units.h"
#include "synth/trace_synthesizer.h"
#include "synth/trace_tree.h"

namespace agentstorm::cli {
namespace {

std::string FaultList(uint32_t faults) {
  std::string out;
  for (int k = 0; k < kFaultKindCount; ++k)
    if (faults & FaultBit(static_cast<FaultKind>(k))) {
      if (!out.empty()) out += ",";
      out += FaultKindName(static_cast<FaultKind>(k));
    }
  return out.empty() ? "-" : out;
}

int RunDryRun(const GenerateFlags& flags, uint64_t start_unix_nano) {
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> loaded = LoadScenarioFile(flags.scenario_path, &errors);
  if (!loaded) {
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    return kExitUsage;
  }
  ApplyAttributeOverrides(flags.attributes, loaded.get());
  std::shared_ptr<const Scenario> scenario = std::move(loaded);
  SynthesizerOptions opt;
  opt.seed = flags.seed;
  opt.run_id = flags.run_id;
  opt.start_unix_nano = start_unix_nano;
  TraceSynthesizer synth(scenario, opt);
  std::cerr << "agentstorm generate: run id " << FormatRunId(flags.run_id) << ", seed "
            << flags.seed << " (--run-id and --seed print these IDs again)\n";
  const ShardSpec shard{flags.shard_index, flags.shard_count};
  const uint64_t total = flags.traces > 0 ? flags.traces : 1;
  SynthesizedTrace trace;
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  for (uint64_t local = 0; local < shard.LocalCount(total); ++local) {
    const uint64_t index = shard.GlobalIndex(local);
    synth.Synthesize(index, -1, &trace);
    if (flags.format == "tree") {
      std::cout << "trace " << HexEncode(trace.trace_id) << " #" << index
                << " variant=" << scenario->variants[trace.variant].name
                << " class=" << TraceClassName(trace.expected_class)
                << " spans=" << trace.span_count << " faults=" << FaultList(trace.faults) << "\n"
                << RenderTraceTree(trace) << "\n";
    } else {
      request.Clear();
      for (const auto& rs : trace.resource_spans) *request.add_resource_spans() = rs;
      std::cout << EncodeOtlpJson(request) << "\n";
    }
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

std::shared_ptr<GenerateFlagSet> AddGenerateFlags(CLI::App* cmd) {
  auto set = std::make_shared<GenerateFlagSet>();
  GenerateFlags* flags = &set->flags;
  cmd->add_option("scenario", flags->scenario, "scenario file, or the name of a bundled scenario")
      ->required();
  cmd->add_option("--endpoint", flags->endpoints,
                  "OTLP endpoint base URL (repeatable: each gets the same stream)");
  cmd->add_option("--rate", flags->rate,
                  "traces/s (\"500/s\"), spans/s (\"200k spans/s\"), a profile, or \"max\"");
  cmd->add_option("--duration", set->duration, "how long to send, e.g. 30s, 5m");
  cmd->add_option("--traces", flags->traces, "how many traces to send (dry run: to print)")
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_option("--seed", flags->seed, "random seed; same seed, same traces")
      ->capture_default_str()
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_option("--run-id", set->run_id,
                  "reuse the run ID an earlier run printed, to send its exact trace and span IDs "
                  "again (default: a fresh one; the shards of one run need one, e.g. a Job UID)");
  cmd->add_option("--shard", set->shard, "I/N: this process sends shard I of N (0-based)");
  cmd->add_option("--protocol", set->protocol, "grpc | http/protobuf | http/json");
  cmd->add_option("--header", flags->headers, "K=V header on every request (repeatable)");
  cmd->add_option("--compression", set->compression, "gzip | none");
  cmd->add_flag("--insecure", flags->insecure, "plaintext gRPC / skip TLS verification");
  cmd->add_option("--ca", set->ca, "PEM file of trusted CA certificates");
  cmd->add_option("--cert", set->cert, "PEM client certificate (mTLS)");
  cmd->add_option("--key", set->key, "PEM client private key (mTLS)");
  cmd->add_option("--batch-spans", flags->batch_spans, "spans per export request")
      ->check(WholeNumberOf<uint32_t>());
  cmd->add_option("--max-batch-bytes", flags->max_batch_bytes, "upper bound of a request's size")
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_option(
         "--connections", flags->connections,
         "gRPC connections per endpoint, used in turn (a receiver reads each connection on "
         "one thread)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--ledger", flags->ledger, "write the run's ledger to FILE");
  cmd->add_flag("--quiet", flags->quiet, "no progress lines");
  cmd->add_option("--progress", set->progress,
                  "auto (a live line on a terminal, else a line every 5 s) | live | lines | "
                  "json (a JSON object per second, for CI)")
      ->check(CLI::IsMember({"auto", "live", "lines", "json"}));
  cmd->add_option("--threads", flags->threads,
                  "worker threads that build and batch traces (default: one per core)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--resource-attr", flags->resource_attrs,
                  "K=V resource attribute on every service (repeatable; service.name renames the "
                  "first service); after OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME");
  cmd->add_option("--span-attr", flags->span_attrs,
                  "K=V attribute on every span (repeatable); 42, 0.5, true are typed, \"42\" "
                  "is a string");
  cmd->add_option("--summary-json", flags->summary_json, "write the final summary as JSON to FILE");
  cmd->add_option("--start-time", set->start_time,
                  "run start in Unix nanoseconds for the synthetic clock (default: now)")
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_flag("--metrics", flags->metrics,
                "also send the GenAI client metrics (OTLP metrics, same endpoints), aggregated "
                "from the spans sent");
  cmd->add_option("--metrics-interval", set->metrics_interval,
                  "how often --metrics exports its cumulative values (default 5s)");
  return set;
}

std::string GenerateFlagSet::Finish() {
  if (!duration.empty()) {
    auto d = ParseDurationSeconds(duration);
    if (!d.ok()) return "--duration: " + std::string(d.status().message());
    flags.duration_seconds = *d;
  }
  if (!metrics_interval.empty()) {
    auto d = ParseDurationSeconds(metrics_interval);
    if (!d.ok() || *d <= 0)
      return "--metrics-interval: " +
             (d.ok() ? std::string("must be positive") : std::string(d.status().message()));
    flags.metrics_interval_seconds = *d;
  }
  if (!shard.empty()) {
    auto s = ParseShardSpec(shard);
    if (!s.ok()) return "--shard: " + std::string(s.status().message());
    flags.shard_index = s->index;
    flags.shard_count = s->count;
  }
  if (!run_id.empty()) {
    auto id = ParseRunId(run_id);
    if (!id.ok()) return "--run-id: " + std::string(id.status().message());
    flags.run_id = *id;
  } else if (flags.shard_count > 1 && !flags.dry_run) {
    return "--shard " + shard +
           ": the shards of one run must share its run ID; pass the same --run-id to every "
           "shard (16 hex digits, or any name such as the Kubernetes Job's UID)";
  } else {
    flags.run_id = NewRunId();
  }
  flags.start_unix_nano = start_time;
  auto attributes = CollectAttributeOverrides(std::getenv("OTEL_RESOURCE_ATTRIBUTES"),
                                              std::getenv("OTEL_SERVICE_NAME"),
                                              flags.resource_attrs, flags.span_attrs);
  if (!attributes.ok()) return std::string(attributes.status().message());
  flags.attributes = std::move(*attributes);
  if (progress == "live") flags.progress = ProgressMode::kLive;
  if (progress == "lines") flags.progress = ProgressMode::kLines;
  if (progress == "json") flags.progress = ProgressMode::kJson;
  if (!protocol.empty()) flags.protocol = protocol;
  if (!compression.empty()) flags.compression = compression;
  if (!ca.empty()) flags.ca_file = ca;
  if (!cert.empty()) flags.cert_file = cert;
  if (!key.empty()) flags.key_file = key;
  const std::string scenarios_dir = BundledScenariosDir(DataDirOrEmpty());
  if (std::string error = UnknownScenarioError(flags.scenario, scenarios_dir); !error.empty()) {
    return error;
  }
  flags.scenario_path = ResolveScenarioPath(flags.scenario, scenarios_dir);
  return "";
}

void AddGenerateCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "generate", "synthesize a scenario's traces and send them to OTLP endpoints (or print them)");
  std::shared_ptr<GenerateFlagSet> set = AddGenerateFlags(cmd);
  cmd->add_flag("--dry-run", set->flags.dry_run, "print the traces instead of sending them");
  cmd->add_option("--format", set->flags.format, "dry-run output: otlp-json | tree")
      ->check(CLI::IsMember({"otlp-json", "tree"}))
      ->capture_default_str();
  auto thresholds = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--threshold", *thresholds,
                  "fail (exit 1) unless the run meets it, e.g. 'export_latency: p(99)<250ms' or "
                  "'spans_not_acknowledged: rate<1%' (repeatable; none by default)");

  cmd->callback([=] {
    if (std::string error = set->Finish(); !error.empty()) {
      std::cerr << "agentstorm generate: " << error << "\n";
      *exit_code = kExitUsage;
      return;
    }
    const GenerateFlags& flags = set->flags;
    if (flags.dry_run) {
      uint64_t start = flags.start_unix_nano;
      if (start == 0)
        start = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
      *exit_code = RunDryRun(flags, start);
      return;
    }
    auto parsed = ParseThresholds(*thresholds);
    if (!parsed.ok()) {
      for (absl::string_view line : absl::StrSplit(parsed.status().message(), '\n'))
        std::cerr << "agentstorm generate: --threshold: " << line << "\n";
      *exit_code = kExitUsage;
      return;
    }
    if (flags.dry_run && !parsed->empty()) {
      std::cerr << "agentstorm generate: --threshold judges a run; --dry-run sends nothing\n";
      *exit_code = kExitUsage;
      return;
    }
    LoadSummary load;
    *exit_code = RunGenerate(flags, "generate", &load);
    if (*exit_code != kExitOk || parsed->empty()) return;
    ThresholdFigures figures;
    AddLoadFigures(load, &figures);
    const std::vector<ThresholdResult> results = EvaluateThresholds(*parsed, figures);
    std::cout << FormatThresholds(results);
    std::cout.flush();
    if (!AllThresholdsPassed(results)) {
      std::cerr << "agentstorm generate: a threshold failed\n";
      *exit_code = kExitViolation;
    }
  });
}

}  // namespace agentstorm::cli
