#include "core/curl_easy.h"

#include <mutex>

#include "absl/strings/str_cat.h"

namespace agentstorm {

CurlHeaderList::CurlHeaderList(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) Add(name, value);
}

CurlHeaderList::~CurlHeaderList() { curl_slist_free_all(list_); }

CurlHeaderList::CurlHeaderList(CurlHeaderList&& other) noexcept
    : list_(std::exchange(other.list_, nullptr)) {}

CurlHeaderList& CurlHeaderList::operator=(CurlHeaderList&& other) noexcept {
  if (this != &other) {
    curl_slist_free_all(list_);
    list_ = std::exchange(other.list_, nullptr);
  }
  return *this;
}

void CurlHeaderList::Append(const std::string& line) {
  list_ = curl_slist_append(list_, line.c_str());
}

void CurlHeaderList::Add(absl::string_view name, absl::string_view value) {
  // "Name:" alone would tell curl to drop the header; "Name;" sends it with an empty value.
  Append(value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value));
}

void CurlHeaderList::Suppress(absl::string_view name) { Append(absl::StrCat(name, ":")); }

void EnsureCurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void ApplyCurlEasyConfig(CURL* easy, const CurlEasyConfig& config) {
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  if (config.headers != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, config.headers->get());
  if (config.timeout.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout.count()));
  }
  if (config.connect_timeout.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(config.connect_timeout.count()));
  }
  const CurlTlsOptions& tls = config.tls;
  if (!tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  if (tls.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

}  // namespace agentstorm
