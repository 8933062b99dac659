// OTLP/gRPC receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export and
// ...metrics.v1.MetricsService/Export, gzip accepted (grpc-encoding; inflated by the sink, up to
// max_request_bytes), bodies bigger than max_request_bytes refused with RESOURCE_EXHAUSTED.
// TLS, mTLS and a bearer token as ListenerSecurity says.
//
// Status codes: UNAUTHENTICATED without the token, INVALID_ARGUMENT for a malformed request,
// RESOURCE_EXHAUSTED with a
// google.rpc.RetryInfo detail when the store is full or throttling, UNAVAILABLE during the
// unavailable fault, OK with partial_success when spans were rejected.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sink/export_handler.h"
#include "sink/listen_address.h"
#include "sink/listener_security.h"

namespace grpc {
class Server;
}

namespace agentstorm::sink {

class GrpcReceiver {
 public:
  // Listens on `address` (port 0 = any free port). Unavailable when it cannot bind (or the
  // certificate and key do not go together). `handler` must outlive the receiver.
  static absl::StatusOr<std::unique_ptr<GrpcReceiver>> Start(const ListenAddress& address,
                                                             size_t max_request_bytes,
                                                             const ListenerSecurity& security,
                                                             ExportHandler* handler);
  ~GrpcReceiver();

  int port() const { return port_; }
  // Stops accepting calls, lets in-flight ones finish (cancelled after `grace`). Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  class TraceServiceImpl;
  class MetricsServiceImpl;
  GrpcReceiver();

  std::unique_ptr<TraceServiceImpl> trace_service_;
  std::unique_ptr<MetricsServiceImpl> metrics_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace agentstorm::sink
