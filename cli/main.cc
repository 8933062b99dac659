// agentstorm: load generator and conformance checker for GenAI agent traces over OTLP.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "core/exit_codes.h"

int main(int argc, char** argv) {
  // A peer closing a connection must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  // gRPC takes an absl::Mutex on every call, and Debian's abseil is built with its deadlock
  // detector on: a lock-graph update per acquisition, about 1.5% of each process's CPU in
  // `agentstorm bench`.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  CLI::App app{
      "agentstorm: synthesize GenAI agent traces, send them to an OTLP pipeline, and prove what "
      "arrived."};
  app.set_version_flag("--version", std::string("agentstorm ") + AGENTSTORM_VERSION);
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return agentstorm::kExitUsage;
  }
  return exit_code;
}
