// Reads alerts from Alertmanager's API v2: GET /api/v2/alerts returns every alert it holds
// (gettableAlert: labels, annotations, startsAt, endsAt, updatedAt, fingerprint,
// status.state active|suppressed|unprocessed). GET /api/v2/alerts/groups holds the same
// alerts grouped by route; its parser flattens them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "checker/alerts/alerts_url.h"
#include "checker/readers/http_client.h"

namespace agentstorm::alerts {

struct AlertmanagerAlert {
  std::string name;  // the alertname label
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string state;  // "active", "suppressed" (silenced or inhibited) or "unprocessed"
  absl::Time starts_at = absl::InfinitePast();  // when it started firing
  absl::Time ends_at = absl::InfiniteFuture();
  absl::Time updated_at = absl::InfinitePast();
  std::string fingerprint;
  std::vector<std::string> receivers;
};

// InvalidArgument when the body is not the API's JSON shape.
absl::StatusOr<std::vector<AlertmanagerAlert>> ParseAlertmanagerAlerts(absl::string_view json);
// /api/v2/alerts/groups; an alert routed to several groups is listed once (by fingerprint).
absl::StatusOr<std::vector<AlertmanagerAlert>> ParseAlertmanagerAlertGroups(absl::string_view json);

class AlertmanagerReader {
 public:
  // REQUIRES: url.kind == kAlertmanager.
  explicit AlertmanagerReader(AlertsUrl url);

  // Errors as PrometheusAlertsReader's.
  absl::StatusOr<std::vector<AlertmanagerAlert>> Alerts();

  const AlertsUrl& url() const { return url_; }

 private:
  const AlertsUrl url_;
  std::unique_ptr<readers::HttpClient> http_;
};

}  // namespace agentstorm::alerts
