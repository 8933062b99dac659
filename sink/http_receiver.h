// OTLP/HTTP receiver: POST /v1/traces and /v1/metrics with Content-Type
// application/x-protobuf or application/json, optionally Content-Encoding gzip.
//
// Answers as the OTLP/HTTP specification says: 200 with an Export*ServiceResponse in the
// request's encoding (partial_success when spans were rejected); 400 with a google.rpc.Status
// naming what was wrong; 413 for a body over max_request_bytes (before or after
// decompression); 401 + WWW-Authenticate without the bearer token (or, with mTLS, a client
// certificate); 415 for an unsupported content type or encoding; 429 + Retry-After when the
// store is full or throttling; 503 during the unavailable fault; 500 when the capture failed.
#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "sink/export_handler.h"
#include "sink/http_server.h"
#include "sink/listen_address.h"

namespace agentstorm::sink {

class HttpReceiver {
 public:
  // Listens on `address` (port 0 = any free port). Unavailable when it cannot bind.
  // `handler` must outlive the receiver.
  static absl::StatusOr<std::unique_ptr<HttpReceiver>> Start(const ListenAddress& address,
                                                             size_t max_request_bytes,
                                                             const ListenerSecurity& security,
                                                             ExportHandler* handler);
  ~HttpReceiver();

  int port() const;
  // Stops accepting connections and waits for requests being handled. Idempotent.
  void Shutdown();

 private:
  HttpReceiver();

  std::unique_ptr<HttpServer> server_;
};

}  // namespace agentstorm::sink
