// TLS and authentication of the sink's listeners (OTLP/gRPC, OTLP/HTTP, the query API), one
// setting for all three: a server certificate and key turn TLS on, a client CA requires every
// client to present a certificate it signed (mTLS), and a bearer token is required of every
// request (`Authorization: Bearer TOKEN`; gRPC metadata `authorization`), but the health check.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace agentstorm::sink {

struct ListenerSecurity {
  std::string cert_pem;       // server certificate chain; TLS when not empty
  std::string key_pem;        // its private key
  std::string client_ca_pem;  // mTLS: clients must present a certificate this CA signed
  std::string bearer_token;   // "" = no authentication

  bool tls() const { return !cert_pem.empty(); }
  // "TLS", "mTLS", "bearer token" joined with ", ", or "" when none.
  std::string Describe() const;
};

// Reads the PEM files (an empty path leaves that part off). InvalidArgument naming the file when
// one cannot be read or holds no PEM block, when the key is not the certificate's or the client
// CA file holds no certificate, or when only one of cert and key is given or a client CA is given
// without them.
absl::StatusOr<ListenerSecurity> LoadListenerSecurity(const std::string& cert_file,
                                                      const std::string& key_file,
                                                      const std::string& client_ca_file,
                                                      std::string bearer_token);

// True when `authorization` is "Bearer TOKEN" (the scheme in any case) with exactly `token`;
// compared in constant time, so the answer's timing says nothing of the token.
bool BearerMatches(std::string_view authorization, std::string_view token);

// The message every listener answers a request without the right token.
inline constexpr char kMissingToken[] =
    "missing or wrong bearer token (this sink requires \"Authorization: Bearer TOKEN\")";

}  // namespace agentstorm::sink
