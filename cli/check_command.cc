// `agentstorm check`: reads a backend back and proves what arrived (checker/check_pipeline.h).
//
//   agentstorm check --ledger FILE... --backend URL [--wait 30s] [--config FILE] [--report DIR]
//   agentstorm check --backend URL --service NAME --since 10m
//   agentstorm check --backend URL --trace-id ID...
//
// Prints the plain text summary (findings grouped by rule, first examples of each). Exit codes:
// 0 passed, 1 a finding at violation level, 2 usage or configuration error (bad flag, invalid
// or changed scenario, unreadable ledger or config), 3 the backend could not be reached or read.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "checker/check_pipeline.h"
#include "checker/readers/trace_reader.h"
#include "checker/rules/alert_rule.h"
#include "cli/commands.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "reports/check_report.h"

namespace agentstorm::cli {
namespace {

struct CheckFlagValues {
  CheckOptions options;
  std::string wait = "30s";
  std::string since;
  std::vector<std::string> alerts;  // --alerts, up to one Prometheus and one Alertmanager
  reports::ReportRequest report;    // --baseline FILE, --baseline-tolerance
};

absl::StatusOr<absl::Duration> ParseFlagDuration(const std::string& flag, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() || d == absl::InfiniteDuration())
    return absl::InvalidArgumentError(flag + ": \"" + text +
                                      "\" is not a duration (e.g. 30s, 10m)");
  return d;
}

int RunCheckCommand(CheckFlagValues& flags) {
  CheckOptions& o = flags.options;
  auto usage = [](const std::string& message) {
    std::cerr << "agentstorm check: " << message << "\n";
    return static_cast<int>(kExitUsage);
  };
  auto wait = ParseFlagDuration("--wait", flags.wait);
  if (!wait.ok()) return usage(std::string(wait.status().message()));
  o.wait = *wait;
  if (!flags.since.empty()) {
    auto since = ParseFlagDuration("--since", flags.since);
    if (!since.ok()) return usage(std::string(since.status().message()));
    o.since = *since;
    if (o.service.empty()) return usage("--since needs --service NAME");
  }
  if (!o.ledger_paths.empty() && (!o.service.empty() || !o.trace_ids.empty()))
    return usage("--ledger checks a run; --service / --trace-id check without one: pick one mode");
  if (o.concurrency < 1) return usage("--concurrency must be at least 1");
  o.source_dir = AGENTSTORM_SOURCE_DIR;
  o.progress = !o.quiet;
  std::unique_ptr<AlertRule> alert_rule_owned;  // outlives the pipeline, which borrows it
  AlertRule* alert_rule = nullptr;
  if (!flags.alerts.empty()) {
    o.alerts_url = flags.alerts.front();
    o.extra_rules =
        [&](const Scenario* scenario) -> absl::StatusOr<std::vector<std::unique_ptr<Rule>>> {
      absl::Time run_start = absl::Now() - o.since;
      std::optional<absl::Time> fault_phase_start;
      if (!o.ledger_paths.empty()) {
        auto ledger = ReadLedgers(o.ledger_paths);
        if (!ledger.ok()) return ledger.status();
        run_start = absl::FromUnixNanos(static_cast<int64_t>(ledger->header.run_start_unix_nano));
        if (scenario != nullptr) fault_phase_start = RecordedFaultPhaseStart(*scenario, *ledger);
      }
      auto rule = MakeAlertRule(flags.alerts, scenario, run_start, fault_phase_start);
      if (!rule.ok()) return rule.status();
      alert_rule_owned = std::move(*rule);
      alert_rule = alert_rule_owned.get();
      std::vector<std::unique_ptr<Rule>> rules;
      rules.push_back(BorrowRule(alert_rule));
      return rules;
    };
  }

  auto result = RunCheck(o);
  if (!result.ok()) {
    // One line per diagnostic (an invalid --config or profile reports all its errors).
    for (absl::string_view line : absl::StrSplit(result.status().message(), '\n'))
      std::cerr << "agentstorm check: " << line << "\n";
    return readers::IsUnreachable(result.status()) ? kExitUnreachable : kExitUsage;
  }
  std::cout << FormatCheckSummary(**result);
  if (alert_rule != nullptr) {
    std::cout << "alerts:\n" << DescribeAlertTimelines(alert_rule->timelines());
    if (!alert_rule->status().ok()) {
      std::cerr << "agentstorm check: " << alert_rule->status().message() << "\n";
      return kExitUnreachable;
    }
  }
  std::cout.flush();
  // --report DIR / --format / --baseline: rendered by the report writers (reports/).
  if (!o.report_dir.empty() || !flags.report.baseline_path.empty()) {
    reports::ReportRequest& request = flags.report;
    request.dir = o.report_dir;
    request.formats = o.report_formats;
    request.tool_version = AGENTSTORM_VERSION;
    request.run_end = absl::Now();
    if (!o.ledger_paths.empty()) {
      if (auto ledger = ReadLedgers(o.ledger_paths); ledger.ok()) {
        request.run_start =
            absl::FromUnixNanos(static_cast<int64_t>(ledger->header.run_start_unix_nano));
      }
    }
    std::vector<reports::AlertTimeline> alerts;
    if (alert_rule != nullptr) {
      alerts = reports::AlertTimelinesForReport(alert_rule->timelines(), request.run_start);
    }
    auto code = reports::WriteCheckReports(**result, request, nullptr, nullptr, alerts);
    if (!code.ok()) return usage(std::string(code.status().message()));
    return *code;
  }
  return (*result)->exit_code;
}

}  // namespace

void AddCheckCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "check",
      "read a backend back and prove what arrived: hierarchy, fidelity, semconv, sampling");
  auto flags = std::make_shared<CheckFlagValues>();
  CheckOptions& o = flags->options;
  cmd->add_option("--ledger", o.ledger_paths, "ledger(s) written by generate (one per shard)");
  cmd->add_option("--backend", o.backend_url,
                  "jaeger://HOST:PORT, jaeger-legacy://, tempo://, file:PATH (+https variants)")
      ->required();
  cmd->add_option("--backend-header", o.backend_headers, "K=V header on every backend request");
  cmd->add_option("--wait", flags->wait, "how long to poll for traces to become visible")
      ->capture_default_str();
  cmd->add_option("--service", o.service, "without a ledger: check traces of this service");
  cmd->add_option("--since", flags->since, "with --service: traces from the last D (e.g. 10m)");
  cmd->add_option("--trace-id", o.trace_ids, "without a ledger: check these traces");
  cmd->add_option("--limit", o.max_traces, "with --service: at most this many traces")
      ->capture_default_str();
  cmd->add_flag("--redaction", o.check_redaction,
                "without a ledger: also require that no message content arrived");
  cmd->add_option(
      "--semconv-registry", o.semconv_registry_dir,
      "check semconv against an upstream model directory instead of the bundled profile");
  cmd->add_option(
      "--semconv-profile", o.semconv_profile,
      "bundled profile genai-latest | genai-v1.36, or a profile FILE.yaml (default: the "
      "ledger's)");
  cmd->add_option("--config", o.config_path, "levels and expected violations (YAML)");
  cmd->add_option("--confidence", o.sampling_confidence,
                  "confidence of the sampling rule's Wilson interval")
      ->check(CLI::Range(0.5, 0.999999))
      ->capture_default_str();
  cmd->add_option("--concurrency", o.concurrency, "backend requests in flight")
      ->capture_default_str();
  cmd->add_flag("--quiet", o.quiet, "no progress lines");
  cmd->add_option("--report", o.report_dir, "write the reports to DIR");
  cmd->add_option("--format", o.report_formats,
                  "report formats (json, junit, md, html); default all");
  cmd->add_option("--baseline", flags->report.baseline_path,
                  "previous report.json: fail on throughput, loss or time-until-queryable "
                  "regressions");
  cmd->add_option("--baseline-tolerance", flags->report.baseline.throughput_tolerance,
                  "relative change tolerated before a baseline regression (default 0.1)")
      ->check(CLI::Range(0.0, 10.0))
      ->each([flags](const std::string& value) {
        flags->report.baseline.loss_tolerance = std::stod(value);
        flags->report.baseline.queryability_tolerance = std::stod(value);
      });
  cmd->add_option("--alerts", flags->alerts,
                  "prometheus://HOST:PORT and/or alertmanager://HOST:PORT (once each)");
  cmd->callback([flags, exit_code] { *exit_code = RunCheckCommand(*flags); });
}

}  // namespace agentstorm::cli
