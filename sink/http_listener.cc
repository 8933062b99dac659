#include "sink/http_listener.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"

namespace agentstorm::sink {
namespace {

constexpr size_t kWorkerThreads = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(httplib::Server* server,
                                                                  const ListenAddress& address,
                                                                  std::string_view what) {
  // httplib's default also sets SO_REUSEPORT, which would let a second sink bind a port that
  // is already serving and split the traffic between them; keep SO_REUSEADDR only.
  // The last socket httplib created is the one it binds and listens on (see below).
  auto listening = std::make_shared<socket_t>(INVALID_SOCKET);
  server->set_socket_options([listening](socket_t sock) {
    *listening = sock;
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // httplib writes a response's headers and body separately; with Nagle on, the body waits
    // for the client's delayed ACK (40 ms on Linux) on every request of a kept-alive connection.
    // Accepted sockets inherit the option from the listening one.
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  });
  // A kept-alive connection holds a worker between requests, and load generators and checkers
  // keep many open: with httplib's default pool (8 workers) the 9th connection waits for an
  // idle one to hit the keep-alive timeout. Size the pool for connections, not cores, and let
  // idle connections go sooner.
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server->set_keep_alive_timeout(2);
  int port = 0;
  if (address.port == 0) {
    port = server->bind_to_any_port(address.host);
  } else if (server->bind_to_port(address.host, address.port)) {
    port = address.port;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for ", std::string(what), " on ",
                                               address.ToString(),
                                               " (address in use or not permitted)"));
  }
  // httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into the library):
  // a checker opening 16 connections at once overflows it, and each dropped SYN costs the
  // client a 1 s retransmission. Listening again on the bound socket raises the backlog.
  int accepting = 0;
  socklen_t len = sizeof accepting;
  if (*listening != INVALID_SOCKET &&
      getsockopt(*listening, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting) {
    ::listen(*listening, SOMAXCONN);
  }
  std::unique_ptr<HttpListener> listener(new HttpListener(server, port));
  listener->thread_ = std::thread([server] { server->listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so Stop() cannot be lost.
  for (int i = 0; i < 5000 && !server->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listener;
}

HttpListener::~HttpListener() { Stop(); }

void HttpListener::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

}  // namespace agentstorm::sink
