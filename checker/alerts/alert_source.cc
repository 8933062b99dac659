#include "checker/alerts/alert_source.h"

#include <utility>

#include "checker/alerts/alertmanager_reader.h"
#include "checker/alerts/prometheus_alerts_reader.h"

namespace agentstorm::alerts {
namespace {

class PrometheusSource : public AlertSource {
 public:
  explicit PrometheusSource(AlertsUrl url) : reader_(std::move(url)) {}
  AlertsKind kind() const override { return AlertsKind::kPrometheus; }
  std::string Describe() const override { return reader_.url().description; }

  absl::StatusOr<AlertSnapshot> Poll(absl::Time since) override {
    absl::StatusOr<std::vector<PrometheusRule>> rules = reader_.Rules();
    if (!rules.ok()) return rules.status();
    absl::StatusOr<std::vector<PrometheusAlert>> alerts = reader_.Alerts();
    if (!alerts.ok()) return alerts.status();
    AlertSnapshot out;
    std::map<std::string, absl::Duration> hold;  // alert name -> `for`
    for (const PrometheusRule& r : *rules) {
      out.rules.push_back(ObservedRule{r.group, r.name, r.type, r.health, r.last_error});
      if (r.type == "alerting") hold[r.name] = std::max(hold[r.name], r.hold);
    }
    for (const PrometheusAlert& a : *alerts) {
      ObservedAlert o;
      o.name = a.name;
      o.labels = a.labels;
      o.firing = a.state == "firing";
      o.pending_at = a.active_at;
      if (o.firing) o.firing_at = a.active_at + hold[a.name];
      out.alerts.push_back(std::move(o));
    }
    const absl::Time now = absl::Now();
    if (since < now) {
      absl::StatusOr<std::vector<FiringInterval>> history =
          reader_.FiringHistory(since, now, absl::Seconds(1));
      if (!history.ok()) return history.status();
      for (const FiringInterval& f : *history) {
        ObservedAlert o;
        o.name = f.name;
        o.labels = f.labels;
        o.firing = true;
        o.firing_at = f.first;
        out.alerts.push_back(std::move(o));
      }
    }
    return out;
  }

 private:
  PrometheusAlertsReader reader_;
};

class AlertmanagerSource : public AlertSource {
 public:
  explicit AlertmanagerSource(AlertsUrl url) : reader_(std::move(url)) {}
  AlertsKind kind() const override { return AlertsKind::kAlertmanager; }
  std::string Describe() const override { return reader_.url().description; }

  absl::StatusOr<AlertSnapshot> Poll(absl::Time) override {
    absl::StatusOr<std::vector<AlertmanagerAlert>> alerts = reader_.Alerts();
    if (!alerts.ok()) return alerts.status();
    AlertSnapshot out;
    for (const AlertmanagerAlert& a : *alerts) {
      ObservedAlert o;
      o.name = a.name;
      o.labels = a.labels;
      o.firing = a.state == "active" || a.state == "suppressed";
      o.firing_at = a.starts_at;
      out.alerts.push_back(std::move(o));
    }
    return out;
  }

 private:
  AlertmanagerReader reader_;
};

}  // namespace

std::unique_ptr<AlertSource> MakeAlertSource(const AlertsUrl& url) {
  if (url.kind == AlertsKind::kAlertmanager) return std::make_unique<AlertmanagerSource>(url);
  return std::make_unique<PrometheusSource>(url);
}

}  // namespace agentstorm::alerts
