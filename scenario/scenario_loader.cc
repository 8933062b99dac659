// The entry points: a scenario file, or a suite of them. The sections of a file are parsed by
// ScenarioParser (scenario_parser.h, one source file per section).
#include "scenario/scenario_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/did_you_mean.h"
#include "scenario/scenario_parser.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using scenario_parser::ScenarioParser;

// Parses `text`; a scenario or suite must be a mapping at the top level.
bool ParseTopLevel(std::string_view text, const std::string& file, YAML::Node* root,
                   std::vector<ScenarioDiagnostic>* errors) {
  if (!ParseYamlText(text, file, root, errors)) return false;
  if (!root->IsMap()) {
    errors->push_back({file, 1, 1, "", "expected a mapping at the top level"});
    return false;
  }
  return true;
}

// One `scenarios:` entry of a suite: its file becomes a part, its variants join the suite with
// their weights scaled by `weight` and their names prefixed by the part's. Returns false when
// the entry contributes nothing.
bool LoadSuiteEntry(const YAML::Node& e, const std::string& p, const fs::path& base, double weight,
                    const std::string& rel, const std::optional<SemconvProfile>& semconv_override,
                    ScenarioParser& parser, Scenario* sc, std::vector<ScenarioDiagnostic>* errors) {
  const std::string child = (base / rel).lexically_normal().string();
  std::string child_text;
  if (!ReadTextFile(child, &child_text)) {
    parser.Error(e.IsScalar() ? e : e["file"], p,
                 absl::StrCat("cannot read scenario file \"", child, "\""));
    return false;
  }
  YAML::Node child_root;
  if (!ParseTopLevel(child_text, child, &child_root, errors)) return false;
  if (child_root["suite"] || child_root["scenarios"]) {
    parser.Error(e, p, "a suite cannot include another suite");
    return false;
  }
  ScenarioParser cp(child, errors);
  const int part_index = static_cast<int>(sc->parts.size());
  sc->parts.emplace_back();
  sc->parts.back().source_file = child;
  const size_t first_variant = sc->variants.size();
  cp.ParseScenario(child_root, sc, part_index);
  absl::StrAppend(&sc->source_text, "\n---\n", child_text);
  ScenarioPart& part = sc->parts[part_index];
  if (semconv_override) part.semconv = *semconv_override;
  if (part.name.empty()) part.name = fs::path(child).stem().string();
  for (size_t v = first_variant; v < sc->variants.size(); ++v) {
    sc->variants[v].weight *= weight;
    sc->variants[v].name = absl::StrCat(part.name, "/", sc->variants[v].name);
  }
  return true;
}

// A suite: each entry's variants join this scenario, weighted by the entry's weight.
void LoadSuite(const YAML::Node& root, const std::string& file, ScenarioParser& parser,
               Scenario* sc, std::vector<ScenarioDiagnostic>* errors) {
  if (!parser.CheckMap(root, "",
                       {"suite", "description", "semconv", "scenarios", "load", "sampling",
                        "redaction", "alerts"}))
    return;
  if (root["suite"]) parser.String(root["suite"], "suite", &sc->name);
  if (root["description"]) parser.String(root["description"], "description", &sc->description);
  std::optional<SemconvProfile> semconv_override;
  if (root["semconv"]) {
    SemconvProfile p;
    if (parser.ParseSemconv(root["semconv"], &p)) semconv_override = p;
  }
  const YAML::Node list = root["scenarios"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    parser.Error(root, "scenarios", "a suite needs scenarios: [{file: x.yaml, weight: 1}, ...]");
  } else {
    const fs::path base = fs::path(file).parent_path();
    double total_weight = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node e = list[i];
      const std::string p = ScenarioParser::Index("scenarios", i);
      std::string rel;
      double weight = 1;
      if (e.IsScalar()) {
        rel = e.Scalar();
      } else if (parser.CheckMap(e, p, {"file", "weight"})) {
        if (!e["file"])
          parser.Error(e, p, "missing required field \"file\"");
        else
          parser.String(e["file"], ScenarioParser::Join(p, "file"), &rel);
        if (e["weight"] && parser.Number(e["weight"], ScenarioParser::Join(p, "weight"), &weight) &&
            weight <= 0)
          parser.Error(e["weight"], ScenarioParser::Join(p, "weight"), "must be greater than 0");
      }
      if (rel.empty()) continue;
      if (LoadSuiteEntry(e, p, base, weight, rel, semconv_override, parser, sc, errors))
        total_weight += weight;
    }
    for (Variant& v : sc->variants) v.weight /= total_weight > 0 ? total_weight : 1;
  }
  parser.ParseExpectations(root, sc);
}

std::unique_ptr<Scenario> LoadImpl(std::string_view text, const std::string& file,
                                   std::vector<ScenarioDiagnostic>* errors) {
  const size_t before = errors->size();
  YAML::Node root;
  if (!ParseTopLevel(text, file, &root, errors)) return nullptr;
  auto sc = std::make_unique<Scenario>();
  sc->source_file = file;
  sc->source_text = std::string(text);
  ScenarioParser parser(file, errors);

  try {
    if (root["suite"] || root["scenarios"]) {
      LoadSuite(root, file, parser, sc.get(), errors);
    } else {
      sc->parts.emplace_back();
      sc->parts[0].source_file = file;
      if (root["description"]) parser.String(root["description"], "description", &sc->description);
      parser.ParseScenario(root, sc.get(), 0);
      sc->name = sc->parts[0].name.empty() ? fs::path(file).stem().string() : sc->parts[0].name;
      sc->parts[0].name = sc->name;
      parser.ParseExpectations(root, sc.get());
    }
  } catch (const YAML::Exception& e) {
    // A node accessed in a shape the parser did not expect: reported, never thrown.
    errors->push_back(YamlExceptionDiagnostic(file, e, /*syntax=*/false));
  }
  if (sc->description.empty())
    errors->push_back({file, 0, 0, "description",
                       "missing \"description\": one line saying what the scenario exercises"});
  if (errors->size() != before) {
    // Report in reading order: file, then line, then column.
    std::stable_sort(errors->begin() + before, errors->end(),
                     [](const ScenarioDiagnostic& a, const ScenarioDiagnostic& b) {
                       return std::tie(a.file, a.line, a.column) <
                              std::tie(b.file, b.line, b.column);
                     });
    return nullptr;
  }
  return sc;
}

}  // namespace

std::unique_ptr<Scenario> LoadScenarioText(std::string_view yaml, const std::string& file_label,
                                           std::vector<ScenarioDiagnostic>* errors) {
  return LoadImpl(yaml, file_label, errors);
}

std::unique_ptr<Scenario> LoadScenarioFile(const std::string& path,
                                           std::vector<ScenarioDiagnostic>* errors) {
  std::string text;
  if (!ReadTextFile(path, &text)) {
    errors->push_back({path, 0, 0, "", "cannot read file"});
    return nullptr;
  }
  return LoadImpl(text, path, errors);
}

absl::StatusOr<std::shared_ptr<const Scenario>> LoadScenario(const std::string& path) {
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> sc = LoadScenarioFile(path, &errors);
  if (!sc) return DiagnosticsToStatus(errors);
  return std::shared_ptr<const Scenario>(std::move(sc));
}

std::string BundledScenariosDir(const std::string& source_dir) {
  if (const char* env = std::getenv("AGENTSTORM_SCENARIOS_DIR"); env && *env) return env;
  return (fs::path(source_dir) / "scenarios").string();
}

std::string UnknownScenarioError(const std::string& arg, const std::string& scenarios_dir) {
  std::error_code ec;
  if (fs::exists(ResolveScenarioPath(arg, scenarios_dir), ec)) return "";
  if (arg.find('/') != std::string::npos || absl::EndsWith(arg, ".yaml") ||
      absl::EndsWith(arg, ".yml")) {
    return absl::StrCat("scenario file ", arg, ": no such file");
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(scenarios_dir, ec)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  const std::string closest = ClosestMatch(arg, names);
  return absl::StrCat("unknown scenario \"", arg,
                      "\": no such file and no bundled scenario of that name; ",
                      closest.empty() ? "" : absl::StrCat("did you mean ", closest, "? "),
                      "(`agentstorm scenarios` lists them)");
}

std::string ResolveScenarioPath(const std::string& arg, const std::string& scenarios_dir) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) return arg;
  for (const std::string& candidate : {arg, arg + ".yaml"}) {
    const fs::path p = fs::path(scenarios_dir) / candidate;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return arg;
}

}  // namespace agentstorm
