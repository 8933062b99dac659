#include "checker/alerts/alerts_url.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace agentstorm::alerts {

absl::StatusOr<AlertsUrl> ParseAlertsUrl(absl::string_view url) {
  struct Scheme {
    absl::string_view prefix;
    AlertsKind kind;
    int default_port;
  };
  static constexpr Scheme kSchemes[] = {
      {"prometheus", AlertsKind::kPrometheus, 9090},
      {"alertmanager", AlertsKind::kAlertmanager, 9093},
  };
  for (const Scheme& s : kSchemes) {
    if (!absl::StartsWith(url, s.prefix)) continue;
    absl::string_view rest = url.substr(s.prefix.size());
    if (!absl::StartsWith(rest, "://") && !absl::StartsWith(rest, "+https://")) continue;
    // The backend URL parser knows hosts, ports, auth and TLS options; borrow it with a
    // scheme it accepts, then put our own default port in.
    const bool https = absl::StartsWith(rest, "+https://");
    rest.remove_prefix(https ? 9 : 3);
    absl::StatusOr<readers::BackendUrl> parsed =
        readers::ParseBackendUrl(absl::StrCat(https ? "jaeger+https://" : "jaeger://", rest));
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alerts ", url, ": ",
                       absl::StrReplaceAll(parsed.status().message(), {{"jaeger", s.prefix}})));
    }
    readers::BackendUrl b = *parsed;
    absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (const size_t at = authority.rfind('@'); at != absl::string_view::npos)
      authority.remove_prefix(at + 1);
    const size_t bracket = authority.rfind(']');
    const bool explicit_port =
        authority.find(':', bracket == absl::string_view::npos ? 0 : bracket) !=
        absl::string_view::npos;
    if (!explicit_port) b.port = s.default_port;
    AlertsUrl out;
    out.kind = s.kind;
    out.base = b.HttpBase();
    out.headers = b.RequestHeaders();
    if (!b.auth.basic_user.empty()) {
      out.headers.emplace_back(
          "Authorization",
          absl::StrCat("Basic ", absl::Base64Escape(
                                     absl::StrCat(b.auth.basic_user, ":", b.auth.basic_password))));
    }
    out.insecure_tls = b.insecure_tls;
    out.ca_file = b.ca_file;
    out.description =
        absl::StrCat(s.prefix, absl::StripPrefix(b.Describe(), https ? "jaeger+https" : "jaeger"));
    return out;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--alerts ", url, ": expected prometheus://HOST:PORT or alertmanager://HOST:PORT"));
}

}  // namespace agentstorm::alerts
