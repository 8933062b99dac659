// RunCheck: the whole of `agentstorm check` as a library call (the CLI, `agentstorm run` and the
// end-to-end tests all call it).
//
// Ledger mode (CheckOptions::ledger_paths not empty):
//   1. read the ledgers (the shards of one run combine);
//   2. load the scenario named in the ledger header (or CheckOptions::scenario) and verify its
//      source hash against the header: a different scenario text is a usage error (exit 2);
//   3. poll the backend for EVERY trace in the ledger, acknowledged or not: a trace the ledger
//      says was never acknowledged but that is present is worth knowing (it is checked like any
//      other, and counted in CheckResult::unacknowledged_but_present); one that is absent is
//      expected and only counted. Traces the ledger says were acknowledged are polled with
//      their expected span count, the others with "unknown" so they do not hold the poller up
//      until the deadline. The poller deadline is CheckOptions::wait;
//   4. as each trace settles, re-synthesize what was sent from (scenario, seed, index, phase)
//      and hand (received, expected) to every rule on a pool of `concurrency` threads. Nothing
//      is kept per trace beyond a few bytes of bookkeeping: 1M traces stream through;
//   5. Finish every rule (sampling decides here), then the guards:
//        check.no_traces_read   nothing at all came back (violation; a check never passes on
//                               nothing)
//        check.variant_missing  a variant of the scenario that was sent has no trace read
//        check.count_mismatch   traces acknowledged vs traces read do not reconcile and no
//                               sampling expectation explains it (violation), reported with
//                               both figures
//        threshold.failed        a delivery threshold (CheckOptions::thresholds and, in ledger
//                               mode, the default: no span unacknowledged) failed
//                               (checker/check_thresholds.h)
//        check.trace_not_rebuilt  the synthesizer could not rebuild a ledger record (its span
//                               count or faults differ): the expected-trace comparisons are
//                               skipped for it (violation: the ledger and scenario disagree)
//
// The steps, each in its own file: the rules (checker/check_rules.h), rebuilding the expected
// traces (checker/expected_traces.h), checking one trace (checker/trace_check.h) and the guards
// (checker/check_guards.h); RunCheck runs them in that order around the poller.
//
// Ledger-less mode (--service NAME --since D, or --trace-id ID...): the traces are found with
// TraceReader::FindTraces (or taken as given), read once each (polled with unknown span count),
// and checked with the invariants only: hierarchy (no expected trace), semconv and, when
// `check_redaction`, redaction. check.no_traces_read applies too.
//
// Semconv model: --semconv-registry DIR when given; otherwise the bundled profile for the ledger
// header's profile label: "latest" -> genai-latest, "v1.36" -> genai-v1.36. For "dual" (spans
// carry both the v1.36 and the latest attribute names) and "mixed" (suite parts on different
// profiles) the genai-latest model is used and `semconv.deprecated_attribute` is lowered to
// information, since the deprecated duplicates are sent on purpose. Ledger-less mode uses
// genai-latest unless `semconv_profile` says otherwise.
//
// Exit code (CheckResult::exit_code, core/exit_codes.h): 3 when the backend could not be
// reached or read at all; else 1 when any unsuppressed finding is at CheckOptions::fail_on
// level or above (violation by default); else 0.
// RunCheck returns an error Status (never a CheckResult) for usage and configuration problems
// (bad URL, unreadable ledger or config, scenario hash mismatch): the CLI maps them with
// ExitCodeForStatus (core/exit_codes.h): 2, or 3 when the backend could not be reached (a file:
// backend that cannot be opened is a usage error).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checker/finding.h"
#include "checker/queryability_probe.h"
#include "checker/readers/poller.h"
#include "checker/rule.h"
#include "checker/verify_sample.h"
#include "core/ledger.h"
#include "core/load_summary.h"
#include "core/synthesized_trace.h"
#include "core/thresholds.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "scenario/scenario.h"

namespace agentstorm {

struct CheckOptions {
  // Bundled files (scenarios/, scenarios/semconv/) are read from here (the CLI passes
  // AGENTSTORM_SOURCE_DIR).
  std::string source_dir;

  // --- ledger mode
  std::vector<std::string> ledger_paths;
  // --verify FRACTION|N (checker/verify_sample.h): check a sample drawn with the ledger's seed,
  // and bound the run's loss rate at `sampling_confidence`; unset = every trace.
  std::optional<VerifySpec> verify;
  // The scenario the ledger was written from; null = load the ledger header's scenario_path
  // (as a path, then as a bundled name). Either way its SourceHash() must match the header.
  std::shared_ptr<const Scenario> scenario;

  // --- the backend
  std::string backend_url;                   // jaeger://..., tempo://..., file:PATH, ...
  std::vector<std::string> backend_headers;  // "K=V" or "K: V", added to every request
  absl::Duration wait = absl::Seconds(30);   // --wait: how long to poll for visibility
  int concurrency = 16;                      // requests in flight and rule threads
  // Poller tuning (backoff, stable polls); `wait` and `concurrency` above win over these.
  readers::PollerOptions poller;

  // --- ledger-less mode (used when ledger_paths is empty)
  std::string service;                          // --service NAME
  absl::Duration since = absl::ZeroDuration();  // --since D (with --service)
  std::vector<std::string> trace_ids;           // --trace-id ID (hex, up to 32 digits)
  size_t max_traces = 1000;                     // search limit for --service
  bool check_redaction = false;                 // also apply the redaction rule ledger-less

  // --- rules
  // --semconv-registry DIR, repeatable (a registry and the ones it depends on, e.g. the GenAI
  // repository's model and core's deprecated gen-ai stubs); empty = the bundled profile.
  std::vector<std::string> semconv_registry_dirs;
  std::string semconv_profile;  // "genai-latest" / "genai-v1.36" / a FILE.yaml; "" = ledger's
  std::string config_path;      // --config FILE; "" = none
  // Used instead of reading config_path when set (tests, embedding).
  std::optional<FindingSetOptions> finding_options;
  double sampling_confidence = 0.999;  // Wilson interval confidence of the sampling rule
  // Tolerance of hierarchy.child_outside_parent (clock skew between services).
  absl::Duration time_tolerance = absl::Milliseconds(1);
  // Delivery thresholds (core/thresholds.h), `--threshold` expressions; parsed before anything
  // is read (a bad one is InvalidArgument). In ledger mode DefaultThresholds() apply too unless
  // `default_thresholds` is false; a threshold given on the same metric replaces the default.
  std::vector<std::string> thresholds;
  bool default_thresholds = true;
  // `--fail-on LEVEL`: the exit code is 1 when any unsuppressed finding is at this level or
  // above (the default fails on violations only; kImprovement also on improvements, ...).
  FindingLevel fail_on = FindingLevel::kViolation;
  // Every unsuppressed finding as it is recorded (FindingSetOptions::on_finding): the
  // `--format jsonl` stream. Null = none.
  std::function<void(const Finding&)> on_finding;
  // `run`: the load summary of the run just sent (exact span counts, export latency, rate).
  const LoadSummary* load = nullptr;
  // `run`: time until queryable, measured while the run went on (checker/queryability_probe.h).
  // Without it the check says "not measured": a check after the run cannot measure it.
  const QueryabilitySample* queryability = nullptr;
  // Further rules run with the built-in ones (e.g. the alerts rule). Called once, after the
  // scenario and ledger are known, with what RunCheck read (both null ledger-less), so callers
  // need not read the ledgers again.
  std::function<absl::StatusOr<std::vector<std::unique_ptr<Rule>>>(const Scenario* scenario,
                                                                   const Ledger* ledger)>
      extra_rules;

  // --- output (stored for the CLI and the report writers; RunCheck itself prints nothing
  // unless `progress` is set)
  bool quiet = false;
  bool progress = false;  // periodic progress lines on stderr while polling
  // Failing traces (a trace with at least one violation finding) kept whole in
  // CheckResult::failing_traces for the reports' expected-vs-actual trees; the first ones to
  // finish checking, at most this many, so memory stays bounded (0 = none).
  size_t max_failing_traces = 10;
  // A trace whose answer holds its wire bytes (the embedded sink's bulk read) and equals, byte
  // for byte, the encoding of what the ledger says was sent, is checked as having arrived as sent
  // (TraceUnderCheck::arrived_as_sent) without building what was sent as messages. Off: every
  // trace is compared field by field (tests hold the two to the same findings).
  bool compare_wire = true;
  std::string report_dir;                   // --report DIR; "" = none
  std::vector<std::string> report_formats;  // --format; empty = all
  std::string alerts_url;                   // --alerts URL (prometheus://, alertmanager://)
};

// What a --verify sample covered and proves (checker/verify_sample.h).
struct VerifiedSample {
  bool active = false;                   // a sample smaller than the ledger was drawn
  uint64_t seed = 0;                     // the ledger's seed, which drew it
  uint64_t population = 0;               // ledger records
  uint64_t population_acknowledged = 0;  // of which acknowledged
  uint64_t sampled = 0;                  // records checked
  uint64_t sampled_acknowledged = 0;
  uint64_t lost = 0;  // acknowledged traces of the sample not read back whole
  double confidence = 0;
  double loss_rate_bound = 1;  // upper bound on the loss rate of the run's acknowledged traces
};

// The sentence the summary and every report give for a sample ("" when not active).
std::string DescribeVerifiedSample(const VerifiedSample& v);

// Figures per scenario variant (or per expected trace class).
struct CheckCounts {
  uint64_t sent = 0;          // in the ledger
  uint64_t acknowledged = 0;  // the ledger's worst endpoint outcome is acknowledged
  uint64_t read = 0;          // found (complete or not) in the backend
};

// One Wilson interval the sampling rule computed.
struct SamplingInterval {
  std::string population;  // "head", "tail.rest"
  double expected = 0;     // the expected kept fraction P
  uint64_t kept = 0;
  uint64_t total = 0;
  double observed = 0;  // kept / total
  double low = 0;       // Wilson interval at `confidence`
  double high = 0;
  double confidence = 0;
  bool passed = true;
};

// One trace that produced a violation finding while the rules checked it, kept for reports.
struct FailingTrace {
  std::string trace_id;  // lowercase hex
  std::string variant;   // "" when unknown (ledger-less)
  // What was sent, rebuilt from the ledger; null ledger-less or when it could not be rebuilt.
  std::shared_ptr<const SynthesizedTrace> expected;
  // What the backend returned (empty when the trace was not found).
  opentelemetry::proto::trace::v1::TracesData received;
  std::vector<std::string> finding_ids;  // distinct violation IDs, in the order found
  // (span ID hex, finding ID) of every violation finding about one span, in order.
  std::vector<std::pair<std::string, std::string>> span_findings;
};

struct CheckResult {
  explicit CheckResult(FindingSetOptions options) : findings(std::move(options)) {}

  FindingSet findings;
  readers::PollSummary poll;  // outcome counts
  readers::ReadCounts reads;  // how the reader read them (TraceReader::Counts)
  // Time until queryable: measured (by `run`, CheckOptions::queryability) or not.
  QueryabilitySample queryability;

  std::string mode;     // "ledger" or "live"
  std::string backend;  // Describe()d backend URL, without secrets
  std::string scenario_name;
  std::string scenario_path;
  std::string semconv_model;  // what semconv checked against ("genai-latest", a registry dir)
  uint64_t seed = 0;
  std::string run_id;  // ledger mode: core/run_id.h FormatRunId of the ledger's run ID
  uint32_t shards = 1;
  uint64_t run_start_unix_nano = 0;  // ledger mode: the run's start, from the ledger header

  // --verify: what the sample covered and proves. The counts below are the sample's.
  VerifiedSample verify;
  uint64_t traces_expected = 0;  // ledger records (ledger mode) or IDs searched (live)
  uint64_t traces_acknowledged = 0;
  uint64_t traces_polled = 0;
  uint64_t traces_read = 0;     // found or incomplete: handed to the rules
  uint64_t spans_expected = 0;  // of acknowledged traces
  uint64_t spans_read = 0;
  uint64_t unacknowledged_but_present = 0;
  uint64_t traces_arrived_as_sent = 0;  // read byte for byte as sent (CheckOptions::compare_wire)
  std::map<std::string, uint64_t> outcomes;       // "found", "not_found", ... -> traces
  std::map<std::string, CheckCounts> by_variant;  // variant name -> counts
  std::map<std::string, CheckCounts> by_class;    // "normal", "error", ... -> counts
  std::vector<SamplingInterval> sampling;
  std::vector<ThresholdResult> thresholds;  // every threshold judged, in order
  // The first CheckOptions::max_failing_traces traces with a per-trace violation finding
  // (whole-run findings such as sampling.rate_out_of_bounds name no trace).
  std::vector<FailingTrace> failing_traces;

  absl::Duration elapsed;                           // the whole check
  absl::Duration poll_elapsed;                      // reading the backend
  FindingLevel fail_on = FindingLevel::kViolation;  // CheckOptions::fail_on
  int exit_code = 0;                                // kExitOk / kExitViolation / kExitUnreachable
  std::string unreachable_reason;                   // when exit_code == kExitUnreachable
};

// Runs a check as described at the top of this file.
absl::StatusOr<std::unique_ptr<CheckResult>> RunCheck(const CheckOptions& options);

// The plain text summary the CLI prints: outcome counts, time until queryable p50/p90/p99,
// findings grouped by rule family with the first examples of each, and the verdict.
std::string FormatCheckSummary(const CheckResult& result);

}  // namespace agentstorm
