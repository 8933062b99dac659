// agentstorm: load generator and conformance checker for GenAI agent traces over OTLP.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "core/exit_codes.h"

int main(int argc, char** argv) {
  // A peer closing a connection must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

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
