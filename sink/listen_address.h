// HOST:PORT listen addresses as the sink's flags take them ("127.0.0.1:4317", "[::1]:4318",
// "localhost:0", ":4317" for every interface). Port 0 asks the OS for a free port.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace agentstorm::sink {

struct ListenAddress {
  std::string host;  // without brackets; "0.0.0.0" for ":PORT"
  int port = 0;

  // "host:port", bracketing IPv6 hosts.
  std::string ToString() const;
  std::string WithPort(int actual_port) const;
};

// True for 127.0.0.0/8, ::1 and "localhost": only this machine reaches it.
bool IsLoopback(const ListenAddress& address);

// InvalidArgument naming the flag value when it is not HOST:PORT with a port in 0..65535.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace agentstorm::sink
