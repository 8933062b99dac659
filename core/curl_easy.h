// One place that sets up a libcurl easy handle for agentstorm's HTTP clients (the OTLP/HTTP
// trace and metrics exporters, the checker's backend readers): TLS trust and client
// certificates, request headers, timeouts.
//
// CurlHeaderList owns the curl_slist a handle points at; it must outlive every transfer that
// uses it (one list may be shared by many handles, curl only reads it).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace agentstorm {

struct CurlTlsOptions {
  bool insecure = false;  // skip peer and host name verification
  std::string ca_file;    // PEM trust anchors; "" = system trust store
  std::string cert_file;  // PEM client certificate (mTLS); "" = none
  std::string key_file;   // PEM client private key, with cert_file
};

class CurlHeaderList {
 public:
  CurlHeaderList() = default;
  explicit CurlHeaderList(const std::vector<std::pair<std::string, std::string>>& headers);
  ~CurlHeaderList();
  CurlHeaderList(CurlHeaderList&& other) noexcept;
  CurlHeaderList& operator=(CurlHeaderList&& other) noexcept;
  CurlHeaderList(const CurlHeaderList&) = delete;
  CurlHeaderList& operator=(const CurlHeaderList&) = delete;

  // Sends "Name: value"; an empty value is sent as "Name:" with nothing after it (curl's
  // "Name;" form), not dropped.
  void Add(absl::string_view name, absl::string_view value);
  // Suppresses a header curl would add itself, e.g. "Expect" (no 100-continue round trip).
  void Suppress(absl::string_view name);

  curl_slist* get() const { return list_; }

 private:
  void Append(const std::string& line);

  curl_slist* list_ = nullptr;
};

struct CurlEasyConfig {
  CurlTlsOptions tls;
  const CurlHeaderList* headers = nullptr;       // not owned; nullptr = no extra headers
  std::chrono::milliseconds timeout{0};          // whole transfer; 0 = no limit
  std::chrono::milliseconds connect_timeout{0};  // 0 = curl's default
};

// Calls curl_global_init once per process (thread-safe); every Create/constructor that makes
// curl handles calls it first.
void EnsureCurlGlobalInit();

// Sets TLS, headers, timeouts and CURLOPT_NOSIGNAL (the handles are used from many threads)
// on `easy`. URL, method, body and callbacks stay the caller's.
void ApplyCurlEasyConfig(CURL* easy, const CurlEasyConfig& config);

}  // namespace agentstorm
