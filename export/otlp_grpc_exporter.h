// OtlpGrpcExporter: OTLP/gRPC trace exporter (TraceService/Export).
//
// Asynchronous (gRPC callback API): up to ExporterOptions::max_in_flight RPCs share
// ExporterOptions::connections HTTP/2 channels (one connection each), taken in turn; more
// batches wait in a queue. The batch payload, already a serialized
// ExportTraceServiceRequest, goes on the wire as is through a generic stub (no parse and
// re-serialize). gzip via gRPC message compression; TLS with a CA, mTLS with a client
// certificate, plaintext for http:// or insecure; headers become call metadata (lowercased);
// every attempt has a deadline of ExporterOptions::timeout. Retries, accounting and shutdown are
// RetryingExporter's. An UNAVAILABLE while the channel has never connected is reported as
// endpoint_unreachable.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <memory>
#include <set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "export/retrying_exporter.h"

namespace agentstorm {

// The channel to options.endpoint with its TLS, compression and reconnect settings (shared by
// the trace exporter and the metrics exporter). Errors: InvalidArgument for bad options or
// unreadable certificate files. Does not connect.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeOtlpGrpcChannel(const ExporterOptions& options);

class OtlpGrpcExporter final : public RetryingExporter {
 public:
  // The full method name the generic stub calls.
  static constexpr const char* kExportMethod =
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

  // REQUIRES: options.protocol == OtlpProtocol::kGrpc. Errors: InvalidArgument for bad
  // options or unreadable certificate files. Does not connect (the first Export does).
  static absl::StatusOr<std::unique_ptr<OtlpGrpcExporter>> Create(
      const ExporterOptions& options,
      RetryPolicy::JitterSource jitter = RetryPolicy::DefaultJitter());

  ~OtlpGrpcExporter() override;

 private:
  struct Rpc;
  OtlpGrpcExporter(const ExporterOptions& options, RetryPolicy::JitterSource jitter,
                   std::vector<std::shared_ptr<grpc::Channel>> channels);

  void StartAttempt(Call* call) override ABSL_LOCKS_EXCLUDED(mu_);
  void CancelAttempts() override ABSL_LOCKS_EXCLUDED(mu_);
  void OnDone(Rpc* rpc, int code, const std::string& message, const std::string& details)
      ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;  // one per channel
  std::atomic<size_t> next_channel_{0};
  absl::Mutex mu_;
  std::set<grpc::ClientContext*> live_ ABSL_GUARDED_BY(mu_);
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace agentstorm
