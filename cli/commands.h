// Subcommands of the agentstorm binary. Each Add*Command registers one subcommand on the app;
// when it runs, its callback stores the process exit code (core/exit_codes.h) in *exit_code.
#pragma once

namespace CLI {
class App;
}

namespace agentstorm::cli {

void AddSinkCommand(CLI::App& app, int* exit_code);
void AddGenerateCommand(CLI::App& app, int* exit_code);
void AddValidateCommand(CLI::App& app, int* exit_code);
void AddScenariosCommand(CLI::App& app, int* exit_code);
void AddCheckCommand(CLI::App& app, int* exit_code);
void AddRunCommand(CLI::App& app, int* exit_code);
void AddBenchCommand(CLI::App& app, int* exit_code);
void AddCapacityCommand(CLI::App& app, int* exit_code);

}  // namespace agentstorm::cli
