// `agentstorm sink`: runs the embedded backend until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/numeric_flags.h"
#include "cli/stop_signal.h"
#include "core/exit_codes.h"
#include "sink/listen_address.h"
#include "sink/sink.h"

namespace agentstorm::cli {
namespace {

struct SinkFlags {
  sink::SinkOptions options;
  std::string auth_token_file;
  bool quiet = false;
};

constexpr char kTokenVariable[] = "AGENTSTORM_SINK_TOKEN";

// A listener reachable from other machines with no token: anyone who reaches it can send spans
// and read every stored one back.
void WarnIfOpen(const std::string& what, const std::string& address, bool authenticated) {
  if (address.empty() || authenticated) return;
  absl::StatusOr<sink::ListenAddress> parsed = sink::ParseListenAddress(address);
  if (!parsed.ok() || sink::IsLoopback(*parsed)) return;
  std::fprintf(stderr,
               "agentstorm sink: warning: %s listens on %s with no authentication: anyone who "
               "can reach it can send spans and read them back (give --auth-token-file or %s)\n",
               what.c_str(), address.c_str(), kTokenVariable);
}

// Run as a container's entry point (process 1, with docker's /.dockerenv or podman's
// /run/.containerenv), a loopback listener is out of reach of a published port (`-p
// 4317:4317`): say so once, with the flags that fix it. A sink started by a script inside a
// container (a CI job's) is not process 1 and is usually meant for loopback: no note.
void WarnIfLoopbackInContainer(const sink::SinkOptions& options) {
  std::error_code ec;
  if (getpid() != 1) return;
  if (!std::filesystem::exists("/.dockerenv", ec) &&
      !std::filesystem::exists("/run/.containerenv", ec))
    return;
  std::vector<std::string> loopback;
  for (const std::string& address :
       {options.grpc_address, options.http_address, options.query_address}) {
    absl::StatusOr<sink::ListenAddress> parsed = sink::ParseListenAddress(address);
    if (!address.empty() && parsed.ok() && sink::IsLoopback(*parsed)) loopback.push_back(address);
  }
  if (loopback.empty()) return;
  std::fprintf(stderr,
               "agentstorm sink: note: running in a container and listening on %s, which a "
               "published port (-p) cannot reach; give --grpc 0.0.0.0:4317 --http 0.0.0.0:4318 "
               "--query 0.0.0.0:16686 to be reached from outside it\n",
               absl::StrJoin(loopback, ", ").c_str());
}

int RunSink(const SinkFlags& flags) {
  if (!InstallStopSignalHandlers()) {
    std::perror("agentstorm sink: pipe");
    return kExitUnreachable;
  }

  absl::StatusOr<std::string> token = ReadSinkAuthToken(flags.auth_token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "agentstorm sink: %s\n", std::string(token.status().message()).c_str());
    return kExitUsage;
  }
  sink::SinkOptions options = flags.options;
  options.auth_token = *std::move(token);
  absl::StatusOr<std::unique_ptr<sink::Sink>> started = sink::Sink::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "agentstorm sink: %s\n", std::string(started.status().message()).c_str());
    return ExitCodeForStatus(started.status());
  }
  sink::Sink& s = **started;
  const bool authenticated = !options.auth_token.empty();
  WarnIfOpen("OTLP/gRPC", s.grpc_address(), authenticated);
  WarnIfOpen("OTLP/HTTP", s.http_address(), authenticated);
  WarnIfOpen("the query API", s.query_address(), authenticated);
  WarnIfLoopbackInContainer(options);
  if (!flags.quiet) {
    if (s.grpc_port()) std::printf("OTLP/gRPC  listening on %s\n", s.grpc_address().c_str());
    if (s.http_port())
      std::printf("OTLP/HTTP  listening on %s (POST /v1/traces, /v1/metrics)\n",
                  s.http_address().c_str());
    if (s.query_port())
      std::printf("query API  listening on %s (GET /api/v3/..., /metrics, /healthz)\n",
                  s.query_address().c_str());
    if (!s.security().empty()) std::printf("security   %s\n", s.security().c_str());
    if (!flags.options.faults.empty()) {
      std::printf("faults     ");
      for (const std::string& f : flags.options.faults) std::printf("%s ", f.c_str());
      std::printf("(seed %llu)\n", static_cast<unsigned long long>(flags.options.fault_seed));
    }
    std::fflush(stdout);
  }

  const int signal_number = WaitForStopSignal();
  if (!flags.quiet) {
    std::printf("received %s, shutting down\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    std::fflush(stdout);
  }
  absl::Status closed = s.Shutdown();
  const sink::TraceStoreStats stats = s.store().Stats();
  if (!flags.quiet) {
    std::printf("stored %llu spans in %llu traces (%llu duplicates, %llu rejected as full)\n",
                static_cast<unsigned long long>(stats.stored_spans),
                static_cast<unsigned long long>(stats.traces),
                static_cast<unsigned long long>(stats.duplicate_spans),
                static_cast<unsigned long long>(stats.rejected_spans));
  }
  if (!closed.ok()) {
    std::fprintf(stderr, "agentstorm sink: %s\n", std::string(closed.message()).c_str());
    return kExitUnreachable;
  }
  return kExitOk;
}

}  // namespace

absl::StatusOr<std::string> ReadSinkAuthToken(const std::string& file, const char* flag) {
  std::string token;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": cannot read file"));
    std::getline(in, token);
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": the first line is empty"));
    }
    return token;
  }
  if (const char* env = std::getenv(kTokenVariable); env != nullptr) {
    token = std::string(absl::StripAsciiWhitespace(env));
  }
  return token;
}

void AddSinkCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SinkFlags>();
  sink::SinkOptions& o = flags->options;
  CLI::App* cmd = app.add_subcommand("sink",
                                     "run the embedded OTLP backend: gRPC + HTTP receivers, trace "
                                     "store, Jaeger API v3 query endpoint");
  cmd->add_option("--grpc", o.grpc_address,
                  "OTLP/gRPC listen address HOST:PORT (port 0 = any free port)")
      ->capture_default_str();
  cmd->add_option("--http", o.http_address, "OTLP/HTTP listen address HOST:PORT")
      ->capture_default_str();
  cmd->add_option("--query", o.query_address,
                  "Query API (Jaeger API v3, /metrics, /healthz) listen address")
      ->capture_default_str();
  cmd->add_option("--max-spans", o.max_spans,
                  "Most spans held; beyond it exports get RESOURCE_EXHAUSTED / HTTP 429")
      ->capture_default_str()
      ->check(WholeNumberOf<size_t>(1));
  cmd->add_option("--max-request-bytes", o.max_request_bytes,
                  "Largest export body after decompression (e.g. 4MiB); bigger gets "
                  "RESOURCE_EXHAUSTED / 413")
      ->capture_default_str()
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option("--max-query-bytes", o.max_query_bytes,
                  "Most span bytes one query answer holds (e.g. 64MiB); more gets HTTP 413 "
                  "(answers are streamed: this bounds a query's length, not memory)")
      ->capture_default_str()
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option(
         "--prefault", o.prefault_bytes,
         "Map and touch this much memory for stored requests before listening (e.g. 4GiB), so a "
         "measurement does not pay each fresh page's first touch")
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option("--capture", o.capture_path,
                  "Append every accepted request to FILE (4-byte big-endian length + "
                  "ExportTraceServiceRequest)");
  cmd->add_flag("--capture-sync", o.capture_sync,
                "fdatasync the capture before acknowledging each request");
  cmd->add_option(
      "--fault", o.faults,
      "Inject a fault (repeatable): drop-spans=P drop-traces=P sample-traces=P "
      "tail-sample=P[,slow=D] strip-attribute=KEY "
      "truncate-values=N break-parent=P rewrite-service=NAME delay-visibility=D unavailable=D "
      "throttle=D partial-reject=P");
  cmd->add_option("--fault-seed", o.fault_seed, "Seed of every fault decision")
      ->capture_default_str()
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_option("--tls-cert", o.tls_cert_file,
                  "PEM server certificate: TLS on every listener (with --tls-key)");
  cmd->add_option("--tls-key", o.tls_key_file, "PEM private key of --tls-cert");
  cmd->add_option("--tls-client-ca", o.tls_client_ca_file,
                  "PEM CA: every client must present a certificate it signed (mTLS)");
  cmd->add_option("--auth-token-file", flags->auth_token_file,
                  "Require \"Authorization: Bearer TOKEN\" of every export and query (not "
                  "/healthz), TOKEN the file's first line (or set AGENTSTORM_SINK_TOKEN)");
  cmd->add_flag("--quiet", flags->quiet, "Print nothing but errors");
  cmd->callback([flags, exit_code] { *exit_code = RunSink(*flags); });
}

}  // namespace agentstorm::cli
