// ExporterOptions: everything an OTLP trace exporter needs to reach one endpoint, built the
// opentelemetry-cpp way: defaults, then the standard OTEL_EXPORTER_OTLP_* variables (the
// OTEL_EXPORTER_OTLP_TRACES_* variants win over the generic ones), then command-line flags.
//
// Endpoint convention (OTLP exporter specification):
//   grpc           the endpoint is used as is: "http://host:4317" (plaintext), "https://host:4317"
//                  (TLS), or "host:4317" (TLS, plaintext with insecure).
//   http/protobuf, http/json
//                  a base URL from OTEL_EXPORTER_OTLP_ENDPOINT or --endpoint gets "/v1/traces"
//                  appended; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL, used as is.
// Defaults: grpc http://localhost:4317, http/* http://localhost:4318/v1/traces.
//
// insecure: for an endpoint without a scheme it means plaintext (OTEL_EXPORTER_OTLP_INSECURE);
// for an https:// endpoint it means "do not verify the server certificate".
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/url.h"

namespace agentstorm {

enum class OtlpProtocol { kGrpc, kHttpProtobuf, kHttpJson };
enum class OtlpCompression { kNone, kGzip };

// "grpc", "http/protobuf", "http/json".
absl::string_view ProtocolName(OtlpProtocol protocol);
absl::StatusOr<OtlpProtocol> ParseProtocol(absl::string_view text);
absl::StatusOr<OtlpCompression> ParseCompression(absl::string_view text);

// OTLP retry: exponential backoff with jitter, bounded by a total elapsed time per batch.
struct RetryOptions {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
  // A batch is given up (kFailed) when the next attempt would start later than this after the
  // first one. Zero disables retries.
  std::chrono::milliseconds max_elapsed{30000};
  // Each computed backoff is scaled by a uniform factor in [1 - jitter, 1 + jitter].
  double jitter = 0.2;
};

struct ExporterOptions {
  // Full URL for http/* (".../v1/traces" included); URL or host:port for grpc.
  std::string endpoint = "http://localhost:4317";
  OtlpProtocol protocol = OtlpProtocol::kGrpc;
  // Sent with every request (gRPC metadata keys are lowercased). Later entries with the same
  // key (case-insensitive) replace earlier ones when built by BuildExporterOptions.
  std::vector<std::pair<std::string, std::string>> headers;
  OtlpCompression compression = OtlpCompression::kNone;
  bool insecure = false;
  std::string ca_file;                       // PEM roots; empty = system roots
  std::string cert_file;                     // PEM client certificate (mTLS); requires key_file
  std::string key_file;                      // PEM client private key (mTLS); requires cert_file
  std::chrono::milliseconds timeout{10000};  // per request attempt
  int max_in_flight = 16;                    // concurrent requests on the wire
  // gRPC: connections opened to the endpoint, each request on the next in turn. One HTTP/2
  // connection is read by one receiver thread at a time, so a multi-threaded collector or
  // sink parallelizes only across connections. http/*: ignored (one client per request slot).
  int connections = 1;
  RetryOptions retry;
};

// OK, or InvalidArgument with a message naming the offending setting.
absl::Status ValidateExporterOptions(const ExporterOptions& options);

// One line for summaries: protocol, endpoint without userinfo or query, compression, TLS mode
// and header *names* only (values such as Authorization are never shown).
std::string DescribeExporterOptions(const ExporterOptions& options);

// For an endpoint that could not be reached, with `last_error` its last error: a line saying the
// likely fix ("hint: ..."), or "" when nothing more specific than the error can be said. TLS
// refused by a plaintext server (a bare HOST:PORT means TLS), a certificate not trusted, the
// other protocol's well-known port (4317 gRPC, 4318 HTTP), nothing listening.
std::string UnreachableHint(const ExporterOptions& options, absl::string_view last_error);

// Flags as given on the command line; unset fields leave the environment/default in place.
struct ExporterFlags {
  std::optional<std::string> endpoint;  // base URL (http/* gets /v1/traces appended)
  std::optional<std::string> protocol;
  std::vector<std::string> headers;  // "Key=Value", value taken literally
  std::optional<std::string> compression;
  std::optional<bool> insecure;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<int> max_in_flight;
  std::optional<int> connections;
};

// Looks up an environment variable; nullopt when unset. Empty values count as unset (spec).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

// Defaults <- environment <- flags, then ValidateExporterOptions. Errors are InvalidArgument
// naming the variable or flag, e.g. "OTEL_EXPORTER_OTLP_TIMEOUT: not a number of milliseconds".
absl::StatusOr<ExporterOptions> BuildExporterOptions(const ExporterFlags& flags,
                                                     const EnvLookup& env = ProcessEnvironment());

// Parses a W3C-baggage-like header list "k1=v1,k2=v2" (values percent-decoded, keys and values
// trimmed), as OTEL_EXPORTER_OTLP_HEADERS uses. Empty members are skipped.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseOtlpHeaderList(
    absl::string_view text);

// The parts of an endpoint URL (core/url.h); `scheme` is empty for "host:port". Surrounding
// whitespace is ignored. Errors read 'endpoint "<redacted url>": <reason>'.
using EndpointUrl = Url;
absl::StatusOr<EndpointUrl> ParseEndpointUrl(absl::string_view url);

}  // namespace agentstorm
