#include "core/duration.h"

#include <cctype>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace agentstorm {
namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Length of the number at the start of `s` (digits, one '.', an optional exponent), 0 when
// there is none. An 'e' is an exponent only when digits follow it (optionally signed).
size_t NumberLength(absl::string_view s) {
  size_t i = 0;
  bool digits = false;
  while (i < s.size() && IsDigit(s[i])) ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, digits = true;
  }
  if (!digits) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && IsDigit(s[j])) {
      while (j < s.size() && IsDigit(s[j])) ++j;
      i = j;
    }
  }
  return i;
}

// Seconds per unit, 0 for an unknown unit.
double UnitSeconds(absl::string_view unit) {
  if (unit == "s") return 1;
  if (unit == "ms") return 1e-3;
  if (unit == "us" || unit == "µs") return 1e-6;
  if (unit == "ns") return 1e-9;
  if (unit == "m" || unit == "min") return 60;
  if (unit == "h") return 3600;
  return 0;
}

bool IsUnitChar(char c) {
  // Letters, and the bytes of the UTF-8 'µ'.
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text_in) {
  const absl::string_view text(text_in.data(), text_in.size());
  const std::string quoted = absl::StrCat("\"", text, "\"");
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return absl::InvalidArgumentError("not a duration: \"\"");
  if (s.front() == '-') return absl::InvalidArgumentError("negative duration: " + quoted);
  absl::Duration total = absl::ZeroDuration();
  bool first = true;
  while (!s.empty()) {
    const size_t n = NumberLength(s);
    if (n == 0) return absl::InvalidArgumentError("not a duration: " + quoted);
    double value = 0;
    if (!absl::SimpleAtod(s.substr(0, n), &value) || !std::isfinite(value))
      return absl::InvalidArgumentError("duration out of range: " + quoted);
    s = absl::StripLeadingAsciiWhitespace(s.substr(n));
    size_t u = 0;
    while (u < s.size() && IsUnitChar(s[u])) ++u;
    const absl::string_view unit = s.substr(0, u);
    s = absl::StripLeadingAsciiWhitespace(s.substr(u));
    double scale = 1;  // a bare number is seconds
    if (unit.empty()) {
      if (!first || !s.empty()) return absl::InvalidArgumentError("not a duration: " + quoted);
    } else if ((scale = UnitSeconds(unit)) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown duration unit \"", unit, "\" (use ns, us, ms, s, m or h)"));
    }
    const double seconds = value * scale;
    const absl::Duration d = absl::Seconds(seconds);
    if (!std::isfinite(seconds) || d == absl::InfiniteDuration())
      return absl::InvalidArgumentError("duration out of range: " + quoted);
    total += d;
    if (total == absl::InfiniteDuration())
      return absl::InvalidArgumentError("duration out of range: " + quoted);
    first = false;
  }
  return total;
}

}  // namespace agentstorm
