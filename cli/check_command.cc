// `agentstorm check`: reads a backend back and proves what arrived (checker/check_pipeline.h).
//
//   agentstorm check --ledger FILE... --backend URL [--wait 30s] [--config FILE] [--report DIR]
//   agentstorm check --backend URL --service NAME --since 10m
//   agentstorm check --backend URL --trace-id ID...
//
// Prints the plain text summary (findings grouped by rule, first examples of each; on stderr
// when `--format F` without --report puts F on stdout). Exit codes: 0 passed, 1 a finding at
// the --fail-on level (violation by default) or above, 2 usage or configuration error (bad flag,
// invalid or changed scenario, unreadable ledger or config), 3 the backend could not be reached or
// read.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "checker/alerts/alerts_url.h"
#include "checker/check_config.h"
#include "checker/check_pipeline.h"
#include "checker/readers/backend_url.h"
#include "checker/rules/alert_rule.h"
#include "checker/semconv/registry.h"
#include "cli/check_flags.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/numeric_flags.h"
#include "core/duration.h"
#include "core/exit_codes.h"
#include "core/thresholds.h"
#include "reports/check_report.h"
#include "reports/finding_stream.h"
#include "reports/json_writer.h"
#include "reports/report_writer.h"

namespace agentstorm::cli {
namespace {

struct CheckFlagValues {
  std::shared_ptr<CheckFlagSet> shared;  // the flags `run` has too (cli/check_flags.h)
  CheckOptions options;
  std::string since;
  reports::ReportRequest report;  // --baseline-tolerance
};

int RunCheckCommand(CheckFlagValues& values) {
  values.report.command_start = absl::Now();
  auto usage = [](const std::string& message) {
    std::cerr << "agentstorm check: " << message << "\n";
    return static_cast<int>(kExitUsage);
  };
  if (std::string error = values.shared->Finish(); !error.empty()) return usage(error);
  const CheckFlags& flags = values.shared->flags;
  CheckOptions& o = values.options;
  flags.ApplyTo(&o);
  CheckOutput output(flags);  // --format F without --report: F on stdout, the summary on stderr
  if (std::string error = output.Open(flags); !error.empty()) return usage(error);
  output.ApplyTo(&o);
  if (!values.since.empty()) {
    auto since = ParseDuration(values.since);
    if (!since.ok()) return usage("--since: " + std::string(since.status().message()));
    o.since = *since;
    if (o.service.empty()) return usage("--since needs --service NAME");
  }
  if (!o.ledger_paths.empty() && (!o.service.empty() || !o.trace_ids.empty()))
    return usage("--ledger checks a run; --service / --trace-id check without one: pick one mode");
  if (o.concurrency < 1) return usage("--concurrency must be at least 1");
  o.source_dir = DataDirOrEmpty();
  o.progress = !o.quiet;
  std::unique_ptr<AlertRule> alert_rule_owned;  // outlives the pipeline, which borrows it
  AlertRule* alert_rule = nullptr;
  if (!flags.alerts.empty()) {
    o.extra_rules =
        [&](const Scenario* scenario,
            const Ledger* ledger) -> absl::StatusOr<std::vector<std::unique_ptr<Rule>>> {
      absl::Time run_start = absl::Now() - o.since;
      std::optional<absl::Time> fault_phase_start;
      if (ledger != nullptr) {
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
    return ExitCodeForStatus(result.status());
  }
  MarkAlertsUnreachable(alert_rule, result->get());
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
  if (!o.report_dir.empty() || !flags.baseline.empty() || output.WritesReport()) {
    reports::ReportRequest& request = values.report;
    output.ApplyTo(&request);
    request.baseline_path = flags.baseline;
    request.dir = o.report_dir;
    request.formats = o.report_formats;
    request.tool_version = AGENTSTORM_VERSION;
    request.run_end = absl::Now();
    if (!o.ledger_paths.empty()) {
      request.run_start = absl::FromUnixNanos(static_cast<int64_t>((*result)->run_start_unix_nano));
    }
    std::vector<reports::AlertTimeline> alerts;
    if (alert_rule != nullptr) {
      alerts = reports::AlertTimelinesForReport(alert_rule->timelines(), request.run_start);
    }
    auto code = reports::WriteCheckReports(**result, request, nullptr, alerts);
    if (!code.ok()) return usage(std::string(code.status().message()));
    return *code;
  }
  return (*result)->exit_code;
}

}  // namespace

std::shared_ptr<CheckFlagSet> AddCheckFlags(CLI::App* cmd, bool backend_required,
                                            const std::string& backend_help) {
  auto set = std::make_shared<CheckFlagSet>();
  CheckFlags* flags = &set->flags;
  CLI::Option* backend = cmd->add_option("--backend", flags->backend, backend_help);
  if (backend_required) backend->required();
  cmd->add_option("--backend-header", flags->backend_headers,
                  "K=V header on every backend request (repeatable)");
  cmd->add_option("--wait", set->wait,
                  "how long to poll for traces to become visible (e.g. 30s, 2m; a bare number "
                  "is seconds)")
      ->capture_default_str();
  cmd->add_option("--confidence", flags->confidence,
                  "confidence of the sampling rule's Wilson interval and of --verify's loss "
                  "bound")
      ->check(CLI::Range(0.5, 0.999999))
      ->capture_default_str();
  cmd->add_option("--report", flags->report_dir, "write the reports to DIR");
  cmd->add_option("--format", flags->formats,
                  "report formats (json, junit, md, html; jsonl streams every finding); default "
                  "all. Without --report, one format goes to stdout (the summary to stderr)");
  cmd->add_option("--fail-on", flags->fail_on,
                  "lowest finding level that fails the check (exit 1): violation, improvement "
                  "or information")
      ->capture_default_str();
  cmd->add_option("--baseline", flags->baseline,
                  "previous report.json: fail on throughput, loss or time-until-queryable "
                  "regressions");
  cmd->add_option("--config", flags->config,
                  "levels, expected violations, thresholds and redaction keys and patterns (YAML)");
  cmd->add_option(
      "--semconv-registry", flags->semconv_registry,
      "check semconv against an upstream model directory instead of the bundled profile; "
      "repeat for the registries it depends on");
  cmd->add_option("--alerts", flags->alerts,
                  "prometheus://HOST:PORT and/or alertmanager://HOST:PORT (once each)");
  cmd->add_option("--threshold", flags->thresholds,
                  "fail (exit 1) unless the run meets it, e.g. 'spans_not_acknowledged: rate<1%' "
                  "or 'time_until_queryable: p(99)<5s' (repeatable)");
  cmd->add_option("--verify", flags->verify,
                  "check a sample too large to read back whole: a fraction of the ledger's "
                  "traces (0.1, 10%) or a number of them (5000), drawn with the run's seed; the "
                  "summary and reports bound the run's loss rate from it");
  cmd->add_flag("--no-default-thresholds", flags->no_default_thresholds,
                "do not fail on spans the endpoint did not acknowledge (the default threshold "
                "'spans_not_acknowledged: count==0'), e.g. when benchmarking a saturated endpoint");
  return set;
}

std::string CheckFlagSet::Finish() {
  auto d = ParseDuration(wait);
  if (!d.ok()) return "--wait: " + std::string(d.status().message());
  flags.wait = *d;
  return ValidateCheckFlags(flags);
}

std::string ValidateCheckFlags(const CheckFlags& flags) {
  auto fail = [](const char* flag, const absl::Status& status) {
    return std::string(flag) + ": " + std::string(status.message());
  };
  if (auto parsed = ParseThresholds(flags.thresholds); !parsed.ok())
    return fail("--threshold", parsed.status());
  if (auto formats = reports::ParseReportFormats(flags.formats); !formats.ok())
    return fail("--format", formats.status());
  if (!flags.formats.empty() && flags.report_dir.empty()) {
    auto formats = reports::ParseReportFormats(flags.formats);
    if (formats->size() != 1)
      return "--format without --report writes one report to stdout: give one format, or "
             "--report DIR for several";
  }
  if (!flags.verify.empty()) {
    if (auto spec = ParseVerifySpec(flags.verify); !spec.ok())
      return std::string(spec.status().message());
  }
  if (!ParseFindingLevel(flags.fail_on))
    return "--fail-on: \"" + flags.fail_on +
           "\" is not a finding level (violation, improvement, information)";
  if (!flags.backend.empty()) {
    auto url = readers::ParseBackendUrl(flags.backend);
    if (!url.ok()) return fail("--backend", url.status());
    for (const std::string& h : flags.backend_headers) {
      if (absl::Status s = readers::AddBackendHeader(h, &url->auth); !s.ok())
        return fail("--backend-header", s);
    }
  }
  std::set<alerts::AlertsKind> kinds;
  for (const std::string& a : flags.alerts) {
    auto url = alerts::ParseAlertsUrl(a);
    if (!url.ok()) return fail("--alerts", url.status());
    if (!kinds.insert(url->kind).second)
      return "--alerts: give at most one prometheus:// and one alertmanager:// URL";
  }
  if (!flags.config.empty()) {
    if (auto config = LoadCheckConfig(flags.config); !config.ok())
      return fail("--config", config.status());
  }
  if (!flags.baseline.empty()) {
    if (auto baseline = reports::ReadJsonReport(flags.baseline); !baseline.ok())
      return fail("--baseline", baseline.status());
  }
  if (!flags.semconv_registry.empty()) {
    if (auto model = semconv::LoadSemconvRegistry(flags.semconv_registry); !model.ok())
      return fail("--semconv-registry", model.status());
  }
  return "";
}

void MarkAlertsUnreachable(const AlertRule* rule, CheckResult* result) {
  if (rule == nullptr || rule->status().ok()) return;
  result->exit_code = kExitUnreachable;
  if (result->unreachable_reason.empty())
    result->unreachable_reason = std::string(rule->status().message());
}

void CheckFlags::ApplyTo(CheckOptions* options) const {
  options->backend_url = backend;
  options->backend_headers = backend_headers;
  options->wait = wait;
  options->report_dir = report_dir;
  options->report_formats = formats;
  options->config_path = config;
  options->semconv_registry_dirs = semconv_registry;
  options->alerts_url = alerts.empty() ? "" : alerts.front();
  options->thresholds = thresholds;
  options->default_thresholds = !no_default_thresholds;
  options->fail_on = ParseFindingLevel(fail_on).value_or(FindingLevel::kViolation);
  options->sampling_confidence = confidence;
  options->verify.reset();
  if (auto spec = ParseVerifySpec(verify); !verify.empty() && spec.ok()) options->verify = *spec;
}

CheckOutput::CheckOutput(const CheckFlags& flags) {
  if (!flags.report_dir.empty() || flags.formats.empty()) return;
  auto formats = reports::ParseReportFormats(flags.formats);  // validated: exactly one
  if (!formats.ok() || formats->size() != 1) return;
  stdout_format_ = formats->front();
  std::cout.flush();
  stdout_ = std::make_unique<std::ostream>(std::cout.rdbuf());
  saved_cout_ = std::cout.rdbuf(std::cerr.rdbuf());
}

CheckOutput::~CheckOutput() {
  if (saved_cout_ != nullptr) {
    stdout_->flush();
    std::cout.rdbuf(saved_cout_);
  }
}

std::string CheckOutput::Open(const CheckFlags& flags) {
  if (stdout_format_ == "jsonl") {
    stream_ = std::make_unique<reports::FindingStream>(stdout_.get());
    return "";
  }
  auto formats = reports::ParseReportFormats(flags.formats);
  if (flags.report_dir.empty() || !formats.ok() || flags.formats.empty()) return "";
  if (std::find(formats->begin(), formats->end(), "jsonl") == formats->end()) return "";
  auto stream = reports::FindingStream::InDirectory(flags.report_dir);
  if (!stream.ok()) return "--report: " + std::string(stream.status().message());
  stream_ = *std::move(stream);
  return "";
}

void CheckOutput::ApplyTo(CheckOptions* options) {
  if (stream_ == nullptr) return;
  options->on_finding = [stream = stream_.get()](const Finding& f) { stream->Add(f); };
}

void CheckOutput::ApplyTo(reports::ReportRequest* request) {
  request->stdout_format = stdout_format_;
  request->stdout_out = stdout_.get();
  request->stream = stream_.get();
}

void AddCheckCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "check",
      "read a backend back and prove what arrived: hierarchy, fidelity, semconv, sampling");
  auto values = std::make_shared<CheckFlagValues>();
  values->shared =
      AddCheckFlags(cmd, /*backend_required=*/true,
                    "jaeger://HOST:PORT, jaeger-legacy://, tempo://, file:PATH (+https variants)");
  CheckOptions& o = values->options;
  cmd->add_option("--ledger", o.ledger_paths, "ledger(s) written by generate (one per shard)");
  cmd->add_option("--service", o.service, "without a ledger: check traces of this service");
  cmd->add_option("--since", values->since, "with --service: traces from the last D (e.g. 10m)");
  cmd->add_option("--trace-id", o.trace_ids, "without a ledger: check these traces");
  cmd->add_option("--limit", o.max_traces, "with --service: at most this many traces")
      ->capture_default_str()
      ->check(WholeNumberOf<size_t>(1));
  cmd->add_flag("--redaction", o.check_redaction,
                "without a ledger: also require that no message content arrived");
  cmd->add_option(
      "--semconv-profile", o.semconv_profile,
      "bundled profile genai-latest | genai-v1.36, or a profile FILE.yaml (default: the "
      "ledger's)");
  cmd->add_option("--concurrency", o.concurrency, "backend requests in flight")
      ->capture_default_str()
      ->check(WholeNumber(1, 1024));
  cmd->add_flag("--quiet", o.quiet, "no progress lines");
  cmd->add_option("--baseline-tolerance", values->report.baseline.throughput_tolerance,
                  "relative change tolerated before a baseline regression (default 0.1)")
      ->check(CLI::Range(0.0, 10.0))
      ->each([values](const std::string& value) {
        values->report.baseline.loss_tolerance = std::stod(value);
        values->report.baseline.queryability_tolerance = std::stod(value);
      });
  cmd->callback([values, exit_code] { *exit_code = RunCheckCommand(*values); });
}

}  // namespace agentstorm::cli
