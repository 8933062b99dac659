#include "sink/listener_security.h"

#include <gnutls/gnutls.h>

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

// What the listeners' TLS libraries (gRPC's, GnuTLS) would find wrong only when they start, as a
// bare "cannot listen": a key that is not the certificate's, a CA file with no certificate.
absl::Status CheckWithGnutls(const ListenerSecurity& s, const std::string& cert_file,
                             const std::string& key_file, const std::string& client_ca_file) {
  gnutls_certificate_credentials_t credentials = nullptr;
  if (gnutls_certificate_allocate_credentials(&credentials) != GNUTLS_E_SUCCESS) {
    return absl::InternalError("cannot allocate TLS credentials");
  }
  auto datum = [](const std::string& pem) {
    return gnutls_datum_t{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                          static_cast<unsigned int>(pem.size())};
  };
  absl::Status status;
  const gnutls_datum_t cert = datum(s.cert_pem), key = datum(s.key_pem);
  if (int e = gnutls_certificate_set_x509_key_mem(credentials, &cert, &key, GNUTLS_X509_FMT_PEM);
      e < 0) {
    status = absl::InvalidArgumentError(absl::StrCat("--tls-cert ", cert_file, " and --tls-key ",
                                                     key_file, ": ", gnutls_strerror(e)));
  } else if (!s.client_ca_pem.empty()) {
    const gnutls_datum_t ca = datum(s.client_ca_pem);
    if (gnutls_certificate_set_x509_trust_mem(credentials, &ca, GNUTLS_X509_FMT_PEM) <= 0) {
      status = absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca ", client_ca_file, ": no CA certificate in it"));
    }
  }
  gnutls_certificate_free_credentials(credentials);
  return status;
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
  if (s.tls()) {
    if (absl::Status checked = CheckWithGnutls(s, cert_file, key_file, client_ca_file);
        !checked.ok()) {
      return checked;
    }
  }
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
