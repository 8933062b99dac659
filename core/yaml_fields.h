// Typed reading of hand-written YAML files (scenarios, semconv profiles, check configs), with one
// error style for all of them: every problem becomes a YamlDiagnostic
//   file:line:column: field.path: message
// and reading goes on, so a user sees all the mistakes of a file at once. Nothing here throws:
// yaml-cpp's parse errors are caught by ParseYamlText and reported with their mark.
//
// A getter returns false (and leaves *out alone) when it reported an error, so callers can skip
// checks that depend on the value. Not thread-safe: one YamlFields per file being read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/did_you_mean.h"

namespace agentstorm {

struct YamlDiagnostic {
  std::string file;
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string path;  // field path, e.g. "agents.researcher.steps[2].tool" ("" = whole file)
  std::string message;

  // "file:line:column: path: message" (line and column left out when unknown, path when empty).
  std::string ToString() const;
};

// Every diagnostic's ToString() joined with newlines into one InvalidArgument.
absl::Status DiagnosticsToStatus(const std::vector<YamlDiagnostic>& diagnostics);

// ` (did you mean "x"?)` when `word` is a near miss of one of `candidates`, else "".
std::string Suggest(const std::string& word, const std::vector<std::string>& candidates);

// A yaml-cpp exception as a diagnostic at its mark ("YAML syntax error: ..." when `syntax`,
// else "invalid YAML: ..."). Loaders catch YAML::Exception around their reading and report it
// this way, so none escapes.
YamlDiagnostic YamlExceptionDiagnostic(const std::string& file, const YAML::Exception& e,
                                       bool syntax);

// Parses `text` into *root. On a syntax error appends a diagnostic at the error's mark and
// returns false.
bool ParseYamlText(std::string_view text, const std::string& file, YAML::Node* root,
                   std::vector<YamlDiagnostic>* errors);

// Reads a whole file; false when it cannot be read.
bool ReadTextFile(const std::string& path, std::string* out);

// Turns a scalar's text into a number, or says why it cannot (a unit grammar, e.g. durations).
using YamlUnitParser = std::function<absl::StatusOr<double>(std::string_view)>;

// A plain finite decimal number.
absl::StatusOr<double> ParsePlainNumber(std::string_view text);

class YamlFields {
 public:
  // Diagnostics name `file` and are appended to *errors, which must outlive this object.
  YamlFields(std::string file, std::vector<YamlDiagnostic>* errors);

  const std::string& file() const { return file_; }
  size_t error_count() const { return errors_->size(); }

  // A diagnostic at `node`'s mark (no position when the node is undefined).
  void Error(const YAML::Node& node, const std::string& path, const std::string& message);
  // A diagnostic without a position, for problems found after reading (e.g. cross-references).
  void PathError(const std::string& path, const std::string& message);

  // "path.key" ("key" at the top level) and "path[i]".
  static std::string Join(const std::string& path, const std::string& key);
  static std::string Index(const std::string& path, size_t i);

  // The keys of a map, in file order; empty when `node` is not a map.
  static std::vector<std::string> Keys(const YAML::Node& node);

  // Reports every key of `node` not in `allowed` (with a suggestion). False when `node` is not
  // a map.
  bool CheckMap(const YAML::Node& node, const std::string& path,
                const std::vector<std::string>& allowed);
  // Reports `message` when `node` is not a map.
  bool IsMap(const YAML::Node& node, const std::string& path,
             const std::string& message = "expected a mapping");

  bool String(const YAML::Node& node, const std::string& path, std::string* out);
  // A number through `unit` (plain numbers by default; durations and sizes pass their grammar).
  bool Number(const YAML::Node& node, const std::string& path, double* out,
              const YamlUnitParser& unit = ParsePlainNumber);
  bool Int(const YAML::Node& node, const std::string& path, int64_t* out, int64_t min = 0);
  // A number in [0, 1].
  bool Fraction(const YAML::Node& node, const std::string& path, double* out);
  // true/yes/on or false/no/off.
  bool Bool(const YAML::Node& node, const std::string& path, bool* out);
  // One of `choices`: *out is its index. Otherwise reports
  //   unknown <what> "<value>"<suggestion><hint>
  bool Enum(const YAML::Node& node, const std::string& path, const char* what,
            const std::vector<std::string>& choices, int* out, const std::string& hint = "");
  // A list of strings; a single scalar counts as a one-entry list. Bad entries are reported and
  // skipped; false only when `node` is neither a scalar nor a list.
  bool StringList(const YAML::Node& node, const std::string& path, std::vector<std::string>* out,
                  const std::string& message = "expected a list of strings");

 private:
  std::string file_;
  std::vector<YamlDiagnostic>* errors_;
};

}  // namespace agentstorm
