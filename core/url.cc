#include "core/url.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace agentstorm {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;

// RFC 3986 scheme followed by "://". curl_url would also take "scheme:" and guess schemes for
// "host:port"; deciding here keeps "collector:4317" a host and port in every curl version.
bool HasScheme(absl::string_view text) {
  if (text.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.') {
      continue;
    }
    return text.substr(i, 3) == "://";
  }
  return false;
}

// The part, or nullopt-like "" with `present` false when curl has none.
std::string GetPart(CURLU* u, CURLUPart part, bool* present = nullptr) {
  char* value = nullptr;
  const CURLUcode rc = curl_url_get(u, part, &value, 0);
  if (present != nullptr) *present = rc == CURLUE_OK;
  std::string out = rc == CURLUE_OK && value != nullptr ? value : "";
  curl_free(value);
  return out;
}

std::string Reason(CURLUcode rc) {
  switch (rc) {
    case CURLUE_NO_HOST:
      return "no host";
    case CURLUE_BAD_PORT_NUMBER:
      return "bad port (expected 1 to 65535)";
    case CURLUE_BAD_IPV6:
      return "bad IPv6 address";
    case CURLUE_MALFORMED_INPUT:
      return "malformed URL (spaces or control characters?)";
    default:
      return absl::AsciiStrToLower(curl_url_strerror(rc));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string JoinHostPort(absl::string_view host, int port) {
  const bool v6 = host.find(':') != absl::string_view::npos;
  std::string out = absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "");
  if (port > 0) absl::StrAppend(&out, ":", port);
  return out;
}

std::string Url::HostPort() const { return JoinHostPort(host, port); }

std::string PercentEncode(absl::string_view text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
        c == '~' || c == '/') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return absl::InvalidArgumentError("truncated percent escape");
    const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

absl::StatusOr<Url> ParseUrl(absl::string_view text, SchemeRule rule) {
  if (text.empty()) return absl::InvalidArgumentError("empty URL");
  // curl reads a C string: an embedded NUL would silently cut the URL short.
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("malformed URL (NUL byte)");
  }
  const bool has_scheme = HasScheme(text);
  if (!has_scheme && rule == SchemeRule::kRequired) {
    return absl::InvalidArgumentError("no scheme (expected scheme://host)");
  }
  CurlUrlPtr u(curl_url());
  if (u == nullptr) return absl::ResourceExhaustedError("curl_url failed");
  unsigned int flags = CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS;
  if (!has_scheme) flags |= CURLU_DEFAULT_SCHEME;
  const std::string copy(text);
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, copy.c_str(), flags); rc != CURLUE_OK) {
    return absl::InvalidArgumentError(Reason(rc));
  }
  Url out;
  if (has_scheme) out.scheme = absl::AsciiStrToLower(GetPart(u.get(), CURLUPART_SCHEME));
  bool has_user = false, has_password = false;
  const std::string user = GetPart(u.get(), CURLUPART_USER, &has_user);
  const std::string password = GetPart(u.get(), CURLUPART_PASSWORD, &has_password);
  out.has_userinfo = has_user || has_password;
  if (out.has_userinfo) {
    absl::StatusOr<std::string> decoded = PercentDecode(user);
    if (!decoded.ok())
      return absl::InvalidArgumentError(absl::StrCat("user: ", decoded.status().message()));
    out.user = *std::move(decoded);
    decoded = PercentDecode(password);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("password: ", decoded.status().message()));
    }
    out.password = *std::move(decoded);
  }
  out.host = GetPart(u.get(), CURLUPART_HOST);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
    if (std::string zone = GetPart(u.get(), CURLUPART_ZONEID); !zone.empty()) {
      absl::StrAppend(&out.host, "%25", zone);
    }
  }
  if (out.host.empty()) return absl::InvalidArgumentError(Reason(CURLUE_NO_HOST));
  bool has_port = false;
  const std::string port = GetPart(u.get(), CURLUPART_PORT, &has_port);
  if (has_port) {
    // curl takes 0 to 65535; port 0 cannot be connected to.
    if (!absl::SimpleAtoi(port, &out.port) || out.port < 1 || out.port > 65535) {
      return absl::InvalidArgumentError(Reason(CURLUE_BAD_PORT_NUMBER));
    }
  }
  out.path = GetPart(u.get(), CURLUPART_PATH);
  if (out.path.empty()) out.path = "/";
  out.query = GetPart(u.get(), CURLUPART_QUERY);
  out.fragment = GetPart(u.get(), CURLUPART_FRAGMENT);
  return out;
}

std::string RedactUrl(absl::string_view url) {
  absl::StatusOr<Url> parsed = ParseUrl(url, SchemeRule::kOptional);
  if (!parsed.ok()) {
    if (url.find_first_of("@?") != absl::string_view::npos) return "<unparsable URL>";
    return absl::CHexEscape(url);
  }
  std::string out = parsed->scheme.empty() ? "" : absl::StrCat(parsed->scheme, "://");
  absl::StrAppend(&out, parsed->HostPort());
  // curl reports an absent path as "/"; leave it out so "http://host:4317" reads as given.
  if (parsed->path != "/") absl::StrAppend(&out, parsed->path);
  if (!parsed->query.empty()) absl::StrAppend(&out, "?<redacted>");
  return out;
}

}  // namespace agentstorm
