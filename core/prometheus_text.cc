#include "core/prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace agentstorm {
namespace {

bool IsNameChar(char c, bool first) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && absl::ascii_isdigit(static_cast<unsigned char>(c)));
}

// Reads a metric or label name at `*pos`; empty when there is none.
std::string ReadName(absl::string_view line, size_t* pos) {
  const size_t start = *pos;
  while (*pos < line.size() && IsNameChar(line[*pos], *pos == start)) ++*pos;
  return std::string(line.substr(start, *pos - start));
}

void SkipSpaces(absl::string_view line, size_t* pos) {
  while (*pos < line.size() && (line[*pos] == ' ' || line[*pos] == '\t')) ++*pos;
}

// `{a="x",b="y"}` at `*pos` (which is at '{'); false with `*why` set when malformed.
bool ReadLabels(absl::string_view line, size_t* pos, std::map<std::string, std::string>* labels,
                std::string* why) {
  ++*pos;  // '{'
  while (true) {
    SkipSpaces(line, pos);
    if (*pos < line.size() && line[*pos] == '}') {
      ++*pos;
      return true;
    }
    std::string key = ReadName(line, pos);
    if (key.empty()) {
      *why = "a label name was expected";
      return false;
    }
    SkipSpaces(line, pos);
    if (*pos + 1 >= line.size() || line[*pos] != '=' || line[*pos + 1] != '"') {
      *why = absl::StrCat("label ", key, " has no =\"value\"");
      return false;
    }
    *pos += 2;
    std::string value;
    bool closed = false;
    while (*pos < line.size()) {
      const char c = line[(*pos)++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\' && *pos < line.size()) {
        const char e = line[(*pos)++];
        value.push_back(e == 'n' ? '\n' : e);
      } else {
        value.push_back(c);
      }
    }
    if (!closed) {
      *why = absl::StrCat("the value of label ", key, " is not closed");
      return false;
    }
    (*labels)[std::move(key)] = std::move(value);
    SkipSpaces(line, pos);
    if (*pos < line.size() && line[*pos] == ',') ++*pos;
  }
}

bool ParseValue(absl::string_view text, double* out) {
  if (text == "+Inf" || text == "Inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    *out = std::nan("");
    return true;
  }
  return absl::SimpleAtod(text, out);
}

}  // namespace

absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(absl::string_view text) {
  std::vector<PrometheusSample> out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics line ", number, ": ", why, ": ", line.substr(0, 200)));
    };
    PrometheusSample s;
    size_t pos = 0;
    s.name = ReadName(line, &pos);
    if (s.name.empty()) return bad("a metric name was expected");
    if (pos < line.size() && line[pos] == '{') {
      std::string why;
      if (!ReadLabels(line, &pos, &s.labels, &why)) return bad(why);
    }
    SkipSpaces(line, &pos);
    const std::vector<absl::string_view> rest =
        absl::StrSplit(line.substr(pos), ' ', absl::SkipEmpty());
    if (rest.empty() || rest.size() > 2) return bad("a value (and at most a timestamp) expected");
    if (!ParseValue(rest[0], &s.value)) return bad(absl::StrCat("not a number: ", rest[0]));
    out.push_back(std::move(s));
  }
  return out;
}

double SumSamples(const std::vector<PrometheusSample>& samples, absl::string_view name,
                  const std::map<std::string, std::string>& match) {
  double sum = 0;
  for (const PrometheusSample& s : samples) {
    if (s.name != name && s.name != absl::StrCat(name, "_total")) continue;
    bool all = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      all &= it != s.labels.end() && it->second == v;
    }
    if (all) sum += s.value;
  }
  return sum;
}

}  // namespace agentstorm
