#include "checker/readers/json_values.h"

#include "absl/strings/str_cat.h"

namespace agentstorm::readers {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

absl::StatusOr<std::vector<std::string_view>> SplitJsonValues(std::string_view text) {
  std::vector<std::string_view> values;
  size_t i = 0;
  // A UTF-8 byte order mark is tolerated at the very start.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (true) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i == text.size()) break;
    if (text[i] != '{' && text[i] != '[') {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a JSON object or array at byte ", i));
    }
    const size_t start = i;
    int depth = 0;
    bool in_string = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        if (++depth > kMaxJsonNesting) {
          return absl::InvalidArgumentError(
              absl::StrCat("JSON nested deeper than ", kMaxJsonNesting, " levels at byte ", i));
        }
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (i >= text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated JSON value starting at byte ", start));
    }
    ++i;
    values.push_back(text.substr(start, i - start));
  }
  return values;
}

absl::StatusOr<nlohmann::json> ParseBoundedJson(std::string_view text) {
  auto values = SplitJsonValues(text);
  if (!values.ok()) return values.status();
  if (values->size() != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("expected one JSON value, got ", values->size()));
  nlohmann::json j = nlohmann::json::parse(values->front(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return j;
}

}  // namespace agentstorm::readers
