// The --alerts URL of `agentstorm check`: where to read alert state from.
//
//   prometheus://HOST[:PORT][/PREFIX]     Prometheus HTTP API (/api/v1/alerts, /api/v1/rules). Port
//   9090. alertmanager://HOST[:PORT][/PREFIX]   Alertmanager API v2 (/api/v2/alerts). Port 9093.
//   prometheus+https://..., alertmanager+https://...   the same over TLS.
//
// Authentication and TLS options are the backend URL's (checker/readers/backend_url.h):
// user:pass@HOST, ?token=, ?tenant= (Mimir/Cortex X-Scope-OrgID), ?header=Name:Value,
// ?insecure=true, ?ca=PATH.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "checker/readers/backend_url.h"

namespace agentstorm::alerts {

enum class AlertsKind { kPrometheus, kAlertmanager };

struct AlertsUrl {
  AlertsKind kind = AlertsKind::kPrometheus;
  std::string base;  // "http://HOST:PORT/PREFIX", no trailing slash
  std::vector<std::pair<std::string, std::string>> headers;
  bool insecure_tls = false;
  std::string ca_file;
  std::string description;  // for logs and reports, secrets shown as ***
};

// InvalidArgument on another scheme, a missing host or a bad port or option.
absl::StatusOr<AlertsUrl> ParseAlertsUrl(absl::string_view url);

}  // namespace agentstorm::alerts
