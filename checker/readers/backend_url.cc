#include "checker/readers/backend_url.h"

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace agentstorm::readers {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) {
        return absl::InvalidArgumentError("truncated percent escape");
      }
      const int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

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
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backend \"", url, "\" has no scheme; use jaeger://, jaeger-legacy://, tempo:// or file:"));
  }
  std::string scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  url.remove_prefix(scheme_end + 3);
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
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown backend scheme \"", scheme,
                     "\"; use jaeger, jaeger-legacy, tempo (each with +https) or file:"));
  }

  absl::string_view query;
  if (const size_t q = url.find('?'); q != absl::string_view::npos) {
    query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  absl::string_view authority = url;
  if (const size_t slash = url.find('/'); slash != absl::string_view::npos) {
    authority = url.substr(0, slash);
    absl::string_view prefix = url.substr(slash);
    while (absl::ConsumeSuffix(&prefix, "/")) {
    }
    out.path_prefix = std::string(prefix);
  }
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user.ok()) return user.status();
    out.auth.basic_user = *user;
    if (colon != absl::string_view::npos) {
      auto pass = PercentDecode(userinfo.substr(colon + 1));
      if (!pass.ok()) return pass.status();
      out.auth.basic_password = *pass;
    }
    if (out.auth.basic_user.empty()) {
      return absl::InvalidArgumentError("backend URL has credentials with an empty user");
    }
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("unclosed [ in host");
    out.host = std::string(authority.substr(0, close));
    absl::string_view rest = authority.substr(close + 1);
    if (absl::ConsumePrefix(&rest, ":"))
      port_text = rest;
    else if (!rest.empty())
      return absl::InvalidArgumentError("junk after ] in host");
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(scheme, ":// backend needs a host"));
  }
  if (port_text.empty()) {
    out.port = out.https ? 443 : DefaultPort(out.kind);
  } else {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port \"", port_text, "\""));
    }
    out.port = port;
  }

  for (absl::string_view param : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = param.find('=');
    absl::string_view key = param.substr(0, eq);
    auto value = PercentDecode(eq == absl::string_view::npos ? "" : param.substr(eq + 1));
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
      out.insecure_tls = (*value == "" || *value == "true" || *value == "1");
    } else if (key == "ca") {
      out.ca_file = *value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown backend option \"", key, "\""));
    }
  }
  return out;
}

std::string BackendUrl::HttpBase() const {
  if (kind == BackendKind::kFile) return "";
  const bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat(https ? "https://" : "http://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port,
                      path_prefix);
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
  const bool v6 = host.find(':') != std::string::npos;
  const std::string_view kind_name = BackendKindName(kind);
  std::string out = absl::StrCat(absl::string_view(kind_name.data(), kind_name.size()),
                                 https ? "+https" : "", "://");
  if (!auth.basic_user.empty()) absl::StrAppend(&out, auth.basic_user, ":***@");
  absl::StrAppend(&out, v6 ? "[" : "", host, v6 ? "]" : "", ":", port, path_prefix);
  std::vector<std::string> options;
  if (!auth.bearer_token.empty()) options.push_back("token=***");
  if (!auth.tenant.empty()) options.push_back(absl::StrCat("tenant=", auth.tenant));
  for (const auto& [name, value] : auth.headers) {
    options.push_back(absl::StrCat("header=", name, ":***"));
  }
  if (kind == BackendKind::kTempo && tempo_api != "v1") options.push_back("api=" + tempo_api);
  if (insecure_tls) options.push_back("insecure=true");
  if (!ca_file.empty()) options.push_back("ca=" + ca_file);
  for (size_t i = 0; i < options.size(); ++i) absl::StrAppend(&out, i == 0 ? "?" : "&", options[i]);
  return out;
}

}  // namespace agentstorm::readers
