#include "checker/alerts/alerts_url.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "core/url.h"

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
  const absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--alerts ", RedactUrl(url), ": ", parsed.status().message()));
  }
  for (const Scheme& s : kSchemes) {
    const bool https = parsed->scheme == absl::StrCat(s.prefix, "+https");
    if (parsed->scheme != s.prefix && !https) continue;
    // The backend URL parser knows auth and TLS options; borrow it with a scheme it accepts,
    // then put our own default port in.
    const absl::string_view rest = url.substr(parsed->scheme.size());
    absl::StatusOr<readers::BackendUrl> backend =
        readers::ParseBackendUrl(absl::StrCat(https ? "jaeger+https" : "jaeger", rest));
    if (!backend.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--alerts ", RedactUrl(url), ": ",
                       absl::StrReplaceAll(backend.status().message(), {{"jaeger", s.prefix}})));
    }
    readers::BackendUrl b = *std::move(backend);
    if (parsed->port == 0) b.port = s.default_port;
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
  return absl::InvalidArgumentError(
      absl::StrCat("--alerts ", RedactUrl(url),
                   ": expected prometheus://HOST:PORT or alertmanager://HOST:PORT"));
}

}  // namespace agentstorm::alerts
