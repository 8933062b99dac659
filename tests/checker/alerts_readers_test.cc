// The alert readers' parsers on real responses: the Prometheus API documentation's examples,
// the example responses embedded in Prometheus' OpenAPI golden file, and /api/v2/alerts/groups
// captured from real Alertmanager 0.27.0 and 0.31.0 (AGENTSTORM_SHARED_DIR/upstream/...).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "checker/alerts/alertmanager_reader.h"
#include "checker/alerts/alerts_url.h"
#include "checker/alerts/prometheus_alerts_reader.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace agentstorm::alerts {
namespace {

namespace fs = std::filesystem;

std::string Upstream(const std::string& rel) {
  return (fs::path(AGENTSTORM_SHARED_DIR) / "upstream/backend-responses" / rel).string();
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

#define READ_OR_SKIP(rel, out) \
  std::string out;             \
  if (!ReadFile(Upstream(rel), &out)) GTEST_SKIP() << Upstream(rel) << " is absent"

// YAML (as in the OpenAPI file) to JSON: plain scalars that read as numbers become numbers.
nlohmann::json ToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = ToJson(it->second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : n) a.push_back(ToJson(e));
    return a;
  }
  double d;
  if (n.Tag() == "?" && absl::SimpleAtod(n.Scalar(), &d)) return d;
  return n.Scalar();
}

TEST(PrometheusAlertsParser, ReadsTheDocumentedAlertsResponse) {
  READ_OR_SKIP("prometheus/doc_api_v1_alerts_response.json", body);
  auto alerts = ParsePrometheusAlerts(body);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->size(), 1u);
  const PrometheusAlert& a = (*alerts)[0];
  EXPECT_EQ(a.name, "my-alert");
  EXPECT_EQ(a.state, "firing");
  EXPECT_EQ(a.value, "1e+00");
  // 2018-07-04T20:27:12.60602144+02:00
  EXPECT_EQ(a.active_at, absl::FromUnixNanos(1530728832606021440));
}

TEST(PrometheusAlertsParser, ReadsTheDocumentedRulesResponse) {
  READ_OR_SKIP("prometheus/doc_api_v1_rules_response.json", body);
  auto rules = ParsePrometheusRules(body);
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 2u);
  const PrometheusRule& alerting = (*rules)[0];
  EXPECT_EQ(alerting.group, "example");
  EXPECT_EQ(alerting.file, "/rules.yaml");
  EXPECT_EQ(alerting.name, "HighRequestLatency");
  EXPECT_EQ(alerting.type, "alerting");
  EXPECT_EQ(alerting.health, "ok");
  EXPECT_EQ(alerting.hold, absl::Minutes(10));
  EXPECT_EQ(alerting.labels.at("severity"), "page");
  ASSERT_EQ(alerting.alerts.size(), 1u);
  EXPECT_EQ(alerting.alerts[0].labels.at("severity"), "page");
  EXPECT_EQ(alerting.alerts[0].state, "firing");
  EXPECT_EQ((*rules)[1].type, "recording");
  EXPECT_EQ((*rules)[1].name, "job:http_inprogress_requests:sum");
}

TEST(PrometheusAlertsParser, ReadsTheOpenApiExamplesOfRulesAndAlerts) {
  READ_OR_SKIP("prometheus/openapi_3.1_golden.yaml", text);
  const YAML::Node doc = YAML::Load(text);
  const YAML::Node rules_example = doc["paths"]["/rules"]["get"]["responses"]["200"]["content"]
                                      ["application/json"]["examples"]["ruleGroups"]["value"];
  ASSERT_TRUE(rules_example) << "no /rules example in the OpenAPI file";
  auto rules = ParsePrometheusRules(ToJson(rules_example).dump());
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_FALSE(rules->empty());
  EXPECT_EQ((*rules)[0].name, "Watchdog");
  EXPECT_EQ((*rules)[0].group, "ansible managed alert rules");
  EXPECT_EQ((*rules)[0].health, "ok");
  EXPECT_EQ((*rules)[0].hold, absl::Seconds(600));

  const YAML::Node alerts_example = doc["paths"]["/alerts"]["get"]["responses"]["200"]["content"]
                                       ["application/json"]["examples"]["activeAlerts"]["value"];
  ASSERT_TRUE(alerts_example);
  auto alerts = ParsePrometheusAlerts(ToJson(alerts_example).dump());
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ((*alerts)[0].name, "Watchdog");
  EXPECT_EQ((*alerts)[0].active_at, absl::FromUnixSeconds(1767360600));  // 2026-01-02T13:30:00Z
}

TEST(PrometheusAlertsParser, RejectsErrorsAndWrongShapes) {
  EXPECT_FALSE(ParsePrometheusAlerts("not json").ok());
  EXPECT_FALSE(ParsePrometheusAlerts(R"({"status":"error","error":"TSDB not ready"})").ok());
  EXPECT_FALSE(ParsePrometheusAlerts(R"({"status":"success","data":{"alerts":{}}})").ok());
  EXPECT_FALSE(
      ParsePrometheusRules(R"({"status":"success","data":{"groups":[{"name":"x"}]}})").ok());
  EXPECT_FALSE(
      ParsePrometheusAlerts(R"({"status":"success","data":{"alerts":[{"activeAt":"yesterday"}]}})")
          .ok());
}

TEST(PrometheusAlertsParser, ReadsAFiringHistoryMatrix) {
  auto h = ParseFiringHistory(R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"__name__":"ALERTS","alertname":"AgentRunawayLoop","alertstate":"firing","gen_ai_agent_name":"coding_agent"},
       "values":[[1700000010.5,"1"],[1700000011.5,"1"],[1700000012.5,"1"]]}]}})");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].name, "AgentRunawayLoop");
  EXPECT_EQ((*h)[0].labels.count("alertstate"), 0u);
  EXPECT_EQ((*h)[0].labels.at("gen_ai_agent_name"), "coding_agent");
  EXPECT_EQ((*h)[0].first, absl::FromUnixMillis(1700000010500));
  EXPECT_EQ((*h)[0].last, absl::FromUnixMillis(1700000012500));
}

TEST(AlertmanagerParser, ReadsAlertGroupsOfRealAlertmanagers) {
  for (const char* version : {"0.27.0", "0.31.0"}) {
    SCOPED_TRACE(version);
    READ_OR_SKIP(std::string("alertmanager/am_") + version + "_api_v2_alerts_groups.json", body);
    auto alerts = ParseAlertmanagerAlertGroups(body);
    ASSERT_TRUE(alerts.ok()) << alerts.status();
    EXPECT_EQ(alerts->size(), 12u);  // 24 group entries, each alert routed to two groups
    const AlertmanagerAlert& a = (*alerts)[0];
    EXPECT_EQ(a.name, "Free_Disk_Space_Too_Low");
    EXPECT_EQ(a.fingerprint, "aae7a1432b5d2f1b");
    EXPECT_EQ(a.state, "active");
    EXPECT_EQ(a.labels.at("cluster"), "staging");
    EXPECT_LT(a.starts_at, a.updated_at);
    EXPECT_GT(a.ends_at, a.starts_at);
    EXPECT_EQ(a.receivers.size(), 2u);
    int suppressed = 0;
    for (const auto& x : *alerts) suppressed += x.state == "suppressed";
    EXPECT_GT(suppressed, 0);
  }
}

TEST(AlertmanagerParser, ReadsTheFlatAlertsListOfApiV2) {
  READ_OR_SKIP("alertmanager/am_0.31.0_api_v2_alerts_groups.json", body);
  // GET /api/v2/alerts returns the groups' gettableAlert objects as one list.
  nlohmann::json flat = nlohmann::json::array();
  for (const auto& g : nlohmann::json::parse(body))
    for (const auto& a : g["alerts"]) flat.push_back(a);
  auto alerts = ParseAlertmanagerAlerts(flat.dump());
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->size(), 24u);
  EXPECT_EQ((*alerts)[0].starts_at,
            absl::FromUnixMillis(1773233318413));  // 2026-03-11T12:48:38.413Z
  EXPECT_FALSE(ParseAlertmanagerAlerts(R"({"alerts":[]})").ok());
}

TEST(AlertsUrl, ParsesPrometheusAndAlertmanagerSchemes) {
  auto p = ParseAlertsUrl("prometheus://127.0.0.1:9091");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, AlertsKind::kPrometheus);
  EXPECT_EQ(p->base, "http://127.0.0.1:9091");
  auto a = ParseAlertsUrl("alertmanager://am.internal");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, AlertsKind::kAlertmanager);
  EXPECT_EQ(a->base, "http://am.internal:9093");
  auto s = ParseAlertsUrl("prometheus+https://u:secret@mimir.example:443/prometheus?tenant=team");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->base, "https://mimir.example:443/prometheus");
  EXPECT_EQ(s->description.find("secret"), std::string::npos);
  bool tenant = false, basic = false;
  for (const auto& [k, v] : s->headers) {
    tenant |= k == "X-Scope-OrgID" && v == "team";
    basic |= k == "Authorization" && v.rfind("Basic ", 0) == 0;
  }
  EXPECT_TRUE(tenant);
  EXPECT_TRUE(basic);
  EXPECT_EQ(ParseAlertsUrl("prometheus://[::1]")->base, "http://[::1]:9090");
  EXPECT_FALSE(ParseAlertsUrl("jaeger://127.0.0.1:16686").ok());
  EXPECT_FALSE(ParseAlertsUrl("prometheus://").ok());
  EXPECT_FALSE(ParseAlertsUrl("prometheus://host:notaport").ok());
}

}  // namespace
}  // namespace agentstorm::alerts
