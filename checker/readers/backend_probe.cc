#include "checker/readers/backend_probe.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "checker/readers/http_client.h"
#include "checker/readers/reader_util.h"

namespace agentstorm::readers {
namespace {

using nlohmann::json;

struct Api {
  const char* name;  // for messages
  const char* path;
  // True when `body` (HTTP 200) is this API's answer.
  bool (*answers)(const std::string& body);
};

bool JsonObjectWith(const std::string& body, const char* key) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains(key);
}

// API v3 answers in protobuf's JSON mapping, which leaves out an empty repeated field: a real
// Jaeger v2 with no services yet answers `{}` (seen with Jaeger 2.12, tests/field/).
bool JaegerV3Services(const std::string& body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && (j.empty() || (j.contains("services") && j["services"].is_array()));
}

const Api kApis[] = {
    {"Jaeger API v3 (or agentstorm sink)", "/api/v3/services", JaegerV3Services},
    {"Jaeger legacy API (/api/traces)", "/api/services",
     [](const std::string& b) { return JsonObjectWith(b, "data"); }},
    {"Tempo API", "/api/echo",
     [](const std::string& b) { return absl::StripAsciiWhitespace(b) == "echo"; }},
    {"Prometheus API", "/api/v1/status/buildinfo",
     [](const std::string& b) { return JsonObjectWith(b, "status") && JsonObjectWith(b, "data"); }},
    {"Alertmanager API v2", "/api/v2/status",
     [](const std::string& b) { return JsonObjectWith(b, "versionInfo"); }},
};

const Api* ExpectedApi(BackendKind kind) {
  switch (kind) {
    case BackendKind::kJaegerV3:
      return &kApis[0];
    case BackendKind::kJaegerLegacy:
      return &kApis[1];
    case BackendKind::kTempo:
      return &kApis[2];
    case BackendKind::kFile:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

absl::Status ProbeBackend(const BackendUrl& url, const ReaderOptions& options) {
  const Api* expected = ExpectedApi(url.kind);
  if (expected == nullptr) return absl::OkStatus();
  HttpClient http(HttpOptionsFor(url, options));
  const std::string base = url.HttpBase();
  auto response = http.Get(base + expected->path);
  if (!response.ok()) return response.status();  // nothing answered at all
  if (response->status == 200 && expected->answers(response->body)) return absl::OkStatus();
  if (response->status >= 500) {  // up but not ready (or a gateway whose backend is down)
    return absl::UnavailableError(absl::StrCat(url.Describe(), ": GET ", expected->path,
                                               " answered HTTP ", response->status));
  }
  if (response->status == 401 || response->status == 403) {
    return absl::FailedPreconditionError(
        absl::StrCat(url.Describe(), ": GET ", expected->path, " answered HTTP ", response->status,
                     " (check the credentials: ?token=, user:pass@, --backend-header)"));
  }
  const std::string got = response->status == 200 ? "an answer that is not its"
                                                  : absl::StrCat("HTTP ", response->status);
  for (const Api& other : kApis) {
    if (&other == expected) continue;
    auto r = http.Get(base + other.path);
    if (r.ok() && r->status == 200 && other.answers(r->body)) {
      return absl::FailedPreconditionError(absl::StrCat(
          url.Describe(), " does not answer the ", expected->name, " (GET ", expected->path, ": ",
          got, "); the ", other.name, " answers there: is the scheme or the port wrong?"));
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(url.Describe(), " does not answer the ",
                                                    expected->name, " (GET ", expected->path, ": ",
                                                    got, ")"));
}

}  // namespace agentstorm::readers
