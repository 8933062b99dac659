// `agentstorm scenarios`: the bundled scenarios, one line each with their description.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/exit_codes.h"
#include "scenario/scenario_loader.h"

namespace agentstorm::cli {

void AddScenariosCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "scenarios",
      "list the bundled scenarios (folder: $AGENTSTORM_SCENARIOS_DIR or the source's scenarios/)");
  cmd->callback([exit_code] {
    namespace fs = std::filesystem;
    const std::string dir = BundledScenariosDir(DataDirOrEmpty());
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
    if (ec || files.empty()) {
      std::cerr << "agentstorm scenarios: no scenarios in " << dir << "\n";
      *exit_code = kExitUsage;
      return;
    }
    std::sort(files.begin(), files.end());
    int invalid = 0;
    for (const fs::path& f : files) {
      std::vector<ScenarioDiagnostic> errors;
      auto sc = LoadScenarioFile(f.string(), &errors);
      const std::string name = f.stem().string();
      if (sc) {
        std::cout << absl::StrFormat("%-22s %s\n", name, sc->description);
      } else {
        ++invalid;
        std::cout << absl::StrFormat("%-22s (invalid: %s)\n", name, errors.front().ToString());
      }
    }
    *exit_code = invalid ? kExitUsage : kExitOk;
  });
}

}  // namespace agentstorm::cli
