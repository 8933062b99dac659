#include "checker/alerts/alertmanager_reader.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "checker/alerts/json_fields.h"

namespace agentstorm::alerts {
namespace {

using internal::ParseJson;
using internal::StringField;
using internal::StringMap;
using internal::TimeField;
using nlohmann::json;

absl::StatusOr<AlertmanagerAlert> AlertOf(const json& a, absl::string_view what) {
  if (!a.is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": an alert is not an object"));
  AlertmanagerAlert out;
  out.labels = StringMap(a, "labels");
  out.annotations = StringMap(a, "annotations");
  out.name = out.labels.count("alertname") ? out.labels["alertname"] : "";
  out.fingerprint = StringField(a, "fingerprint");
  if (auto st = a.find("status"); st != a.end() && st->is_object())
    out.state = StringField(*st, "state");
  if (auto rs = a.find("receivers"); rs != a.end() && rs->is_array())
    for (const json& r : *rs) out.receivers.push_back(StringField(r, "name"));
  for (auto [key, fallback, field] :
       {std::tuple{"startsAt", absl::InfinitePast(), &out.starts_at},
        std::tuple{"endsAt", absl::InfiniteFuture(), &out.ends_at},
        std::tuple{"updatedAt", absl::InfinitePast(), &out.updated_at}}) {
    if (absl::Status s = TimeField(a, key, fallback, field); !s.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", s.message()));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<AlertmanagerAlert>> ParseAlertmanagerAlerts(absl::string_view text) {
  json doc;
  if (absl::Status s = ParseJson(text, "/api/v2/alerts", &doc); !s.ok()) return s;
  if (!doc.is_array())
    return absl::InvalidArgumentError("/api/v2/alerts: expected a list of alerts");
  std::vector<AlertmanagerAlert> out;
  for (const json& a : doc) {
    absl::StatusOr<AlertmanagerAlert> alert = AlertOf(a, "/api/v2/alerts");
    if (!alert.ok()) return alert.status();
    out.push_back(std::move(*alert));
  }
  return out;
}

absl::StatusOr<std::vector<AlertmanagerAlert>> ParseAlertmanagerAlertGroups(
    absl::string_view text) {
  json doc;
  if (absl::Status s = ParseJson(text, "/api/v2/alerts/groups", &doc); !s.ok()) return s;
  if (!doc.is_array())
    return absl::InvalidArgumentError("/api/v2/alerts/groups: expected a list of groups");
  std::vector<AlertmanagerAlert> out;
  std::set<std::string> seen;
  for (const json& g : doc) {
    auto alerts = g.is_object() ? g.find("alerts") : g.end();
    if (!g.is_object() || alerts == g.end() || !alerts->is_array())
      return absl::InvalidArgumentError("/api/v2/alerts/groups: a group has no alerts list");
    for (const json& a : *alerts) {
      absl::StatusOr<AlertmanagerAlert> alert = AlertOf(a, "/api/v2/alerts/groups");
      if (!alert.ok()) return alert.status();
      if (!alert->fingerprint.empty() && !seen.insert(alert->fingerprint).second) continue;
      out.push_back(std::move(*alert));
    }
  }
  return out;
}

AlertmanagerReader::AlertmanagerReader(AlertsUrl url) : url_(std::move(url)) {
  readers::HttpClientOptions o;
  o.request_timeout = absl::Seconds(10);
  o.insecure_tls = url_.insecure_tls;
  o.ca_file = url_.ca_file;
  o.headers = url_.headers;
  http_ = std::make_unique<readers::HttpClient>(o);
}

absl::StatusOr<std::vector<AlertmanagerAlert>> AlertmanagerReader::Alerts() {
  const std::string url = url_.base + "/api/v2/alerts";
  absl::StatusOr<readers::HttpResponse> r = http_->Get(url, {{"Accept", "application/json"}});
  if (!r.ok()) return r.status();
  if (r->status != 200) return readers::HttpStatusError(*r, url);
  return ParseAlertmanagerAlerts(r->body);
}

}  // namespace agentstorm::alerts
