// `agentstorm bench`: how fast is the generator, measured against real things.
//
//   agentstorm bench [--duration 10s] [--rate max]   generator -> embedded sink over OTLP/gRPC on
//                                                    loopback: spans/s counted by the sink, zero
//                                                    loss check, CPU split, generator RSS
//   agentstorm bench --encode                        templated vs libprotobuf synthesis + encoding
//   agentstorm bench --peer otel-js                  the same trace shape from the OpenTelemetry JS
//                                                    SDK into the same sink, both rates counted by
//                                                    the sink, and their ratio
//   agentstorm bench --check [--traces 20000]        the checker beside the generator: the
//                                                    scenario (default research-fanout) sent to
//                                                    the sink with a ledger, then checked
//                                                    against it through the sink's query API;
//                                                    both span rates and their ratio, the
//                                                    median of --rounds (3) rounds
//   agentstorm bench --endpoint URL                  generator -> an external pipeline instead;
//       [--pipeline-metrics URL]                     with its own metrics (a collector's), the
//                                                    spans it accepted and exported are the count,
//                                                    the loss check and its CPU
//
// The sink runs as a child process (`agentstorm sink` on free loopback ports), so the CPU split is
// exact: the generator is this process (getrusage), the sink is the child (/proc/PID/stat). The
// peer runs after the agentstorm phase, not beside it, so each has the whole machine.
#include <httplib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "checker/check_pipeline.h"
#include "checker/readers/http_client.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/generate_flags.h"
#include "cli/numeric_flags.h"
#include "cli/temp_dir.h"
#include "core/exit_codes.h"
#include "core/prometheus_text.h"
#include "core/run_id.h"
#include "export/exporter_factory.h"
#include "export/exporter_options.h"
#include "generator/load_engine.h"
#include "generator/pipeline_counts.h"
#include "scenario/rate_parser.h"
#include "scenario/scenario_loader.h"
#include "scenario/units.h"
#include "synth/encode_comparison.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchFlags {
  std::string duration = "10s";
  std::string rate = "max";
  std::string scenario;  // default: bench/agent7.yaml of the source tree
  bool encode = false;
  bool check = false;       // --check: the checker's rate beside the generator's
  uint64_t traces = 20000;  // --traces: how many traces --check sends and checks
  int rounds = 3;           // --rounds: --check's send-then-check rounds (the median ratio)
  std::string peer;
  std::string peer_dir;  // where npm installs the peer (default: CacheDir()/otel-js)
  int threads = 0;
  size_t sink_max_spans = 60'000'000;
  std::string sink_prefault = "auto";
  std::string rss_samples = "3";
  std::vector<std::string> sink_faults;  // passed to the child sink as --fault
  ExporterFlags exporter;                // --endpoint and friends: an external pipeline
  std::string pipeline_metrics;          // its own /metrics (an OpenTelemetry Collector's)
};

double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, in seconds (0 when it cannot be read).
double ChildCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Resident set size in MiB of `pid` ("self" for this process).
double RssMiB(const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::string Rate(double per_second) {
  if (per_second >= 1e6) return absl::StrFormat("%.2fM", per_second / 1e6);
  if (per_second >= 1e3) return absl::StrFormat("%.1fk", per_second / 1e3);
  return absl::StrFormat("%.0f", per_second);
}

// `agentstorm sink` as a child process on free loopback ports.
class ChildSink {
 public:
  ~ChildSink() { Stop(); }

  absl::Status Start(size_t max_spans, size_t prefault, const std::vector<std::string>& faults) {
    int out[2];
    if (pipe(out) != 0) return absl::InternalError("pipe failed");
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    const std::string max = std::to_string(max_spans);
    pid_ = fork();
    if (pid_ < 0) return absl::InternalError("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<std::string> args = {self,          "sink",        "--grpc",
                                       "127.0.0.1:0", "--http",      "",
                                       "--query",     "127.0.0.1:0", "--max-spans",
                                       max,           "--prefault",  std::to_string(prefault)};
      for (const std::string& f : faults) {
        args.push_back("--fault");
        args.push_back(f);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(self.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char buf[512];
    while (fgets(buf, sizeof buf, out_) != nullptr) {
      const std::string line(buf);
      auto port_of = [&line]() {
        return std::stoi(line.substr(line.rfind(':', line.find(" (")) + 1));
      };
      if (line.rfind("OTLP/gRPC", 0) == 0) grpc_port_ = std::stoi(line.substr(line.rfind(':') + 1));
      if (line.rfind("query API", 0) == 0) query_port_ = port_of();
      if (grpc_port_ > 0 && query_port_ > 0) break;
    }
    if (grpc_port_ <= 0 || query_port_ <= 0)
      return absl::UnavailableError("agentstorm sink did not start");
    // Keep draining its output so it never blocks on a full pipe.
    drain_ = std::thread([f = out_] {
      char b[512];
      while (fgets(b, sizeof b, f) != nullptr) {
      }
    });
    return absl::OkStatus();
  }

  // Spans stored per service.name, from the sink's /metrics.
  absl::StatusOr<std::map<std::string, uint64_t>> StoredByService() const {
    httplib::Client c("127.0.0.1", query_port_);
    c.set_read_timeout(30, 0);
    auto res = c.Get("/metrics");
    if (!res || res->status != 200)
      return absl::UnavailableError("cannot read the sink's /metrics");
    auto samples = ParsePrometheusText(res->body);
    if (!samples.ok()) return samples.status();
    std::map<std::string, uint64_t> out;
    for (const PrometheusSample& m : *samples) {
      auto service = m.labels.find("service");
      if (m.name == "agentstorm_sink_spans_stored_total" && service != m.labels.end())
        out[service->second] = static_cast<uint64_t>(m.value);
    }
    return out;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();
    if (out_ != nullptr) {
      fclose(out_);
      out_ = nullptr;
    }
  }

  pid_t pid() const { return pid_; }
  int grpc_port() const { return grpc_port_; }
  int query_port() const { return query_port_; }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::thread drain_;
  int grpc_port_ = 0, query_port_ = 0;
};

uint64_t StoredFor(const std::map<std::string, uint64_t>& stored,
                   const std::vector<std::string>& services) {
  uint64_t n = 0;
  for (const auto& s : services)
    if (auto it = stored.find(s); it != stored.end()) n += it->second;
  return n;
}

struct PhaseResult {
  bool ok = false;
  double seconds = 0;
  uint64_t stored = 0;
  double spans_per_second = 0;
};

int Fail(const std::string& msg, int code) {
  std::cerr << "agentstorm bench: " << msg << "\n";
  return code;
}

int RunEncode(const std::shared_ptr<const Scenario>& sc, const std::string& label, double seconds) {
  std::cout << "encode: synthesis + encoding on one thread, scenario " << label << ", " << seconds
            << "s (both paths interleaved)\n";
  EncodeComparison r = CompareEncoders(sc, EncodeComparisonOptions{.seconds = seconds});
  std::cout << absl::StrFormat(
      "  templated    %s spans/s per core (%.0f bytes/span)\n", Rate(r.templated_spans_per_second),
      static_cast<double>(r.templated_bytes) / std::max<uint64_t>(1, r.templated_spans));
  std::cout << absl::StrFormat(
      "  libprotobuf  %s spans/s per core (%.0f bytes/span)\n", Rate(r.reference_spans_per_second),
      static_cast<double>(r.reference_bytes) / std::max<uint64_t>(1, r.reference_spans));
  std::cout << absl::StrFormat(
      "encode ratio: %.1fx (templated %.0f spans/s vs libprotobuf %.0f spans/s)\n", r.ratio(),
      r.templated_spans_per_second, r.reference_spans_per_second);
  return kExitOk;
}

// One run of the load engine at --rate for `seconds` into `eo`, with the generator's CPU and
// RSS samples; `before` and `after` run just around it (the target's counts).
struct LoadRun {
  bool ok = false;
  LoadSummary summary;
  double seconds = 0;
  double gen_cpu = 0;
  std::vector<double> rss;
};
LoadRun RunLoad(const BenchFlags& flags, const std::shared_ptr<const Scenario>& sc, double seconds,
                const ExporterOptions& eo, const std::function<void()>& before,
                const std::function<void()>& after, int* code) {
  LoadRun run;
  auto profile = ParseLoadProfile(flags.rate, seconds, 0);
  if (!profile.ok()) {
    *code = Fail(std::string(profile.status().message()), kExitUsage);
    return run;
  }
  auto exporter = MakeExporter(eo);
  if (!exporter.ok()) {
    *code = Fail(std::string(exporter.status().message()), kExitUsage);
    return run;
  }
  SynthesizerOptions so;
  so.seed = 1;
  so.trace_interval_nanos = 1'000'000;
  TraceSynthesizer synth(sc, so);
  LoadOptions lo;
  lo.profile = *profile;
  lo.max_seconds = seconds;
  lo.threads = flags.threads;
  lo.max_in_flight = 32;
  lo.progress = ProgressMode::kQuiet;
  lo.grace = std::chrono::milliseconds(10000);

  const int samples = std::max(2, std::atoi(flags.rss_samples.c_str()));
  std::atomic<bool> done{false};
  run.rss.push_back(RssMiB());
  const auto sample_start = Clock::now();
  std::thread sampler([&] {
    for (int i = 1; i < samples - 1 && !done.load(); ++i) {
      const auto until =
          sample_start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(seconds * i / (samples - 1)));
      while (!done.load() && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!done.load()) run.rss.push_back(RssMiB());
    }
  });
  const double gen_cpu0 = ProcessCpuSeconds();
  before();
  const auto t0 = Clock::now();
  {
    LoadEngine engine(lo, synth, {exporter->get()});
    run.summary = engine.Run();
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  done = true;
  sampler.join();
  run.rss.push_back(RssMiB());
  run.gen_cpu = ProcessCpuSeconds() - gen_cpu0;
  after();
  run.ok = true;
  return run;
}

// The lines both targets print: what was sent, CPU split, generator RSS.
void PrintLoadHead(const BenchFlags& flags, const LoadRun& run, const std::string& target) {
  std::cout << absl::StrFormat(
      "agentstorm: %llu spans in %.2fs (rate %s, %d worker threads, %s)\n",
      static_cast<unsigned long long>(run.summary.spans_scheduled), run.seconds, flags.rate,
      flags.threads > 0 ? flags.threads : static_cast<int>(std::thread::hardware_concurrency()),
      target);
}
// `other` (null: not measured) is the receiving side of the CPU split.
void PrintLoadCost(const LoadRun& run, const char* other, double other_cpu) {
  const EndpointStats& e = run.summary.endpoints.at(0);
  const double total_cpu = run.gen_cpu + other_cpu;
  if (other == nullptr)
    std::cout << absl::StrFormat("  CPU: generator %.2fs; %.2f of %u cores busy\n", run.gen_cpu,
                                 run.gen_cpu / run.seconds, std::thread::hardware_concurrency());
  else
    std::cout << absl::StrFormat(
        "  CPU: generator %.2fs (%.0f%%), %s %.2fs (%.0f%%) of %.2fs; %.2f of %u cores busy\n",
        run.gen_cpu, total_cpu > 0 ? 100 * run.gen_cpu / total_cpu : 0, other, other_cpu,
        total_cpu > 0 ? 100 * other_cpu / total_cpu : 0, total_cpu, total_cpu / run.seconds,
        std::thread::hardware_concurrency());
  const double acked = static_cast<double>(e.spans_acknowledged);
  std::cout << absl::StrFormat(
      "  generator CPU per acknowledged span %.0fns (%s spans/s per generator core)\n",
      acked ? 1e9 * run.gen_cpu / acked : 0, Rate(run.gen_cpu > 0 ? acked / run.gen_cpu : 0));
  std::cout << "  generator RSS (MiB):";
  for (double v : run.rss) std::cout << absl::StrFormat(" %.1f", v);
}

// The agentstorm phase: LoadEngine -> the child sink, then the sink's count.
PhaseResult RunAgentstorm(const BenchFlags& flags, const std::shared_ptr<const Scenario>& sc,
                          double seconds, ChildSink* sink, int* code) {
  PhaseResult r;
  ExporterOptions eo;
  eo.endpoint = absl::StrFormat("127.0.0.1:%d", sink->grpc_port());
  eo.protocol = OtlpProtocol::kGrpc;
  eo.insecure = true;
  eo.max_in_flight = 32;
  // One connection per core: the sink reads each connection on one thread at a time.
  eo.connections = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  absl::StatusOr<std::map<std::string, uint64_t>> before, after;
  double sink_cpu0 = 0, sink_cpu = 0;
  LoadRun run = RunLoad(
      flags, sc, seconds, eo,
      [&] {
        sink_cpu0 = ChildCpuSeconds(sink->pid());
        before = sink->StoredByService();
      },
      [&] {
        sink_cpu = ChildCpuSeconds(sink->pid()) - sink_cpu0;
        after = sink->StoredByService();
      },
      code);
  if (!run.ok) return r;
  if (!before.ok() || !after.ok()) {
    *code = Fail("cannot read the sink's counts", kExitUnreachable);
    return r;
  }
  r.seconds = run.seconds;
  std::vector<std::string> services;
  for (const auto& part : sc->parts)
    for (const auto& s : part.services) services.push_back(s.name);
  r.stored = StoredFor(*after, services) - StoredFor(*before, services);
  r.spans_per_second = static_cast<double>(r.stored) / r.seconds;
  const EndpointStats& e = run.summary.endpoints.at(0);

  PrintLoadHead(flags, run, absl::StrFormat("OTLP/gRPC to 127.0.0.1:%d", sink->grpc_port()));
  std::cout << absl::StrFormat(
      "  acknowledged %llu, stored by the sink %llu, rejected %llu, failed %llu, not sent %llu\n",
      static_cast<unsigned long long>(e.spans_acknowledged),
      static_cast<unsigned long long>(r.stored), static_cast<unsigned long long>(e.spans_rejected),
      static_cast<unsigned long long>(e.spans_failed),
      static_cast<unsigned long long>(e.spans_not_sent));
  const bool zero_loss =
      e.spans_acknowledged == r.stored && e.spans_acknowledged == run.summary.spans_scheduled;
  if (flags.sink_faults.empty())
    std::cout << "  zero loss: " << (zero_loss ? "yes (stored == acknowledged == scheduled)" : "NO")
              << "\n";
  else
    std::cout << "  (sink faults on: the sink's count is not a loss check in this run)\n";
  std::cout << absl::StrFormat("  delivered %s spans/s (counted by the sink), export p99 %.1fms\n",
                               Rate(r.spans_per_second), e.latency_from_send.Percentile(99) / 1e6);
  PrintLoadCost(run, "sink", sink_cpu);
  std::cout << absl::StrFormat("  (start .. end);  sink RSS %.1f MiB\n",
                               RssMiB(std::to_string(sink->pid())));
  r.ok = zero_loss || !flags.sink_faults.empty();
  if (!r.ok) *code = kExitViolation;
  return r;
}

// The agentstorm phase into an external pipeline (--endpoint). With --pipeline-metrics its own
// counts (generator/pipeline_counts.h) are the delivered count, the loss check and its CPU;
// without, only the acknowledgements speak, and the summary says there is no loss check.
int RunAgainstPipeline(const BenchFlags& flags, const std::shared_ptr<const Scenario>& sc,
                       double seconds) {
  auto eo = BuildExporterOptions(flags.exporter, ProcessEnvironment());
  if (!eo.ok()) return Fail(std::string(eo.status().message()), kExitUsage);
  if (!flags.exporter.max_in_flight) eo->max_in_flight = 32;
  PipelineScrapeFn scrape;
  std::shared_ptr<readers::HttpClient> client;
  if (!flags.pipeline_metrics.empty()) {
    readers::HttpClientOptions ho;
    ho.request_timeout = absl::Seconds(10);
    client = std::make_shared<readers::HttpClient>(ho);
    scrape = [client, url = flags.pipeline_metrics]() -> absl::StatusOr<std::string> {
      auto res = client->Get(url);
      if (!res.ok()) return res.status();
      if (res->status != 200)
        return absl::UnavailableError(absl::StrCat(url, " answered HTTP ", res->status));
      return std::move(res->body);
    };
    // Before any load: a URL that is not a collector's telemetry is exit 3, nothing sent.
    auto first = ScrapeCounts(scrape);
    if (!first.ok())
      return Fail("--pipeline-metrics " + flags.pipeline_metrics + ": " +
                      std::string(first.status().message()) + " (nothing was sent)",
                  kExitUnreachable);
  }
  std::cout << absl::StrFormat("machine: %u cores; scenario %s (%.1f spans/trace)\n",
                               std::thread::hardware_concurrency(), sc->name,
                               TraceSynthesizer(sc, SynthesizerOptions{}).MeanSpansPerTrace());
  absl::StatusOr<PipelineCounts> before = PipelineCounts{}, after = PipelineCounts{};
  int code = kExitOk;
  LoadRun run = RunLoad(
      flags, sc, seconds, *eo,
      [&] {
        if (scrape) before = ScrapeCounts(scrape);
      },
      [&] {
        if (scrape && before.ok())
          after = SettledCounts(scrape, *before, absl::Seconds(10), absl::Milliseconds(250));
      },
      &code);
  if (!run.ok) return code;
  const EndpointStats& e = run.summary.endpoints.at(0);
  // Nothing arrived: the endpoint is the problem (exit 3, as generate), not a loss to measure.
  if (e.unreachable() ||
      (run.summary.spans_scheduled > 0 && e.spans_acknowledged == 0 && e.spans_rejected == 0)) {
    return Fail(absl::StrCat("endpoint ", e.endpoint,
                             e.unreachable() ? " could not be reached" : " accepted no span",
                             e.last_error.empty() ? "" : ": " + e.last_error),
                kExitUnreachable);
  }
  PrintLoadHead(flags, run, DescribeExporterOptions(*eo));
  std::cout << absl::StrFormat("  acknowledged %llu, rejected %llu, failed %llu, not sent %llu\n",
                               static_cast<unsigned long long>(e.spans_acknowledged),
                               static_cast<unsigned long long>(e.spans_rejected),
                               static_cast<unsigned long long>(e.spans_failed),
                               static_cast<unsigned long long>(e.spans_not_sent));
  if (!scrape) {
    std::cout << absl::StrFormat(
        "  delivered %s spans/s (acknowledged; no loss check without --pipeline-metrics), export "
        "p99 %.1fms\n",
        Rate(static_cast<double>(e.spans_acknowledged) / run.seconds),
        e.latency_from_send.Percentile(99) / 1e6);
    PrintLoadCost(run, nullptr, 0);
    std::cout << "  (start .. end)\n";
    return e.spans_acknowledged == run.summary.spans_scheduled ? kExitOk : kExitViolation;
  }
  if (!before.ok() || !after.ok())
    return Fail("cannot read the pipeline's counts: " +
                    std::string((before.ok() ? after : before).status().message()),
                kExitUnreachable);
  const PipelineCounts d = *after - *before;
  std::cout << absl::StrFormat(
      "  the pipeline: accepted %.0f, refused %.0f, exported %.0f, export failed %.0f\n",
      d.accepted, d.refused, d.exported, d.export_failed);
  const double acked = static_cast<double>(e.spans_acknowledged);
  std::vector<std::string> lost;
  if (acked < static_cast<double>(run.summary.spans_scheduled))
    lost.push_back(absl::StrFormat("%.0f spans not acknowledged",
                                   static_cast<double>(run.summary.spans_scheduled) - acked));
  if (d.refused > 0) lost.push_back(absl::StrFormat("the pipeline refused %.0f", d.refused));
  if (d.export_failed > 0)
    lost.push_back(absl::StrFormat("the pipeline failed to export %.0f", d.export_failed));
  if (d.accepted != acked)
    lost.push_back(absl::StrFormat("the pipeline counted %.0f accepted for %.0f acknowledged",
                                   d.accepted, acked));
  if (d.exported + d.export_failed < d.accepted)
    lost.push_back(absl::StrFormat(
        "%.0f accepted spans not exported (a processor that drops or samples on purpose too)",
        d.accepted - d.exported - d.export_failed));
  const bool zero_loss = lost.empty();
  std::cout << "  zero loss: "
            << (zero_loss ? "yes (exported == accepted == acknowledged == scheduled)"
                          : "NO: " + absl::StrJoin(lost, "; "))
            << "\n";
  std::cout << absl::StrFormat(
      "  delivered %s spans/s (accepted by the pipeline), export p99 %.1fms\n",
      Rate(d.accepted / run.seconds), e.latency_from_send.Percentile(99) / 1e6);
  PrintLoadCost(run, "pipeline", d.cpu_seconds);
  std::cout << "  (start .. end)\n";
  return zero_loss ? kExitOk : kExitViolation;
}

// Installs (cached) and runs the OpenTelemetry JS SDK generator for `seconds`; the sink counts.
PhaseResult RunOtelJs(const BenchFlags& flags, double seconds, ChildSink* sink, int* code) {
  PhaseResult r;
  const fs::path src = fs::path(DataDirOrEmpty()) / "bench" / "otel-js";
  fs::path dir = flags.peer_dir;
  if (dir.empty()) {
    const absl::StatusOr<std::string> cache = CacheDir();
    if (!cache.ok()) {
      *code = Fail(absl::StrCat(cache.status().message(), "; give --peer-dir"), kExitUsage);
      return r;
    }
    dir = fs::path(*cache) / "otel-js";
  }
  const std::string run =
      absl::StrFormat("bash '%s' '%s' 127.0.0.1:%d %.3f", (src / "run.sh").string(), dir.string(),
                      sink->grpc_port(), seconds);
  const auto before = sink->StoredByService();
  FILE* p = popen(run.c_str(), "r");
  if (p == nullptr) {
    *code = Fail("cannot run " + run, kExitUsage);
    return r;
  }
  char buf[1024];
  std::optional<Clock::time_point> started;
  std::string claimed;
  while (fgets(buf, sizeof buf, p) != nullptr) {
    const std::string line(buf);
    if (line.rfind("started", 0) == 0) started = Clock::now();
    if (line.rfind("otel-js:", 0) == 0) claimed = line;
  }
  const int status = pclose(p);
  const auto ended = Clock::now();
  if (!started || status != 0) {
    *code = Fail("the otel-js peer did not run (see the messages above; node and npm are needed)",
                 WEXITSTATUS(status) == 77 ? kExitUnreachable : kExitUsage);
    return r;
  }
  const auto after = sink->StoredByService();
  if (!before.ok() || !after.ok()) {
    *code = Fail("cannot read the sink's counts", kExitUnreachable);
    return r;
  }
  r.seconds = std::chrono::duration<double>(ended - *started).count();
  r.stored = StoredFor(*after, {"otel-js-bench"}) - StoredFor(*before, {"otel-js-bench"});
  r.spans_per_second = static_cast<double>(r.stored) / r.seconds;
  std::cout << absl::StrFormat(
      "otel-js: %llu spans stored by the sink in %.2fs (first span to exit), %s spans/s\n",
      static_cast<unsigned long long>(r.stored), r.seconds, Rate(r.spans_per_second));
  if (!claimed.empty()) std::cout << "  the SDK's own view: " << claimed.substr(9);
  r.ok = true;
  return r;
}

// How much memory the child sink prefaults (sink --prefault). "auto": room for what the
// agentstorm phase may store at up to 2M spans/s (or the --rate given), and the peer's phase,
// at the scenario's encoded size per span; at most a third of the machine's memory. Under a
// hypervisor the first touch of each fresh page can cost more than receiving the span that
// fills it (docs/performance.md), which would measure the host rather than the generator.
absl::StatusOr<size_t> PrefaultBytes(const BenchFlags& flags,
                                     const std::shared_ptr<const Scenario>& sc, double seconds,
                                     double memory) {
  if (flags.sink_prefault != "auto") {
    absl::StatusOr<double> bytes = ParseByteSize(flags.sink_prefault);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError("bad --sink-prefault " + flags.sink_prefault +
                                        " (\"auto\", 0 or a size such as 4GiB)");
    }
    return static_cast<size_t>(*bytes);
  }
  if (!flags.sink_faults.empty()) return 0;  // faults parse and re-encode: not a speed run
  absl::StatusOr<agentstorm::Rate> rate = ParseRate(flags.rate);
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  double spans_per_second = 2e6;
  if (rate.ok() && !rate->max) {
    spans_per_second = 1.25 * rate->per_second *
                       (rate->unit == RateUnit::kSpansPerSecond ? 1 : synth.MeanSpansPerTrace());
  }
  SynthesizedTrace meta;
  std::string bytes;
  uint64_t spans = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    synth.SynthesizeEncoded(i, -1, &meta, &bytes);
    spans += meta.span_count;
  }
  const double per_span = spans > 0 ? static_cast<double>(bytes.size()) / spans : 0;
  double want = seconds * spans_per_second * per_span;
  if (flags.peer == "otel-js") want += seconds * 150e3 * per_span;
  // --check sends a number of traces, not a duration: room for those.
  if (flags.check)
    want = 1.1 * static_cast<double>(flags.traces) * flags.rounds * synth.MeanSpansPerTrace() *
           per_span;
  return static_cast<size_t>(std::min(want, memory / 3));
}

// --check: the checker's span rate beside the generator's, on the same machine and data. The
// scenario's --traces go to the child sink at the most it takes, with a ledger (as `run` sends);
// then `check` reads every one back through the sink's query API (jaeger://, as `run` does) and
// runs every rule against the ledger. Both are timed from start to end. --rounds repeats that
// (each round its own run ID) and the ratio is the median round's: a host whose speed wanders
// between the two phases of one round moves that round's ratio, not the median.
struct CheckRound {
  double gen_rate = 0;
  double check_rate = 0;
  double ratio() const { return gen_rate > 0 ? check_rate / gen_rate : 0; }
};

int RunCheckRound(const BenchFlags& flags, const std::string& scenario_path, ChildSink* sink,
                  const std::string& dir, int round, CheckRound* out) {
  const std::string prefix =
      flags.rounds > 1 ? absl::StrFormat("round %d of %d: ", round, flags.rounds) : "";
  GenerateFlags g;
  g.scenario = g.scenario_path = scenario_path;
  g.endpoints = {absl::StrFormat("http://127.0.0.1:%d", sink->grpc_port())};
  g.protocol = "grpc";
  g.rate = "max";
  g.traces = flags.traces;
  g.run_id = NewRunId();
  g.threads = flags.threads;
  g.connections = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g.ledger = (fs::path(dir) / absl::StrCat("bench-", round, ".ledger")).string();
  g.quiet = true;
  g.progress = ProgressMode::kQuiet;
  LoadSummary load;
  // generate's own summary is kept back (this prints its figures), shown when it failed.
  std::ostringstream generate_text;
  std::streambuf* const stdout_buffer = std::cout.rdbuf(generate_text.rdbuf());
  const auto g0 = Clock::now();
  const int generated = RunGenerate(g, "bench", &load);
  const double gen_seconds = std::chrono::duration<double>(Clock::now() - g0).count();
  std::cout.rdbuf(stdout_buffer);
  if (generated != kExitOk) {
    std::cout << generate_text.str();
    return Fail("sending the traces failed", generated);
  }
  const EndpointStats& e = load.endpoints.at(0);
  out->gen_rate = static_cast<double>(e.spans_acknowledged) / gen_seconds;
  std::cout << absl::StrFormat(
      "%sgenerate: %llu traces, %llu spans acknowledged in %.2fs: %s spans/s (ledger written, "
      "%d worker threads)\n",
      prefix, static_cast<unsigned long long>(load.traces_scheduled),
      static_cast<unsigned long long>(e.spans_acknowledged), gen_seconds, Rate(out->gen_rate),
      flags.threads > 0 ? flags.threads : static_cast<int>(std::thread::hardware_concurrency()));

  CheckOptions co;
  co.source_dir = DataDirOrEmpty();
  co.ledger_paths = {g.ledger};
  co.backend_url = absl::StrFormat("jaeger://127.0.0.1:%d", sink->query_port());
  co.wait = absl::Seconds(60);
  const double rss0 = RssMiB();
  const auto c0 = Clock::now();
  absl::StatusOr<std::unique_ptr<CheckResult>> checked = RunCheck(co);
  const double check_seconds = std::chrono::duration<double>(Clock::now() - c0).count();
  if (!checked.ok()) return Fail(std::string(checked.status().message()), kExitUsage);
  const CheckResult& r = **checked;
  if (r.exit_code == kExitUnreachable) return Fail(r.unreachable_reason, kExitUnreachable);
  out->check_rate = static_cast<double>(r.spans_read) / check_seconds;
  std::cout << absl::StrFormat(
      "%scheck: %llu of %llu traces, %llu spans read and checked in %.2fs: %s spans/s (%s, %d "
      "requests in flight; reading the backend %.2fs), %llu violations\n",
      prefix, static_cast<unsigned long long>(r.traces_read),
      static_cast<unsigned long long>(r.traces_expected),
      static_cast<unsigned long long>(r.spans_read), check_seconds, Rate(out->check_rate),
      r.backend, co.concurrency, absl::ToDoubleSeconds(r.poll_elapsed),
      static_cast<unsigned long long>(r.findings.CountAtLevel(FindingLevel::kViolation)));
  std::cout << absl::StrFormat("  checker RSS: %.1f MiB before, %.1f MiB after\n", rss0, RssMiB());
  // Every span sent must have been read: a rate over part of the data is no rate.
  if (r.spans_read != e.spans_acknowledged || r.traces_read != r.traces_expected)
    return Fail("the check did not read back every span sent", kExitViolation);
  if (flags.rounds > 1) {
    std::cout << absl::StrFormat("%scheck ratio %.1f%%\n", prefix, 100 * out->ratio());
  }
  return kExitOk;
}

int RunCheckBench(const BenchFlags& flags, const std::string& scenario_path, ChildSink* sink) {
  TempDir temp;
  if (temp.path().empty()) return Fail("cannot create a temporary directory", kExitUsage);
  std::vector<CheckRound> rounds(static_cast<size_t>(flags.rounds));
  for (int i = 0; i < flags.rounds; ++i) {
    const int code = RunCheckRound(flags, scenario_path, sink, temp.path(), i + 1,
                                   &rounds[static_cast<size_t>(i)]);
    if (code != kExitOk) return code;
  }
  std::vector<CheckRound> by_ratio = rounds;
  std::sort(by_ratio.begin(), by_ratio.end(),
            [](const CheckRound& a, const CheckRound& b) { return a.ratio() < b.ratio(); });
  const CheckRound& median = by_ratio[by_ratio.size() / 2];
  // One round: "check ratio: 23.8% (checker ... vs generator ..., same spans)"; more: "check
  // ratio: 23.8%, the median of 3 rounds (21.8%, 23.8%, 32.4%; in that round checker ...)".
  std::string of_rounds;
  if (flags.rounds > 1) {
    std::vector<std::string> each;
    for (const CheckRound& r : rounds) each.push_back(absl::StrFormat("%.1f%%", 100 * r.ratio()));
    of_rounds = absl::StrCat(", the median of ", flags.rounds, " rounds (",
                             absl::StrJoin(each, ", "), "; in that round ");
  } else {
    of_rounds = " (";
  }
  std::cout << absl::StrFormat(
      "check ratio: %.1f%%%schecker %s spans/s vs generator %s spans/s, same spans)\n",
      100 * median.ratio(), of_rounds, Rate(median.check_rate), Rate(median.gen_rate));
  return kExitOk;
}

int RunBench(const BenchFlags& flags) {
  auto seconds = ParseDurationSeconds(flags.duration);
  if (!seconds.ok() || *seconds <= 0) return Fail("bad --duration " + flags.duration, kExitUsage);
  // --check defaults to the bundled research-fanout (a fan-out of ~19 spans per trace).
  std::string path =
      flags.scenario.empty()
          ? flags.check
                ? ResolveScenarioPath("research-fanout", BundledScenariosDir(DataDirOrEmpty()))
                : (fs::path(DataDirOrEmpty()) / "bench" / "agent7.yaml").string()
          : ResolveScenarioPath(flags.scenario, BundledScenariosDir(DataDirOrEmpty()));
  auto sc = LoadScenario(path);
  if (!sc.ok()) return Fail(std::string(sc.status().message()), kExitUsage);
  if (flags.encode) return RunEncode(*sc, fs::path(path).stem().string(), std::min(*seconds, 10.0));
  if (!flags.peer.empty() && flags.peer != "otel-js")
    return Fail("unknown --peer " + flags.peer + " (known: otel-js)", kExitUsage);
  if (flags.check && (flags.encode || !flags.peer.empty() || flags.exporter.endpoint ||
                      !flags.sink_faults.empty()))
    return Fail(
        "--check runs alone, into the embedded sink (no --encode, --peer, --endpoint, "
        "--sink-fault)",
        kExitUsage);
  if (flags.exporter.endpoint) {
    if (!flags.peer.empty() || !flags.sink_faults.empty())
      return Fail("--peer and --sink-fault need the embedded sink: leave out --endpoint",
                  kExitUsage);
    return RunAgainstPipeline(flags, *sc, *seconds);
  }
  if (!flags.pipeline_metrics.empty())
    return Fail("--pipeline-metrics needs --endpoint (the pipeline it counts for)", kExitUsage);

  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  absl::StatusOr<size_t> prefault = PrefaultBytes(flags, *sc, *seconds, memory);
  if (!prefault.ok()) return Fail(std::string(prefault.status().message()), kExitUsage);
  ChildSink sink;
  const auto sink_start = Clock::now();
  absl::Status started = sink.Start(flags.sink_max_spans, *prefault, flags.sink_faults);
  if (!started.ok()) return Fail(std::string(started.message()), kExitUnreachable);
  const double sink_start_seconds =
      std::chrono::duration<double>(Clock::now() - sink_start).count();
  std::cout << absl::StrFormat("machine: %u cores, %.1f GiB; scenario %s (%.1f spans/trace)\n",
                               std::thread::hardware_concurrency(), memory / (1 << 30),
                               fs::path(path).stem().string(),
                               TraceSynthesizer(*sc, SynthesizerOptions{}).MeanSpansPerTrace());
  if (*prefault > 0) {
    std::cout << absl::StrFormat(
        "sink: %.1f GiB for stored spans mapped and touched before the run, in %.1fs "
        "(--sink-prefault 0 measures that first touch too)\n",
        static_cast<double>(*prefault) / (1 << 30), sink_start_seconds);
  }
  if (flags.check) return RunCheckBench(flags, path, &sink);
  int code = kExitOk;
  PhaseResult a = RunAgentstorm(flags, *sc, *seconds, &sink, &code);
  if (!a.ok && code != kExitViolation) return code;
  if (flags.peer == "otel-js") {
    PhaseResult b = RunOtelJs(flags, *seconds, &sink, &code);
    if (!b.ok) return code;
    std::cout << absl::StrFormat(
        "ratio: %.1fx (agentstorm %.0f spans/s vs otel-js %.0f spans/s, counted by the sink)\n",
        b.spans_per_second > 0 ? a.spans_per_second / b.spans_per_second : 0, a.spans_per_second,
        b.spans_per_second);
  }
  return code;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "measure the generator: end to end into the embedded sink (or --endpoint), --encode, "
      "--peer otel-js; --check: the checker beside it");
  cmd->add_option("--duration", flags->duration, "Length of each measured phase")
      ->capture_default_str();
  cmd->add_option("--rate", flags->rate,
                  "Load of the agentstorm phase (\"max\" or e.g. \"200k spans/s\")")
      ->capture_default_str();
  cmd->add_option(
      "--scenario", flags->scenario,
      "Scenario name or file (default: bench/agent7.yaml, the 7-span shape the peer mirrors)");
  cmd->add_flag("--encode", flags->encode,
                "Compare templated and libprotobuf synthesis + encoding on one thread instead");
  cmd->add_flag("--check", flags->check,
                "Measure the checker beside the generator instead: --traces of the scenario "
                "(default research-fanout) sent with a ledger, then checked against it through "
                "the sink's query API; both span rates and their ratio");
  cmd->add_option("--traces", flags->traces, "With --check: how many traces to send and check")
      ->capture_default_str()
      ->check(WholeNumberOf<uint64_t>(1));
  CLI::Option* rounds =
      cmd->add_option("--rounds", flags->rounds,
                      "With --check: send-then-check rounds, each with its own run ID; the ratio "
                      "printed last is the median round's")
          ->capture_default_str()
          ->check(WholeNumber(1, 99));
  cmd->add_option("--peer", flags->peer, "Also run a peer generator into the same sink: otel-js");
  cmd->add_option(
      "--peer-dir", flags->peer_dir,
      "Where the peer's npm packages are installed (default: otel-js in the cache folder, "
      "$XDG_CACHE_HOME/agentstorm or ~/.cache/agentstorm)");
  cmd->add_option("--threads", flags->threads, "Generator worker threads (0 = one per core)")
      ->capture_default_str()
      ->check(WholeNumber(0, 1024));
  cmd->add_option("--sink-max-spans", flags->sink_max_spans,
                  "Capacity of the embedded sink's store")
      ->capture_default_str()
      ->check(WholeNumberOf<size_t>(1));
  cmd->add_option("--sink-prefault", flags->sink_prefault,
                  "Memory the embedded sink maps and touches before the run (see sink --prefault): "
                  "\"auto\" = room for what it may store, 0 = none, or a size such as 4GiB")
      ->capture_default_str();
  cmd->add_option(
      "--sink-fault", flags->sink_faults,
      "A --fault of the embedded sink (e.g. drop-spans=1 keeps its memory flat in long runs)");
  cmd->add_option("--endpoint", flags->exporter.endpoint,
                  "Send to this external pipeline (OTLP) instead of the embedded sink");
  cmd->add_option("--protocol", flags->exporter.protocol,
                  "With --endpoint: grpc | http/protobuf | http/json");
  cmd->add_option("--header", flags->exporter.headers,
                  "With --endpoint: Key=Value sent with every request");
  cmd->add_option("--pipeline-metrics", flags->pipeline_metrics,
                  "With --endpoint: the pipeline's own Prometheus metrics (an OpenTelemetry "
                  "Collector's telemetry): its accepted and exported spans are the count and the "
                  "loss check, its CPU the other side of the split");
  cmd->add_option("--rss-samples", flags->rss_samples,
                  "Generator RSS samples over the run (start..end)")
      ->capture_default_str()
      ->check(WholeNumber(2, 10000));
  cmd->callback([flags, exit_code, rounds] {
    if (rounds->count() > 0 && !flags->check) {
      *exit_code = Fail(
          "--rounds applies to --check (the generator alone runs once, for "
          "--duration)",
          kExitUsage);
      return;
    }
    *exit_code = RunBench(*flags);
  });
}

}  // namespace agentstorm::cli
