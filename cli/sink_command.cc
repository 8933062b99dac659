// Placeholder until the sink lands in this session (replaced by sink helper).
#include <CLI/CLI.hpp>
#include "cli/commands.h"
#include "core/exit_codes.h"
namespace agentstorm::cli {
void AddSinkCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("sink", "run the embedded OTLP sink");
  cmd->callback([exit_code] { *exit_code = kExitUsage; });
}
}  // namespace agentstorm::cli
