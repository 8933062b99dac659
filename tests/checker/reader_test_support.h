// What the backend reader tests share: an in-process HTTP server on 127.0.0.1 (port 0) and
// access to the real backend responses in AGENTSTORM_SHARED_DIR/upstream/backend-responses.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "checker/readers/backend_url.h"

namespace agentstorm::readers::testing {

inline std::string ResponsesDir() {
  return std::string(AGENTSTORM_SHARED_DIR) + "/upstream/backend-responses";
}

// The file's contents, or "" with a test skip when the shared samples are absent.
#define AGENTSTORM_READ_RESPONSE_OR_SKIP(var, relative)                                        \
  std::string var;                                                                             \
  {                                                                                            \
    const std::string path_ = ::agentstorm::readers::testing::ResponsesDir() + "/" + relative; \
    if (!std::filesystem::exists(path_)) GTEST_SKIP() << "sample absent: " << path_;           \
    std::ifstream in_(path_, std::ios::binary);                                                \
    std::ostringstream buf_;                                                                   \
    buf_ << in_.rdbuf();                                                                       \
    var = buf_.str();                                                                          \
  }

// An httplib server listening on 127.0.0.1 on a free port for the life of the object.
class TestServer {
 public:
  TestServer() = default;
  ~TestServer() { Stop(); }

  httplib::Server& server() { return server_; }

  // Binds and starts serving; call after registering handlers. Returns the port.
  int Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
    return port_;
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }

  BackendUrl Url(const std::string& scheme, const std::string& options = "") const {
    auto url = ParseBackendUrl(scheme + "://127.0.0.1:" + std::to_string(port_) + options);
    EXPECT_TRUE(url.ok()) << url.status();
    return *url;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// A port on 127.0.0.1 nothing listens on (bound, then released).
inline int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace agentstorm::readers::testing
