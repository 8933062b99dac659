#include "core/yaml_fields.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agentstorm {

std::string YamlDiagnostic::ToString() const {
  std::string s = file;
  if (line > 0) absl::StrAppend(&s, ":", line, ":", column);
  absl::StrAppend(&s, ": ");
  if (!path.empty()) absl::StrAppend(&s, path, ": ");
  absl::StrAppend(&s, message);
  return s;
}

absl::Status DiagnosticsToStatus(const std::vector<YamlDiagnostic>& diagnostics) {
  std::vector<std::string> lines;
  lines.reserve(diagnostics.size());
  for (const YamlDiagnostic& d : diagnostics) lines.push_back(d.ToString());
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 1 << 30;
  for (const auto& c : candidates) {
    const int d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const int limit = std::max<int>(2, static_cast<int>(word.size()) / 3);
  if (best_d > 0 && best_d <= limit) return absl::StrCat(" (did you mean \"", best, "\"?)");
  return "";
}

YamlDiagnostic YamlExceptionDiagnostic(const std::string& file, const YAML::Exception& e,
                                       bool syntax) {
  YamlDiagnostic d;
  d.file = file;
  if (!e.mark.is_null()) {
    d.line = e.mark.line + 1;
    d.column = e.mark.column + 1;
  }
  d.message = absl::StrCat(syntax ? "YAML syntax error: " : "invalid YAML: ", e.msg);
  return d;
}

bool ParseYamlText(std::string_view text, const std::string& file, YAML::Node* root,
                   std::vector<YamlDiagnostic>* errors) {
  try {
    *root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors->push_back(YamlExceptionDiagnostic(file, e, /*syntax=*/true));
    return false;
  }
  return true;
}

bool ReadTextFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

absl::StatusOr<double> ParsePlainNumber(std::string_view text) {
  const std::string s(text);
  double v;
  if (!absl::SimpleAtod(s, &v) || !std::isfinite(v))
    return absl::InvalidArgumentError(absl::StrCat("not a number: \"", s, "\""));
  return v;
}

YamlFields::YamlFields(std::string file, std::vector<YamlDiagnostic>* errors)
    : file_(std::move(file)), errors_(errors) {}

void YamlFields::Error(const YAML::Node& node, const std::string& path,
                       const std::string& message) {
  YamlDiagnostic d;
  d.file = file_;
  if (node.IsDefined() && node.Mark().line >= 0) {
    d.line = node.Mark().line + 1;
    d.column = node.Mark().column + 1;
  }
  d.path = path;
  d.message = message;
  errors_->push_back(std::move(d));
}

void YamlFields::PathError(const std::string& path, const std::string& message) {
  YamlDiagnostic d;
  d.file = file_;
  d.path = path;
  d.message = message;
  errors_->push_back(std::move(d));
}

std::string YamlFields::Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

std::string YamlFields::Index(const std::string& path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

std::vector<std::string> YamlFields::Keys(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsMap())
    for (auto it = node.begin(); it != node.end(); ++it) out.push_back(it->first.Scalar());
  return out;
}

bool YamlFields::CheckMap(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& allowed) {
  if (!IsMap(node, path)) return false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      Error(it->first, Join(path, key),
            absl::StrCat("unknown field \"", key, "\"", Suggest(key, allowed)));
  }
  return true;
}

bool YamlFields::IsMap(const YAML::Node& node, const std::string& path,
                       const std::string& message) {
  if (node.IsMap()) return true;
  Error(node, path, message);
  return false;
}

bool YamlFields::String(const YAML::Node& node, const std::string& path, std::string* out) {
  if (!node.IsScalar()) {
    Error(node, path, "expected a string");
    return false;
  }
  *out = node.Scalar();
  return true;
}

bool YamlFields::Number(const YAML::Node& node, const std::string& path, double* out,
                        const YamlUnitParser& unit) {
  if (!node.IsScalar()) {
    Error(node, path, "expected a number");
    return false;
  }
  auto v = unit(node.Scalar());
  if (!v.ok()) {
    Error(node, path, std::string(v.status().message()));
    return false;
  }
  *out = *v;
  return true;
}

bool YamlFields::Int(const YAML::Node& node, const std::string& path, int64_t* out, int64_t min) {
  int64_t v;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v)) {
    Error(node, path,
          absl::StrCat("expected an integer, got \"", node.IsScalar() ? node.Scalar() : "", "\""));
    return false;
  }
  if (v < min) {
    Error(node, path, absl::StrCat("must be at least ", min));
    return false;
  }
  *out = v;
  return true;
}

bool YamlFields::Fraction(const YAML::Node& node, const std::string& path, double* out) {
  double v;
  if (!Number(node, path, &v)) return false;
  if (v < 0 || v > 1) {
    Error(node, path, absl::StrCat("must be between 0 and 1, got ", node.Scalar()));
    return false;
  }
  *out = v;
  return true;
}

bool YamlFields::Bool(const YAML::Node& node, const std::string& path, bool* out) {
  const std::string s = node.IsScalar() ? node.Scalar() : "";
  if (s == "true" || s == "yes" || s == "on") {
    *out = true;
  } else if (s == "false" || s == "no" || s == "off") {
    *out = false;
  } else {
    Error(node, path, "expected true or false");
    return false;
  }
  return true;
}

bool YamlFields::Enum(const YAML::Node& node, const std::string& path, const char* what,
                      const std::vector<std::string>& choices, int* out, const std::string& hint) {
  const std::string v = node.IsScalar() ? node.Scalar() : "";
  const auto it = std::find(choices.begin(), choices.end(), v);
  if (it == choices.end()) {
    Error(node, path, absl::StrCat("unknown ", what, " \"", v, "\"", Suggest(v, choices), hint));
    return false;
  }
  *out = static_cast<int>(it - choices.begin());
  return true;
}

bool YamlFields::StringList(const YAML::Node& node, const std::string& path,
                            std::vector<std::string>* out, const std::string& message) {
  if (node.IsScalar()) {
    out->push_back(node.Scalar());
    return true;
  }
  if (!node.IsSequence()) {
    Error(node, path, message);
    return false;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string s;
    if (String(node[i], Index(path, i), &s)) out->push_back(s);
  }
  return true;
}

}  // namespace agentstorm
