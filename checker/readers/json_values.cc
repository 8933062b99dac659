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
        ++depth;
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

}  // namespace agentstorm::readers
