#include "checker/rules/alert_rule.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agentstorm {
namespace {

using alerts::AlertsKind;
using alerts::ObservedAlert;

bool LabelsMatch(const std::map<std::string, std::string>& required,
                 const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : required) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string LabelText(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels)
    if (k != "alertname") parts.push_back(absl::StrCat(k, "=\"", v, "\""));
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

std::string TimeText(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string DurationText(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
}

}  // namespace

AlertRule::AlertRule(std::vector<std::unique_ptr<alerts::AlertSource>> sources,
                     AlertRuleOptions options)
    : sources_(std::move(sources)), options_(std::move(options)) {
  const AlertExpectations& x = options_.expectations;
  const absl::Duration default_deadline = absl::Seconds(x.deadline_seconds);
  watch_end_ = options_.fault_phase_start + default_deadline;
  for (const AlertExpectation& e : x.fire) {
    AlertTimeline t;
    t.name = e.alert;
    t.labels = e.labels;
    t.expected = true;
    t.deadline = options_.fault_phase_start +
                 (e.within_seconds > 0 ? absl::Seconds(e.within_seconds) : default_deadline);
    watch_end_ = std::max(watch_end_, t.deadline);
    timelines_.push_back(std::move(t));
  }
  expected_count_ = timelines_.size();
  for (const auto& s : sources_) {
    has_prometheus_ |= s->kind() == AlertsKind::kPrometheus;
    has_alertmanager_ |= s->kind() == AlertsKind::kAlertmanager;
  }
}

AlertRule::~AlertRule() { StopWatching(); }

void AlertRule::StartWatching() {
  watcher_ = std::thread([this] {
    mu_.Lock();
    while (!stop_) {
      mu_.Unlock();
      PollOnce(absl::Now());
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.poll_interval);
    }
    mu_.Unlock();
  });
}

void AlertRule::StopWatching() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void AlertRule::PollOnce(absl::Time now) {
  const AlertExpectations& x = options_.expectations;
  auto is_expected_name = [&](const std::string& name) {
    for (const AlertExpectation& e : x.fire)
      if (e.alert == name) return true;
    return false;
  };
  auto must_stay_silent = [&](const std::string& name) {
    if (is_expected_name(name)) return false;
    return x.silent_others || std::find(x.silent.begin(), x.silent.end(), name) != x.silent.end();
  };
  for (const auto& source : sources_) {
    absl::StatusOr<alerts::AlertSnapshot> snap = source->Poll(options_.run_start);
    if (!snap.ok()) {
      last_error_ = absl::Status(snap.status().code(),
                                 absl::StrCat(source->Describe(), ": ", snap.status().message()));
      continue;
    }
    ever_read_ = true;
    for (const alerts::ObservedRule& r : snap->rules) {
      if (r.health == "err") unhealthy_[absl::StrCat(r.group, "/", r.name)] = r;
    }
    const bool from_prometheus = source->kind() == AlertsKind::kPrometheus;
    for (const ObservedAlert& a : snap->alerts) {
      const absl::Time firing_at = !a.firing
                                       ? absl::InfinitePast()
                                       : (a.firing_at == absl::InfinitePast() ? now : a.firing_at);
      if (a.firing && firing_at < options_.run_start) continue;  // not this run's
      for (size_t i = 0; i < expected_count_; ++i) {
        AlertTimeline& t = timelines_[i];
        if (t.name != a.name || !LabelsMatch(t.labels, a.labels)) continue;
        if (a.pending_at != absl::InfinitePast() && a.pending_at >= options_.run_start)
          t.pending_at = t.pending_at == absl::InfinitePast()
                             ? a.pending_at
                             : std::min(t.pending_at, a.pending_at);
        if (!a.firing) continue;
        if (!from_prometheus) t.delivered = true;
        if (from_prometheus || !has_prometheus_)
          t.firing_at =
              t.firing_at == absl::InfinitePast() ? firing_at : std::min(t.firing_at, firing_at);
      }
      if (a.firing && firing_at <= watch_end_ && must_stay_silent(a.name)) {
        const std::string key = absl::StrCat(a.name, LabelText(a.labels));
        auto [it, inserted] = unexpected_.emplace(key, timelines_.size());
        if (inserted) {
          AlertTimeline t;
          t.name = a.name;
          t.labels = a.labels;
          t.labels.erase("alertname");
          t.deadline = watch_end_;
          timelines_.push_back(std::move(t));
        }
        AlertTimeline& t = timelines_[it->second];
        t.fired = true;
        t.firing_at =
            t.firing_at == absl::InfinitePast() ? firing_at : std::min(t.firing_at, firing_at);
        if (!from_prometheus) t.delivered = true;
        if (a.pending_at != absl::InfinitePast())
          t.pending_at = t.pending_at == absl::InfinitePast()
                             ? a.pending_at
                             : std::min(t.pending_at, a.pending_at);
      }
    }
  }
}

void AlertRule::Finish(FindingSet* findings) {
  StopWatching();
  const AlertExpectations& x = options_.expectations;
  const absl::Time fault_start = options_.fault_phase_start;
  const size_t expected_count = expected_count_;
  const absl::Time finish_start = options_.now();
  for (;;) {
    const absl::Time now = options_.now();
    PollOnce(now);
    if (now >= watch_end_) break;
    if (!ever_read_ && now - finish_start >= options_.give_up_unread_after) break;
    // Nothing left to learn: every expected alert fired (and arrived), and nothing must stay quiet.
    bool all_fired = true;
    for (size_t i = 0; i < expected_count; ++i)
      all_fired &= timelines_[i].firing_at != absl::InfinitePast() &&
                   (!has_alertmanager_ || timelines_[i].delivered);
    if (all_fired && !x.silent_others && x.silent.empty()) break;
    options_.sleep(std::min(options_.poll_interval, watch_end_ - now));
  }
  if (!ever_read_) {
    status_ = last_error_;
    return;
  }

  for (size_t i = 0; i < expected_count; ++i) {
    AlertTimeline& t = timelines_[i];
    const bool seen = t.firing_at != absl::InfinitePast();
    if (seen) t.time_to_fire = t.firing_at - fault_start;
    t.fired = seen && t.firing_at <= t.deadline;
    const bool ok = t.fired && (!has_alertmanager_ || t.delivered);
    findings->RecordEvaluation("alerts", ok);
    if (seen) {
      findings->SetStatistic("alerts", absl::StrCat("time_to_fire_seconds.", t.name),
                             absl::ToDoubleSeconds(t.time_to_fire));
    }
    if (ok) continue;
    Finding f;
    f.id = "alerts.expected_alert_not_fired";
    f.level = FindingLevel::kViolation;
    f.expected = absl::StrCat(t.name, LabelText(t.labels), " firing by ", TimeText(t.deadline));
    if (!seen) {
      f.message = absl::StrCat("alert ", t.name, LabelText(t.labels), " did not fire within ",
                               DurationText(t.deadline - fault_start), " of the fault phase",
                               t.pending_at != absl::InfinitePast() ? " (it was pending)" : "");
      f.actual = t.pending_at != absl::InfinitePast()
                     ? absl::StrCat("pending since ", TimeText(t.pending_at))
                     : "never pending or firing";
    } else if (!t.fired) {
      f.message = absl::StrCat("alert ", t.name, " fired ", DurationText(t.time_to_fire),
                               " after the fault phase began, past its deadline of ",
                               DurationText(t.deadline - fault_start));
      f.actual = absl::StrCat("firing at ", TimeText(t.firing_at));
    } else {
      f.message =
          absl::StrCat("alert ", t.name, " fired in Prometheus but never reached Alertmanager");
      f.actual = absl::StrCat("firing in Prometheus at ", TimeText(t.firing_at),
                              ", absent from Alertmanager");
    }
    findings->Add(std::move(f));
  }
  const uint64_t silent_total = 1;
  findings->RecordEvaluations("alerts", silent_total, unexpected_.empty() ? 1 : 0);
  for (const auto& [key, index] : unexpected_) {
    AlertTimeline& t = timelines_[index];
    t.time_to_fire = t.firing_at - fault_start;
    Finding f;
    f.id = "alerts.unexpected_alert_fired";
    f.level = FindingLevel::kViolation;
    f.message = absl::StrCat("alert ", t.name, LabelText(t.labels), " fired at ",
                             TimeText(t.firing_at), " but the scenario expects it to stay silent");
    f.expected = "silent";
    f.actual = absl::StrCat("firing at ", TimeText(t.firing_at));
    findings->Add(std::move(f));
  }
  for (const auto& [key, r] : unhealthy_) {
    Finding f;
    f.id = "alerts.rule_unhealthy";
    f.level = FindingLevel::kViolation;
    f.message = absl::StrCat(r.type, " rule ", r.name, " in group ", r.group,
                             " fails to evaluate: ", r.last_error);
    f.expected = "health ok";
    f.actual = absl::StrCat("health ", r.health, ": ", r.last_error);
    findings->Add(std::move(f));
  }
}

absl::StatusOr<std::unique_ptr<AlertRule>> MakeAlertRule(
    const std::vector<std::string>& urls, const Scenario* scenario, absl::Time run_start,
    std::optional<absl::Time> fault_phase_start) {
  if (urls.empty()) return absl::InvalidArgumentError("--alerts: no URL");
  std::vector<std::unique_ptr<alerts::AlertSource>> sources;
  for (const std::string& url : urls) {
    absl::StatusOr<alerts::AlertsUrl> parsed = alerts::ParseAlertsUrl(url);
    if (!parsed.ok()) return parsed.status();
    sources.push_back(alerts::MakeAlertSource(*parsed));
  }
  AlertRuleOptions o;
  o.run_start = run_start;
  o.fault_phase_start = run_start;
  if (scenario != nullptr) {
    o.expectations = scenario->alerts;
    o.fault_phase_start = fault_phase_start.value_or(
        run_start + absl::Seconds(scenario->alerts.FaultPhaseOffsetSeconds(scenario->load)));
  }
  auto rule = std::make_unique<AlertRule>(std::move(sources), std::move(o));
  rule->StartWatching();
  return rule;
}

std::optional<absl::Time> RecordedFaultPhaseStart(const Scenario& scenario, const Ledger& ledger) {
  const std::string& phase = scenario.alerts.fault_phase;
  if (phase.empty() || !scenario.load) return std::nullopt;
  int index = -1;
  for (size_t i = 0; i < scenario.load->phases.size(); ++i)
    if (scenario.load->phases[i].name == phase) index = static_cast<int>(i);
  if (index < 0) return std::nullopt;
  // The header describes the profile that ran: named phases only when it was the scenario's.
  const std::string& load = ledger.header.load;
  if (!absl::StartsWith(load, phase + ": ") && !absl::StrContains(load, ", " + phase + ": "))
    return std::nullopt;
  std::optional<uint64_t> first;
  for (const LedgerRecord& r : ledger.records)
    if (r.phase == index && r.start_unix_nano > 0 && (!first || r.start_unix_nano < *first))
      first = r.start_unix_nano;
  if (!first) return std::nullopt;
  return absl::FromUnixNanos(static_cast<int64_t>(*first));
}

namespace {
class BorrowedRule : public Rule {
 public:
  explicit BorrowedRule(Rule* rule) : rule_(rule) {}
  std::string_view family() const override { return rule_->family(); }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override {
    rule_->CheckTrace(trace, findings);
  }
  void Finish(FindingSet* findings) override { rule_->Finish(findings); }

 private:
  Rule* rule_;
};
}  // namespace

std::unique_ptr<Rule> BorrowRule(Rule* rule) { return std::make_unique<BorrowedRule>(rule); }

std::string DescribeAlertTimelines(const std::vector<AlertTimeline>& timelines) {
  std::string out;
  for (const AlertTimeline& t : timelines) {
    absl::StrAppend(&out, t.expected ? "expected " : "unexpected ", t.name, LabelText(t.labels),
                    ": ");
    if (t.firing_at == absl::InfinitePast()) {
      absl::StrAppend(
          &out, t.pending_at != absl::InfinitePast() ? "pending, never fired" : "never fired");
    } else {
      absl::StrAppend(&out, "firing at ", TimeText(t.firing_at));
      if (t.time_to_fire != absl::InfiniteDuration()) {
        const bool before = t.time_to_fire < absl::ZeroDuration();
        absl::StrAppend(&out, " (", DurationText(before ? -t.time_to_fire : t.time_to_fire),
                        before ? " before" : " after", " the fault phase)");
      }
      if (t.delivered) absl::StrAppend(&out, ", in Alertmanager");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace agentstorm
