// Runs a cpp-httplib server on its own thread: binds first (so a busy port is an error the
// caller sees), then serves until Stop().
#pragma once

#include <memory>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "sink/listen_address.h"

namespace httplib {
class Server;
}

namespace agentstorm::sink {

class HttpListener {
 public:
  // Binds `server` to `address` (port 0 = any free port) and serves it on a new thread, with a
  // worker pool sized for many kept-alive connections (it replaces the server's task queue).
  // Unavailable, naming `what` and the address, when it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(httplib::Server* server,
                                                             const ListenAddress& address,
                                                             std::string_view what);
  ~HttpListener();

  int port() const { return port_; }
  // Closes the listening socket and waits for requests being handled. Idempotent.
  void Stop();

 private:
  HttpListener(httplib::Server* server, int port) : server_(server), port_(port) {}

  httplib::Server* server_;
  int port_;
  std::thread thread_;
};

}  // namespace agentstorm::sink
