// The --backend URL of `agentstorm check`: which kind of backend to read traces back from,
// where it is, and how to authenticate.
//
//   jaeger://HOST[:PORT][/PREFIX]         Jaeger query API v3 over HTTP (/api/v3/traces/...);
//                                         also the embedded sink's query endpoint. Port 16686.
//   jaeger-legacy://HOST[:PORT][/PREFIX]  Jaeger UI API (/api/traces/...). Port 16686.
//   tempo://HOST[:PORT][/PREFIX]          Grafana Tempo (/api/traces/..., /api/search). Port 3200.
//   file:PATH                             collector file-exporter output or a sink capture.
//   KIND+https://...                      the same over TLS (jaeger+https://, tempo+https://, ...).
//
// Authentication rides in the URL or is added by flags afterwards:
//   user:pass@HOST                        HTTP basic auth (percent-decoded, "+" is a plus)
//   ?token=SECRET                         "Authorization: Bearer SECRET"
//   ?tenant=ORG                           "X-Scope-OrgID: ORG" (Tempo, Mimir, Loki multi-tenancy)
//   ?header=Name:Value (repeatable)       any other request header
//   ?api=v2                               tempo only: use /api/v2/traces/{id}
//   ?insecure=true                        TLS without certificate verification
//   ?ca=PATH                              TLS trust anchors from PATH
//   ?cert=PATH&key=PATH                   mTLS: the client certificate and its key (PEM)
//
// The URL itself is split by core/url.h (libcurl's URL parser).
//
// Describe() renders a URL for logs and reports with every secret replaced by "***".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace agentstorm::readers {

enum class BackendKind { kJaegerV3, kJaegerLegacy, kTempo, kFile };

// "jaeger", "jaeger-legacy", "tempo", "file".
std::string_view BackendKindName(BackendKind kind);

struct BackendAuth {
  std::string bearer_token;  // "" = none
  std::string basic_user;    // basic auth is used when basic_user is not empty
  std::string basic_password;
  std::string tenant;                                        // X-Scope-OrgID; "" = none
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers, in order
};

struct BackendUrl {
  BackendKind kind = BackendKind::kJaegerV3;
  bool https = false;
  std::string host;  // without brackets for IPv6 literals
  int port = 0;
  std::string path_prefix;       // "" or "/prefix" without a trailing slash
  std::string file_path;         // kFile only
  std::string tempo_api = "v1";  // kTempo only: "v1" or "v2"
  bool insecure_tls = false;
  std::string ca_file;
  std::string cert_file;  // mTLS client certificate, with key_file
  std::string key_file;
  BackendAuth auth;

  // "http://HOST:PORT/PREFIX" (or https); "" for kFile.
  std::string HttpBase() const;
  // Every header a request carries: Authorization, X-Scope-OrgID, then auth.headers.
  std::vector<std::pair<std::string, std::string>> RequestHeaders() const;
  // The URL with secrets (password, token, header values) shown as "***".
  std::string Describe() const;
};

// Parses a backend URL as described above. InvalidArgument (naming what is wrong) on an
// unknown scheme, a missing host, a bad port, an unknown option or a malformed header.
absl::StatusOr<BackendUrl> ParseBackendUrl(std::string_view url);

// Adds one "Name: Value" or "Name=Value" header (the form of a --backend-header flag).
absl::Status AddBackendHeader(std::string_view header, BackendAuth* auth);

// ParseBackendUrl, then AddBackendHeader for each of `headers`; the first error.
absl::StatusOr<BackendUrl> ParseBackendUrl(std::string_view url,
                                           const std::vector<std::string>& headers);

}  // namespace agentstorm::readers
