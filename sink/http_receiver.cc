#include "sink/http_receiver.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/otlp_json.h"
#include "google/rpc/status.pb.h"
#include "sink/http_server.h"
#include "sink/request_decoder.h"

namespace agentstorm::sink {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

constexpr char kReceiver[] = "http";
std::optional<BodyEncoding> EncodingOf(const HttpRequest& req) {
  std::string type = req.Header("Content-Type");
  type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
  if (type == "application/x-protobuf" || type == "application/protobuf")
    return BodyEncoding::kProtobuf;
  if (type == "application/json") return BodyEncoding::kJson;
  return std::nullopt;
}

int HttpStatusOf(ExportResult result) {
  switch (result) {
    case ExportResult::kOk:
    case ExportResult::kPartial:
      return 200;
    case ExportResult::kInvalid:
      return 400;
    case ExportResult::kTooLarge:
      return 413;
    case ExportResult::kUnsupported:
      return 415;
    case ExportResult::kUnavailable:
      return 503;
    case ExportResult::kThrottled:
    case ExportResult::kFull:
      return 429;
    case ExportResult::kError:
      return 500;
    case ExportResult::kUnauthenticated:
      return 401;
  }
  return 500;
}

int GrpcCodeOf(ExportResult result) {
  switch (result) {
    case ExportResult::kOk:
    case ExportResult::kPartial:
      return 0;
    case ExportResult::kInvalid:
      return 3;  // INVALID_ARGUMENT
    case ExportResult::kUnsupported:
      return 3;
    case ExportResult::kTooLarge:
    case ExportResult::kThrottled:
    case ExportResult::kFull:
      return 8;  // RESOURCE_EXHAUSTED
    case ExportResult::kUnavailable:
      return 14;  // UNAVAILABLE
    case ExportResult::kError:
      return 13;  // INTERNAL
    case ExportResult::kUnauthenticated:
      return 16;  // UNAUTHENTICATED
  }
  return 13;
}

void WriteMessage(const google::protobuf::Message& message, BodyEncoding encoding,
                  HttpResponse& res) {
  if (encoding == BodyEncoding::kJson) {
    res.SetContent(EncodeOtlpJson(message), "application/json");
  } else {
    res.SetContent(message.SerializeAsString(), "application/x-protobuf");
  }
}

// Answers `outcome`. `response` is the success body (its partial_success filled here for
// traces).
void Answer(const ExportOutcome& outcome, BodyEncoding encoding, HttpResponse& res,
            google::protobuf::Message* response) {
  res.status = HttpStatusOf(outcome.result);
  if (outcome.retry_after > absl::ZeroDuration()) {
    res.headers.emplace_back(
        "Retry-After",
        absl::StrCat(std::max<int64_t>(
            1, absl::ToInt64Seconds(absl::Ceil(outcome.retry_after, absl::Seconds(1))))));
  }
  if (res.status == 200) {
    if (outcome.result == ExportResult::kPartial) {
      auto* traces = static_cast<trace_v1::ExportTraceServiceResponse*>(response);
      traces->mutable_partial_success()->set_rejected_spans(
          static_cast<int64_t>(outcome.rejected_spans));
      traces->mutable_partial_success()->set_error_message(outcome.message);
    }
    WriteMessage(*response, encoding, res);
    return;
  }
  if (encoding == BodyEncoding::kJson) {
    nlohmann::json body = {{"code", GrpcCodeOf(outcome.result)}, {"message", outcome.message}};
    res.SetContent(JsonText(body), "application/json");
  } else {
    google::rpc::Status status;
    status.set_code(GrpcCodeOf(outcome.result));
    status.set_message(outcome.message);
    res.SetContent(status.SerializeAsString(), "application/x-protobuf");
  }
}

class ExportEndpoint {
 public:
  ExportEndpoint(ExportHandler* handler, size_t max_request_bytes, bool traces)
      : handler_(handler), max_request_bytes_(max_request_bytes), traces_(traces) {}

  void operator()(HttpRequest& req, HttpResponse& res) const {
    const char* signal = traces_ ? "traces" : "metrics";
    const std::optional<BodyEncoding> encoding = EncodingOf(req);
    const BodyEncoding reply_encoding = encoding.value_or(BodyEncoding::kJson);
    if (!req.auth_error.empty()) {
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
      Answer(handler_->Refuse(kReceiver, signal, ExportResult::kUnauthenticated, req.auth_error),
             reply_encoding, res, nullptr);
      return;
    }
    if (req.body_too_large) {  // answered as soon as it passed the limit; the connection closes
      Answer(handler_->Refuse(kReceiver, signal, ExportResult::kTooLarge,
                              absl::StrCat("request body exceeds --max-request-bytes (",
                                           max_request_bytes_, " bytes)")),
             reply_encoding, res, nullptr);
      return;
    }
    if (!encoding) {
      Answer(
          handler_->Refuse(kReceiver, signal, ExportResult::kUnsupported,
                           absl::StrCat("unsupported Content-Type \"", req.Header("Content-Type"),
                                        "\" (use application/x-protobuf or application/json)")),
          reply_encoding, res, nullptr);
      return;
    }
    const std::string content_encoding =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(req.Header("Content-Encoding")));
    const bool gzip =
        content_encoding == "gzip" || content_encoding == "x-gzip" || content_encoding == "deflate";
    if (!gzip && !content_encoding.empty() && content_encoding != "identity") {
      Answer(handler_->Refuse(kReceiver, signal, ExportResult::kUnsupported,
                              absl::StrCat("unsupported Content-Encoding \"", content_encoding,
                                           "\" (use gzip or none)")),
             *encoding, res, nullptr);
      return;
    }
    if (std::optional<ExportOutcome> refused = handler_->Admit(kReceiver, signal)) {
      Answer(*refused, *encoding, res, nullptr);
      return;
    }
    const DecodeLimits limits{max_request_bytes_};
    if (traces_) {
      // Per thread, so the index keeps its capacity (the body is the one the server read).
      thread_local DecodedTraceRequest request;
      if (absl::Status s = DecodeTraceBody(std::move(req.body), *encoding, gzip, limits, &request);
          !s.ok()) {
        Answer(Refusal(signal, s), *encoding, res, nullptr);
        return;
      }
      trace_v1::ExportTraceServiceResponse response;
      Answer(handler_->HandleTraces(kReceiver, &request), *encoding, res, &response);
    } else {
      metrics_v1::ExportMetricsServiceRequest request;
      if (absl::Status s = DecodeMetricsRequest(req.body, *encoding, gzip, limits, &request);
          !s.ok()) {
        Answer(Refusal(signal, s), *encoding, res, nullptr);
        return;
      }
      metrics_v1::ExportMetricsServiceResponse response;
      Answer(handler_->HandleMetrics(kReceiver, request), *encoding, res, &response);
    }
  }

 private:
  ExportOutcome Refusal(const char* signal, const absl::Status& s) const {
    return handler_->Refuse(
        kReceiver, signal,
        absl::IsResourceExhausted(s) ? ExportResult::kTooLarge : ExportResult::kInvalid,
        std::string(s.message()));
  }

  ExportHandler* handler_;
  size_t max_request_bytes_;
  bool traces_;
};

}  // namespace

HttpReceiver::HttpReceiver() = default;

HttpReceiver::~HttpReceiver() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpReceiver>> HttpReceiver::Start(const ListenAddress& address,
                                                                  size_t max_request_bytes,
                                                                  const ListenerSecurity& security,
                                                                  ExportHandler* handler) {
  std::unique_ptr<HttpReceiver> receiver(new HttpReceiver());
  ExportEndpoint traces(handler, max_request_bytes, true);
  ExportEndpoint metrics(handler, max_request_bytes, false);
  auto route = [traces, metrics](HttpRequest& req, HttpResponse& res) {
    const bool known = req.path == "/v1/traces" || req.path == "/v1/metrics";
    if (!known && !req.auth_error.empty()) {
      res.status = 401;
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
      nlohmann::json body = {{"code", 16}, {"message", req.auth_error}};
      res.SetContent(JsonText(body), "application/json");
      return;
    }
    if (!known) {
      res.status = 404;
      nlohmann::json body = {{"code", 5},
                             {"message", absl::StrCat("no such endpoint: ", req.path)}};
      res.SetContent(JsonText(body), "application/json");
      return;
    }
    if (req.method != "POST") {
      res.status = 405;
      res.headers.emplace_back("Allow", "POST");
      res.SetContent(R"({"code":12,"message":"use POST"})", "application/json");
      return;
    }
    if (req.path == "/v1/traces") {
      traces(req, res);
    } else {
      metrics(req, res);
    }
  };
  HttpServerOptions options;
  options.max_body_bytes = max_request_bytes;
  options.security = security;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(address, "OTLP/HTTP", options, std::move(route));
  if (!server.ok()) return server.status();
  receiver->server_ = *std::move(server);
  return receiver;
}

int HttpReceiver::port() const { return server_->port(); }

void HttpReceiver::Shutdown() {
  if (server_ != nullptr) server_->Stop();
}

}  // namespace agentstorm::sink
