#include "sink/http_receiver.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/otlp_json.h"
#include "google/rpc/status.pb.h"
#include "sink/http_listener.h"
#include "sink/request_decoder.h"

namespace agentstorm::sink {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

constexpr char kReceiver[] = "http";
// httplib inflates gzip bodies on its own, with no bound on the inflated size and no message
// on corrupt data. The pre-routing hook moves Content-Encoding here so that the receiver
// inflates through DecodeTraceRequest instead: bounded by --max-request-bytes, and a corrupt
// body gets a 400 that says so.
constexpr char kStashedEncoding[] = "X-Agentstorm-Content-Encoding";

std::optional<BodyEncoding> EncodingOf(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
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
  }
  return 13;
}

void WriteMessage(const google::protobuf::Message& message, BodyEncoding encoding,
                  httplib::Response& res) {
  if (encoding == BodyEncoding::kJson) {
    res.set_content(EncodeOtlpJson(message), "application/json");
  } else {
    res.set_content(message.SerializeAsString(), "application/x-protobuf");
  }
}

// Answers `outcome`. `response` is the success body (its partial_success filled here for
// traces).
void Answer(const ExportOutcome& outcome, BodyEncoding encoding, httplib::Response& res,
            google::protobuf::Message* response) {
  res.status = HttpStatusOf(outcome.result);
  if (outcome.retry_after > absl::ZeroDuration()) {
    res.set_header("Retry-After",
                   absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(
                                                         outcome.retry_after, absl::Seconds(1))))));
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
    res.set_content(JsonText(body), "application/json");
  } else {
    google::rpc::Status status;
    status.set_code(GrpcCodeOf(outcome.result));
    status.set_message(outcome.message);
    res.set_content(status.SerializeAsString(), "application/x-protobuf");
  }
}

class ExportEndpoint {
 public:
  ExportEndpoint(ExportHandler* handler, size_t max_request_bytes, bool traces)
      : handler_(handler), max_request_bytes_(max_request_bytes), traces_(traces) {}

  void operator()(const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& read) const {
    const char* signal = traces_ ? "traces" : "metrics";
    const std::optional<BodyEncoding> encoding = EncodingOf(req);
    // The body is always read (or skipped by httplib when over the limit) so the connection
    // stays usable for the next request.
    std::string body;
    bool over_limit = false;
    const bool read_ok = read([&](const char* data, size_t n) {
      if (body.size() + n > max_request_bytes_) {
        over_limit = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    const BodyEncoding reply_encoding = encoding.value_or(BodyEncoding::kJson);
    if (!read_ok) {
      if (over_limit || res.status == 413) {
        res.set_header("Connection", "close");
        Answer(handler_->Refuse(kReceiver, signal, ExportResult::kTooLarge,
                                absl::StrCat("request body exceeds --max-request-bytes (",
                                             max_request_bytes_, " bytes)")),
               reply_encoding, res, nullptr);
      } else {
        Answer(handler_->Refuse(kReceiver, signal, ExportResult::kInvalid,
                                "request body could not be read"),
               reply_encoding, res, nullptr);
      }
      return;
    }
    if (!encoding) {
      Answer(handler_->Refuse(
                 kReceiver, signal, ExportResult::kUnsupported,
                 absl::StrCat("unsupported Content-Type \"", req.get_header_value("Content-Type"),
                              "\" (use application/x-protobuf or application/json)")),
             reply_encoding, res, nullptr);
      return;
    }
    const std::string content_encoding =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(req.get_header_value(kStashedEncoding)));
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
      // Per thread, so the index keeps its capacity (the body is the one httplib read).
      thread_local DecodedTraceRequest request;
      if (absl::Status s = DecodeTraceBody(std::move(body), *encoding, gzip, limits, &request);
          !s.ok()) {
        Answer(Refusal(signal, s), *encoding, res, nullptr);
        return;
      }
      trace_v1::ExportTraceServiceResponse response;
      Answer(handler_->HandleTraces(kReceiver, &request), *encoding, res, &response);
    } else {
      metrics_v1::ExportMetricsServiceRequest request;
      if (absl::Status s = DecodeMetricsRequest(body, *encoding, gzip, limits, &request); !s.ok()) {
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
                                                                  ExportHandler* handler) {
  std::unique_ptr<HttpReceiver> receiver(new HttpReceiver());
  receiver->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *receiver->server_;
  server.set_payload_max_length(max_request_bytes);
  server.set_keep_alive_max_count(10000);
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (req.has_header("Content-Encoding")) {
      // httplib's own Request object is non-const; see kStashedEncoding.
      auto& mutable_req = const_cast<httplib::Request&>(req);
      std::string encoding = mutable_req.get_header_value("Content-Encoding");
      mutable_req.headers.erase("Content-Encoding");
      mutable_req.headers.emplace(kStashedEncoding, std::move(encoding));
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.Post("/v1/traces", ExportEndpoint(handler, max_request_bytes, true));
  server.Post("/v1/metrics", ExportEndpoint(handler, max_request_bytes, false));
  auto method_not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "POST");
    res.set_content(R"({"code":12,"message":"use POST"})", "application/json");
  };
  server.Get("/v1/traces", method_not_allowed);
  server.Get("/v1/metrics", method_not_allowed);

  absl::StatusOr<std::unique_ptr<HttpListener>> listener =
      HttpListener::Start(&server, address, "OTLP/HTTP");
  if (!listener.ok()) return listener.status();
  receiver->listener_ = *std::move(listener);
  return receiver;
}

int HttpReceiver::port() const { return listener_->port(); }

void HttpReceiver::Shutdown() {
  if (listener_ != nullptr) listener_->Stop();
}

}  // namespace agentstorm::sink
