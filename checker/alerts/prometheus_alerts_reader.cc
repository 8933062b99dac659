#include "checker/alerts/prometheus_alerts_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/alerts/json_fields.h"

namespace agentstorm::alerts {
namespace {

using internal::ParseJson;
using internal::StringField;
using internal::StringMap;
using internal::TimeField;
using nlohmann::json;

// The "data" of a {"status":"success","data":...} envelope.
absl::StatusOr<json> Data(absl::string_view text, absl::string_view what) {
  json doc;
  if (absl::Status s = ParseJson(text, what, &doc); !s.ok()) return s;
  if (!doc.is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": expected an object"));
  if (StringField(doc, "status") != "success") {
    return absl::InvalidArgumentError(absl::StrCat(what, ": status \"", StringField(doc, "status"),
                                                   "\": ", StringField(doc, "error")));
  }
  auto it = doc.find("data");
  if (it == doc.end() || !it->is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": no data object"));
  return std::move(*it);
}

absl::StatusOr<PrometheusAlert> AlertOf(const json& a, absl::string_view what) {
  if (!a.is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": an alert is not an object"));
  PrometheusAlert out;
  out.labels = StringMap(a, "labels");
  out.annotations = StringMap(a, "annotations");
  out.name = out.labels.count("alertname") ? out.labels["alertname"] : "";
  out.state = StringField(a, "state");
  out.value = StringField(a, "value");
  if (absl::Status s = TimeField(a, "activeAt", absl::InfinitePast(), &out.active_at); !s.ok())
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PrometheusAlert>> ParsePrometheusAlerts(absl::string_view text) {
  absl::StatusOr<json> data = Data(text, "/api/v1/alerts");
  if (!data.ok()) return data.status();
  auto it = data->find("alerts");
  if (it == data->end() || !it->is_array())
    return absl::InvalidArgumentError("/api/v1/alerts: data.alerts is not a list");
  std::vector<PrometheusAlert> out;
  for (const json& a : *it) {
    absl::StatusOr<PrometheusAlert> alert = AlertOf(a, "/api/v1/alerts");
    if (!alert.ok()) return alert.status();
    out.push_back(std::move(*alert));
  }
  return out;
}

absl::StatusOr<std::vector<PrometheusRule>> ParsePrometheusRules(absl::string_view text) {
  absl::StatusOr<json> data = Data(text, "/api/v1/rules");
  if (!data.ok()) return data.status();
  auto groups = data->find("groups");
  if (groups == data->end() || !groups->is_array())
    return absl::InvalidArgumentError("/api/v1/rules: data.groups is not a list");
  std::vector<PrometheusRule> out;
  for (const json& g : *groups) {
    auto rules = g.is_object() ? g.find("rules") : g.end();
    if (!g.is_object() || rules == g.end() || !rules->is_array())
      return absl::InvalidArgumentError("/api/v1/rules: a group has no rules list");
    for (const json& r : *rules) {
      if (!r.is_object())
        return absl::InvalidArgumentError("/api/v1/rules: a rule is not an object");
      PrometheusRule rule;
      rule.group = StringField(g, "name");
      rule.file = StringField(g, "file");
      rule.name = StringField(r, "name");
      rule.type = StringField(r, "type");
      rule.health = StringField(r, "health");
      rule.last_error = StringField(r, "lastError");
      rule.query = StringField(r, "query");
      rule.labels = StringMap(r, "labels");
      if (auto d = r.find("duration"); d != r.end() && d->is_number())
        rule.hold = absl::Seconds(d->get<double>());
      if (auto alerts = r.find("alerts"); alerts != r.end() && alerts->is_array()) {
        for (const json& a : *alerts) {
          absl::StatusOr<PrometheusAlert> alert = AlertOf(a, "/api/v1/rules");
          if (!alert.ok()) return alert.status();
          rule.alerts.push_back(std::move(*alert));
        }
      }
      out.push_back(std::move(rule));
    }
  }
  return out;
}

absl::StatusOr<std::vector<FiringInterval>> ParseFiringHistory(absl::string_view text) {
  absl::StatusOr<json> data = Data(text, "/api/v1/query_range");
  if (!data.ok()) return data.status();
  auto result = data->find("result");
  if (StringField(*data, "resultType") != "matrix" || result == data->end() || !result->is_array())
    return absl::InvalidArgumentError("/api/v1/query_range: expected a matrix result");
  std::vector<FiringInterval> out;
  for (const json& series : *result) {
    FiringInterval f;
    f.labels = StringMap(series, "metric");
    f.labels.erase("__name__");
    f.labels.erase("alertstate");
    f.name = f.labels.count("alertname") ? f.labels["alertname"] : "";
    auto values = series.is_object() ? series.find("values") : series.end();
    if (values == series.end() || !values->is_array())
      return absl::InvalidArgumentError("/api/v1/query_range: a series has no values");
    for (const json& v : *values) {
      if (!v.is_array() || v.size() != 2 || !v[0].is_number())
        return absl::InvalidArgumentError("/api/v1/query_range: a sample is not [time, value]");
      const absl::Time t =
          absl::FromUnixMillis(static_cast<int64_t>(v[0].get<double>() * 1000 + 0.5));
      f.first = std::min(f.first, t);
      f.last = std::max(f.last, t);
    }
    if (f.first != absl::InfiniteFuture()) out.push_back(std::move(f));
  }
  return out;
}

PrometheusAlertsReader::PrometheusAlertsReader(AlertsUrl url) : url_(std::move(url)) {
  readers::HttpClientOptions o;
  o.request_timeout = absl::Seconds(10);
  o.insecure_tls = url_.insecure_tls;
  o.ca_file = url_.ca_file;
  o.headers = url_.headers;
  http_ = std::make_unique<readers::HttpClient>(o);
}

absl::StatusOr<std::string> PrometheusAlertsReader::GetJson(const std::string& path) {
  const std::string url = url_.base + path;
  absl::StatusOr<readers::HttpResponse> r = http_->Get(url, {{"Accept", "application/json"}});
  if (!r.ok()) return r.status();
  if (r->status != 200) return readers::HttpStatusError(*r, url);
  return std::move(r->body);
}

absl::StatusOr<std::vector<PrometheusAlert>> PrometheusAlertsReader::Alerts() {
  absl::StatusOr<std::string> body = GetJson("/api/v1/alerts");
  if (!body.ok()) return body.status();
  return ParsePrometheusAlerts(*body);
}

absl::StatusOr<std::vector<PrometheusRule>> PrometheusAlertsReader::Rules() {
  absl::StatusOr<std::string> body = GetJson("/api/v1/rules");
  if (!body.ok()) return body.status();
  return ParsePrometheusRules(*body);
}

}  // namespace agentstorm::alerts

namespace agentstorm::alerts {

absl::StatusOr<std::vector<FiringInterval>> PrometheusAlertsReader::FiringHistory(
    absl::Time start, absl::Time end, absl::Duration step) {
  const auto unix = [](absl::Time t) {
    return absl::StrFormat("%.3f", absl::ToDoubleSeconds(t - absl::UnixEpoch()));
  };
  absl::StatusOr<std::string> body = GetJson(absl::StrCat(
      "/api/v1/query_range?query=", readers::HttpClient::Escape("ALERTS{alertstate=\"firing\"}"),
      "&start=", unix(start), "&end=", unix(end),
      "&step=", absl::StrFormat("%.3f", absl::ToDoubleSeconds(step))));
  if (!body.ok()) return body.status();
  return ParseFiringHistory(*body);
}

}  // namespace agentstorm::alerts
