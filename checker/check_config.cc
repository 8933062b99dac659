#include "checker/check_config.h"

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "checker/finding_catalog.h"
#include "core/thresholds.h"
#include "re2/re2.h"

namespace agentstorm {
namespace {

void ParseLevels(const YAML::Node& levels, YamlFields& f, FindingSetOptions* options) {
  if (!f.IsMap(levels, "levels", "expected a mapping of finding ID: level")) return;
  for (auto it = levels.begin(); it != levels.end(); ++it) {
    const std::string id = it->first.Scalar();
    const std::string path = YamlFields::Join("levels", id);
    if (std::string unknown = UnknownFindingIdError(id); !unknown.empty()) {
      f.Error(it->first, path, unknown);
      continue;
    }
    const std::string name = it->second.IsScalar() ? it->second.Scalar() : "";
    std::optional<FindingLevel> level = ParseFindingLevel(name);
    if (!level) {
      f.Error(it->second, path,
              absl::StrCat("\"", name, "\" is not violation, improvement or information"));
      continue;
    }
    options->levels[id] = *level;
  }
}

void ParseExpectedViolation(const YAML::Node& e, const std::string& path, YamlFields& f,
                            FindingSetOptions* options) {
  if (!f.CheckMap(e, path, {"id", "reason", "match"})) return;
  ExpectedViolation v;
  bool ok = true;
  if (!e["id"]) {
    f.Error(e, path, "missing required field \"id\"");
    ok = false;
  } else if (f.String(e["id"], YamlFields::Join(path, "id"), &v.id) && v.id.empty()) {
    f.Error(e["id"], YamlFields::Join(path, "id"), "an id is required");
    ok = false;
  } else if (std::string unknown = UnknownFindingIdError(v.id); !v.id.empty() && !unknown.empty()) {
    f.Error(e["id"], YamlFields::Join(path, "id"), unknown);
    ok = false;
  }
  if (!e["reason"]) {
    f.Error(e, path, "missing required field \"reason\": say why the violation is expected");
    ok = false;
  } else if (f.String(e["reason"], YamlFields::Join(path, "reason"), &v.reason) &&
             v.reason.empty()) {
    f.Error(e["reason"], YamlFields::Join(path, "reason"), "a reason is required");
    ok = false;
  }
  if (const YAML::Node m = e["match"]) {
    const std::string mp = YamlFields::Join(path, "match");
    if (f.CheckMap(m, mp, {"span_name", "attribute", "variant"})) {
      if (m["span_name"])
        ok &= f.String(m["span_name"], YamlFields::Join(mp, "span_name"), &v.span_name);
      if (m["attribute"])
        ok &= f.String(m["attribute"], YamlFields::Join(mp, "attribute"), &v.attribute);
      if (m["variant"]) ok &= f.String(m["variant"], YamlFields::Join(mp, "variant"), &v.variant);
    }
  }
  if (ok) options->expected_violations.push_back(std::move(v));
}

// thresholds: {metric: [expression, ...]} (or one expression), as in k6's options.
void ParseThresholdsSection(const YAML::Node& node, YamlFields& f, FindingSetOptions* options) {
  if (!f.IsMap(node, "thresholds", "expected a mapping of metric: [expression, ...]")) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string metric = it->first.Scalar();
    const std::string path = YamlFields::Join("thresholds", metric);
    std::vector<std::string> expressions;
    if (it->second.IsScalar()) {
      expressions.push_back(it->second.Scalar());
    } else if (!f.StringList(it->second, path, &expressions)) {
      continue;
    }
    for (size_t i = 0; i < expressions.size(); ++i) {
      const std::string text = absl::StrCat(metric, ": ", expressions[i]);
      auto parsed = ParseThreshold(text);
      const YAML::Node at = it->second.IsSequence() ? it->second[i] : it->second;
      if (!parsed.ok()) {
        f.Error(at, it->second.IsSequence() ? YamlFields::Index(path, i) : path,
                std::string(parsed.status().message()));
        continue;
      }
      options->thresholds.push_back(parsed->text);
    }
  }
}

// redaction: {keys: [...], patterns: [...]}; every pattern must compile (RE2 syntax).
void ParseRedactionSection(const YAML::Node& node, YamlFields& f, FindingSetOptions* options) {
  if (!f.CheckMap(node, "redaction", {"keys", "patterns"})) return;
  if (const YAML::Node keys = node["keys"])
    f.StringList(keys, YamlFields::Join("redaction", "keys"), &options->redaction_keys);
  if (const YAML::Node patterns = node["patterns"]) {
    std::vector<std::string> list;
    const std::string path = YamlFields::Join("redaction", "patterns");
    if (!f.StringList(patterns, path, &list)) return;
    for (size_t i = 0; i < list.size(); ++i) {
      RE2 re(list[i], RE2::Quiet);
      if (!re.ok()) {
        f.Error(patterns[i], YamlFields::Index(path, i),
                absl::StrCat("not a regular expression (RE2 syntax): ", re.error()));
        continue;
      }
      options->redaction_patterns.push_back(list[i]);
    }
  }
}

void ParseRoot(const YAML::Node& root, YamlFields& f, FindingSetOptions* options) {
  if (!f.CheckMap(root, "",
                  {"examples_per_id", "levels", "expected_violations", "thresholds",
                   "default_thresholds", "redaction"}))
    return;
  if (const YAML::Node n = root["redaction"]) ParseRedactionSection(n, f, options);
  if (const YAML::Node n = root["thresholds"]) ParseThresholdsSection(n, f, options);
  if (const YAML::Node n = root["default_thresholds"]) {
    bool on = true;
    if (f.Bool(n, "default_thresholds", &on)) options->default_thresholds = on;
  }

  if (const YAML::Node n = root["examples_per_id"]) {
    int64_t examples;
    if (f.Int(n, "examples_per_id", &examples, 0))
      options->examples_per_id = static_cast<size_t>(examples);
  }
  if (const YAML::Node levels = root["levels"]) ParseLevels(levels, f, options);
  if (const YAML::Node list = root["expected_violations"]) {
    if (!list.IsSequence()) {
      f.Error(list, "expected_violations", "expected a list");
    } else {
      for (size_t i = 0; i < list.size(); ++i)
        ParseExpectedViolation(list[i], YamlFields::Index("expected_violations", i), f, options);
    }
  }
}

}  // namespace

std::optional<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text,
                                                  const std::string& file,
                                                  std::vector<YamlDiagnostic>* errors) {
  const size_t before = errors->size();
  YAML::Node root;
  if (!ParseYamlText(yaml_text, file, &root, errors)) return std::nullopt;
  FindingSetOptions options;
  if (!root || root.IsNull()) return options;
  YamlFields f(file, errors);
  try {
    ParseRoot(root, f, &options);
  } catch (const YAML::Exception& e) {
    errors->push_back(YamlExceptionDiagnostic(file, e, /*syntax=*/false));
  }
  if (errors->size() != before) return std::nullopt;
  return options;
}

absl::StatusOr<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text,
                                                   const std::string& file) {
  std::vector<YamlDiagnostic> errors;
  std::optional<FindingSetOptions> options = ParseCheckConfig(yaml_text, file, &errors);
  if (!options) return DiagnosticsToStatus(errors);
  return *std::move(options);
}

absl::StatusOr<FindingSetOptions> LoadCheckConfig(const std::string& path) {
  std::string text;
  if (!ReadTextFile(path, &text))
    return absl::NotFoundError(absl::StrCat("cannot read check config ", path));
  return ParseCheckConfig(text, path);
}

}  // namespace agentstorm
