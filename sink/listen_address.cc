#include "sink/listen_address.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace agentstorm::sink {

std::string ListenAddress::ToString() const { return WithPort(port); }

std::string ListenAddress::WithPort(int actual_port) const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", actual_port);
  return absl::StrCat(host, ":", actual_port);
}

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text_in) {
  const absl::string_view text(text_in.data(), text_in.size());
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad listen address \"", text, "\": ", why,
                                                   " (expected HOST:PORT, e.g. 127.0.0.1:4317)"));
  };
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return bad("no port");
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return bad("IPv6 hosts need brackets, e.g. [::1]:4317");
  }
  int port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return bad("port must be 0..65535");
  }
  if (host.find_first_of(" /") != absl::string_view::npos) return bad("not a host name");
  ListenAddress out;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = port;
  return out;
}

bool IsLoopback(const ListenAddress& address) {
  const std::string& h = address.host;
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

}  // namespace agentstorm::sink
