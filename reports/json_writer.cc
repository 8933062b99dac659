#include "reports/json_writer.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace agentstorm::reports {
namespace {

using nlohmann::json;

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
std::optional<double> ReadOptional(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

template <typename T>
void Get(const json& j, const char* key, T* out) {
  if (j.is_object() && j.contains(key) && !j[key].is_null()) *out = j[key].get<T>();
}

json DistributionJson(const Distribution& d) {
  json buckets = json::array();
  for (const DistributionBucket& b : d.buckets) {
    buckets.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count}});
  }
  return {{"count", d.count}, {"min", d.min}, {"mean", d.mean},
          {"p50", d.p50},     {"p90", d.p90}, {"p99", d.p99},
          {"p999", d.p999},   {"max", d.max}, {"buckets", buckets}};
}
Distribution ReadDistribution(const json& j) {
  Distribution d;
  if (!j.is_object()) return d;
  Get(j, "count", &d.count);
  Get(j, "min", &d.min);
  Get(j, "mean", &d.mean);
  Get(j, "p50", &d.p50);
  Get(j, "p90", &d.p90);
  Get(j, "p99", &d.p99);
  Get(j, "p999", &d.p999);
  Get(j, "max", &d.max);
  if (j.contains("buckets")) {
    for (const json& b : j["buckets"]) {
      DistributionBucket x;
      Get(b, "lower", &x.lower);
      Get(b, "upper", &x.upper);
      Get(b, "count", &x.count);
      d.buckets.push_back(x);
    }
  }
  return d;
}

json TreeJson(const std::vector<TreeSpan>& spans) {
  json out = json::array();
  for (const TreeSpan& s : spans) {
    json attrs = json::object();
    for (const auto& [k, v] : s.attributes) attrs[k] = v;
    out.push_back({{"span_id", s.span_id},
                   {"parent_span_id", s.parent_span_id},
                   {"name", s.name},
                   {"kind", s.kind},
                   {"status", s.status},
                   {"service", s.service},
                   {"depth", s.depth},
                   {"attributes", attrs},
                   {"mark", TreeMarkName(s.mark)},
                   {"differences", s.differences}});
  }
  return out;
}
std::vector<TreeSpan> ReadTree(const json& j) {
  std::vector<TreeSpan> out;
  if (!j.is_array()) return out;
  for (const json& x : j) {
    TreeSpan s;
    Get(x, "span_id", &s.span_id);
    Get(x, "parent_span_id", &s.parent_span_id);
    Get(x, "name", &s.name);
    Get(x, "kind", &s.kind);
    Get(x, "status", &s.status);
    Get(x, "service", &s.service);
    Get(x, "depth", &s.depth);
    if (x.contains("attributes")) {
      for (const auto& [k, v] : x["attributes"].items()) s.attributes.emplace_back(k, v);
    }
    std::string mark;
    Get(x, "mark", &mark);
    for (auto m : {TreeSpan::Mark::kSame, TreeSpan::Mark::kChanged, TreeSpan::Mark::kMissing,
                   TreeSpan::Mark::kExtra}) {
      if (mark == TreeMarkName(m)) s.mark = m;
    }
    Get(x, "differences", &s.differences);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

json ReportToJson(const ReportModel& m) {
  json j;
  j["schema_version"] = m.schema_version;
  j["verdict"] = Passed(m) ? "pass" : "fail";
  j["exit_code"] = m.exit_code;
  j["violations"] = ViolationCount(m);
  const RunInfo& r = m.run;
  j["run"] = {{"tool_version", r.tool_version},
              {"command", r.command},
              {"mode", r.mode},
              {"scenario", r.scenario},
              {"scenario_path", r.scenario_path},
              {"semconv_model", r.semconv_model},
              {"seed", r.seed},
              {"shards", r.shards},
              {"start_unix_nano", r.start_unix_nano},
              {"end_unix_nano", r.end_unix_nano},
              {"backend", r.backend},
              {"endpoints", r.endpoints},
              {"variants", r.variants}};
  if (m.load) {
    const LoadSection& l = *m.load;
    json timeline = json::array();
    for (const LoadPoint& p : l.timeline) {
      timeline.push_back({{"second", p.second},
                          {"intended_traces_per_second", p.intended_traces_per_second},
                          {"traces_sent", p.traces_sent},
                          {"spans_sent", p.spans_sent},
                          {"spans_acknowledged", p.spans_acknowledged},
                          {"spans_errors", p.spans_errors},
                          {"latency_p50_ms", p.latency_p50_ms},
                          {"latency_p99_ms", p.latency_p99_ms}});
    }
    j["load"] = {{"load", l.load},
                 {"closed_loop", l.closed_loop},
                 {"interrupted", l.interrupted},
                 {"elapsed_seconds", l.elapsed_seconds},
                 {"traces_scheduled", l.traces_scheduled},
                 {"traces_sent", l.traces_sent},
                 {"spans_scheduled", l.spans_scheduled},
                 {"spans_sent", l.spans_sent},
                 {"intended_traces_per_second", l.intended_traces_per_second},
                 {"achieved_traces_per_second", l.achieved_traces_per_second},
                 {"achieved_spans_per_second", l.achieved_spans_per_second},
                 {"timeline", timeline}};
  } else {
    j["load"] = nullptr;
  }
  j["endpoints"] = json::array();
  for (const EndpointDelivery& e : m.endpoints) {
    j["endpoints"].push_back({{"endpoint", e.endpoint},
                              {"reachable", e.reachable},
                              {"spans",
                               {{"acknowledged", e.spans_acknowledged},
                                {"rejected", e.spans_rejected},
                                {"failed", e.spans_failed},
                                {"not_sent", e.spans_not_sent}}},
                              {"traces",
                               {{"acknowledged", e.traces_acknowledged},
                                {"rejected", e.traces_rejected},
                                {"failed", e.traces_failed},
                                {"not_sent", e.traces_not_sent}}},
                              {"bytes_sent", e.bytes_sent},
                              {"requests", e.requests},
                              {"last_error", e.last_error},
                              {"latency_ms", DistributionJson(e.latency)}});
  }
  if (m.readback) {
    const ReadbackSection& b = *m.readback;
    j["readback"] = {{"traces_expected", b.traces_expected},
                     {"found", b.found},
                     {"incomplete", b.incomplete},
                     {"not_found", b.not_found},
                     {"request_failed", b.request_failed},
                     {"requests", b.requests},
                     {"failed_requests", b.failed_requests},
                     {"spans_expected", b.spans_expected},
                     {"spans_read", b.spans_read},
                     {"backend_unreachable", b.backend_unreachable},
                     {"time_until_queryable_ms", DistributionJson(b.time_until_queryable)}};
  } else {
    j["readback"] = nullptr;
  }
  j["findings"] = json::array();
  for (const FindingRow& f : m.findings) {
    json examples = json::array();
    for (const FindingExample& x : f.examples) {
      examples.push_back({{"trace_id", x.trace_id},
                          {"span_id", x.span_id},
                          {"span_name", x.span_name},
                          {"attribute", x.attribute},
                          {"variant", x.variant},
                          {"message", x.message},
                          {"expected", x.expected},
                          {"actual", x.actual}});
    }
    j["findings"].push_back({{"id", f.id},
                             {"family", f.family()},
                             {"level", f.level},
                             {"count", f.count},
                             {"suppressed", f.suppressed},
                             {"count_by_variant", f.count_by_variant},
                             {"examples", examples}});
  }
  j["rules"] = json::array();
  for (const RuleResult& r : m.rules) {
    j["rules"].push_back({{"rule", r.rule},
                          {"evaluated", r.evaluated},
                          {"passed", r.passed},
                          {"failed", r.failed()},
                          {"statistics", r.statistics}});
  }
  j["groups"] = json::array();
  for (const GroupCounts& g : m.groups) {
    j["groups"].push_back({{"group", g.group},
                           {"name", g.name},
                           {"sent", g.sent},
                           {"acknowledged", g.acknowledged},
                           {"read", g.read}});
  }
  j["sampling"] = json::array();
  for (const SamplingRow& s : m.sampling) {
    j["sampling"].push_back({{"population", s.population},
                             {"expected", s.expected},
                             {"kept", s.kept},
                             {"total", s.total},
                             {"observed", s.observed},
                             {"low", s.low},
                             {"high", s.high},
                             {"confidence", s.confidence},
                             {"passed", s.passed}});
  }
  j["alerts"] = json::array();
  for (const AlertTimeline& a : m.alerts) {
    j["alerts"].push_back({{"name", a.name},
                           {"expected", a.expected},
                           {"fired", a.fired},
                           {"pending_at", OptionalNumber(a.pending_at)},
                           {"firing_at", OptionalNumber(a.firing_at)},
                           {"resolved_at", OptionalNumber(a.resolved_at)},
                           {"time_to_fire", OptionalNumber(a.time_to_fire)},
                           {"deadline", OptionalNumber(a.deadline)},
                           {"passed", a.passed}});
  }
  j["failing_traces"] = json::array();
  for (const TraceComparison& t : m.failing_traces) {
    j["failing_traces"].push_back({{"trace_id", t.trace_id},
                                   {"variant", t.variant},
                                   {"finding_ids", t.finding_ids},
                                   {"expected", TreeJson(t.expected)},
                                   {"actual", TreeJson(t.actual)}});
  }
  return j;
}

std::string RenderJsonReport(const ReportModel& model) {
  return ReportToJson(model).dump(2) + "\n";
}

absl::StatusOr<ReportModel> ReportFromJson(const json& j) {
  if (!j.is_object() || !j.contains("schema_version") || !j["schema_version"].is_number()) {
    return absl::InvalidArgumentError("not an agentstorm report: no schema_version");
  }
  ReportModel m;
  try {
    m.schema_version = j["schema_version"].get<int>();
    if (m.schema_version > kReportSchemaVersion || m.schema_version < 1) {
      return absl::InvalidArgumentError(absl::StrCat("report schema_version ", m.schema_version,
                                                     " is not supported by this build (",
                                                     kReportSchemaVersion, ")"));
    }
    Get(j, "exit_code", &m.exit_code);
    if (j.contains("run")) {
      const json& r = j["run"];
      Get(r, "tool_version", &m.run.tool_version);
      Get(r, "command", &m.run.command);
      Get(r, "mode", &m.run.mode);
      Get(r, "scenario", &m.run.scenario);
      Get(r, "scenario_path", &m.run.scenario_path);
      Get(r, "semconv_model", &m.run.semconv_model);
      Get(r, "seed", &m.run.seed);
      Get(r, "shards", &m.run.shards);
      Get(r, "start_unix_nano", &m.run.start_unix_nano);
      Get(r, "end_unix_nano", &m.run.end_unix_nano);
      Get(r, "backend", &m.run.backend);
      Get(r, "endpoints", &m.run.endpoints);
      Get(r, "variants", &m.run.variants);
    }
    if (j.contains("load") && j["load"].is_object()) {
      const json& l = j["load"];
      LoadSection s;
      Get(l, "load", &s.load);
      Get(l, "closed_loop", &s.closed_loop);
      Get(l, "interrupted", &s.interrupted);
      Get(l, "elapsed_seconds", &s.elapsed_seconds);
      Get(l, "traces_scheduled", &s.traces_scheduled);
      Get(l, "traces_sent", &s.traces_sent);
      Get(l, "spans_scheduled", &s.spans_scheduled);
      Get(l, "spans_sent", &s.spans_sent);
      Get(l, "intended_traces_per_second", &s.intended_traces_per_second);
      Get(l, "achieved_traces_per_second", &s.achieved_traces_per_second);
      Get(l, "achieved_spans_per_second", &s.achieved_spans_per_second);
      if (l.contains("timeline")) {
        for (const json& p : l["timeline"]) {
          LoadPoint x;
          Get(p, "second", &x.second);
          Get(p, "intended_traces_per_second", &x.intended_traces_per_second);
          Get(p, "traces_sent", &x.traces_sent);
          Get(p, "spans_sent", &x.spans_sent);
          Get(p, "spans_acknowledged", &x.spans_acknowledged);
          Get(p, "spans_errors", &x.spans_errors);
          Get(p, "latency_p50_ms", &x.latency_p50_ms);
          Get(p, "latency_p99_ms", &x.latency_p99_ms);
          s.timeline.push_back(x);
        }
      }
      m.load = s;
    }
    if (j.contains("endpoints")) {
      for (const json& e : j["endpoints"]) {
        EndpointDelivery d;
        Get(e, "endpoint", &d.endpoint);
        Get(e, "reachable", &d.reachable);
        if (e.contains("spans")) {
          Get(e["spans"], "acknowledged", &d.spans_acknowledged);
          Get(e["spans"], "rejected", &d.spans_rejected);
          Get(e["spans"], "failed", &d.spans_failed);
          Get(e["spans"], "not_sent", &d.spans_not_sent);
        }
        if (e.contains("traces")) {
          Get(e["traces"], "acknowledged", &d.traces_acknowledged);
          Get(e["traces"], "rejected", &d.traces_rejected);
          Get(e["traces"], "failed", &d.traces_failed);
          Get(e["traces"], "not_sent", &d.traces_not_sent);
        }
        Get(e, "bytes_sent", &d.bytes_sent);
        Get(e, "requests", &d.requests);
        Get(e, "last_error", &d.last_error);
        if (e.contains("latency_ms")) d.latency = ReadDistribution(e["latency_ms"]);
        m.endpoints.push_back(std::move(d));
      }
    }
    if (j.contains("readback") && j["readback"].is_object()) {
      const json& b = j["readback"];
      ReadbackSection r;
      Get(b, "traces_expected", &r.traces_expected);
      Get(b, "found", &r.found);
      Get(b, "incomplete", &r.incomplete);
      Get(b, "not_found", &r.not_found);
      Get(b, "request_failed", &r.request_failed);
      Get(b, "requests", &r.requests);
      Get(b, "failed_requests", &r.failed_requests);
      Get(b, "spans_expected", &r.spans_expected);
      Get(b, "spans_read", &r.spans_read);
      Get(b, "backend_unreachable", &r.backend_unreachable);
      if (b.contains("time_until_queryable_ms")) {
        r.time_until_queryable = ReadDistribution(b["time_until_queryable_ms"]);
      }
      m.readback = r;
    }
    if (j.contains("findings")) {
      for (const json& f : j["findings"]) {
        FindingRow row;
        Get(f, "id", &row.id);
        Get(f, "level", &row.level);
        Get(f, "count", &row.count);
        Get(f, "suppressed", &row.suppressed);
        Get(f, "count_by_variant", &row.count_by_variant);
        if (f.contains("examples")) {
          for (const json& x : f["examples"]) {
            FindingExample e;
            Get(x, "trace_id", &e.trace_id);
            Get(x, "span_id", &e.span_id);
            Get(x, "span_name", &e.span_name);
            Get(x, "attribute", &e.attribute);
            Get(x, "variant", &e.variant);
            Get(x, "message", &e.message);
            Get(x, "expected", &e.expected);
            Get(x, "actual", &e.actual);
            row.examples.push_back(std::move(e));
          }
        }
        m.findings.push_back(std::move(row));
      }
    }
    if (j.contains("rules")) {
      for (const json& r : j["rules"]) {
        RuleResult x;
        Get(r, "rule", &x.rule);
        Get(r, "evaluated", &x.evaluated);
        Get(r, "passed", &x.passed);
        Get(r, "statistics", &x.statistics);
        m.rules.push_back(std::move(x));
      }
    }
    if (j.contains("groups")) {
      for (const json& g : j["groups"]) {
        GroupCounts x;
        Get(g, "group", &x.group);
        Get(g, "name", &x.name);
        Get(g, "sent", &x.sent);
        Get(g, "acknowledged", &x.acknowledged);
        Get(g, "read", &x.read);
        m.groups.push_back(std::move(x));
      }
    }
    if (j.contains("sampling")) {
      for (const json& s : j["sampling"]) {
        SamplingRow x;
        Get(s, "population", &x.population);
        Get(s, "expected", &x.expected);
        Get(s, "kept", &x.kept);
        Get(s, "total", &x.total);
        Get(s, "observed", &x.observed);
        Get(s, "low", &x.low);
        Get(s, "high", &x.high);
        Get(s, "confidence", &x.confidence);
        Get(s, "passed", &x.passed);
        m.sampling.push_back(std::move(x));
      }
    }
    if (j.contains("alerts")) {
      for (const json& a : j["alerts"]) {
        AlertTimeline x;
        Get(a, "name", &x.name);
        Get(a, "expected", &x.expected);
        Get(a, "fired", &x.fired);
        x.pending_at = ReadOptional(a, "pending_at");
        x.firing_at = ReadOptional(a, "firing_at");
        x.resolved_at = ReadOptional(a, "resolved_at");
        x.time_to_fire = ReadOptional(a, "time_to_fire");
        x.deadline = ReadOptional(a, "deadline");
        Get(a, "passed", &x.passed);
        m.alerts.push_back(std::move(x));
      }
    }
    if (j.contains("failing_traces")) {
      for (const json& t : j["failing_traces"]) {
        TraceComparison c;
        Get(t, "trace_id", &c.trace_id);
        Get(t, "variant", &c.variant);
        Get(t, "finding_ids", &c.finding_ids);
        if (t.contains("expected")) c.expected = ReadTree(t["expected"]);
        if (t.contains("actual")) c.actual = ReadTree(t["actual"]);
        m.failing_traces.push_back(std::move(c));
      }
    }
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed report: ", e.what()));
  }
  return m;
}

absl::StatusOr<ReportModel> ReadJsonReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open report \"", path, "\""));
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", path, "\" is not valid JSON"));
  }
  auto model = ReportFromJson(j);
  if (!model.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", model.status().message()));
  }
  return model;
}

}  // namespace agentstorm::reports
