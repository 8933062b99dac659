#include "export/otlp_grpc_exporter.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;

absl::StatusOr<std::string> ReadPem(absl::string_view what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read \"", path, "\""));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(const ExporterOptions& o,
                                                                          const EndpointUrl& url) {
  if (url.scheme == "http" || (url.scheme.empty() && o.insecure)) {
    return grpc::InsecureChannelCredentials();
  }
  std::string roots, cert, key;
  if (!o.ca_file.empty()) {
    absl::StatusOr<std::string> pem = ReadPem("ca", o.ca_file);
    if (!pem.ok()) return pem.status();
    roots = *std::move(pem);
  }
  if (!o.cert_file.empty()) {
    absl::StatusOr<std::string> c = ReadPem("cert", o.cert_file);
    if (!c.ok()) return c.status();
    absl::StatusOr<std::string> k = ReadPem("key", o.key_file);
    if (!k.ok()) return k.status();
    cert = *std::move(c);
    key = *std::move(k);
  }
  if (o.insecure) {
    // https:// with insecure: TLS without verifying the server certificate.
    grpc::experimental::TlsChannelCredentialsOptions tls;
    std::vector<grpc::experimental::IdentityKeyCertPair> identity;
    if (!cert.empty()) identity.push_back({key, cert});
    if (!identity.empty()) {
      tls.set_certificate_provider(
          std::make_shared<grpc::experimental::StaticDataCertificateProvider>(roots, identity));
      tls.watch_identity_key_cert_pairs();
    }
    tls.set_verify_server_certs(false);
    tls.set_check_call_host(false);
    tls.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
    return grpc::experimental::TlsCredentials(tls);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = roots;
  ssl.pem_cert_chain = cert;
  ssl.pem_private_key = key;
  return grpc::SslCredentials(ssl);
}

}  // namespace

struct OtlpGrpcExporter::Rpc {
  Call* call = nullptr;
  size_t channel = 0;  // index into channels_
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
};

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeOtlpGrpcChannel(const ExporterOptions& options) {
  if (absl::Status s = ValidateExporterOptions(options); !s.ok()) return s;
  absl::StatusOr<EndpointUrl> url = ParseEndpointUrl(options.endpoint);
  if (!url.ok()) return url.status();
  auto credentials = MakeCredentials(options, *url);
  if (!credentials.ok()) return credentials.status();

  grpc::ChannelArguments args;
  // Retries are ours (OTLP semantics, counted per attempt); gRPC's own would hide attempts.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  // Reconnect soon after an outage instead of gRPC's default backoff of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(std::max<int64_t>(100, options.retry.max_backoff.count())));
  // Each exporter (endpoint) gets its own connection, so side-by-side endpoints do not interact.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (options.compression == OtlpCompression::kGzip) {
    args.SetCompressionAlgorithm(GRPC_COMPRESS_GZIP);
  }
  return grpc::CreateCustomChannel(url->HostPort(), *credentials, args);
}

absl::StatusOr<std::unique_ptr<OtlpGrpcExporter>> OtlpGrpcExporter::Create(
    const ExporterOptions& options, RetryPolicy::JitterSource jitter) {
  if (options.protocol != OtlpProtocol::kGrpc) {
    return absl::InvalidArgumentError("OtlpGrpcExporter needs protocol grpc");
  }
  // Each channel has its own subchannel pool (MakeOtlpGrpcChannel), so its own connection.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeOtlpGrpcChannel(options);
    if (!channel.ok()) return channel.status();
    channels.push_back(*std::move(channel));
  }
  return std::unique_ptr<OtlpGrpcExporter>(
      new OtlpGrpcExporter(options, std::move(jitter), std::move(channels)));
}

OtlpGrpcExporter::OtlpGrpcExporter(const ExporterOptions& options, RetryPolicy::JitterSource jitter,
                                   std::vector<std::shared_ptr<grpc::Channel>> channels)
    : RetryingExporter(options, std::move(jitter)), channels_(std::move(channels)) {
  for (const auto& channel : channels_)
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
}

OtlpGrpcExporter::~OtlpGrpcExporter() { Shutdown(std::chrono::milliseconds(0)); }

void OtlpGrpcExporter::StartAttempt(Call* call) {
  auto* rpc = new Rpc;
  rpc->call = call;
  rpc->channel = next_channel_.fetch_add(1, std::memory_order_relaxed) % channels_.size();
  rpc->context.set_deadline(std::chrono::system_clock::now() + options().timeout);
  for (const auto& [key, value] : options().headers) {
    rpc->context.AddMetadata(absl::AsciiStrToLower(key), value);
  }
  if (options().compression == OtlpCompression::kGzip) {
    rpc->context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  }
  // The slice borrows the payload; it keeps the batch alive until gRPC lets go of it.
  const std::string& payload = call->batch->payload;
  auto* keep_alive = new std::shared_ptr<const EncodedBatch>(call->batch);
  grpc::Slice slice(
      const_cast<char*>(payload.data()), payload.size(),
      [](void* p) { delete static_cast<std::shared_ptr<const EncodedBatch>*>(p); }, keep_alive);
  rpc->request = grpc::ByteBuffer(&slice, 1);
  {
    absl::MutexLock lock(&mu_);
    live_.insert(&rpc->context);
    // TryCancel before the call starts is remembered by the context and applied at start.
    if (cancelling_) rpc->context.TryCancel();
  }
  stubs_[rpc->channel]->UnaryCall(&rpc->context, kExportMethod, grpc::StubOptions(), &rpc->request,
                                  &rpc->response, [this, rpc](grpc::Status status) {
                                    OnDone(rpc, status.error_code(), status.error_message(),
                                           status.error_details());
                                  });
}

void OtlpGrpcExporter::OnDone(Rpc* rpc, int code, const std::string& message,
                              const std::string& details) {
  {
    absl::MutexLock lock(&mu_);
    live_.erase(&rpc->context);
  }
  AttemptOutcome outcome;
  outcome.bytes_sent = rpc->call->batch->payload.size();
  if (code == grpc::StatusCode::OK) {
    outcome.kind = AttemptOutcome::Kind::kAccepted;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (rpc->response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    ExportTraceServiceResponse response;
    if (!bytes.empty() && response.ParseFromString(bytes) && response.has_partial_success()) {
      int64_t rejected = response.partial_success().rejected_spans();
      outcome.rejected_spans =
          static_cast<uint32_t>(std::clamp<int64_t>(rejected, 0, rpc->call->batch->span_count));
      outcome.error = response.partial_success().error_message();
    }
  } else {
    RetryVerdict verdict = ClassifyGrpcStatus(code, details);
    outcome.kind =
        verdict.retryable ? AttemptOutcome::Kind::kRetryable : AttemptOutcome::Kind::kPermanent;
    outcome.server_delay = verdict.server_delay;
    outcome.error = absl::StrCat("grpc status ", code, ": ", message);
    // UNAVAILABLE / DEADLINE_EXCEEDED while the channel is not connected means no server
    // answered: refused, DNS failure, TLS handshake failure, or connect timeout.
    if (code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED) {
      outcome.connection_failed = channels_[rpc->channel]->GetState(false) != GRPC_CHANNEL_READY;
    } else if (code == grpc::StatusCode::CANCELLED) {
      outcome.connection_failed = channels_[rpc->channel]->GetState(false) != GRPC_CHANNEL_READY;
    }
  }
  Call* call = rpc->call;
  delete rpc;
  FinishAttempt(call, std::move(outcome));
}

void OtlpGrpcExporter::CancelAttempts() {
  absl::MutexLock lock(&mu_);
  cancelling_ = true;
  for (grpc::ClientContext* context : live_) context->TryCancel();
}

}  // namespace agentstorm
