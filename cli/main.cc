// agentstorm: load generator and conformance checker for GenAI agent traces over OTLP.
#include <grpc/support/log.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/did_you_mean.h"
#include "core/exit_codes.h"

namespace {

// Options of telemetrygen (and k6's habits) that mean one of ours.
const std::map<std::string, std::string, std::less<>>& ForeignOptions() {
  static const auto* names = new std::map<std::string, std::string, std::less<>>{
      {"--otlp-endpoint", "--endpoint"},
      {"--otlp-insecure", "--insecure"},
      {"--otlp-header", "--header"},
      {"--otlp-headers", "--header"},
      {"--otlp-http", "--protocol http/protobuf"},
      {"--vus", "--connections"},
  };
  return *names;
}

// For a command line CLI11 refused with unexpected arguments: a line per unknown subcommand or
// option, each with what was probably meant; "" when the unexpected arguments are not such names
// (then CLI11's own message stands).
std::string DidYouMean(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> commands;
  std::map<std::string, const CLI::App*, std::less<>> by_name;
  for (const CLI::App* sub : app.get_subcommands({})) {
    commands.push_back(sub->get_name());
    by_name[sub->get_name()] = sub;
  }
  const CLI::App* command = nullptr;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (command == nullptr) {
      if (arg.empty() || arg[0] == '-') continue;
      const auto found = by_name.find(arg);
      command = found == by_name.end() ? nullptr : found->second;
      if (command == nullptr) {
        const std::string closest = agentstorm::ClosestMatch(arg, commands);
        return absl::StrCat("agentstorm: unknown command \"", arg, "\"",
                            closest.empty() ? "" : absl::StrCat("; did you mean ", closest, "?"),
                            " (agentstorm --help lists them)\n");
      }
      continue;
    }
    if (arg.size() < 3 || arg.substr(0, 2) != "--") continue;
    const std::string name(arg.substr(0, arg.find('=')));
    if (command->get_option_no_throw(name) != nullptr || name == "--help") continue;
    std::string meant;
    if (const auto foreign = ForeignOptions().find(name); foreign != ForeignOptions().end()) {
      meant = foreign->second;
    } else {
      std::vector<std::string> options;
      for (const CLI::Option* option : command->get_options()) {
        for (const std::string& long_name : option->get_lnames())
          options.push_back("--" + long_name);
      }
      meant = agentstorm::ClosestMatch(name, options);
    }
    absl::StrAppend(&out, "agentstorm ", command->get_name(), ": unknown option ", name,
                    meant.empty() ? "" : absl::StrCat("; did you mean ", meant, "?"),
                    " (agentstorm ", command->get_name(), " --help lists them)\n");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer closing a connection must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  // gRPC takes an absl::Mutex on every call, and Debian's abseil is built with its deadlock
  // detector on: a lock-graph update per acquisition, about 1.5% of each process's CPU in
  // `agentstorm bench`.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // gRPC's own log lines ("E1207 ... ssl_transport_security.cc ... Handshake failed") repeat
  // what the exporters report as a status, with a hint, in a form that reads like a crash. They
  // are dropped unless GRPC_VERBOSITY asks for them; an assertion's line is kept.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) {
    gpr_set_log_function([](gpr_log_func_args* args) {
      if (args->message != nullptr && std::strstr(args->message, "assertion failed") != nullptr)
        std::fprintf(stderr, "gRPC %s:%d: %s\n", args->file, args->line, args->message);
    });
  }

  CLI::App app{
      "agentstorm: synthesize GenAI agent traces, send them to an OTLP pipeline, and prove what "
      "arrived."};
  app.set_version_flag("--version", [] {
    const absl::StatusOr<std::string>& data = agentstorm::cli::DataDir();
    return absl::StrCat("agentstorm ", AGENTSTORM_VERSION, " (commit ", AGENTSTORM_COMMIT,
                        ")\ndata: ", data.ok() ? *data : data.status().message());
  });
  app.require_subcommand(1);
  app.fallthrough();

  int exit_code = agentstorm::kExitOk;
  agentstorm::cli::AddSinkCommand(app, &exit_code);
  agentstorm::cli::AddGenerateCommand(app, &exit_code);
  agentstorm::cli::AddValidateCommand(app, &exit_code);
  agentstorm::cli::AddScenariosCommand(app, &exit_code);
  agentstorm::cli::AddCheckCommand(app, &exit_code);
  agentstorm::cli::AddRunCommand(app, &exit_code);
  agentstorm::cli::AddBenchCommand(app, &exit_code);
  agentstorm::cli::AddCapacityCommand(app, &exit_code);
  agentstorm::cli::AddProviderCommand(app, &exit_code);
  agentstorm::cli::AddCanaryCommand(app, &exit_code);

  // A command that reads bundled scenarios or profiles says at once when their folder is
  // missing (a copied binary), rather than only naming the file it could not read.
  if (argc > 1 && !agentstorm::cli::DataDir().ok()) {
    const std::string command = argv[1];
    for (const char* needs :
         {"generate", "validate", "scenarios", "check", "run", "bench", "capacity"}) {
      if (command == needs) {
        std::fprintf(stderr, "agentstorm: warning: %s\n",
                     std::string(agentstorm::cli::DataDir().status().message()).c_str());
        break;
      }
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Unexpected arguments, or a missing subcommand or option, because of a mistyped name: what
    // was probably meant; anything else, CLI11's own message.
    const bool extras = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
    const bool required = dynamic_cast<const CLI::RequiredError*>(&e) != nullptr;
    const std::string meant = extras || required ? DidYouMean(app, argc, argv) : "";
    if (!meant.empty()) {
      std::fputs(meant.c_str(), stderr);
    } else {
      app.exit(e);
    }
    return agentstorm::kExitUsage;
  }
  return exit_code;
}
