// Reads scenario and suite YAML files (docs/scenarios.md) into a validated Scenario.
//
// The loader never stops at the first problem: it reports every error it can find, each with
// file, line, column and the field path, e.g.
//   scenarios/x.yaml:12:9: agents.researcher.steps[2].tool: unknown tool "web_serch" (did you mean
//   "web_search"?)
// A scenario with any error is not returned.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/yaml_fields.h"
#include "scenario/scenario.h"

namespace agentstorm {

// A scenario diagnostic is the shared YAML one (core/yaml_fields.h):
// "file:line:column: path: message".
using ScenarioDiagnostic = YamlDiagnostic;

// Loads `path` (a scenario or a suite, whose `file:` entries are relative to the suite's folder).
// Returns null and appends to *errors when the file is unreadable or invalid.
std::unique_ptr<Scenario> LoadScenarioFile(const std::string& path,
                                           std::vector<ScenarioDiagnostic>* errors);

// Same for text already in memory; `file_label` names it in diagnostics and is the base for a
// suite's relative paths.
std::unique_ptr<Scenario> LoadScenarioText(std::string_view yaml, const std::string& file_label,
                                           std::vector<ScenarioDiagnostic>* errors);

// Convenience: every diagnostic joined with newlines into one InvalidArgument.
absl::StatusOr<std::shared_ptr<const Scenario>> LoadScenario(const std::string& path);

// The folder of bundled scenarios: $AGENTSTORM_SCENARIOS_DIR if set, else `source_dir`/scenarios.
std::string BundledScenariosDir(const std::string& source_dir);

// Resolves a SCENARIO argument: an existing file path as is; otherwise a bundled scenario name
// ("smoke" or "smoke.yaml") inside `scenarios_dir`. Returns `arg` unchanged when neither exists.
std::string ResolveScenarioPath(const std::string& arg, const std::string& scenarios_dir);

// Why a SCENARIO argument names nothing, or "" when it names a file or a bundled scenario: for a
// bare name, "unknown scenario "smok": no such file and no bundled scenario of that name; did
// you mean smoke? (`agentstorm scenarios` lists them)"; for a path, that no such file exists.
std::string UnknownScenarioError(const std::string& arg, const std::string& scenarios_dir);

}  // namespace agentstorm
