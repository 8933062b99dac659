// `agentstorm provider`: a deterministic LLM provider (OpenAI, Anthropic, Gemini APIs) for
// instrumented apps under test, until SIGINT/SIGTERM (provider/provider_api.h).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/numeric_flags.h"
#include "cli/stop_signal.h"
#include "core/duration.h"
#include "core/exit_codes.h"
#include "provider/provider_server.h"
#include "sink/listen_address.h"

namespace agentstorm::cli {
namespace {

struct ProviderFlags {
  std::string listen = "127.0.0.1:8080";
  std::vector<std::string> faults;
  uint64_t fault_seed = 1;
  int64_t context_window = 128000;
  std::string timeout_delay = "30s";
  bool log = false;
  bool quiet = false;
};

constexpr char kDescription[] =
    R"(A deterministic LLM provider for instrumented apps under test: the same request gets the same bytes back, with no key and no network.

  OpenAI     base URL http://HOST:PORT/v1   POST /chat/completions (stream, tools, n),
                                            /embeddings (float or base64), /responses (stream, tools)
  Anthropic  base URL http://HOST:PORT      POST /v1/messages (stream, tool use, cache_control)
  Gemini     base URL http://HOST:PORT      POST /v1beta/models/MODEL:generateContent (or /v1/),
                                            :streamGenerateContent (?alt=sse or a JSON array),
                                            :embedContent, :batchEmbedContents

An answer is 12-31 words (one token each, cut at the request's max tokens); a prompt counts
ceil(characters/4) tokens. Offered tools are called (tool_choice's, else the first, arguments from
the schema) until the conversation ends in a tool's result. Anthropic: the prefix up to the last
cache_control block (1024 tokens or more) is cache_read_input_tokens.

Faults, in each provider's error shape: rate-limit (429, Retry-After: 1), server-error (500),
timeout (answers after --timeout-delay), context-length (400 context-length exceeded; also any
prompt over --context-window tokens), runaway (keeps calling the same tool). One request asks with
the header `x-agentstorm-fault: NAME`; --fault NAME=FRACTION draws them for every request.)";

int RunProvider(const ProviderFlags& flags) {
  auto address = sink::ParseListenAddress(flags.listen);
  if (!address.ok()) {
    std::fprintf(stderr, "agentstorm provider: --listen: %s\n",
                 std::string(address.status().message()).c_str());
    return kExitUsage;
  }
  provider::ProviderOptions options;
  options.fault_seed = flags.fault_seed;
  options.context_window = flags.context_window;
  for (const std::string& spec : flags.faults) {
    auto fault = provider::ParseFaultSpec(spec);
    if (!fault.ok()) {
      std::fprintf(stderr, "agentstorm provider: --fault: %s\n",
                   std::string(fault.status().message()).c_str());
      return kExitUsage;
    }
    options.faults.push_back(*fault);
  }
  auto delay = ParseDuration(flags.timeout_delay);
  if (!delay.ok() || *delay <= absl::ZeroDuration()) {
    std::fprintf(stderr, "agentstorm provider: --timeout-delay: a positive duration, e.g. 30s\n");
    return kExitUsage;
  }
  options.timeout_delay = *delay;
  if (!InstallStopSignalHandlers()) {
    std::perror("agentstorm provider: pipe");
    return kExitUnreachable;
  }
  auto log_mutex = std::make_shared<absl::Mutex>();
  provider::ProviderServer::RequestLog log;
  if (flags.log)
    log = [log_mutex](const provider::ProviderRequest& r, const provider::ProviderReply& a) {
      absl::MutexLock lock(log_mutex.get());
      std::printf("%s %s -> %d%s%s%s\n", r.method.c_str(), r.path.c_str(), a.status,
                  a.api.empty() ? "" : absl::StrCat(" ", a.api).c_str(),
                  a.events.empty() ? "" : absl::StrCat(" (", a.events.size(), " events)").c_str(),
                  a.fault == provider::Fault::kNone
                      ? ""
                      : absl::StrCat(" fault ", std::string(provider::FaultName(a.fault))).c_str());
      std::fflush(stdout);
    };
  auto server = provider::ProviderServer::Start(*address, options, log);
  if (!server.ok()) {
    std::fprintf(stderr, "agentstorm provider: %s\n",
                 std::string(server.status().message()).c_str());
    return ExitCodeForStatus(server.status());
  }
  const std::string base = absl::StrCat("http://", address->WithPort((*server)->port()));
  if (!flags.quiet) {
    std::printf("provider   listening on %s (OpenAI %s/v1, Anthropic and Gemini %s)\n",
                base.c_str(), base.c_str(), base.c_str());
    if (!flags.faults.empty())
      std::printf("faults     %s (seed %llu)\n", absl::StrJoin(flags.faults, " ").c_str(),
                  static_cast<unsigned long long>(flags.fault_seed));
    std::fflush(stdout);
  }
  const int signal_number = WaitForStopSignal();
  (*server)->Stop();
  if (!flags.quiet) {
    std::printf("received %s: answered %llu requests\n",
                signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                static_cast<unsigned long long>((*server)->requests()));
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace

void AddProviderCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ProviderFlags>();
  CLI::App* cmd =
      app.add_subcommand("provider",
                         "serve a deterministic LLM provider (OpenAI, Anthropic and Gemini APIs, "
                         "with their faults) for instrumented apps under test");
  cmd->footer(kDescription);
  cmd->add_option("--listen", flags->listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--fault", flags->faults,
                  "NAME[=FRACTION]: rate-limit, server-error, timeout, context-length, runaway "
                  "for that fraction of requests (repeatable; default fraction 1)");
  cmd->add_option("--fault-seed", flags->fault_seed, "Seed of the fault draws")
      ->capture_default_str()
      ->check(WholeNumberOf<uint64_t>());
  cmd->add_option("--context-window", flags->context_window,
                  "Tokens a prompt may hold before the context-length error")
      ->capture_default_str()
      ->check(WholeNumberOf<int64_t>(1));
  cmd->add_option("--timeout-delay", flags->timeout_delay,
                  "How long a `timeout` fault holds its answer")
      ->capture_default_str();
  cmd->add_flag("--log", flags->log, "Print a line per request (path, API, status, fault)");
  cmd->add_flag("--quiet", flags->quiet, "Print nothing but errors");
  cmd->callback([flags, exit_code] { *exit_code = RunProvider(*flags); });
}

}  // namespace agentstorm::cli
