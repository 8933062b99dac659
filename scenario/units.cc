#include "scenario/units.h"

#include <cctype>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/duration.h"
#include "core/shard.h"

namespace agentstorm {
namespace {

// Splits "12.5ms" into 12.5 and "ms". False when there is no leading number.
bool SplitNumber(std::string_view text_in, double* value, std::string* unit) {
  const std::string owned(text_in);
  absl::string_view text = absl::StripAsciiWhitespace(owned);
  size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == '-' ||
          text[i] == '+' || text[i] == 'e' || text[i] == 'E')) {
    // 'e' only counts as an exponent when followed by a digit or sign.
    if ((text[i] == 'e' || text[i] == 'E') &&
        (i + 1 >= text.size() || !(std::isdigit(static_cast<unsigned char>(text[i + 1])) ||
                                   text[i + 1] == '-' || text[i + 1] == '+')))
      break;
    ++i;
  }
  if (i == 0) return false;
  if (!absl::SimpleAtod(text.substr(0, i), value) || !std::isfinite(*value)) return false;
  *unit = std::string(absl::StripAsciiWhitespace(text.substr(i)));
  return true;
}

}  // namespace

absl::StatusOr<double> ParseDurationSeconds(std::string_view text) {
  absl::StatusOr<absl::Duration> d = ParseDuration(text);
  if (!d.ok()) return d.status();
  return absl::ToDoubleSeconds(*d);
}

absl::StatusOr<double> ParseByteSize(std::string_view text_in) {
  const std::string text(text_in);
  double v = 0;
  std::string unit;
  if (!SplitNumber(text, &v, &unit))
    return absl::InvalidArgumentError(absl::StrCat("not a size: \"", text, "\""));
  const std::string u = absl::AsciiStrToUpper(unit);
  double scale;
  if (u.empty() || u == "B")
    scale = 1;
  else if (u == "K" || u == "KB")
    scale = 1e3;
  else if (u == "M" || u == "MB")
    scale = 1e6;
  else if (u == "KIB")
    scale = 1024;
  else if (u == "MIB")
    scale = 1024.0 * 1024;
  else
    return absl::InvalidArgumentError(
        absl::StrCat("unknown size unit \"", unit, "\" (use B, KB, MB, KiB or MiB)"));
  if (v < 0) return absl::InvalidArgumentError(absl::StrCat("negative size: \"", text, "\""));
  return v * scale;
}

absl::StatusOr<Rate> ParseRate(std::string_view text_in) {
  const std::string text(text_in);
  Rate rate;
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "max") {
    rate.max = true;
    return rate;
  }
  double v = 0;
  std::string rest;
  if (!SplitNumber(t, &v, &rest) || v < 0)
    return absl::InvalidArgumentError(absl::StrCat("not a rate: \"", text, "\""));
  // Optional multiplier directly after the number: 200k, 1.5m (mega only before "spans"/"traces").
  if (!rest.empty() && (rest[0] == 'k' || rest[0] == 'm') &&
      (rest.size() == 1 || rest[1] == ' ' || rest[1] == '/' || rest.compare(1, 5, "spans") == 0 ||
       rest.compare(1, 6, "traces") == 0)) {
    v *= rest[0] == 'k' ? 1e3 : 1e6;
    rest = std::string(absl::StripAsciiWhitespace(rest.substr(1)));
  }
  double per = 1;  // seconds per denominator unit
  const size_t slash = rest.find('/');
  std::string noun = std::string(absl::StripAsciiWhitespace(rest.substr(0, slash)));
  if (slash != std::string::npos) {
    const std::string denom = std::string(absl::StripAsciiWhitespace(rest.substr(slash + 1)));
    if (denom == "s" || denom == "sec")
      per = 1;
    else if (denom == "m" || denom == "min")
      per = 60;
    else if (denom == "h")
      per = 3600;
    else
      return absl::InvalidArgumentError(absl::StrCat("unknown rate period in \"", text, "\""));
  }
  if (noun.empty() || noun == "traces" || noun == "trace")
    rate.unit = RateUnit::kTracesPerSecond;
  else if (noun == "spans" || noun == "span")
    rate.unit = RateUnit::kSpansPerSecond;
  else
    return absl::InvalidArgumentError(
        absl::StrCat("unknown rate unit \"", noun, "\" in \"", text, "\" (use traces or spans)"));
  rate.per_second = v / per;
  return rate;
}

absl::StatusOr<ShardSpec> ParseShardSpec(std::string_view text_in) {
  const std::string text(text_in);
  const size_t slash = text.find('/');
  uint32_t i = 0, n = 0;
  if (slash == std::string::npos || !absl::SimpleAtoi(text.substr(0, slash), &i) ||
      !absl::SimpleAtoi(text.substr(slash + 1), &n) || n == 0 || i >= n)
    return absl::InvalidArgumentError(
        absl::StrCat("bad shard \"", text, "\": want I/N with 0 <= I < N, e.g. 0/4"));
  return ShardSpec{i, n};
}

}  // namespace agentstorm
