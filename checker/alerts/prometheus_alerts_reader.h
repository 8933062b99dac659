// Reads alert state from Prometheus' HTTP API:
//   GET /api/v1/alerts  every active alert: state pending or firing, activeAt, labels
//   GET /api/v1/rules   every rule group: rules with type, health, lastError, `for` duration
// The parse functions take the JSON body as returned ({"status":"success","data":...}) and
// are used by the reader and by tests on recorded responses.
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

struct PrometheusAlert {
  std::string name;                           // the alertname label
  std::map<std::string, std::string> labels;  // alertname included
  std::map<std::string, std::string> annotations;
  std::string state;  // "pending" or "firing" ("inactive" only inside /rules with ?type= filters)
  absl::Time active_at = absl::InfinitePast();  // when it became pending
  std::string value;
};

struct PrometheusRule {
  std::string group;
  std::string file;
  std::string name;    // alert name or recorded series
  std::string type;    // "alerting" or "recording"
  std::string health;  // "ok", "err" or "unknown" (not evaluated yet)
  std::string last_error;
  std::string query;
  absl::Duration hold = absl::ZeroDuration();  // the alerting rule's `for`
  std::map<std::string, std::string> labels;
  std::vector<PrometheusAlert> alerts;  // alerting rules: their active alerts
};

// One alert (a series of the ALERTS metric with alertstate="firing") over a time range.
struct FiringInterval {
  std::string name;
  std::map<std::string, std::string> labels;  // alertname, the rule's and the query's labels
  absl::Time first = absl::InfiniteFuture();  // first evaluation seen firing
  absl::Time last = absl::InfinitePast();
};

// InvalidArgument when the body is not the API's JSON shape or status is not "success".
absl::StatusOr<std::vector<PrometheusAlert>> ParsePrometheusAlerts(absl::string_view json);
absl::StatusOr<std::vector<PrometheusRule>> ParsePrometheusRules(absl::string_view json);
// A /api/v1/query_range matrix of ALERTS{alertstate="firing"}.
absl::StatusOr<std::vector<FiringInterval>> ParseFiringHistory(absl::string_view json);

class PrometheusAlertsReader {
 public:
  // REQUIRES: url.kind == kPrometheus.
  explicit PrometheusAlertsReader(AlertsUrl url);

  // Transport errors as HttpClient reports them (Unavailable when Prometheus is down); an
  // HTTP error status as HttpStatusError; a malformed body as InvalidArgument.
  absl::StatusOr<std::vector<PrometheusAlert>> Alerts();
  absl::StatusOr<std::vector<PrometheusRule>> Rules();
  // Every alert that was firing at some evaluation in [start, end], from the ALERTS series
  // Prometheus writes to its own TSDB, so alerts that resolved before the check are seen.
  absl::StatusOr<std::vector<FiringInterval>> FiringHistory(absl::Time start, absl::Time end,
                                                            absl::Duration step);

  const AlertsUrl& url() const { return url_; }

 private:
  absl::StatusOr<std::string> GetJson(const std::string& path);

  const AlertsUrl url_;
  std::unique_ptr<readers::HttpClient> http_;
};

}  // namespace agentstorm::alerts
