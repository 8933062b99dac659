#include "sink/listener_security.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agentstorm::sink {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot read file"));
  }
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": not a PEM file"));
  }
  return text.str();
}

}  // namespace

std::string ListenerSecurity::Describe() const {
  std::vector<std::string> parts;
  if (tls()) parts.emplace_back(client_ca_pem.empty() ? "TLS" : "mTLS");
  if (!bearer_token.empty()) parts.emplace_back("bearer token");
  return absl::StrJoin(parts, ", ");
}

absl::StatusOr<ListenerSecurity> LoadListenerSecurity(const std::string& cert_file,
                                                      const std::string& key_file,
                                                      const std::string& client_ca_file,
                                                      std::string bearer_token) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!client_ca_file.empty() && cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  ListenerSecurity s;
  absl::StatusOr<std::string> cert = ReadPem(cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(key_file, "--tls-key");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem(client_ca_file, "--tls-client-ca");
  if (!ca.ok()) return ca.status();
  s.cert_pem = *std::move(cert);
  s.key_pem = *std::move(key);
  s.client_ca_pem = *std::move(ca);
  s.bearer_token = std::move(bearer_token);
  return s;
}

bool BearerMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (token.empty() || authorization.size() < kScheme.size()) return false;
  if (!absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kScheme.size()),
                              absl::string_view(kScheme.data(), kScheme.size()))) {
    return false;
  }
  const std::string_view given = authorization.substr(kScheme.size());
  // Every byte of the token is looked at whatever the given one holds.
  unsigned char differ = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    differ |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : ~token[i]));
  }
  return differ == 0;
}

}  // namespace agentstorm::sink
