// One look at an alerting system, the same shape whatever answered: AlertRule polls a
// Prometheus and/or an Alertmanager through this interface (and tests through fakes).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checker/alerts/alerts_url.h"

namespace agentstorm::alerts {

struct ObservedAlert {
  std::string name;  // alertname
  std::map<std::string, std::string> labels;
  bool firing = false;  // Prometheus: state firing; Alertmanager: active or suppressed
  absl::Time pending_at = absl::InfinitePast();  // Prometheus activeAt (unknown: InfinitePast)
  absl::Time firing_at = absl::InfinitePast();   // activeAt + the rule's `for`; AM startsAt
};

struct ObservedRule {
  std::string group;
  std::string name;
  std::string type;    // alerting | recording
  std::string health;  // ok | err | unknown
  std::string last_error;
};

struct AlertSnapshot {
  std::vector<ObservedAlert> alerts;  // current, plus (Prometheus) firing history since `since`
  std::vector<ObservedRule> rules;    // Prometheus only
};

class AlertSource {
 public:
  virtual ~AlertSource() = default;
  virtual AlertsKind kind() const = 0;
  virtual std::string Describe() const = 0;
  // The alerts now, and those that fired in [since, now] when the system keeps a history.
  // Errors: the reader's (Unavailable when down, InvalidArgument on a malformed answer).
  virtual absl::StatusOr<AlertSnapshot> Poll(absl::Time since) = 0;
};

std::unique_ptr<AlertSource> MakeAlertSource(const AlertsUrl& url);

}  // namespace agentstorm::alerts
