// Subcommands of the agentstorm binary. Each Add*Command registers one subcommand on the app;
// when it runs, its callback stores the process exit code (core/exit_codes.h) in *exit_code.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace CLI {
class App;
}

namespace agentstorm::cli {

void AddSinkCommand(CLI::App& app, int* exit_code);
// The sink's bearer token: the first line of `file` (`--auth-token-file`), else
// AGENTSTORM_SINK_TOKEN, else none. Never from a flag's value: a command line shows in `ps` and
// shell history. InvalidArgument naming `flag` when the file cannot be read or starts empty.
absl::StatusOr<std::string> ReadSinkAuthToken(const std::string& file,
                                              const char* flag = "--auth-token-file");
void AddGenerateCommand(CLI::App& app, int* exit_code);
void AddValidateCommand(CLI::App& app, int* exit_code);
void AddScenariosCommand(CLI::App& app, int* exit_code);
void AddCheckCommand(CLI::App& app, int* exit_code);
void AddRunCommand(CLI::App& app, int* exit_code);
void AddBenchCommand(CLI::App& app, int* exit_code);
void AddCapacityCommand(CLI::App& app, int* exit_code);
void AddProviderCommand(CLI::App& app, int* exit_code);
void AddCanaryCommand(CLI::App& app, int* exit_code);

}  // namespace agentstorm::cli
