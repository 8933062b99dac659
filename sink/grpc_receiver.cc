#include "sink/grpc_receiver.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
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

// Parses a raw request into `message` straight from gRPC's slices (no flattening copy of the
// body). On malformed bytes: the INVALID_ARGUMENT the handler counts for `signal`.
template <typename Message>
std::optional<grpc::Status> ParseOrRefuse(const grpc::ByteBuffer& bytes, const char* signal,
                                          ExportHandler* handler, Message* message) {
  grpc::ByteBuffer shared(bytes);
  grpc::ProtoBufferReader reader(&shared);
  if (message->ParseFromZeroCopyStream(&reader)) return std::nullopt;
  return ToGrpcStatus(
      handler->Refuse(kReceiver, signal, ExportResult::kInvalid,
                      absl::StrCat("request of ", bytes.Length(), " bytes is not a valid protobuf ",
                                   Message::descriptor()->name())));
}

// The callback-API Export method both services share: answer synchronously with what
// Derived::Handle(request, response) returns.
template <typename ServiceBase, typename Derived>
class RawExportService : public ServiceBase {
 public:
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(static_cast<Derived*>(this)->Handle(*request_bytes, response_bytes));
    return reactor;
  }
};

}  // namespace

class GrpcReceiver::TraceServiceImpl
    : public RawExportService<
          trace_v1::TraceService::WithRawCallbackMethod_Export<trace_v1::TraceService::Service>,
          GrpcReceiver::TraceServiceImpl> {
 public:
  TraceServiceImpl(ExportHandler* handler, size_t max_request_bytes)
      : handler_(handler), limits_{max_request_bytes} {}

  grpc::Status Handle(const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response_bytes) {
    if (std::optional<ExportOutcome> refused = handler_->Admit(kReceiver, "traces")) {
      return ToGrpcStatus(*refused);
    }
    // gRPC's slices are gathered into this thread's buffer, which keeps its capacity from one
    // request to the next (as does the index): the store copies only what it keeps.
    thread_local DecodedTraceRequest request;
    thread_local std::vector<grpc::Slice> slices;
    std::string bytes = std::move(request.bytes);
    bytes.clear();
    bytes.reserve(request_bytes.Length());
    slices.clear();
    (void)request_bytes.Dump(&slices);
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    slices.clear();
    if (absl::Status s =
            DecodeTraceBody(std::move(bytes), BodyEncoding::kProtobuf, false, limits_, &request);
        !s.ok()) {
      return ToGrpcStatus(handler_->Refuse(
          kReceiver, "traces",
          absl::IsResourceExhausted(s) ? ExportResult::kTooLarge : ExportResult::kInvalid,
          std::string(s.message())));
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

 private:
  ExportHandler* handler_;
  const DecodeLimits limits_;
};

class GrpcReceiver::MetricsServiceImpl
    : public RawExportService<metrics_v1::MetricsService::WithRawCallbackMethod_Export<
                                  metrics_v1::MetricsService::Service>,
                              GrpcReceiver::MetricsServiceImpl> {
 public:
  explicit MetricsServiceImpl(ExportHandler* handler) : handler_(handler) {}

  grpc::Status Handle(const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response_bytes) {
    if (std::optional<ExportOutcome> refused = handler_->Admit(kReceiver, "metrics")) {
      return ToGrpcStatus(*refused);
    }
    metrics_v1::ExportMetricsServiceRequest request;
    if (auto refused = ParseOrRefuse(request_bytes, "metrics", handler_, &request)) {
      return *refused;
    }
    const ExportOutcome outcome = handler_->HandleMetrics(kReceiver, request);
    SerializeTo(metrics_v1::ExportMetricsServiceResponse(), response_bytes);
    return ToGrpcStatus(outcome);
  }

 private:
  ExportHandler* handler_;
};

GrpcReceiver::GrpcReceiver() = default;

GrpcReceiver::~GrpcReceiver() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<GrpcReceiver>> GrpcReceiver::Start(const ListenAddress& address,
                                                                  size_t max_request_bytes,
                                                                  ExportHandler* handler) {
  std::unique_ptr<GrpcReceiver> receiver(new GrpcReceiver());
  receiver->trace_service_ = std::make_unique<TraceServiceImpl>(handler, max_request_bytes);
  receiver->metrics_service_ = std::make_unique<MetricsServiceImpl>(handler);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address.ToString(), grpc::InsecureServerCredentials(), &receiver->port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(max_request_bytes, INT32_MAX)));
  builder.RegisterService(receiver->trace_service_.get());
  builder.RegisterService(receiver->metrics_service_.get());
  // Port reuse would let a second sink silently share the port with a first one.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  receiver->server_ = builder.BuildAndStart();
  if (receiver->server_ == nullptr || receiver->port_ == 0) {
    receiver->server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen for OTLP/gRPC on ",
                                               address.ToString(),
                                               " (address in use or not permitted)"));
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
