#include "checker/check_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace agentstorm {
namespace {

absl::Status CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                       const std::string& where) {
  if (!map.IsMap()) return absl::InvalidArgumentError(absl::StrCat(where, ": expected a map"));
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key '", key, "'"));
    }
  }
  return absl::OkStatus();
}

std::string Scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.as<std::string>() : std::string();
}

}  // namespace

absl::StatusOr<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("check config: ", e.what()));
  }
  FindingSetOptions options;
  if (!root || root.IsNull()) return options;
  if (auto s =
          CheckKeys(root, {"examples_per_id", "levels", "expected_violations"}, "check config");
      !s.ok()) {
    return s;
  }
  try {
    if (root["examples_per_id"]) {
      options.examples_per_id = root["examples_per_id"].as<size_t>();
    }
    if (const YAML::Node levels = root["levels"]) {
      if (!levels.IsMap()) return absl::InvalidArgumentError("levels: expected a map");
      for (const auto& kv : levels) {
        std::string id = kv.first.as<std::string>();
        std::string name = Scalar(kv.second);
        std::optional<FindingLevel> level = ParseFindingLevel(name);
        if (!level) {
          return absl::InvalidArgumentError(absl::StrCat(
              "levels.", id, ": '", name, "' is not violation, improvement or information"));
        }
        options.levels[id] = *level;
      }
    }
    if (const YAML::Node list = root["expected_violations"]) {
      if (!list.IsSequence()) {
        return absl::InvalidArgumentError("expected_violations: expected a list");
      }
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node e = list[i];
        std::string where = absl::StrCat("expected_violations[", i, "]");
        if (auto s = CheckKeys(e, {"id", "reason", "match"}, where); !s.ok()) return s;
        ExpectedViolation v;
        v.id = Scalar(e["id"]);
        v.reason = Scalar(e["reason"]);
        if (v.id.empty())
          return absl::InvalidArgumentError(absl::StrCat(where, ": id is required"));
        if (v.reason.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " (", v.id, "): a reason is required"));
        }
        if (const YAML::Node m = e["match"]) {
          if (auto s = CheckKeys(m, {"span_name", "attribute", "variant"}, where + ".match");
              !s.ok()) {
            return s;
          }
          v.span_name = Scalar(m["span_name"]);
          v.attribute = Scalar(m["attribute"]);
          v.variant = Scalar(m["variant"]);
        }
        options.expected_violations.push_back(std::move(v));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("check config: ", e.what()));
  }
  return options;
}

absl::StatusOr<FindingSetOptions> LoadCheckConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read check config ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<FindingSetOptions> options = ParseCheckConfig(buffer.str());
  if (!options.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", options.status().message()));
  }
  return options;
}

}  // namespace agentstorm
