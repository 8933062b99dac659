// AlertRule: the whole-run rule that checks alerting. It ignores the traces; it polls
// Prometheus and/or Alertmanager (checker/alerts/alert_source.h) from StartWatching() (in the
// background, while the traces are being checked) and in Finish() until the last deadline, and
// reports:
//   alerts.expected_alert_not_fired  an alert the scenario expects did not fire (with matching
//                                    labels) within its deadline after the fault phase began,
//                                    or fired in Prometheus but never reached Alertmanager
//   alerts.unexpected_alert_fired    an alert that must stay silent fired during the run
//   alerts.rule_unhealthy            a Prometheus rule whose health is "err" (lastError attached)
// Alerts already firing before the run started are not this run's and are ignored.
// Alertmanager keeps no history (a resolved alert leaves /api/v2/alerts), so delivery is only
// seen while the alert is active: watch from the start of the check, not only in Finish().
// Each expected or unexpectedly fired alert gets an AlertTimeline for the reports, and the
// statistic alerts/time_to_fire_seconds.<alert> when it fired.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checker/alerts/alert_source.h"
#include "checker/rule.h"
#include "core/ledger.h"
#include "scenario/scenario.h"

namespace agentstorm {

struct AlertTimeline {
  std::string name;
  std::map<std::string, std::string> labels;  // expected: the required labels; else as fired
  bool expected = false;                      // must fire (false: fired but should not have)
  bool fired = false;                         // fired within the deadline / watch window
  bool delivered = false;                     // seen in Alertmanager (when one is polled)
  absl::Time deadline = absl::InfiniteFuture();
  absl::Time pending_at = absl::InfinitePast();  // InfinitePast: never seen pending
  absl::Time firing_at = absl::InfinitePast();   // InfinitePast: never seen firing
  absl::Duration time_to_fire =
      absl::InfiniteDuration();  // firing_at - fault phase start (may be < 0)
};

struct AlertRuleOptions {
  AlertExpectations expectations;  // usually Scenario::alerts
  absl::Time run_start;            // from the ledger header
  absl::Time fault_phase_start;    // run_start + expectations.FaultPhaseOffsetSeconds(load)
  absl::Duration poll_interval = absl::Seconds(1);
  // Finish() stops waiting for alerts when no source could ever be read and this long has passed
  // in Finish: an alerting system that cannot be reached is exit 3 within it, not after the
  // whole alert deadline (minutes).
  absl::Duration give_up_unread_after = absl::Seconds(10);
  // Injected for tests.
  std::function<absl::Time()> now = [] { return absl::Now(); };
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); };
};

class AlertRule : public Rule {
 public:
  // REQUIRES: at least one source.
  AlertRule(std::vector<std::unique_ptr<alerts::AlertSource>> sources, AlertRuleOptions options);
  ~AlertRule() override;  // stops the watcher

  // Polls every poll_interval on a background thread (real time, not options.now/sleep) until
  // Finish(). Optional; call at most once.
  void StartWatching();

  std::string_view family() const override { return "alerts"; }
  void CheckTrace(const TraceUnderCheck&, FindingSet*) override {}
  void Finish(FindingSet* findings) override;

  // After Finish: expected alerts in scenario order, then unexpected ones.
  const std::vector<AlertTimeline>& timelines() const { return timelines_; }
  // After Finish: not OK when a source could never be read (the caller's exit code 3).
  const absl::Status& status() const { return status_; }

 private:
  void PollOnce(absl::Time now);  // one look at every source, folded into the state below
  void StopWatching() ABSL_LOCKS_EXCLUDED(mu_);

  std::vector<std::unique_ptr<alerts::AlertSource>> sources_;
  AlertRuleOptions options_;
  absl::Time watch_end_;
  size_t expected_count_ = 0;  // timelines_[0, expected_count_) are the expected alerts
  bool has_prometheus_ = false;
  bool has_alertmanager_ = false;
  std::vector<AlertTimeline> timelines_;
  std::map<std::string, alerts::ObservedRule> unhealthy_;  // group/name -> last seen
  std::map<std::string, size_t> unexpected_;               // name+labels -> timeline index
  bool ever_read_ = false;
  absl::Status last_error_;
  absl::Status status_;

  // The watcher (StartWatching); the state above is its own until Finish() joins it.
  std::thread watcher_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;  // wakes the watcher (Mutex::AwaitWithTimeout)
};

// The rule of `check --alerts URL...`: one source per URL (checker/alerts/alerts_url.h), the
// scenario's expectations (null scenario: nothing expected, every alert must stay silent),
// deadlines counted from `fault_phase_start` when given (RecordedFaultPhaseStart), else from
// `run_start` plus the scenario's fault-phase offset. The rule is already watching
// (StartWatching). InvalidArgument for a bad URL or no URL.
absl::StatusOr<std::unique_ptr<AlertRule>> MakeAlertRule(
    const std::vector<std::string>& urls, const Scenario* scenario, absl::Time run_start,
    std::optional<absl::Time> fault_phase_start = std::nullopt);

// When the scenario's `alerts.fault_phase` began in the run `ledger` records: the start of the
// first trace sent in that phase, i.e. as the phase actually ran (after `generate --duration`
// fitted the phases, with the sender's lag). nullopt when the scenario names no fault phase, the
// run did not use the scenario's phases (`generate --rate`), or no trace of the phase was sent
// (e.g. --duration cut it off); MakeAlertRule then counts from the scenario's phase offset.
std::optional<absl::Time> RecordedFaultPhaseStart(const Scenario& scenario, const Ledger& ledger);

// A Rule that forwards to `rule`, for handing a rule whose results the caller reads afterwards
// (AlertRule::timelines()) to a pipeline that owns and destroys its rules (CheckOptions::
// extra_rules). REQUIRES: `rule` outlives the returned forwarder.
std::unique_ptr<Rule> BorrowRule(Rule* rule);

// When the alerts were checked, in one line per timeline (for the text summary).
std::string DescribeAlertTimelines(const std::vector<AlertTimeline>& timelines);

}  // namespace agentstorm
