#include "checker/readers/backend_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/did_you_mean.h"
#include "core/url.h"

namespace agentstorm::readers {
namespace {

int DefaultPort(BackendKind kind) { return kind == BackendKind::kTempo ? 3200 : 16686; }

}  // namespace

std::string_view BackendKindName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kJaegerV3:
      return "jaeger";
    case BackendKind::kJaegerLegacy:
      return "jaeger-legacy";
    case BackendKind::kTempo:
      return "tempo";
    case BackendKind::kFile:
      return "file";
  }
  return "?";
}

absl::Status AddBackendHeader(std::string_view header_in, BackendAuth* auth) {
  const absl::string_view header(header_in.data(), header_in.size());
  const size_t colon = header.find(':');
  const size_t equals = header.find('=');
  const size_t cut = std::min(colon, equals);
  if (cut == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("header \"", header, "\" must be Name: Value or Name=Value"));
  }
  std::string name(absl::StripAsciiWhitespace(header.substr(0, cut)));
  std::string value(absl::StripAsciiWhitespace(header.substr(cut + 1)));
  if (name.empty()) return absl::InvalidArgumentError("header with an empty name");
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return absl::InvalidArgumentError(absl::StrCat("bad header name \"", name, "\""));
    }
  }
  auth->headers.emplace_back(std::move(name), std::move(value));
  return absl::OkStatus();
}

absl::StatusOr<BackendUrl> ParseBackendUrl(std::string_view url_in) {
  absl::string_view url(url_in.data(), url_in.size());
  BackendUrl out;
  if (absl::ConsumePrefix(&url, "file:")) {
    absl::ConsumePrefix(&url, "//");
    if (url.empty()) return absl::InvalidArgumentError("file: backend needs a path");
    out.kind = BackendKind::kFile;
    out.file_path = std::string(url);
    return out;
  }
  if (!absl::StrContains(url, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backend \"", url, "\" has no scheme; use jaeger://, jaeger-legacy://, tempo:// or file:"));
  }
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backend \"", RedactUrl(url), "\": ", parsed.status().message()));
  }
  std::string scheme = parsed->scheme;
  if (absl::EndsWith(scheme, "+https")) {
    out.https = true;
    scheme.resize(scheme.size() - 6);
  } else if (absl::EndsWith(scheme, "+http")) {
    scheme.resize(scheme.size() - 5);
  }
  if (scheme == "jaeger") {
    out.kind = BackendKind::kJaegerV3;
  } else if (scheme == "jaeger-legacy") {
    out.kind = BackendKind::kJaegerLegacy;
  } else if (scheme == "tempo") {
    out.kind = BackendKind::kTempo;
  } else if (scheme == "http" || scheme == "https") {
    // The usual first try: the URL of the UI. The scheme says which API to read.
    return absl::InvalidArgumentError(absl::StrCat(
        "a backend URL names the API to read: ", scheme == "https" ? "jaeger+https" : "jaeger",
        "://", parsed->HostPort(),
        " for Jaeger's query API (tempo://, jaeger-legacy:// for the others, each with +https)"));
  } else {
    std::string hint =
        ClosestMatch(scheme, {"jaeger", "jaeger-legacy", "tempo", "file", "jaeger+https"});
    return absl::InvalidArgumentError(
        absl::StrCat("unknown backend scheme \"", scheme, "\"",
                     hint.empty() ? "" : "; did you mean " + hint + "?",
                     "; use jaeger, jaeger-legacy, tempo (each with +https) or file:"));
  }
  absl::string_view prefix = parsed->path;
  while (absl::ConsumeSuffix(&prefix, "/")) {
  }
  out.path_prefix = std::string(prefix);
  if (parsed->has_userinfo) {
    if (parsed->user.empty()) {
      return absl::InvalidArgumentError("backend URL has credentials with an empty user");
    }
    out.auth.basic_user = parsed->user;
    out.auth.basic_password = parsed->password;
  }
  out.host = parsed->host;
  out.port = parsed->port != 0 ? parsed->port : out.https ? 443 : DefaultPort(out.kind);

  const absl::string_view query = parsed->query;
  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = param.find('=');
    absl::string_view key = param.substr(0, eq);
    auto value = PercentDecode(eq == absl::string_view::npos ? "" : param.substr(eq + 1),
                               /*plus_is_space=*/true);
    if (!value.ok()) return value.status();
    if (key == "token" || key == "bearer") {
      out.auth.bearer_token = *value;
    } else if (key == "tenant" || key == "org") {
      out.auth.tenant = *value;
    } else if (key == "header") {
      if (absl::Status s = AddBackendHeader(*value, &out.auth); !s.ok()) return s;
    } else if (key == "api" && out.kind == BackendKind::kTempo) {
      if (*value != "v1" && *value != "v2") {
        return absl::InvalidArgumentError("tempo api must be v1 or v2");
      }
      out.tempo_api = *value;
    } else if (key == "insecure") {
      out.insecure_tls = (value->empty() || *value == "true" || *value == "1");
    } else if (key == "ca") {
      out.ca_file = *value;
    } else if (key == "cert") {
      out.cert_file = *value;
    } else if (key == "key") {
      out.key_file = *value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown backend option \"", key, "\""));
    }
  }
  if (out.cert_file.empty() != out.key_file.empty()) {
    return absl::InvalidArgumentError("backend options cert= and key= go together (mTLS)");
  }
  return out;
}

std::string BackendUrl::HttpBase() const {
  if (kind == BackendKind::kFile) return "";
  return absl::StrCat(https ? "https://" : "http://", JoinHostPort(host, port), path_prefix);
}

std::vector<std::pair<std::string, std::string>> BackendUrl::RequestHeaders() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!auth.bearer_token.empty()) {
    out.emplace_back("Authorization", absl::StrCat("Bearer ", auth.bearer_token));
  }
  if (!auth.tenant.empty()) out.emplace_back("X-Scope-OrgID", auth.tenant);
  for (const auto& h : auth.headers) out.push_back(h);
  return out;
}

std::string BackendUrl::Describe() const {
  if (kind == BackendKind::kFile) return absl::StrCat("file:", file_path);
  const std::string_view kind_name = BackendKindName(kind);
  std::string out = absl::StrCat(absl::string_view(kind_name.data(), kind_name.size()),
                                 https ? "+https" : "", "://");
  if (!auth.basic_user.empty()) absl::StrAppend(&out, auth.basic_user, ":***@");
  absl::StrAppend(&out, JoinHostPort(host, port), path_prefix);
  std::vector<std::string> options;
  if (!auth.bearer_token.empty()) options.push_back("token=***");
  if (!auth.tenant.empty()) options.push_back(absl::StrCat("tenant=", auth.tenant));
  for (const auto& [name, value] : auth.headers) {
    options.push_back(absl::StrCat("header=", name, ":***"));
  }
  if (kind == BackendKind::kTempo && tempo_api != "v1") options.push_back("api=" + tempo_api);
  if (insecure_tls) options.push_back("insecure=true");
  if (!ca_file.empty()) options.push_back("ca=" + ca_file);
  if (!cert_file.empty()) options.push_back("cert=" + cert_file);
  if (!key_file.empty()) options.push_back("key=" + key_file);
  for (size_t i = 0; i < options.size(); ++i) absl::StrAppend(&out, i == 0 ? "?" : "&", options[i]);
  return out;
}

absl::StatusOr<BackendUrl> ParseBackendUrl(std::string_view url,
                                           const std::vector<std::string>& headers) {
  auto parsed = ParseBackendUrl(url);
  if (!parsed.ok()) return parsed.status();
  for (const std::string& h : headers) {
    if (absl::Status s = AddBackendHeader(h, &parsed->auth); !s.ok()) return s;
  }
  return parsed;
}

}  // namespace agentstorm::readers
