#include "export/otlp_metrics_exporter.h"

#include <curl/curl.h>
#include <grpcpp/client_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/curl_easy.h"
#include "core/gzip.h"
#include "core/otlp_json.h"
#include "export/otlp_grpc_exporter.h"
#include "export/otlp_http_exporter.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse;
using opentelemetry::proto::collector::metrics::v1::MetricsService;

class GrpcMetricsExporter final : public OtlpMetricsExporter {
 public:
  GrpcMetricsExporter(ExporterOptions options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)), stub_(MetricsService::NewStub(channel)) {}

  absl::Status Export(const ExportMetricsServiceRequest& request) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
    for (const auto& [k, v] : options_.headers) context.AddMetadata(absl::AsciiStrToLower(k), v);
    ExportMetricsServiceResponse response;
    grpc::Status status = stub_->Export(&context, request, &response);
    if (status.ok()) return absl::OkStatus();
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("metrics export to ", Describe(), ": ", status.error_message()));
  }
  std::string Describe() const override { return DescribeExporterOptions(options_); }

 private:
  ExporterOptions options_;
  std::unique_ptr<MetricsService::Stub> stub_;
};

size_t DiscardBody(char*, size_t size, size_t count, void*) { return size * count; }

class HttpMetricsExporter final : public OtlpMetricsExporter {
 public:
  explicit HttpMetricsExporter(ExporterOptions options)
      : options_(std::move(options)),
        headers_(OtlpHttpHeaders(options_)),
        curl_config_(OtlpHttpCurlConfig(options_, &headers_)) {
    EnsureCurlGlobalInit();
    easy_ = curl_easy_init();
  }
  ~HttpMetricsExporter() override {
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
  }

  absl::Status Export(const ExportMetricsServiceRequest& request) override {
    std::string body = options_.protocol == OtlpProtocol::kHttpJson ? EncodeOtlpJson(request)
                                                                    : request.SerializeAsString();
    if (options_.compression == OtlpCompression::kGzip) body = GzipCompress(body);
    CURL* easy = easy_;
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, options_.endpoint.c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, DiscardBody);
    ApplyCurlEasyConfig(easy, curl_config_);
    CURLcode code = curl_easy_perform(easy);
    if (code != CURLE_OK) {
      return absl::UnavailableError(
          absl::StrCat("metrics export to ", Describe(), ": ", curl_easy_strerror(code)));
    }
    long http = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http);
    if (http >= 200 && http < 300) return absl::OkStatus();
    return absl::UnknownError(absl::StrCat("metrics export to ", Describe(), ": HTTP ", http));
  }
  std::string Describe() const override { return DescribeExporterOptions(options_); }

 private:
  const ExporterOptions options_;
  const CurlHeaderList headers_;
  const CurlEasyConfig curl_config_;  // points at headers_
  CURL* easy_ = nullptr;
};

}  // namespace

ExporterOptions MetricsExporterOptions(const ExporterOptions& trace_options,
                                       bool endpoint_from_flag, const EnvLookup& env) {
  ExporterOptions o = trace_options;
  if (o.protocol == OtlpProtocol::kGrpc) return o;
  if (!endpoint_from_flag) {
    if (auto v = env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"); v && !v->empty()) {
      o.endpoint = std::string(absl::StripAsciiWhitespace(*v));
      return o;
    }
  }
  constexpr absl::string_view kTraces = "/v1/traces";
  if (absl::EndsWith(o.endpoint, kTraces)) {
    o.endpoint.resize(o.endpoint.size() - kTraces.size());
    o.endpoint += "/v1/metrics";
  }
  return o;
}

absl::StatusOr<std::unique_ptr<OtlpMetricsExporter>> OtlpMetricsExporter::Create(
    const ExporterOptions& options) {
  if (options.protocol == OtlpProtocol::kGrpc) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeOtlpGrpcChannel(options);
    if (!channel.ok()) return channel.status();
    return std::unique_ptr<OtlpMetricsExporter>(new GrpcMetricsExporter(options, *channel));
  }
  if (absl::Status s = ValidateExporterOptions(options); !s.ok()) return s;
  return std::unique_ptr<OtlpMetricsExporter>(new HttpMetricsExporter(options));
}

}  // namespace agentstorm
