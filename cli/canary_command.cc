// `agentstorm canary SCENARIO --endpoint URL --backend URL [--rate R] [--duration D]
// [--listen HOST:PORT] [--sample-every D] [--check-every D] [--give-up D]`: sends the scenario
// at a steady rate until stopped (SIGINT, SIGTERM) or --duration, reads a sample of what was
// acknowledged back continuously, checks it with every rule (checker/canary.h), and serves the
// running totals as Prometheus metrics on --listen (/metrics; /healthz).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "checker/canary.h"
#include "checker/finding.h"
#include "checker/readers/backend_probe.h"
#include "checker/readers/backend_url.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/generate_flags.h"
#include "cli/numeric_flags.h"
#include "cli/temp_dir.h"
#include "core/duration.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "generator/load_engine.h"
#include "sink/http_server.h"
#include "sink/listen_address.h"

namespace agentstorm::cli {
namespace {

// Ten years: "until stopped" for the load engine, which needs an end.
constexpr double kUntilStoppedSeconds = 10 * 365.25 * 86400;

struct CanaryFlags {
  std::string backend;
  std::vector<std::string> backend_headers;
  std::string config;
  std::string listen = "127.0.0.1:9464";
  std::string sample_every = "1s";
  std::string check_every = "10s";
  std::string give_up = "60s";
  size_t max_per_round = 100;
  std::string log_every = "60s";
  std::string fail_on = "violation";  // the lowest finding level that makes the exit code 1
};

int Fail(int code, const std::string& message) {
  std::cerr << "agentstorm canary: " << message << "\n";
  return code;
}

// The resident set size, from /proc/self/statm (0 when unreadable).
uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

absl::StatusOr<absl::Duration> PositiveDuration(const std::string& text, const char* flag) {
  auto d = ParseDuration(text);
  if (!d.ok() || *d <= absl::ZeroDuration())
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", text, ": ",
        d.ok() ? std::string("must be more than zero") : std::string(d.status().message())));
  return *d;
}

int RunCanary(GenerateFlagSet& gen, const CanaryFlags& f) {
  if (std::string e = gen.Finish(); !e.empty()) return Fail(kExitUsage, e);
  GenerateFlags flags = gen.flags;
  if (flags.endpoints.empty())
    return Fail(kExitUsage, "give --endpoint URL: the pipeline to send to");
  if (flags.traces != 0)
    return Fail(kExitUsage,
                "--traces does not apply: a canary sends at --rate until stopped "
                "or --duration");
  if (flags.rate.empty() || flags.rate == "max")
    return Fail(kExitUsage, "give --rate (e.g. 10/s): a canary sends at a steady rate");
  const std::optional<FindingLevel> fail_on = ParseFindingLevel(f.fail_on);
  if (!fail_on) {
    return Fail(kExitUsage, "--fail-on: \"" + f.fail_on +
                                "\" is not a finding level (violation, improvement, information)");
  }
  if (flags.duration_seconds == 0) flags.duration_seconds = kUntilStoppedSeconds;
  absl::Duration sample_every, check_every, give_up, log_every;
  for (auto [text, flag, out] : {std::tuple{&f.sample_every, "--sample-every", &sample_every},
                                 std::tuple{&f.check_every, "--check-every", &check_every},
                                 std::tuple{&f.give_up, "--give-up", &give_up},
                                 std::tuple{&f.log_every, "--log-every", &log_every}}) {
    auto d = PositiveDuration(*text, flag);
    if (!d.ok()) return Fail(kExitUsage, std::string(d.status().message()));
    *out = *d;
  }
  auto url = readers::ParseBackendUrl(f.backend, f.backend_headers);
  if (!url.ok()) return Fail(kExitUsage, "--backend: " + std::string(url.status().message()));
  if (url->kind == readers::BackendKind::kFile)
    return Fail(kExitUsage, "--backend " + f.backend +
                                ": a canary reads back while it sends; a file is readable only "
                                "once closed (use jaeger://, tempo:// or the sink)");
  auto listen = sink::ParseListenAddress(f.listen);
  if (!listen.ok()) return Fail(kExitUsage, "--listen: " + std::string(listen.status().message()));
  {
    readers::ReaderOptions probe_options;
    probe_options.deadline = absl::Now() + std::min(give_up, absl::Seconds(30));
    const absl::Status probe = readers::ProbeBackend(*url, probe_options);
    if (!probe.ok())
      return Fail(
          probe.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitUnreachable,
          "backend " + url->Describe() + ": " + std::string(probe.message()));
  }
  TempDir temp;
  if (temp.path().empty()) return Fail(kExitUsage, "cannot create a temporary directory");

  CanaryOptions options;
  options.check.source_dir = DataDirOrEmpty();
  options.check.backend_url = f.backend;
  options.check.backend_headers = f.backend_headers;
  options.check.config_path = f.config;
  options.sample_every = sample_every;
  options.check_every = check_every;
  options.give_up = give_up;
  options.max_per_round = f.max_per_round;
  options.work_dir = temp.path();

  // The canary starts with the run's header; the metrics server serves it from then on.
  std::unique_ptr<Canary> canary;
  absl::Mutex canary_mu;
  auto snapshot = [&]() -> std::optional<CanaryStats> {
    absl::MutexLock l(&canary_mu);
    if (!canary) return std::nullopt;
    return canary->Snapshot();
  };
  sink::HttpServerOptions http;
  http.threads = 2;
  http.max_body_bytes = 4096;
  auto server = sink::HttpServer::Start(
      *listen, "canary metrics", http, [&](sink::HttpRequest& req, sink::HttpResponse& res) {
        if (req.method != "GET") {
          res.status = 405;
          res.SetContent("GET /metrics or /healthz\n", "text/plain");
        } else if (req.path == "/metrics") {
          std::optional<CanaryStats> s = snapshot();
          std::string text = s ? CanaryPrometheusText(*s) : std::string();
          absl::StrAppendFormat(&text,
                                "# HELP agentstorm_canary_resident_memory_bytes Resident set size "
                                "of this process.\n# TYPE agentstorm_canary_resident_memory_bytes "
                                "gauge\nagentstorm_canary_resident_memory_bytes %d\n",
                                ResidentBytes());
          res.SetContent(std::move(text), "text/plain; version=0.0.4; charset=utf-8");
        } else if (req.path == "/healthz") {
          res.SetContent("ok\n", "text/plain");
        } else {
          res.status = 404;
          res.SetContent("GET /metrics or /healthz\n", "text/plain");
        }
      });
  if (!server.ok()) return Fail(kExitUsage, std::string(server.status().message()));
  std::cout << "canary metrics: http://" << listen->host << ":" << (*server)->port()
            << "/metrics\n";
  std::cout.flush();

  // A log line every --log-every while it runs.
  absl::Notification done;
  std::thread logger([&] {
    while (!done.WaitForNotificationWithTimeout(log_every))
      if (std::optional<CanaryStats> s = snapshot(); s && s->rounds > 0)
        std::cerr << "canary: " << DescribeCanaryStats(*s) << "\n";
  });

  const int generated = RunGenerate(
      flags, "canary", nullptr,
      [&](const TraceAnswered& t) {
        // Set before the first trace is sent (on_start) and kept until after the load ends.
        canary->Offer(t.record, t.acknowledged);
      },
      [&](const LedgerHeader& header) {
        auto c = std::make_unique<Canary>(options, header);
        c->Start();
        absl::MutexLock l(&canary_mu);
        canary = std::move(c);
      });
  CanaryStats stats;
  {
    absl::MutexLock l(&canary_mu);
    if (canary) {
      canary->Stop();
      stats = canary->Snapshot();
    }
  }
  done.Notify();
  logger.join();
  (*server)->Stop();
  std::cout << "canary: " << DescribeCanaryStats(stats) << "\n";
  if (generated != kExitOk) return generated;
  if (stats.rounds > 0 && stats.rounds_unreachable == stats.rounds) return kExitUnreachable;
  uint64_t failing = 0;
  for (const auto& [id, c] : stats.findings)
    if (c.level >= *fail_on) failing += c.count;
  // Why the exit code is 1, when the totals line does not say it (findings below violation).
  if (failing > 0 && *fail_on != FindingLevel::kViolation) {
    std::cout << "canary: fails: " << failing << " finding(s) at or above "
              << FindingLevelName(*fail_on) << " (--fail-on " << FindingLevelName(*fail_on)
              << ")\n";
  }
  return failing > 0 || stats.round_errors > 0 ? kExitViolation : kExitOk;
}

}  // namespace

void AddCanaryCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "canary",
      "send at a steady rate until stopped, read a sample back continuously, check it with "
      "every rule, and serve the totals as Prometheus metrics");
  std::shared_ptr<GenerateFlagSet> gen = AddGenerateFlags(cmd);
  auto f = std::make_shared<CanaryFlags>();
  cmd->add_option("--backend", f->backend, "Where to read the sample back (jaeger://, tempo://)")
      ->required();
  cmd->add_option("--backend-header", f->backend_headers,
                  "K=V header on every backend request (repeatable)");
  cmd->add_option("--config", f->config, "Check config: levels, expected violations (YAML)");
  cmd->add_option("--listen", f->listen, "Prometheus metrics on HOST:PORT (/metrics, /healthz)")
      ->capture_default_str();
  cmd->add_option("--sample-every", f->sample_every,
                  "Read back the first acknowledged trace of every interval this long")
      ->capture_default_str();
  cmd->add_option("--check-every", f->check_every,
                  "Check the traces sampled since the last round this often")
      ->capture_default_str();
  cmd->add_option("--give-up", f->give_up,
                  "A sampled trace not readable whole this long after its acknowledgement is "
                  "missing (or incomplete)")
      ->capture_default_str();
  cmd->add_option("--max-per-round", f->max_per_round,
                  "Most traces sampled per round (more are skipped and counted)")
      ->capture_default_str()
      ->check(WholeNumberOf<size_t>(1));
  cmd->add_option("--log-every", f->log_every, "Print the totals this often (stderr)")
      ->capture_default_str();
  cmd->add_option("--fail-on", f->fail_on,
                  "Lowest finding level that makes the exit code 1 when the canary ends: "
                  "violation, improvement or information")
      ->capture_default_str();
  cmd->callback([gen, f, exit_code] { *exit_code = RunCanary(*gen, *f); });
}

}  // namespace agentstorm::cli
