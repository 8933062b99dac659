// Url: one parser for every URL agentstorm reads (OTLP endpoints, --backend, --alerts), built
// on libcurl's URL API (curl_url). Any scheme is accepted, "jaeger+https" as well as "https";
// what a scheme means is the caller's business.
//
//   scheme://[user[:password]@]host[:port][/path][?query][#fragment]
//   host:port                        only with SchemeRule::kOptional (gRPC targets)
//
// Hosts may be names, IPv4 or bracketed IPv6 literals ("[::1]"). Rejected: no host, a port that
// is not a number from 1 to 65535, spaces, control characters (CR, LF, NUL), a malformed IPv6
// literal, a bad percent escape in the user info, input longer than libcurl's limit (8 MB).
// The path is kept as written (no dot-segment removal); query and fragment are not decoded.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace agentstorm {

struct Url {
  std::string scheme;  // lowercased; "" when the text had no "scheme://"
  bool has_userinfo = false;
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded
  std::string host;      // without [] for IPv6 literals
  int port = 0;          // 0 when absent
  std::string path;      // starts with '/'; "/" when absent
  std::string query;     // without '?'; "" when absent
  std::string fragment;  // without '#'; "" when absent

  // "host:port", or "[v6]:port"; without ":port" when port is 0.
  std::string HostPort() const;
};

enum class SchemeRule { kRequired, kOptional };

// InvalidArgument naming what is wrong ("no host", "bad port (expected 1 to 65535)", ...),
// without repeating the URL: callers prefix it with what the URL was for.
absl::StatusOr<Url> ParseUrl(absl::string_view text, SchemeRule scheme = SchemeRule::kRequired);

// "host" or "[v6]", with ":port" when port > 0.
std::string JoinHostPort(absl::string_view host, int port);

// `url` for logs and error messages: no user info, any query shown as "?<redacted>", no
// fragment. Text that does not parse is shown C-escaped when it has no '@' or '?' (nothing
// that could be a secret), else as "<unparsable URL>".
std::string RedactUrl(absl::string_view url);

// `text` with every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~) and '/' as %XX:
// a file path as a query value.
std::string PercentEncode(absl::string_view text);

// Decodes %XX escapes; InvalidArgument on a truncated or non-hex escape. With plus_is_space
// ("application/x-www-form-urlencoded", query values) '+' becomes ' '.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space = false);

}  // namespace agentstorm
