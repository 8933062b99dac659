#include "export/exporter_options.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace agentstorm {
namespace {

constexpr absl::string_view kTracesPath = "/v1/traces";

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

std::optional<std::string> Lookup(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> value = env(name);
  if (value.has_value() && absl::StripAsciiWhitespace(*value).empty()) return std::nullopt;
  return value;
}

// Signal-specific variable first, then the generic one; returns the name that matched.
std::optional<std::pair<std::string, std::string>> LookupPair(const EnvLookup& env,
                                                              absl::string_view suffix) {
  for (const std::string& name : {absl::StrCat("OTEL_EXPORTER_OTLP_TRACES_", suffix),
                                  absl::StrCat("OTEL_EXPORTER_OTLP_", suffix)}) {
    if (auto value = Lookup(env, name)) return std::make_pair(name, *value);
  }
  return std::nullopt;
}

absl::StatusOr<bool> ParseBool(absl::string_view where, absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Invalid(where, absl::StrCat("expected true or false, got \"", text, "\""));
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

void SetHeader(std::vector<std::pair<std::string, std::string>>* headers, std::string key,
               std::string value) {
  for (auto& [k, v] : *headers) {
    if (absl::EqualsIgnoreCase(k, key)) {
      v = std::move(value);
      return;
    }
  }
  headers->emplace_back(std::move(key), std::move(value));
}

absl::Status CheckReadable(absl::string_view what, const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  if (!in) return Invalid(what, absl::StrCat("cannot read \"", path, "\""));
  return absl::OkStatus();
}

// The base URL's path + "/v1/traces", its query (an API key, say) kept after it:
// "http://h:4318/?token=X" sends to "http://h:4318/v1/traces?token=X".
std::string AppendTracesPath(const std::string& base) {
  const size_t query = base.find_first_of("?#");
  std::string path = base.substr(0, query);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return absl::StrCat(path, kTracesPath, query == std::string::npos ? "" : base.substr(query));
}

bool IsHttp(OtlpProtocol p) { return p != OtlpProtocol::kGrpc; }

}  // namespace

absl::string_view ProtocolName(OtlpProtocol protocol) {
  switch (protocol) {
    case OtlpProtocol::kGrpc:
      return "grpc";
    case OtlpProtocol::kHttpProtobuf:
      return "http/protobuf";
    case OtlpProtocol::kHttpJson:
      return "http/json";
  }
  return "?";
}

absl::StatusOr<OtlpProtocol> ParseProtocol(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower == "grpc") return OtlpProtocol::kGrpc;
  if (lower == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
  if (lower == "http/json") return OtlpProtocol::kHttpJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown protocol \"", text, "\" (expected grpc, http/protobuf or http/json)"));
}

absl::StatusOr<OtlpCompression> ParseCompression(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower == "gzip") return OtlpCompression::kGzip;
  if (lower == "none" || lower.empty()) return OtlpCompression::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown compression \"", text, "\" (expected gzip or none)"));
}

namespace {

// A header written without '=' (often "Authorization: Bearer ..."), for an error message: its
// name and "…", never what follows (it may be a secret).
std::string HeaderNameOnly(absl::string_view header) {
  const size_t end = header.find_first_of(": \t");
  if (end == absl::string_view::npos) return std::string(header.substr(0, 64));
  return absl::StrCat(header.substr(0, std::min<size_t>(end, 64)), header[end] == ':' ? ":" : "",
                      " …");
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaderList(
    absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view member : absl::StrSplit(text, ',')) {
    member = absl::StripAsciiWhitespace(member);
    if (member.empty()) continue;
    // Baggage members may carry ";properties"; headers have none, so keep the value whole.
    size_t eq = member.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("header \"", HeaderNameOnly(member),
                       "\" is not of the form key=value (the rest is not shown: it may be a "
                       "secret)"));
    }
    absl::string_view key = absl::StripAsciiWhitespace(member.substr(0, eq));
    absl::string_view raw = absl::StripAsciiWhitespace(member.substr(eq + 1));
    if (key.empty()) return absl::InvalidArgumentError("header with an empty key");
    absl::StatusOr<std::string> value = PercentDecode(raw);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("header \"", key, "\": ", value.status().message()));
    }
    SetHeader(&out, std::string(key), *std::move(value));
  }
  return out;
}

absl::StatusOr<EndpointUrl> ParseEndpointUrl(absl::string_view url) {
  const absl::string_view text = absl::StripAsciiWhitespace(url);
  if (text.empty()) return absl::InvalidArgumentError("empty endpoint");
  absl::StatusOr<Url> parsed = ParseUrl(text, SchemeRule::kOptional);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", RedactUrl(text), "\": ", parsed.status().message()));
  }
  return parsed;
}

absl::Status ValidateExporterOptions(const ExporterOptions& o) {
  absl::StatusOr<EndpointUrl> url = ParseEndpointUrl(o.endpoint);
  if (!url.ok()) return Invalid("endpoint", url.status().message());
  if (IsHttp(o.protocol)) {
    if (url->scheme != "http" && url->scheme != "https") {
      return Invalid("endpoint", absl::StrCat("\"", RedactUrl(o.endpoint),
                                              "\" needs an http:// or https:// "
                                              "scheme for protocol ",
                                              ProtocolName(o.protocol)));
    }
  } else {
    if (!url->scheme.empty() && url->scheme != "http" && url->scheme != "https") {
      return Invalid("endpoint", absl::StrCat("unsupported scheme \"", url->scheme,
                                              "\" for grpc (use http://, https:// or host:port)"));
    }
    if (!url->path.empty() && url->path != "/") {
      return Invalid("endpoint",
                     absl::StrCat("\"", RedactUrl(o.endpoint),
                                  "\" has a path; grpc endpoints are "
                                  "HOST:PORT (did you mean --protocol http/protobuf?)"));
    }
  }
  for (const auto& [key, value] : o.headers) {
    if (key.empty()) return Invalid("header", "empty name");
    for (char c : key) {
      if (!IsTokenChar(c)) {
        return Invalid("header", absl::StrCat("invalid character in name \"", key, "\""));
      }
    }
    if (value.find_first_of("\r\n", 0) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return Invalid("header", absl::StrCat("value of \"", key, "\" contains a line break"));
    }
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    return Invalid("tls", "a client certificate (--cert) and key (--key) must be given together");
  }
  if (absl::Status s = CheckReadable("ca", o.ca_file); !s.ok()) return s;
  if (absl::Status s = CheckReadable("cert", o.cert_file); !s.ok()) return s;
  if (absl::Status s = CheckReadable("key", o.key_file); !s.ok()) return s;
  if (o.timeout.count() <= 0) return Invalid("timeout", "must be positive");
  if (o.max_in_flight < 1) return Invalid("max in-flight requests", "must be at least 1");
  if (o.connections < 1 || o.connections > 64) return Invalid("connections", "must be 1 to 64");
  const RetryOptions& r = o.retry;
  if (r.initial_backoff.count() <= 0) return Invalid("retry initial backoff", "must be positive");
  if (r.max_backoff < r.initial_backoff) {
    return Invalid("retry max backoff", "must be at least the initial backoff");
  }
  if (!(r.multiplier >= 1.0)) return Invalid("retry multiplier", "must be at least 1");
  if (!(r.jitter >= 0.0 && r.jitter <= 1.0)) return Invalid("retry jitter", "must be in [0, 1]");
  if (r.max_elapsed.count() < 0) return Invalid("retry max elapsed time", "must not be negative");
  return absl::OkStatus();
}

std::string UnreachableHint(const ExporterOptions& o, absl::string_view last_error) {
  absl::StatusOr<EndpointUrl> url = ParseEndpointUrl(o.endpoint);
  if (!url.ok()) return "";
  const bool tls = !(url->scheme == "http" || (url->scheme.empty() && o.insecure));
  const std::string error = absl::AsciiStrToLower(last_error);
  const bool grpc = o.protocol == OtlpProtocol::kGrpc;
  if (tls && (absl::StrContains(error, "certificate") || absl::StrContains(error, "verify"))) {
    return "hint: the server's certificate is not trusted: give its CA with --ca CA.pem (or "
           "--insecure to skip verification)";
  }
  if (tls && (absl::StrContains(error, "wrong version number") || absl::StrContains(error, "ssl") ||
              absl::StrContains(error, "handshake"))) {
    return absl::StrCat(
        "hint: the TLS handshake failed; if the endpoint speaks plaintext (a "
        "collector's default), use http://",
        url->HostPort(), url->scheme.empty() ? " (a bare HOST:PORT means TLS)" : "");
  }
  if (grpc && url->port == 4318) {
    return "hint: 4318 is OTLP/HTTP's port: add --protocol http/protobuf, or send gRPC to port "
           "4317";
  }
  if (!grpc && url->port == 4317) {
    return "hint: 4317 is OTLP/gRPC's port: drop --protocol (gRPC is the default), or send "
           "OTLP/HTTP to port 4318";
  }
  if (absl::StrContains(error, "connection refused") ||
      absl::StrContains(error, "failed to connect") ||
      absl::StrContains(error, "couldn't connect")) {
    return absl::StrCat("hint: nothing accepts connections at ", url->HostPort(),
                        ": is the collector running, and on this port?");
  }
  return "";
}

std::string DescribeExporterOptions(const ExporterOptions& o) {
  std::string tls;
  absl::StatusOr<EndpointUrl> url = ParseEndpointUrl(o.endpoint);
  std::string scheme = url.ok() ? url->scheme : "";
  if (scheme == "http" || (scheme.empty() && o.insecure)) {
    tls = "plaintext";
  } else {
    tls = o.insecure ? "tls, server certificate NOT verified" : "tls";
    if (!o.ca_file.empty()) absl::StrAppend(&tls, ", ca ", o.ca_file);
    if (!o.cert_file.empty()) absl::StrAppend(&tls, ", client cert ", o.cert_file);
  }
  std::string out =
      absl::StrCat(ProtocolName(o.protocol), " ", RedactUrl(o.endpoint), " (",
                   o.compression == OtlpCompression::kGzip ? "gzip" : "uncompressed", ", ", tls);
  if (o.protocol == OtlpProtocol::kGrpc && o.connections > 1) {
    absl::StrAppend(&out, ", ", o.connections, " connections");
  }
  if (!o.headers.empty()) {
    absl::StrAppend(&out,
                    ", headers: ", absl::StrJoin(o.headers, " ", [](std::string* s, const auto& h) {
                      absl::StrAppend(s, h.first);
                    }));
  }
  absl::StrAppend(&out, ")");
  return out;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<ExporterOptions> BuildExporterOptions(const ExporterFlags& flags,
                                                     const EnvLookup& env) {
  ExporterOptions o;

  // Protocol first: it decides the default endpoint and whether /v1/traces is appended.
  if (auto v = LookupPair(env, "PROTOCOL")) {
    absl::StatusOr<OtlpProtocol> p = ParseProtocol(v->second);
    if (!p.ok()) return Invalid(v->first, p.status().message());
    o.protocol = *p;
  }
  if (flags.protocol) {
    absl::StatusOr<OtlpProtocol> p = ParseProtocol(*flags.protocol);
    if (!p.ok()) return Invalid("--protocol", p.status().message());
    o.protocol = *p;
  }

  if (flags.endpoint) {
    // A URL that already names the traces path is the whole URL (as with
    // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): "/v1/traces/v1/traces" is never what was meant.
    const std::string path = flags.endpoint->substr(0, flags.endpoint->find_first_of("?#"));
    o.endpoint = IsHttp(o.protocol) && !absl::EndsWith(path, kTracesPath)
                     ? AppendTracesPath(*flags.endpoint)
                     : *flags.endpoint;
  } else if (auto v = Lookup(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    o.endpoint = std::string(absl::StripAsciiWhitespace(*v));
  } else if (auto v = Lookup(env, "OTEL_EXPORTER_OTLP_ENDPOINT")) {
    std::string base(absl::StripAsciiWhitespace(*v));
    o.endpoint = IsHttp(o.protocol) ? AppendTracesPath(base) : base;
  } else {
    o.endpoint = IsHttp(o.protocol) ? "http://localhost:4318/v1/traces" : "http://localhost:4317";
  }

  // Headers merge by key: generic, then traces-specific, then flags.
  for (const char* name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    if (auto v = Lookup(env, name)) {
      auto parsed = ParseOtlpHeaderList(*v);
      if (!parsed.ok()) return Invalid(name, parsed.status().message());
      for (auto& [k, val] : *parsed) SetHeader(&o.headers, std::move(k), std::move(val));
    }
  }
  for (const std::string& h : flags.headers) {
    size_t eq = h.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Invalid("--header", absl::StrCat("\"", HeaderNameOnly(h),
                                              "\" is not of the form Key=Value, e.g. "
                                              "--header \"Authorization=Bearer …\" (the rest is "
                                              "not shown: it may be a secret)"));
    }
    SetHeader(&o.headers, std::string(absl::StripAsciiWhitespace(h.substr(0, eq))),
              h.substr(eq + 1));
  }

  if (auto v = LookupPair(env, "COMPRESSION")) {
    auto c = ParseCompression(v->second);
    if (!c.ok()) return Invalid(v->first, c.status().message());
    o.compression = *c;
  }
  if (flags.compression) {
    auto c = ParseCompression(*flags.compression);
    if (!c.ok()) return Invalid("--compression", c.status().message());
    o.compression = *c;
  }

  if (auto v = LookupPair(env, "INSECURE")) {
    auto b = ParseBool(v->first, v->second);
    if (!b.ok()) return b.status();
    o.insecure = *b;
  }
  if (flags.insecure) o.insecure = *flags.insecure;

  if (auto v = LookupPair(env, "CERTIFICATE")) o.ca_file = v->second;
  if (auto v = LookupPair(env, "CLIENT_CERTIFICATE")) o.cert_file = v->second;
  if (auto v = LookupPair(env, "CLIENT_KEY")) o.key_file = v->second;
  if (flags.ca_file) o.ca_file = *flags.ca_file;
  if (flags.cert_file) o.cert_file = *flags.cert_file;
  if (flags.key_file) o.key_file = *flags.key_file;

  if (auto v = LookupPair(env, "TIMEOUT")) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(v->second), &ms) || ms <= 0) {
      return Invalid(v->first,
                     absl::StrCat("\"", v->second, "\" is not a positive number of milliseconds"));
    }
    o.timeout = std::chrono::milliseconds(ms);
  }
  if (flags.timeout) o.timeout = *flags.timeout;
  if (flags.max_in_flight) o.max_in_flight = *flags.max_in_flight;
  if (flags.connections) o.connections = *flags.connections;

  if (absl::Status s = ValidateExporterOptions(o); !s.ok()) return s;
  return o;
}

}  // namespace agentstorm
