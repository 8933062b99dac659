#include "checker/rules/alert_rule.h"

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace agentstorm {
namespace {

using alerts::AlertsKind;
using alerts::AlertSnapshot;
using alerts::ObservedAlert;

const absl::Time kRunStart = absl::FromUnixSeconds(1'700'000'000);

// A source that answers from a script: snapshot i at poll i (the last one repeats).
class ScriptedSource : public alerts::AlertSource {
 public:
  ScriptedSource(AlertsKind kind, std::vector<absl::StatusOr<AlertSnapshot>> script)
      : kind_(kind), script_(std::move(script)) {}
  AlertsKind kind() const override { return kind_; }
  std::string Describe() const override { return "scripted"; }
  absl::StatusOr<AlertSnapshot> Poll(absl::Time) override {
    const size_t i = std::min<size_t>(polls_++, script_.size() - 1);
    return script_[i];
  }
  size_t polls() const { return polls_; }

 private:
  AlertsKind kind_;
  std::vector<absl::StatusOr<AlertSnapshot>> script_;
  std::atomic<size_t> polls_{0};
};

ObservedAlert Firing(const std::string& name, absl::Duration after_start,
                     std::map<std::string, std::string> labels = {}) {
  ObservedAlert a;
  a.name = name;
  a.labels = std::move(labels);
  a.labels["alertname"] = name;
  a.firing = true;
  a.pending_at = kRunStart + after_start - absl::Seconds(5);
  a.firing_at = kRunStart + after_start;
  return a;
}

struct Harness {
  absl::Time clock = kRunStart + absl::Seconds(10);
  AlertRuleOptions Options(AlertExpectations x) {
    AlertRuleOptions o;
    o.expectations = std::move(x);
    o.run_start = kRunStart;
    o.fault_phase_start = kRunStart;
    o.now = [this] { return clock; };
    o.sleep = [this](absl::Duration d) { clock += d; };
    return o;
  }
};

std::vector<std::unique_ptr<alerts::AlertSource>> One(
    AlertsKind kind, std::vector<absl::StatusOr<AlertSnapshot>> s) {
  std::vector<std::unique_ptr<alerts::AlertSource>> v;
  v.push_back(std::make_unique<ScriptedSource>(kind, std::move(s)));
  return v;
}

AlertExpectations Expect(std::vector<AlertExpectation> fire, double deadline = 60) {
  AlertExpectations x;
  x.fire = std::move(fire);
  x.deadline_seconds = deadline;
  return x;
}

TEST(AlertRule, PassesWhenTheExpectedAlertFiresWithinItsDeadline) {
  Harness h;
  AlertSnapshot quiet, fired;
  fired.alerts.push_back(
      Firing("AgentRunawayLoop", absl::Seconds(20), {{"gen_ai_agent_name", "coding_agent"}}));
  AlertRule rule(
      One(AlertsKind::kPrometheus, {quiet, quiet, fired}),
      h.Options(Expect({{"AgentRunawayLoop", {{"gen_ai_agent_name", "coding_agent"}}, 0}})));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_TRUE(rule.status().ok());
  EXPECT_EQ(findings.CountAtLevel(FindingLevel::kViolation), 0u);
  ASSERT_EQ(rule.timelines().size(), 1u);
  EXPECT_TRUE(rule.timelines()[0].fired);
  EXPECT_EQ(rule.timelines()[0].time_to_fire, absl::Seconds(20));
  EXPECT_EQ(findings.Statistics().at("alerts").at("time_to_fire_seconds.AgentRunawayLoop"), 20);
}

TEST(AlertRule, ReportsExpectedAlertNotFiredAfterPollingUntilTheDeadline) {
  Harness h;
  AlertSnapshot pending;
  ObservedAlert p = Firing("ToolErrorRateHigh", absl::Seconds(5));
  p.firing = false;
  p.firing_at = absl::InfinitePast();
  pending.alerts.push_back(p);
  AlertRule rule(One(AlertsKind::kPrometheus, {pending}),
                 h.Options(Expect({{"ToolErrorRateHigh", {}, 30}})));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 1u);
  EXPECT_GE(h.clock, kRunStart + absl::Seconds(60));  // watched until the section's deadline
  EXPECT_FALSE(rule.timelines()[0].fired);
  EXPECT_NE(rule.timelines()[0].pending_at, absl::InfinitePast());
}

TEST(AlertRule, LabelsMustMatchAndLateFiringMissesTheDeadline) {
  Harness h;
  AlertSnapshot s;
  s.alerts.push_back(
      Firing("ToolErrorRateHigh", absl::Seconds(10), {{"gen_ai_tool_name", "get_invoice"}}));
  s.alerts.push_back(Firing("AgentLatencyHigh", absl::Seconds(50)));
  AlertRule rule(One(AlertsKind::kPrometheus, {s}),
                 h.Options(Expect({{"ToolErrorRateHigh", {{"gen_ai_tool_name", "charge_card"}}, 0},
                                   {"AgentLatencyHigh", {}, 40}})));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 2u);
  EXPECT_EQ(rule.timelines()[1].time_to_fire, absl::Seconds(50));
  EXPECT_FALSE(rule.timelines()[1].fired);
}

TEST(AlertRule, ReportsAlertsThatMustStaySilentButFired) {
  Harness h;
  AlertSnapshot s;
  s.alerts.push_back(Firing("ContextWindowExceeded", absl::Seconds(15)));
  s.alerts.push_back(Firing("Watchdog", -absl::Hours(1)));  // firing since before the run: ignored
  AlertRule rule(One(AlertsKind::kPrometheus, {s}), h.Options(Expect({}, 20)));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.unexpected_alert_fired"), 1u);
  ASSERT_EQ(rule.timelines().size(), 1u);
  EXPECT_EQ(rule.timelines()[0].name, "ContextWindowExceeded");
  EXPECT_FALSE(rule.timelines()[0].expected);
  EXPECT_EQ(rule.timelines()[0].time_to_fire, absl::Seconds(15));
  EXPECT_EQ(DescribeAlertTimelines(rule.timelines()),
            "unexpected ContextWindowExceeded{}: firing at 2023-11-14T22:13:35.000Z "
            "(15s after the fault phase)\n");
}

TEST(AlertRule, OnlyListedAlertsMustStaySilentWhenOthersAreAllowed) {
  Harness h;
  AlertSnapshot s;
  s.alerts.push_back(Firing("ToolErrorRateHigh", absl::Seconds(15)));
  AlertExpectations x = Expect({}, 20);
  x.silent_others = false;
  x.silent = {"AgentTracesMissing"};
  AlertRule rule(One(AlertsKind::kPrometheus, {s}), h.Options(x));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.CountAtLevel(FindingLevel::kViolation), 0u);
}

TEST(AlertRule, ReportsUnhealthyRules) {
  Harness h;
  AlertSnapshot s;
  s.rules.push_back(
      {"agentstorm-genai", "AgentLatencyHigh", "alerting", "err", "bad_data: many-to-many"});
  s.rules.push_back({"agentstorm-genai", "AgentRunawayLoop", "alerting", "ok", ""});
  AlertRule rule(One(AlertsKind::kPrometheus, {s}), h.Options(Expect({}, 5)));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.rule_unhealthy"), 1u);
}

TEST(AlertRule, WithAlertmanagerTheAlertMustAlsoArriveThere) {
  Harness h;
  AlertSnapshot prom;
  prom.alerts.push_back(Firing("AgentRunawayLoop", absl::Seconds(10)));
  std::vector<std::unique_ptr<alerts::AlertSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>(
      AlertsKind::kPrometheus, std::vector<absl::StatusOr<AlertSnapshot>>{prom}));
  sources.push_back(std::make_unique<ScriptedSource>(
      AlertsKind::kAlertmanager, std::vector<absl::StatusOr<AlertSnapshot>>{AlertSnapshot{}}));
  AlertRule rule(std::move(sources), h.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 30)));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 1u);
  EXPECT_TRUE(rule.timelines()[0].fired);
  EXPECT_FALSE(rule.timelines()[0].delivered);
}

TEST(AlertRule, AnUnreachableSourceIsAStatusNotAFinding) {
  Harness h;
  AlertRule rule(One(AlertsKind::kPrometheus, {absl::UnavailableError("connection refused")}),
                 h.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 3)));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(rule.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 0u);
}

TEST(AlertRule, AnUnreachableSourceIsGivenUpOnWithinItsBoundNotTheAlertDeadline) {
  Harness h;
  const absl::Time start = h.clock;
  AlertRuleOptions o = h.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 300));  // 5 minutes
  o.give_up_unread_after = absl::Seconds(10);
  AlertRule rule(One(AlertsKind::kPrometheus, {absl::UnavailableError("connection refused")}),
                 std::move(o));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(rule.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(h.clock - start, absl::Seconds(10));
  EXPECT_LT(h.clock - start, absl::Seconds(15)) << "waited out the alert deadline";

  // A source that answers is watched to the deadline as before.
  Harness h2;
  AlertSnapshot quiet;
  AlertRule answering(One(AlertsKind::kPrometheus, {quiet}),
                      h2.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 300)));
  FindingSet f2;
  answering.Finish(&f2);
  EXPECT_GE(h2.clock, kRunStart + absl::Seconds(300));
}

TEST(AlertRule, WatchingSeesAnAlertmanagerDeliveryThatResolvesBeforeFinish) {
  // Alertmanager forgets resolved alerts: only a watcher polling during the check sees this one.
  Harness h;
  AlertSnapshot prom, am_active, am_resolved;
  prom.alerts.push_back(Firing("AgentRunawayLoop", absl::Seconds(8)));
  am_active.alerts.push_back(Firing("AgentRunawayLoop", absl::Seconds(8)));
  std::vector<std::unique_ptr<alerts::AlertSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>(
      AlertsKind::kPrometheus, std::vector<absl::StatusOr<AlertSnapshot>>{prom}));
  auto am = std::make_unique<ScriptedSource>(
      AlertsKind::kAlertmanager,
      std::vector<absl::StatusOr<AlertSnapshot>>{am_active, am_resolved});
  const ScriptedSource* am_source = am.get();
  sources.push_back(std::move(am));
  AlertRuleOptions o = h.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 60));
  o.poll_interval = absl::Milliseconds(5);
  AlertRule rule(std::move(sources), o);
  rule.StartWatching();
  while (am_source->polls() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 0u);
  ASSERT_FALSE(rule.timelines().empty());
  EXPECT_TRUE(rule.timelines()[0].delivered);
  EXPECT_EQ(rule.timelines()[0].time_to_fire, absl::Seconds(8));
}

TEST(AlertRule, WithoutWatchingAResolvedDeliveryIsReported) {
  Harness h;
  AlertSnapshot prom, am_resolved;
  prom.alerts.push_back(Firing("AgentRunawayLoop", absl::Seconds(8)));
  std::vector<std::unique_ptr<alerts::AlertSource>> sources;
  sources.push_back(std::make_unique<ScriptedSource>(
      AlertsKind::kPrometheus, std::vector<absl::StatusOr<AlertSnapshot>>{prom}));
  sources.push_back(std::make_unique<ScriptedSource>(
      AlertsKind::kAlertmanager, std::vector<absl::StatusOr<AlertSnapshot>>{am_resolved}));
  AlertRule rule(std::move(sources), h.Options(Expect({{"AgentRunawayLoop", {}, 0}}, 20)));
  FindingSet findings;
  rule.Finish(&findings);
  EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 1u);
}

TEST(BorrowRule, ForwardsToARuleTheCallerKeeps) {
  Harness h;
  AlertSnapshot quiet;
  auto kept = std::make_unique<AlertRule>(One(AlertsKind::kPrometheus, {quiet}),
                                          h.Options(Expect({{"ToolErrorRateHigh", {}, 0}}, 3)));
  {
    std::unique_ptr<Rule> borrowed = BorrowRule(kept.get());
    EXPECT_EQ(borrowed->family(), "alerts");
    FindingSet findings;
    borrowed->Finish(&findings);
    EXPECT_EQ(findings.Count("alerts.expected_alert_not_fired"), 1u);
  }  // the pipeline drops its rules; the caller still reads the results
  ASSERT_EQ(kept->timelines().size(), 1u);
  EXPECT_FALSE(kept->timelines()[0].fired);
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

Scenario WithIncidentPhase() {
  Scenario sc;
  sc.alerts.fault_phase = "incident";
  LoadProfile load;
  RatePhase warmup, incident;
  warmup.name = "warmup";
  warmup.duration_seconds = 5;
  incident.name = "incident";
  incident.duration_seconds = 20;
  load.phases = {warmup, incident};
  sc.load = load;
  return sc;
}

LedgerRecord SentAt(int phase, absl::Duration after_start) {
  LedgerRecord r;
  r.phase = static_cast<int16_t>(phase);
  r.start_unix_nano = static_cast<uint64_t>(absl::ToUnixNanos(kRunStart + after_start));
  return r;
}

TEST(RecordedFaultPhaseStart, IsTheFirstTraceSentInTheFaultPhaseEvenWhenPhasesWereStretched) {
  Ledger ledger;
  // generate --duration 50s fitted the 5s + 20s phases to 10s + 40s.
  ledger.header.load = "warmup: 20 traces/s for 10s, incident: 20 traces/s for 40s";
  ledger.records = {SentAt(0, absl::ZeroDuration()), SentAt(0, absl::Seconds(9.95)),
                    SentAt(1, absl::Seconds(10.2)), SentAt(1, absl::Seconds(10.05))};
  EXPECT_EQ(RecordedFaultPhaseStart(WithIncidentPhase(), ledger), kRunStart + absl::Seconds(10.05));
}

TEST(RecordedFaultPhaseStart, UnknownWithoutTheScenariosPhasesOrAFaultPhase) {
  Ledger ledger;
  ledger.header.load = "20 traces/s for 50s";  // generate --rate: the scenario's phases did not run
  ledger.records = {SentAt(0, absl::ZeroDuration()), SentAt(1, absl::Seconds(10))};
  EXPECT_EQ(RecordedFaultPhaseStart(WithIncidentPhase(), ledger), std::nullopt);
  Scenario no_phase = WithIncidentPhase();
  no_phase.alerts.fault_phase.clear();
  ledger.header.load = "warmup: 20 traces/s for 5s, incident: 20 traces/s for 20s";
  EXPECT_EQ(RecordedFaultPhaseStart(no_phase, ledger), std::nullopt);
  ledger.records = {SentAt(0, absl::ZeroDuration())};  // stopped before the incident
  EXPECT_EQ(RecordedFaultPhaseStart(WithIncidentPhase(), ledger), std::nullopt);
}

}  // namespace
}  // namespace agentstorm
