#include "export/exporter_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace agentstorm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ExporterOptions, DefaultsAreGrpcOnLocalhost4317) {
  auto o = BuildExporterOptions({}, FakeEnv({}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(o->endpoint, "http://localhost:4317");
  EXPECT_EQ(o->compression, OtlpCompression::kNone);
  EXPECT_EQ(o->timeout, std::chrono::milliseconds(10000));
}

TEST(ExporterOptions, HttpDefaultEndpointIsLocalhost4318Traces) {
  auto o = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, OtlpProtocol::kHttpJson);
  EXPECT_EQ(o->endpoint, "http://localhost:4318/v1/traces");
}

TEST(ExporterOptions, GenericEndpointGetsTracesPathForHttp) {
  auto o = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318/"},
                                             {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://col:4318/v1/traces");
}

TEST(ExporterOptions, GenericEndpointIsUsedAsIsForGrpc) {
  auto o = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://col:4317"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "https://col:4317");
}

TEST(ExporterOptions, TracesEndpointIsUsedAsIsAndWinsOverGeneric) {
  auto o = BuildExporterOptions(
      {}, FakeEnv({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                   {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://specific:9999/custom/path"},
                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://specific:9999/custom/path");
}

TEST(ExporterOptions, EndpointFlagIsABaseUrlAndWinsOverEnvironment) {
  ExporterFlags flags;
  flags.endpoint = "http://flag:4318";
  flags.protocol = "http/protobuf";
  auto o = BuildExporterOptions(
      flags, FakeEnv({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://specific:9999/x"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://flag:4318/v1/traces");
}

TEST(ExporterOptions, TracesSpecificVariablesWinOverGenericOnes) {
  auto o =
      BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                                        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"},
                                        {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                                        {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"},
                                        {"OTEL_EXPORTER_OTLP_TIMEOUT", "1000"},
                                        {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, OtlpProtocol::kHttpProtobuf);
  EXPECT_EQ(o->compression, OtlpCompression::kGzip);
  EXPECT_EQ(o->timeout, std::chrono::milliseconds(2500));
}

TEST(ExporterOptions, FlagsWinOverEnvironment) {
  ExporterFlags flags;
  flags.protocol = "grpc";
  flags.compression = "none";
  flags.timeout = std::chrono::milliseconds(300);
  flags.insecure = false;
  auto o = BuildExporterOptions(flags, FakeEnv({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                                                {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                                                {"OTEL_EXPORTER_OTLP_TIMEOUT", "1000"},
                                                {"OTEL_EXPORTER_OTLP_INSECURE", "true"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->protocol, OtlpProtocol::kGrpc);
  EXPECT_EQ(o->compression, OtlpCompression::kNone);
  EXPECT_EQ(o->timeout, std::chrono::milliseconds(300));
  EXPECT_FALSE(o->insecure);
}

TEST(ExporterOptions, HeadersArePercentDecodedAndMergedByKey) {
  ExporterFlags flags;
  flags.headers = {"X-Flag=literal%20kept", "x-tenant=from-flag"};
  auto o = BuildExporterOptions(
      flags, FakeEnv({{"OTEL_EXPORTER_OTLP_HEADERS",
                       "Authorization=Bearer%20abc%3D%3D , x-tenant=generic,x-other=1"},
                      {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Other=2"}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->headers, UnorderedElementsAre(Pair("Authorization", "Bearer abc=="),
                                               Pair("x-tenant", "from-flag"), Pair("x-other", "2"),
                                               Pair("X-Flag", "literal%20kept")));
}

TEST(ExporterOptions, TlsFilesComeFromEnvironment) {
  const std::string here = std::string(AGENTSTORM_SOURCE_DIR) + "/CMakeLists.txt";
  auto o = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_CERTIFICATE", here},
                                             {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", here},
                                             {"OTEL_EXPORTER_OTLP_CLIENT_KEY", here}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->ca_file, here);
  EXPECT_EQ(o->cert_file, here);
  EXPECT_EQ(o->key_file, here);
}

TEST(ExporterOptions, EmptyVariablesCountAsUnset) {
  auto o = BuildExporterOptions(
      {}, FakeEnv({{"OTEL_EXPORTER_OTLP_PROTOCOL", ""}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "  "}}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://localhost:4317");
}

// An --endpoint that already ends in /v1/traces is the whole URL: it went to
// "/v1/traces/v1/traces" before, without a word. OTEL_EXPORTER_OTLP_ENDPOINT is a base URL, as
// the specification has it, whatever its path.
TEST(ExporterOptions, AnEndpointFlagEndingInTheTracesPathIsTheWholeUrl) {
  for (const auto& [given, want] : std::vector<std::pair<std::string, std::string>>{
           {"http://h:4318/v1/traces", "http://h:4318/v1/traces"},
           {"https://h/otlp/v1/traces?k=v", "https://h/otlp/v1/traces?k=v"},
           {"http://h:4318/v1/tracesx", "http://h:4318/v1/tracesx/v1/traces"}}) {
    ExporterFlags flags;
    flags.protocol = "http/json";
    flags.endpoint = given;
    auto o = BuildExporterOptions(flags, FakeEnv({}));
    ASSERT_TRUE(o.ok()) << given << ": " << o.status();
    EXPECT_EQ(o->endpoint, want) << given;
  }
  auto env =
      BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/v1/traces"},
                                        {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->endpoint, "http://c:4318/v1/traces/v1/traces");
}

// The signal path goes into the base URL's path, before its query ("/?token=X/v1/traces"
// before).
TEST(ExporterOptions, TheTracesPathGoesBeforeTheBaseUrlsQuery) {
  for (const auto& [base, want] : std::vector<std::pair<std::string, std::string>>{
           {"http://h:4318/?token=X", "http://h:4318/v1/traces?token=X"},
           {"http://h:4318?token=X&b=2", "http://h:4318/v1/traces?token=X&b=2"},
           {"https://h/otlp/?k=v", "https://h/otlp/v1/traces?k=v"},
           {"http://h:4318/prefix//", "http://h:4318/prefix/v1/traces"}}) {
    ExporterFlags flags;
    flags.protocol = "http/protobuf";
    flags.endpoint = base;
    auto o = BuildExporterOptions(flags, FakeEnv({}));
    ASSERT_TRUE(o.ok()) << base << ": " << o.status();
    EXPECT_EQ(o->endpoint, want) << base;
  }
  auto env =
      BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/?tenant=a"},
                                        {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->endpoint, "http://c:4318/v1/traces?tenant=a");
}

TEST(ExporterOptions, RejectsBadValuesNamingTheSource) {
  auto bad_protocol = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_PROTOCOL", "udp"}}));
  EXPECT_EQ(bad_protocol.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_protocol.status().message()),
              HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL"));

  auto bad_timeout =
      BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"}}));
  EXPECT_THAT(std::string(bad_timeout.status().message()),
              HasSubstr("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"));

  ExporterFlags flags;
  flags.compression = "brotli";
  auto bad_compression = BuildExporterOptions(flags, FakeEnv({}));
  EXPECT_THAT(std::string(bad_compression.status().message()), HasSubstr("--compression"));

  ExporterFlags header;
  header.headers = {"no-equals-sign"};
  EXPECT_THAT(std::string(BuildExporterOptions(header, FakeEnv({})).status().message()),
              HasSubstr("--header"));
  // curl's "Name: value" form: the name and the fix are shown, the secret never is.
  header.headers = {"Authorization: Bearer s3cr3t-token"};
  const std::string curl_form(BuildExporterOptions(header, FakeEnv({})).status().message());
  EXPECT_THAT(curl_form, HasSubstr("\"Authorization: …\" is not of the form Key=Value, e.g. "
                                   "--header \"Authorization=Bearer …\""));
  EXPECT_THAT(curl_form, Not(HasSubstr("s3cr3t")));
  const std::string env_form(
      BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key s3cr3t"}}))
          .status()
          .message());
  EXPECT_THAT(env_form, HasSubstr("\"api-key …\""));
  EXPECT_THAT(env_form, Not(HasSubstr("s3cr3t")));

  auto bad_insecure = BuildExporterOptions({}, FakeEnv({{"OTEL_EXPORTER_OTLP_INSECURE", "yes"}}));
  EXPECT_EQ(bad_insecure.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ExporterOptions, ValidationRejectsInconsistentSettings) {
  ExporterOptions o;
  o.endpoint = "http://host:4317/v1/traces";
  EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("http/protobuf"));

  o = ExporterOptions{};
  o.protocol = OtlpProtocol::kHttpProtobuf;
  o.endpoint = "host:4318";
  EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("scheme"));

  o = ExporterOptions{};
  o.endpoint = "http://host:99999";
  EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("bad port"));

  o = ExporterOptions{};
  o.cert_file = "/etc/hostname";
  EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("together"));

  o = ExporterOptions{};
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("/nonexistent/ca.pem"));

  o = ExporterOptions{};
  o.headers = {{"bad key", "v"}};
  EXPECT_FALSE(ValidateExporterOptions(o).ok());

  o = ExporterOptions{};
  o.headers = {{"x-injection", "a\r\nEvil: 1"}};
  EXPECT_FALSE(ValidateExporterOptions(o).ok());

  o = ExporterOptions{};
  o.max_in_flight = 0;
  EXPECT_FALSE(ValidateExporterOptions(o).ok());

  for (int connections : {0, 65}) {
    o = ExporterOptions{};
    o.connections = connections;
    EXPECT_THAT(std::string(ValidateExporterOptions(o).message()), HasSubstr("connections"));
  }

  o = ExporterOptions{};
  o.retry.multiplier = 0.5;
  EXPECT_FALSE(ValidateExporterOptions(o).ok());

  EXPECT_TRUE(ValidateExporterOptions(ExporterOptions{}).ok());
}

TEST(ExporterOptions, DescribeNeverShowsSecrets) {
  ExporterOptions o;
  o.protocol = OtlpProtocol::kHttpProtobuf;
  o.endpoint = "https://user:hunter2@collector.example:4318/v1/traces?api_key=s3cret";
  o.headers = {{"Authorization", "Bearer topsecret"}, {"x-scope-orgid", "tenant-a"}};
  o.compression = OtlpCompression::kGzip;
  std::string text = DescribeExporterOptions(o);
  EXPECT_THAT(text, HasSubstr("https://collector.example:4318/v1/traces"));
  EXPECT_THAT(text, HasSubstr("Authorization"));
  EXPECT_THAT(text, HasSubstr("gzip"));
  EXPECT_THAT(text, Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, Not(HasSubstr("user")));
  EXPECT_THAT(text, Not(HasSubstr("topsecret")));
  EXPECT_THAT(text, Not(HasSubstr("tenant-a")));
  EXPECT_THAT(text, Not(HasSubstr("s3cret")));
}

TEST(EndpointUrl, ParsesSchemeHostPortAndPath) {
  auto url = ParseEndpointUrl("https://u:p@[::1]:4318/v1/traces?x=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->user, "u");
  EXPECT_EQ(url->password, "p");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 4318);
  EXPECT_EQ(url->path, "/v1/traces");
  EXPECT_EQ(url->query, "x=1");

  auto bare = ParseEndpointUrl("collector:4317");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->scheme, "");
  EXPECT_EQ(bare->host, "collector");
  EXPECT_EQ(bare->port, 4317);
  EXPECT_FALSE(ParseEndpointUrl("http://:4317").ok());
}

TEST(OtlpHeaderList, RejectsMalformedMembers) {
  EXPECT_FALSE(ParseOtlpHeaderList("novalue").ok());
  EXPECT_FALSE(ParseOtlpHeaderList("=v").ok());
  EXPECT_FALSE(ParseOtlpHeaderList("k=%zz").ok());
  EXPECT_FALSE(ParseOtlpHeaderList("k=%4").ok());
  auto ok = ParseOtlpHeaderList("a=1,,b = 2 ");
  ASSERT_TRUE(ok.ok());
  EXPECT_THAT(*ok, UnorderedElementsAre(Pair("a", "1"), Pair("b", "2")));
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

TEST(UnreachableHint, SaysTheLikelyFix) {
  auto options = [](const std::string& endpoint, const char* protocol = "grpc",
                    bool insecure = false) {
    ExporterFlags flags;
    flags.endpoint = endpoint;
    flags.protocol = protocol;
    if (insecure) flags.insecure = true;
    return BuildExporterOptions(flags, [](const std::string&) { return std::nullopt; }).value();
  };
  const std::string wrong_version =
      "UNKNOWN: ipv4:127.0.0.1:4317: Ssl handshake failed: SSL_ERROR_SSL: error:0A00010B:SSL "
      "routines::wrong version number";
  EXPECT_EQ(UnreachableHint(options("localhost:4317"), wrong_version),
            "hint: the TLS handshake failed; if the endpoint speaks plaintext (a collector's "
            "default), use http://localhost:4317 (a bare HOST:PORT means TLS)");
  EXPECT_EQ(UnreachableHint(options("https://c:4317"), wrong_version),
            "hint: the TLS handshake failed; if the endpoint speaks plaintext (a collector's "
            "default), use http://c:4317");
  EXPECT_THAT(UnreachableHint(options("https://c:4317"), "certificate verify failed"),
              HasSubstr("--ca CA.pem"));
  // Plaintext already: no TLS hint, whatever the error says.
  EXPECT_EQ(UnreachableHint(options("http://c:9999"), wrong_version), "");
  const std::string refused = "Failed to connect to remote host: Connection refused";
  EXPECT_THAT(UnreachableHint(options("http://c:4318"), refused),
              HasSubstr("add --protocol http/protobuf"));
  EXPECT_THAT(UnreachableHint(options("http://c:4317", "http/protobuf"), refused),
              HasSubstr("4317 is OTLP/gRPC's port"));
  EXPECT_EQ(
      UnreachableHint(options("http://c:9999", "http/json"), "Couldn't connect to server (curl 7)"),
      "hint: nothing accepts connections at c:9999: is the collector running, and on this "
      "port?");
  EXPECT_EQ(UnreachableHint(options("http://c:9999"), "deadline exceeded"), "");
}

}  // namespace
}  // namespace agentstorm
