#include "sink/grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "sink/listener_security.h"
#include "sink/request_decoder.h"

namespace agentstorm::sink {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

constexpr char kReceiver[] = "grpc";

grpc::Status ToGrpcStatus(const ExportOutcome& outcome) {
  grpc::StatusCode code = grpc::StatusCode::OK;
  switch (outcome.result) {
    case ExportResult::kOk:
    case ExportResult::kPartial:
      return grpc::Status::OK;
    case ExportResult::kInvalid:
    case ExportResult::kUnsupported:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case ExportResult::kTooLarge:
    case ExportResult::kThrottled:
    case ExportResult::kFull:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case ExportResult::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case ExportResult::kError:
      code = grpc::StatusCode::INTERNAL;
      break;
    case ExportResult::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
  }
  if (outcome.retry_after <= absl::ZeroDuration()) return grpc::Status(code, outcome.message);
  // RESOURCE_EXHAUSTED is retryable in OTLP only with RetryInfo, carried in the binary
  // grpc-status-details-bin trailer as a google.rpc.Status.
  google::rpc::RetryInfo retry;
  const int64_t nanos = absl::ToInt64Nanoseconds(outcome.retry_after);
  retry.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  google::rpc::Status details;
  details.set_code(static_cast<int32_t>(code));
  details.set_message(outcome.message);
  details.add_details()->PackFrom(retry);
  return grpc::Status(code, outcome.message, details.SerializeAsString());
}

template <typename Message>
void SerializeTo(const Message& message, grpc::ByteBuffer* out) {
  bool own = false;
  (void)grpc::SerializationTraits<Message>::Serialize(message, out, &own);
}

// Gathers gRPC's slices into `out`, which keeps its capacity from one request to the next.
void Gather(const grpc::ByteBuffer& request_bytes, std::string* out) {
  thread_local std::vector<grpc::Slice> slices;
  out->clear();
  out->reserve(request_bytes.Length());
  slices.clear();
  (void)request_bytes.Dump(&slices);
  for (const grpc::Slice& slice : slices) {
    out->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  slices.clear();
}

// gRPC's own decompression is off (Start): it inflates a whole message before checking its
// size, so 1 MiB of gzip could take 1 GiB. A message arrives as it was sent, then, and one with
// the gzip magic is compressed: a protobuf message cannot start with 0x1f (wire type 7 does not
// exist), and gzip is the only algorithm left enabled. The decoder inflates it, stopping at the
// limit.
bool Gzipped(std::string_view bytes) {
  return bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b';
}

// True when no token is required, or the call's `authorization` metadata carries it.
bool Authenticated(const grpc::CallbackServerContext& context, const std::string& token) {
  if (token.empty()) return true;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  return it != metadata.end() &&
         BearerMatches(std::string_view(it->second.data(), it->second.size()), token);
}

// The Refuse() answer to a body DecodeTraceBody or DecodeMetricsRequest turned down.
grpc::Status RefuseUndecodable(ExportHandler* handler, const char* signal, const absl::Status& s) {
  return ToGrpcStatus(handler->Refuse(
      kReceiver, signal,
      absl::IsResourceExhausted(s) ? ExportResult::kTooLarge : ExportResult::kInvalid,
      std::string(s.message())));
}

// What both services share: the callback-API Export method, which checks the bearer token and
// the admission faults, then answers synchronously with what Derived::Handle(request, response)
// returns; and the state Handle uses.
template <typename ServiceBase, typename Derived>
class RawExportService : public ServiceBase {
 public:
  RawExportService(const char* signal, ExportHandler* handler, size_t max_request_bytes,
                   std::string token)
      : signal_(signal), handler_(handler), limits_{max_request_bytes}, token_(std::move(token)) {}

  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!Authenticated(*context, token_)) {
      reactor->Finish(ToGrpcStatus(
          handler_->Refuse(kReceiver, signal_, ExportResult::kUnauthenticated, kMissingToken)));
    } else if (std::optional<ExportOutcome> refused = handler_->Admit(kReceiver, signal_)) {
      reactor->Finish(ToGrpcStatus(*refused));
    } else {
      reactor->Finish(static_cast<Derived*>(this)->Handle(*request_bytes, response_bytes));
    }
    return reactor;
  }

 protected:
  const char* const signal_;
  ExportHandler* const handler_;
  const DecodeLimits limits_;
  const std::string token_;
};

}  // namespace

class GrpcReceiver::TraceServiceImpl
    : public RawExportService<
          trace_v1::TraceService::WithRawCallbackMethod_Export<trace_v1::TraceService::Service>,
          GrpcReceiver::TraceServiceImpl> {
 public:
  TraceServiceImpl(ExportHandler* handler, size_t max_request_bytes, std::string token)
      : RawExportService("traces", handler, max_request_bytes, std::move(token)) {}

  grpc::Status Handle(const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response_bytes) {
    // gRPC's slices are gathered into this thread's buffer, which keeps its capacity from one
    // request to the next (as does the index): the store copies only what it keeps.
    thread_local DecodedTraceRequest request;
    std::string bytes = std::move(request.bytes);
    Gather(request_bytes, &bytes);
    const bool gzip = Gzipped(bytes);
    if (absl::Status s =
            DecodeTraceBody(std::move(bytes), BodyEncoding::kProtobuf, gzip, limits_, &request);
        !s.ok()) {
      return RefuseUndecodable(handler_, "traces", s);
    }
    const ExportOutcome outcome = handler_->HandleTraces(kReceiver, &request);
    if (outcome.result == ExportResult::kOk || outcome.result == ExportResult::kPartial) {
      trace_v1::ExportTraceServiceResponse response;
      if (outcome.result == ExportResult::kPartial) {
        response.mutable_partial_success()->set_rejected_spans(
            static_cast<int64_t>(outcome.rejected_spans));
        response.mutable_partial_success()->set_error_message(outcome.message);
      }
      SerializeTo(response, response_bytes);
    }
    return ToGrpcStatus(outcome);
  }
};

class GrpcReceiver::MetricsServiceImpl
    : public RawExportService<metrics_v1::MetricsService::WithRawCallbackMethod_Export<
                                  metrics_v1::MetricsService::Service>,
                              GrpcReceiver::MetricsServiceImpl> {
 public:
  MetricsServiceImpl(ExportHandler* handler, size_t max_request_bytes, std::string token)
      : RawExportService("metrics", handler, max_request_bytes, std::move(token)) {}

  grpc::Status Handle(const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response_bytes) {
    thread_local std::string bytes;
    Gather(request_bytes, &bytes);
    metrics_v1::ExportMetricsServiceRequest request;
    if (absl::Status s =
            DecodeMetricsRequest(bytes, BodyEncoding::kProtobuf, Gzipped(bytes), limits_, &request);
        !s.ok()) {
      return RefuseUndecodable(handler_, "metrics", s);
    }
    const ExportOutcome outcome = handler_->HandleMetrics(kReceiver, request);
    SerializeTo(metrics_v1::ExportMetricsServiceResponse(), response_bytes);
    return ToGrpcStatus(outcome);
  }
};

GrpcReceiver::GrpcReceiver() = default;

GrpcReceiver::~GrpcReceiver() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<GrpcReceiver>> GrpcReceiver::Start(const ListenAddress& address,
                                                                  size_t max_request_bytes,
                                                                  const ListenerSecurity& security,
                                                                  ExportHandler* handler) {
  std::unique_ptr<GrpcReceiver> receiver(new GrpcReceiver());
  receiver->trace_service_ =
      std::make_unique<TraceServiceImpl>(handler, max_request_bytes, security.bearer_token);
  receiver->metrics_service_ =
      std::make_unique<MetricsServiceImpl>(handler, max_request_bytes, security.bearer_token);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (security.tls()) {
    grpc::SslServerCredentialsOptions tls(
        security.client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = security.client_ca_pem;
    tls.pem_key_cert_pairs.push_back({security.key_pem, security.cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address.ToString(), credentials, &receiver->port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(max_request_bytes, INT32_MAX)));
  builder.RegisterService(receiver->trace_service_.get());
  builder.RegisterService(receiver->metrics_service_.get());
  // Messages reach the service compressed (Gzipped above), gzip or not at all: a client asking
  // for deflate gets UNIMPLEMENTED from gRPC itself, as OTLP requires only gzip.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  // Port reuse would let a second sink silently share the port with a first one.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  receiver->server_ = builder.BuildAndStart();
  if (receiver->server_ == nullptr || receiver->port_ == 0) {
    receiver->server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen for OTLP/gRPC on ", address.ToString(),
                     security.tls() ? " (address in use or not permitted, or the TLS certificate "
                                      "and key are not a pair)"
                                    : " (address in use or not permitted)"));
  }
  return receiver;
}

void GrpcReceiver::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
}

}  // namespace agentstorm::sink
