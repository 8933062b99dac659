// The provider's HTTP server: provider_api.h's answers over the sink's HTTP/1.1 server
// (sink/http_server.h), streamed answers as server-sent events with chunked encoding.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "provider/provider_api.h"
#include "sink/http_server.h"
#include "sink/listen_address.h"

namespace agentstorm::provider {

class ProviderServer {
 public:
  // Sees each request and its answer (on a server thread) before the answer is sent.
  using RequestLog = std::function<void(const ProviderRequest&, const ProviderReply&)>;

  // Binds `address` (port 0: any free port) and serves until Stop(); Unavailable naming the
  // address when it cannot bind.
  static absl::StatusOr<std::unique_ptr<ProviderServer>> Start(const sink::ListenAddress& address,
                                                               const ProviderOptions& options,
                                                               RequestLog log = nullptr);
  ~ProviderServer();
  ProviderServer(const ProviderServer&) = delete;
  ProviderServer& operator=(const ProviderServer&) = delete;

  int port() const { return server_->port(); }
  uint64_t requests() const { return next_index_.load(); }
  // Ends held (`timeout`) answers at once, then stops the server. Idempotent.
  void Stop();

 private:
  ProviderServer(const ProviderOptions& options, RequestLog log)
      : options_(options), log_(std::move(log)) {}
  void Handle(sink::HttpRequest& request, sink::HttpResponse& response);

  const ProviderOptions options_;
  const RequestLog log_;
  std::atomic<uint64_t> next_index_{0};
  absl::Notification stopping_;
  std::unique_ptr<sink::HttpServer> server_;
};

}  // namespace agentstorm::provider
