// `agentstorm run SCENARIO [generate options] [check options]`: generate, then check what
// arrived, in one command.
//
// Without --endpoint it starts the embedded sink in-process on free 127.0.0.1 ports, sends to
// it (gRPC, or its HTTP receiver for --protocol http/*) and checks it through its query API
// (jaeger://127.0.0.1:PORT); --sink-fault SPEC (repeatable) makes that sink damage what it
// receives, as `agentstorm sink --fault` does; --sink-tls-cert/--sink-tls-key
// [--sink-tls-client-ca] and --sink-auth-token-file guard it as `agentstorm sink` --tls-*/
// --auth-token-file do, and the run then sends over TLS (trusting --ca, or else the certificate
// itself; --cert/--key for mTLS) with the token, and checks through jaeger+https:// with both, so
// one command tries a whole TLS and token setup. With --endpoint URL it sends there, and --backend
// URL says where the check reads back from. The other OTEL_EXPORTER_OTLP_* variables apply as for
// generate.
//
// Size of the run when the command line does not say: a scenario without a `load:` section and
// no --rate is sent at --rate max (at 100/s when only --duration bounds it); with none of
// --traces, --duration or a `load:` section the run is 200 traces. A quick, complete loop
// (ci/demo).
//
// Output: the generate summary, then the check summary. Exit code: generate's when it failed
// (2 usage, 3 endpoint unreachable), else the check's (0 ok, 1 violation, 2 usage, 3 backend
// unreachable).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "checker/alerts/alert_source.h"
#include "checker/alerts/alerts_url.h"
#include "checker/check_pipeline.h"
#include "checker/queryability_probe.h"
#include "checker/readers/backend_probe.h"
#include "checker/readers/backend_url.h"
#include "checker/rules/alert_rule.h"
#include "cli/check_flags.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/generate_flags.h"
#include "cli/numeric_flags.h"
#include "cli/temp_dir.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "core/load_summary.h"
#include "core/url.h"
#include "export/exporter_options.h"
#include "generator/load_engine.h"
#include "reports/check_report.h"
#include "scenario/scenario_loader.h"
#include "sink/fault_injector.h"
#include "sink/sink.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm::cli {
namespace {

constexpr uint64_t kDefaultRunTraces = 200;
// A --duration without --rate: a steady rate, so a long run does not flood the sink's store.
constexpr const char* kDefaultTimedRate = "100/s";

int Fail(int code, const std::string& message) {
  std::cerr << "agentstorm run: " << message << "\n";
  return code;
}

// Spans the embedded sink holds when --sink-max-spans is not given: its default, or room for a
// run whose trace count says it needs more (a full sink refuses exports and the run stalls).
size_t EmbeddedSinkSpans(const GenerateFlags& flags, std::shared_ptr<const Scenario> scenario,
                         size_t fallback) {
  if (flags.traces == 0) return fallback;
  SynthesizerOptions so;
  so.seed = flags.seed;
  const double mean = TraceSynthesizer(std::move(scenario), so).MeanSpansPerTrace();
  // A margin for the spread of trace sizes around the mean.
  const double needed = static_cast<double>(flags.traces) * mean * 1.25 + 1000;
  return std::max(fallback, static_cast<size_t>(std::min(needed, 1e12)));
}

// What --sink-* say of the embedded sink.
struct EmbeddedSinkFlags {
  std::vector<std::string> faults;
  std::string tls_cert, tls_key, tls_client_ca, auth_token_file;
  uint64_t max_spans = 0;  // --sink-max-spans (0: sized to the run)
  bool guarded() const {
    return !tls_cert.empty() || !tls_key.empty() || !tls_client_ca.empty() ||
           !auth_token_file.empty();
  }
};

int Run(GenerateFlags flags, CheckFlags check, const EmbeddedSinkFlags& embedded) {
  const absl::Time command_start = absl::Now();
  const std::vector<std::string>& sink_faults = embedded.faults;
  // The scenario first: its errors are usage errors (file:line), and its `load:` section decides
  // the defaults.
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> loaded = LoadScenarioFile(flags.scenario_path, &errors);
  if (!loaded) {
    for (const auto& e : errors) std::cerr << e.ToString() << "\n";
    return kExitUsage;
  }
  ApplyAttributeOverrides(flags.attributes, loaded.get());
  std::shared_ptr<const Scenario> scenario = std::move(loaded);
  const bool scenario_load = scenario->load.has_value();
  if (flags.rate.empty() && !scenario_load)
    flags.rate = flags.duration_seconds > 0 && flags.traces == 0 ? kDefaultTimedRate : "max";
  if (flags.traces == 0 && flags.duration_seconds <= 0 && (!scenario_load || flags.rate == "max"))
    flags.traces = kDefaultRunTraces;

  if (!sink_faults.empty()) {
    if (!flags.endpoints.empty())
      return Fail(kExitUsage, "--sink-fault applies to the embedded sink, not with --endpoint");
    auto faults = sink::ParseFaultSpecs(sink_faults);
    if (!faults.ok())
      return Fail(kExitUsage, "--sink-fault: " + std::string(faults.status().message()));
  }

  if (embedded.guarded() && !flags.endpoints.empty()) {
    return Fail(kExitUsage,
                "--sink-tls-* and --sink-auth-token-file apply to the embedded sink, not with "
                "--endpoint");
  }
  if (embedded.max_spans > 0 && !flags.endpoints.empty())
    return Fail(kExitUsage, "--sink-max-spans applies to the embedded sink, not with --endpoint");
  if (!embedded.tls_client_ca.empty() && (!flags.cert_file || !flags.key_file)) {
    return Fail(kExitUsage,
                "--sink-tls-client-ca: the embedded sink will ask for a client certificate; "
                "give --cert and --key");
  }

  CheckOutput output(check);  // --format F without --report: F on stdout, the rest on stderr
  if (std::string error = output.Open(check); !error.empty()) return Fail(kExitUsage, error);
  std::unique_ptr<sink::Sink> sink;
  std::string backend = check.backend;
  if (flags.endpoints.empty()) {
    // Which receiver: the protocol generate will use (flag, then OTEL_EXPORTER_OTLP_*PROTOCOL).
    ExporterFlags probe;
    probe.protocol = flags.protocol;
    auto options = BuildExporterOptions(probe);
    if (!options.ok()) return Fail(kExitUsage, std::string(options.status().message()));
    sink::SinkOptions so;
    so.grpc_address = "127.0.0.1:0";
    so.http_address = "127.0.0.1:0";
    so.query_address = "127.0.0.1:0";
    so.faults = sink_faults;
    so.max_spans = embedded.max_spans > 0 ? embedded.max_spans
                                          : EmbeddedSinkSpans(flags, scenario, so.max_spans);
    so.tls_cert_file = embedded.tls_cert;
    so.tls_key_file = embedded.tls_key;
    so.tls_client_ca_file = embedded.tls_client_ca;
    if (!embedded.auth_token_file.empty()) {
      absl::StatusOr<std::string> token =
          ReadSinkAuthToken(embedded.auth_token_file, "--sink-auth-token-file");
      if (!token.ok()) return Fail(kExitUsage, std::string(token.status().message()));
      so.auth_token = *std::move(token);
    }
    auto started = sink::Sink::Start(so);
    if (!started.ok()) {
      // The sink names its own flags; here they are --sink-tls-*.
      const std::string why =
          absl::StrReplaceAll(started.status().message(), {{"--tls-", "--sink-tls-"}});
      return Fail(ExitCodeForStatus(started.status()), "cannot start the embedded sink: " + why);
    }
    sink = std::move(*started);
    const bool tls = !so.tls_cert_file.empty();
    const int port =
        options->protocol == OtlpProtocol::kGrpc ? sink->grpc_port() : sink->http_port();
    flags.endpoints.push_back(std::string(tls ? "https" : "http") +
                              "://127.0.0.1:" + std::to_string(port));
    std::string shown_backend = backend;
    if (backend.empty()) {
      shown_backend = std::string(tls ? "jaeger+https" : "jaeger") +
                      "://127.0.0.1:" + std::to_string(sink->query_port());
      backend = shown_backend;
      if (tls) {
        // Trust what generate trusts: --ca, or else the certificate itself (self-signed).
        backend += "?ca=" + PercentEncode(flags.ca_file.value_or(so.tls_cert_file));
        if (flags.cert_file && flags.key_file) {
          backend +=
              "&cert=" + PercentEncode(*flags.cert_file) + "&key=" + PercentEncode(*flags.key_file);
        }
      }
    }
    if (tls && !flags.ca_file) flags.ca_file = so.tls_cert_file;
    if (!so.auth_token.empty()) {
      flags.headers.push_back("Authorization=Bearer " + so.auth_token);
      check.backend_headers.push_back("Authorization=Bearer " + so.auth_token);
    }
    if (!flags.quiet)
      std::cout << "embedded sink: OTLP " << flags.endpoints.back() << ", query " << shown_backend
                << (sink_faults.empty() ? "" : ", faults " + absl::StrJoin(sink_faults, " "))
                << (sink->security().empty() ? "" : ", " + sink->security()) << ", holds "
                << HumanCount(static_cast<double>(so.max_spans)) << " spans\n";
  } else if (backend.empty()) {
    return Fail(kExitUsage, "with --endpoint, give --backend URL to read the traces back from");
  } else {
    // The wrong kind of backend is found before any load is sent, not after it (exit 3).
    auto url = readers::ParseBackendUrl(backend, check.backend_headers);  // flags validated
    if (url.ok()) {
      readers::ReaderOptions probe_options;
      probe_options.deadline = absl::Now() + std::min(check.wait, absl::Seconds(30));
      const absl::Status probe = readers::ProbeBackend(*url, probe_options);
      if (probe.code() == absl::StatusCode::kFailedPrecondition)
        return Fail(kExitUnreachable, std::string(probe.message()));
    }
  }

  // Each --alerts source answers once before any load: one that cannot be read now would only
  // turn the whole run into exit 3 at its end.
  for (const std::string& alerts_url : check.alerts) {
    auto url = alerts::ParseAlertsUrl(alerts_url);  // validated with the flags
    if (!url.ok()) return Fail(kExitUsage, "--alerts: " + std::string(url.status().message()));
    auto snapshot = alerts::MakeAlertSource(*url)->Poll(absl::Now());
    if (!snapshot.ok()) {
      if (sink) (void)sink->Shutdown(absl::Seconds(1));
      return Fail(kExitUnreachable, "alert source " + url->description + " could not be read: " +
                                        std::string(snapshot.status().message()) +
                                        "; nothing was sent");
    }
  }

  TempDir temp;
  if (flags.ledger.empty()) {
    if (temp.path().empty()) return Fail(kExitUsage, "cannot create a temporary directory");
    flags.ledger = temp.path() + "/run.ledger";
  }

  // Time until queryable: a sample of acknowledged traces polled while the load goes on.
  QueryabilityOptions probe_options;
  probe_options.give_up_after = check.wait;
  std::unique_ptr<QueryabilityProbe> probe =
      StartQueryabilityProbe(backend, check.backend_headers, probe_options);
  std::function<void(const TraceAnswered&)> on_answered;
  if (probe)
    on_answered = [p = probe.get()](const TraceAnswered& t) {
      if (t.acknowledged)
        p->Offer(t.trace_id, t.span_count,
                 absl::FromUnixNanos(static_cast<int64_t>(t.answered_unix_nano)));
    };

  std::cout << "== generate ==\n";
  std::cout.flush();
  LoadSummary load;
  const int generated = RunGenerate(flags, "run", &load, on_answered);
  std::optional<QueryabilitySample> queryability;
  if (probe) queryability = probe->Finish();
  if (generated != kExitOk) {
    if (sink) (void)sink->Shutdown(absl::Seconds(1));
    return generated;
  }

  std::cout << "== check ==\n";
  std::cout.flush();
  CheckOptions co;
  co.source_dir = DataDirOrEmpty();
  co.ledger_paths = {flags.ledger};
  co.scenario = scenario;
  check.ApplyTo(&co);
  output.ApplyTo(&co);
  co.backend_url = backend;
  co.quiet = flags.quiet;
  co.progress = !flags.quiet;
  co.load = &load;
  if (queryability) co.queryability = &*queryability;
  const absl::Time run_start = absl::FromUnixNanos(static_cast<int64_t>(load.run_start_unix_nano));
  std::unique_ptr<AlertRule> alert_rule_owned;  // outlives the pipeline, which borrows it
  AlertRule* alert_rule = nullptr;
  if (!check.alerts.empty()) {
    co.extra_rules =
        [&](const Scenario* s,
            const Ledger* ledger) -> absl::StatusOr<std::vector<std::unique_ptr<Rule>>> {
      std::optional<absl::Time> fault_phase_start;
      if (s != nullptr && ledger != nullptr)
        fault_phase_start = RecordedFaultPhaseStart(*s, *ledger);
      auto rule = MakeAlertRule(check.alerts, s, run_start, fault_phase_start);
      if (!rule.ok()) return rule.status();
      alert_rule_owned = std::move(*rule);
      alert_rule = alert_rule_owned.get();
      std::vector<std::unique_ptr<Rule>> rules;
      rules.push_back(BorrowRule(alert_rule));
      return rules;
    };
  }
  auto result = RunCheck(co);
  if (sink) (void)sink->Shutdown(absl::Seconds(1));
  if (!result.ok()) {
    return Fail(ExitCodeForStatus(result.status()), std::string(result.status().message()));
  }
  MarkAlertsUnreachable(alert_rule, result->get());
  std::cout << FormatCheckSummary(**result);
  if (alert_rule != nullptr) {
    std::cout << "alerts:\n" << DescribeAlertTimelines(alert_rule->timelines());
    if (!alert_rule->status().ok())
      return Fail(kExitUnreachable, std::string(alert_rule->status().message()));
  }
  std::cout.flush();
  if ((*result)->exit_code == kExitUnreachable && !(*result)->unreachable_reason.empty())
    std::cerr << "agentstorm run: " << (*result)->unreachable_reason << "\n";
  if (!check.report_dir.empty() || !check.baseline.empty() || output.WritesReport()) {
    reports::ReportRequest request;
    output.ApplyTo(&request);
    request.baseline_path = check.baseline;
    request.dir = check.report_dir;
    request.formats = check.formats;
    request.command = "run";
    request.tool_version = AGENTSTORM_VERSION;
    request.run_start = run_start;
    request.command_start = command_start;
    request.run_end = absl::Now();
    std::vector<reports::AlertTimeline> alerts;
    if (alert_rule != nullptr)
      alerts = reports::AlertTimelinesForReport(alert_rule->timelines(), run_start);
    auto code = reports::WriteCheckReports(**result, request, &load, alerts);
    if (!code.ok()) return Fail(kExitUsage, std::string(code.status().message()));
    if (!flags.quiet && !check.report_dir.empty())
      std::cout << "reports written to " << check.report_dir << "\n";
    return *code;
  }
  return (*result)->exit_code;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "run",
      "generate then check in one command; without --endpoint, against the embedded sink "
      "started in-process");
  std::shared_ptr<GenerateFlagSet> set = AddGenerateFlags(cmd);
  std::shared_ptr<CheckFlagSet> check =
      AddCheckFlags(cmd, /*backend_required=*/false,
                    "where to read the traces back (jaeger://, tempo://, file:...); default with "
                    "no --endpoint: the embedded sink");
  auto embedded = std::make_shared<EmbeddedSinkFlags>();
  cmd->add_option("--sink-fault", embedded->faults,
                  "inject a fault into the embedded sink (repeatable; the specs of `agentstorm "
                  "sink --fault`, e.g. drop-spans=0.05): watch the check catch it");
  cmd->add_option("--sink-max-spans", embedded->max_spans,
                  "most spans the embedded sink holds (default: 1M, or room for --traces N when "
                  "that needs more); beyond it exports are refused and the run stalls")
      ->check(WholeNumberOf<uint64_t>(1));
  cmd->add_option("--sink-tls-cert", embedded->tls_cert,
                  "PEM certificate: the embedded sink speaks TLS (with --sink-tls-key), the run "
                  "sends and checks over it, trusting --ca or else this certificate");
  cmd->add_option("--sink-tls-key", embedded->tls_key, "PEM private key of --sink-tls-cert");
  cmd->add_option("--sink-tls-client-ca", embedded->tls_client_ca,
                  "PEM CA: the embedded sink requires a client certificate it signed (mTLS); "
                  "the run presents --cert/--key");
  cmd->add_option("--sink-auth-token-file", embedded->auth_token_file,
                  "the embedded sink requires \"Authorization: Bearer TOKEN\", TOKEN the file's "
                  "first line; the run sends it with every export and query");
  cmd->callback([=] {
    if (std::string error = set->Finish(); !error.empty()) {
      *exit_code = Fail(kExitUsage, error);
      return;
    }
    if (std::string error = check->Finish(); !error.empty()) {
      *exit_code = Fail(kExitUsage, error);
      return;
    }
    *exit_code = Run(set->flags, check->flags, *embedded);
  });
}

}  // namespace agentstorm::cli
