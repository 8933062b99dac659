#include "reports/text_format.h"

#include <cmath>
#include <ctime>

#include "absl/strings/str_format.h"

namespace agentstorm::reports {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8Length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (n > 1) {
      // U+FFFE / U+FFFF are not XML characters.
      std::string_view seq = text.substr(i, n);
      if (seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF") {
        out += "\xEF\xBF\xBD";
      } else {
        out.append(seq);
      }
      i += n;
      continue;
    }
    char c = text[i++];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string MarkdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '`') {
      continue;
    } else {
      out += c;
    }
  }
  return out;
}

std::string IsoTimeNoZone(uint64_t unix_nano) {
  if (unix_nano == 0) return "";
  std::time_t t = static_cast<std::time_t>(unix_nano / 1000000000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return buf;
}

std::string IsoTime(uint64_t unix_nano) {
  std::string s = IsoTimeNoZone(unix_nano);
  return s.empty() ? s : s + "Z";
}

std::string Thousands(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string HumanMillis(double ms) {
  if (ms <= 0) return "0";
  if (ms < 1) return absl::StrFormat("%.0f us", ms * 1e3);
  if (ms < 1000) return absl::StrFormat("%.1f ms", ms);
  return absl::StrFormat("%.2f s", ms / 1e3);
}

std::string PercentText(double part, double whole) {
  if (whole <= 0) return "-";
  return absl::StrFormat("%.2f%%", 100.0 * part / whole);
}

std::string ShortNumber(double value, int digits) {
  if (value == 0 || !std::isfinite(value)) return value == 0 ? "0" : "-";
  std::string s = absl::StrFormat("%.*g", digits, value);
  if (s.find('e') != std::string::npos) s = absl::StrFormat("%.0f", value);
  return s;
}

}  // namespace agentstorm::reports
