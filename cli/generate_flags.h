// The parsed flags of `agentstorm generate` (DESIGN.md, "Command line"). cli/generate_command.cc
// fills it; RunGenerate (cli/generate_run.cc) sends the traces. Values are kept as the user wrote
// them where the sending side owns their grammar (--rate, --protocol, ...); "" / unset = not given.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generator/load_engine.h"
#include "scenario/attribute_overrides.h"

namespace CLI {
class App;
}

namespace agentstorm {
struct LoadSummary;
struct TraceAnswered;
struct LedgerHeader;
}  // namespace agentstorm

namespace agentstorm::cli {

struct GenerateFlags {
  std::string scenario;       // the argument as given
  std::string scenario_path;  // resolved file (a bundled name becomes scenarios/NAME.yaml)

  std::vector<std::string> endpoints;  // --endpoint, repeatable: the same stream to each
  std::string rate;                    // --rate, e.g. "500/s", "200k spans/s", "max" ("" = unset)
  double duration_seconds = 0;         // --duration (0 = unset)
  uint64_t traces = 0;                 // --traces (0 = unset)
  uint64_t seed = 1;                   // --seed
  uint64_t run_id = 0;                 // --run-id, or a fresh one (core/run_id.h)
  uint32_t shard_index = 0;            // --shard I/N
  uint32_t shard_count = 1;
  std::optional<std::string> protocol;     // grpc | http/protobuf | http/json
  std::vector<std::string> headers;        // --header K=V, repeatable
  std::optional<std::string> compression;  // gzip | none
  bool insecure = false;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  uint32_t batch_spans = 0;      // --batch-spans (0 = default)
  uint64_t max_batch_bytes = 0;  // --max-batch-bytes (0 = default)
  int connections = 1;           // --connections (gRPC)
  std::string ledger;            // --ledger FILE ("" = none)
  bool dry_run = false;
  std::string format = "otlp-json";  // --format otlp-json | tree (dry run only)
  bool quiet = false;
  ProgressMode progress = ProgressMode::kAuto;  // --progress auto|live|lines|json
  int threads = 0;                              // --threads (0 = one per core)
  std::string summary_json;                     // --summary-json FILE ("" = none)
  uint64_t start_unix_nano = 0;                 // --start-time: synthetic clock anchor (0 = now)
  std::vector<std::string> resource_attrs;      // --resource-attr K=V, repeatable
  std::vector<std::string> span_attrs;          // --span-attr K=V, repeatable
  // Those two with OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, collected by Finish().
  AttributeOverrides attributes;
  bool metrics = false;                 // --metrics: also send the GenAI client metrics
  double metrics_interval_seconds = 5;  // --metrics-interval
};

// The options `generate` and `run` share (what to send and where; not --dry-run/--format):
// AddGenerateFlags registers them, with the scenario positional, on `cmd`. After parsing, call
// Finish() from the command's callback: it converts --duration, --shard, ... into `flags` and
// resolves the scenario path; it returns "" or an error message naming the flag (exit code 2).
class GenerateFlagSet {
 public:
  GenerateFlags flags;
  std::string Finish();

 private:
  friend std::shared_ptr<GenerateFlagSet> AddGenerateFlags(CLI::App* cmd);
  std::string duration, shard, protocol, compression, ca, cert, key, metrics_interval, run_id,
      progress;
  uint64_t start_time = 0;
};
std::shared_ptr<GenerateFlagSet> AddGenerateFlags(CLI::App* cmd);

// Sends the scenario's traces as the flags say and returns the process exit code
// (core/exit_codes.h). `command` prefixes error messages ("generate", "run"). Implemented in
// cli/generate_run.cc.
// When `load_out` is not null it receives the run's summary (for `run`'s reports);
// `on_answered` (optional) sees every trace once its endpoints answered (LoadOptions);
// `on_start` (optional) gets the run's ledger header (with or without --ledger) just before the
// first trace is sent.
int RunGenerate(const GenerateFlags& flags, const char* command = "generate",
                LoadSummary* load_out = nullptr,
                std::function<void(const TraceAnswered&)> on_answered = nullptr,
                std::function<void(const LedgerHeader&)> on_start = nullptr);

}  // namespace agentstorm::cli
