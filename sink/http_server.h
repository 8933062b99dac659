// The sink's HTTP/1.1 server, for the OTLP/HTTP receiver and the query API: GNU libmicrohttpd
// in its event-driven mode (a few threads, each an epoll loop over its connections). A slow,
// idle or pipelining client costs a connection slot, never a worker: no request waits behind
// another connection's headers. Each connection has an inactivity deadline, there is a
// connection limit, a header-size limit (libmicrohttpd's per-connection memory pool) and a body
// limit checked while the body arrives; TLS, mTLS and a bearer token as ListenerSecurity says.
// docs/performance.md says why this library and what it measured.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sink/listen_address.h"
#include "sink/listener_security.h"

struct MHD_Daemon;

namespace agentstorm::sink {

// One request, its body complete (or cut at the limit: body_too_large).
struct HttpRequest {
  std::string method;
  std::string path;  // without the query string
  std::string body;
  bool body_too_large = false;
  // Why the request may not be served (no or wrong bearer token, no client certificate), ""
  // when it may. Its body was dropped unread; the handler answers 401 in its protocol's shape.
  std::string auth_error;

  // The first value of a header (names compare case-insensitively), empty when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The first value of a query parameter (percent-decoded), nullopt when absent.
  std::optional<std::string> Param(std::string_view name) const;

  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> params;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close_connection = false;
  // When set, the body is produced piece by piece as the client reads it (chunked transfer
  // encoding) instead of from `body`: each call appends the next piece to *out and returns
  // false once there is nothing more. Called on the server's thread after the handler returned,
  // so it must own what it reads.
  std::function<bool(std::string* out)> stream;

  void SetContent(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
};

struct HttpServerOptions {
  // Largest body read into HttpRequest::body; a bigger one is read to its end and dropped
  // (up to as much again, at least 16 MiB; past that it is cut), answered by the handler
  // with body_too_large set, and the connection is closed after it.
  size_t max_body_bytes = 0;
  // Connections open at once; one more is accepted and closed at once.
  unsigned connection_limit = 4096;
  // A connection that sends nothing for this long is closed (slow headers, idle keep-alive).
  absl::Duration idle_timeout = absl::Seconds(30);
  // Event loops; each serves its own connections.
  unsigned threads = 4;
  ListenerSecurity security;
  // Paths served without the bearer token (a health check).
  std::vector<std::string> open_paths;
};

class HttpServer {
 public:
  // The handler may take the request's body (it is not used after).
  using Handler = std::function<void(HttpRequest&, HttpResponse&)>;

  // Binds `address` (port 0 = any free port) and serves `handler` until Stop(). Unavailable,
  // naming `what` and the address, when it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ListenAddress& address,
                                                           std::string_view what,
                                                           const HttpServerOptions& options,
                                                           Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops accepting, lets requests being handled finish, closes every connection. Idempotent.
  void Stop();

 private:
  struct Exchange;
  HttpServer(HttpServerOptions options, Handler handler)
      : options_(options), handler_(std::move(handler)) {}

  friend struct HttpServerCallbacks;  // libmicrohttpd's callbacks, in http_server.cc

  const HttpServerOptions options_;
  const Handler handler_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

}  // namespace agentstorm::sink
