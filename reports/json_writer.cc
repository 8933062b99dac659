#include "reports/json_writer.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/otlp_json.h"

// The report model's JSON mapping, in one place: a struct whose fields are its JSON keys is
// declared with NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT (missing keys keep the
// struct's defaults when read back); the others, whose JSON adds computed keys, nests fields
// or renames them, have explicit to_json/from_json next to them. nlohmann::json objects are
// std::maps, so keys come out sorted whatever order they are set in.
//
// These live in agentstorm::reports, the namespace of the types, for argument-dependent lookup.
namespace agentstorm::reports {

using nlohmann::json;

namespace {

// Sets *out from j[key] when j is an object holding a non-null `key`; otherwise leaves it.
template <typename T>
void Get(const json& j, const char* key, T* out) {
  if (j.is_object() && j.contains(key) && !j[key].is_null()) j[key].get_to(*out);
}

json OptionalNumber(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

std::optional<double> ReadOptional(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RunInfo, tool_version, command, mode, scenario,
                                                scenario_path, semconv_model, seed, run_id, shards,
                                                start_unix_nano, end_unix_nano, command_seconds,
                                                backend, endpoints, variants, fail_on)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DistributionBucket, lower, upper, count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Distribution, count, min, mean, p50, p90, p99, p999,
                                                max, buckets)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadPoint, second, seconds,
                                                intended_traces_per_second,
                                                achieved_traces_per_second, traces_sent, spans_sent,
                                                spans_acknowledged, spans_errors, latency_p50_ms,
                                                latency_p99_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadSection, load, closed_loop, interrupted,
                                                elapsed_seconds, traces_scheduled, traces_sent,
                                                spans_scheduled, spans_sent,
                                                intended_traces_per_second,
                                                achieved_traces_per_second,
                                                achieved_spans_per_second, timeline)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FindingExample, trace_id, span_id, span_name,
                                                attribute, variant, message, expected, actual)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GroupCounts, group, name, sent, acknowledged, read)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SamplingRow, population, expected, kept, total,
                                                observed, low, high, confidence, passed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ThresholdRow, threshold, metric, is_default,
                                                measured, observed, detail, passed)

// Delivery counts nest by unit: "spans": {...}, "traces": {...}; latency is "latency_ms".
void to_json(json& j, const EndpointDelivery& e) {
  j = {{"endpoint", e.endpoint},
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
       {"latency_ms", e.latency}};
}
void from_json(const json& j, EndpointDelivery& e) {
  Get(j, "endpoint", &e.endpoint);
  Get(j, "reachable", &e.reachable);
  if (j.contains("spans")) {
    const json& s = j["spans"];
    Get(s, "acknowledged", &e.spans_acknowledged);
    Get(s, "rejected", &e.spans_rejected);
    Get(s, "failed", &e.spans_failed);
    Get(s, "not_sent", &e.spans_not_sent);
  }
  if (j.contains("traces")) {
    const json& t = j["traces"];
    Get(t, "acknowledged", &e.traces_acknowledged);
    Get(t, "rejected", &e.traces_rejected);
    Get(t, "failed", &e.traces_failed);
    Get(t, "not_sent", &e.traces_not_sent);
  }
  Get(j, "bytes_sent", &e.bytes_sent);
  Get(j, "requests", &e.requests);
  Get(j, "last_error", &e.last_error);
  Get(j, "latency_ms", &e.latency);
}

// The distribution is "time_until_queryable_ms".
void to_json(json& j, const ReadbackSection& b) {
  j = {{"traces_expected", b.traces_expected},
       {"found", b.found},
       {"incomplete", b.incomplete},
       {"not_found", b.not_found},
       {"request_failed", b.request_failed},
       {"requests", b.requests},
       {"failed_requests", b.failed_requests},
       {"spans_expected", b.spans_expected},
       {"spans_read", b.spans_read},
       {"backend_unreachable", b.backend_unreachable},
       {"time_until_queryable_ms", b.time_until_queryable},
       {"time_until_queryable_measured", b.time_until_queryable_measured},
       {"time_until_queryable_sampled", b.time_until_queryable_sampled},
       {"time_until_queryable_note", b.time_until_queryable_note}};
  if (b.verify_sample) {
    j["verify"] = {{"population", b.verify_population},
                   {"population_acknowledged", b.verify_population_acknowledged},
                   {"sampled", b.verify_sampled},
                   {"sampled_acknowledged", b.verify_sampled_acknowledged},
                   {"lost", b.verify_lost},
                   {"seed", b.verify_seed},
                   {"confidence", b.verify_confidence},
                   {"loss_rate_upper_bound", b.verify_loss_rate_bound},
                   {"note", b.verify_note}};
  }
}
void from_json(const json& j, ReadbackSection& b) {
  Get(j, "traces_expected", &b.traces_expected);
  Get(j, "found", &b.found);
  Get(j, "incomplete", &b.incomplete);
  Get(j, "not_found", &b.not_found);
  Get(j, "request_failed", &b.request_failed);
  Get(j, "requests", &b.requests);
  Get(j, "failed_requests", &b.failed_requests);
  Get(j, "spans_expected", &b.spans_expected);
  Get(j, "spans_read", &b.spans_read);
  Get(j, "backend_unreachable", &b.backend_unreachable);
  Get(j, "time_until_queryable_ms", &b.time_until_queryable);
  Get(j, "time_until_queryable_measured", &b.time_until_queryable_measured);
  Get(j, "time_until_queryable_sampled", &b.time_until_queryable_sampled);
  Get(j, "time_until_queryable_note", &b.time_until_queryable_note);
  if (auto v = j.find("verify"); v != j.end() && v->is_object()) {
    b.verify_sample = true;
    Get(*v, "population", &b.verify_population);
    Get(*v, "population_acknowledged", &b.verify_population_acknowledged);
    Get(*v, "sampled", &b.verify_sampled);
    Get(*v, "sampled_acknowledged", &b.verify_sampled_acknowledged);
    Get(*v, "lost", &b.verify_lost);
    Get(*v, "seed", &b.verify_seed);
    Get(*v, "confidence", &b.verify_confidence);
    Get(*v, "loss_rate_upper_bound", &b.verify_loss_rate_bound);
    Get(*v, "note", &b.verify_note);
  }
}

// Adds the computed "family"; reading ignores it.
void to_json(json& j, const FindingRow& f) {
  j = {{"id", f.id},
       {"family", f.family()},
       {"level", f.level},
       {"count", f.count},
       {"suppressed", f.suppressed},
       {"count_by_variant", f.count_by_variant},
       {"examples", f.examples}};
}
void from_json(const json& j, FindingRow& f) {
  Get(j, "id", &f.id);
  Get(j, "level", &f.level);
  Get(j, "count", &f.count);
  Get(j, "suppressed", &f.suppressed);
  Get(j, "count_by_variant", &f.count_by_variant);
  Get(j, "examples", &f.examples);
}

// Adds the computed "failed"; reading ignores it.
void to_json(json& j, const RuleResult& r) {
  j = {{"rule", r.rule},
       {"evaluated", r.evaluated},
       {"passed", r.passed},
       {"failed", r.failed()},
       {"statistics", r.statistics}};
}
void from_json(const json& j, RuleResult& r) {
  Get(j, "rule", &r.rule);
  Get(j, "evaluated", &r.evaluated);
  Get(j, "passed", &r.passed);
  Get(j, "statistics", &r.statistics);
}

// Times never reached are null.
void to_json(json& j, const AlertTimeline& a) {
  j = {{"name", a.name},
       {"expected", a.expected},
       {"fired", a.fired},
       {"pending_at", OptionalNumber(a.pending_at)},
       {"firing_at", OptionalNumber(a.firing_at)},
       {"resolved_at", OptionalNumber(a.resolved_at)},
       {"time_to_fire", OptionalNumber(a.time_to_fire)},
       {"deadline", OptionalNumber(a.deadline)},
       {"passed", a.passed}};
}
void from_json(const json& j, AlertTimeline& a) {
  Get(j, "name", &a.name);
  Get(j, "expected", &a.expected);
  Get(j, "fired", &a.fired);
  a.pending_at = ReadOptional(j, "pending_at");
  a.firing_at = ReadOptional(j, "firing_at");
  a.resolved_at = ReadOptional(j, "resolved_at");
  a.time_to_fire = ReadOptional(j, "time_to_fire");
  a.deadline = ReadOptional(j, "deadline");
  Get(j, "passed", &a.passed);
}

// Attributes are an object (key -> value); the mark is its name ("same", "missing", ...).
void to_json(json& j, const TreeSpan& s) {
  json attributes = json::object();
  for (const auto& [k, v] : s.attributes) attributes[k] = v;
  j = {{"span_id", s.span_id},
       {"parent_span_id", s.parent_span_id},
       {"name", s.name},
       {"kind", s.kind},
       {"status", s.status},
       {"service", s.service},
       {"depth", s.depth},
       {"attributes", std::move(attributes)},
       {"mark", TreeMarkName(s.mark)},
       {"differences", s.differences}};
}
void from_json(const json& j, TreeSpan& s) {
  Get(j, "span_id", &s.span_id);
  Get(j, "parent_span_id", &s.parent_span_id);
  Get(j, "name", &s.name);
  Get(j, "kind", &s.kind);
  Get(j, "status", &s.status);
  Get(j, "service", &s.service);
  Get(j, "depth", &s.depth);
  if (j.contains("attributes")) {
    for (const auto& [k, v] : j["attributes"].items()) s.attributes.emplace_back(k, v);
  }
  std::string mark;
  Get(j, "mark", &mark);
  for (auto m : {TreeSpan::Mark::kSame, TreeSpan::Mark::kChanged, TreeSpan::Mark::kMissing,
                 TreeSpan::Mark::kExtra}) {
    if (mark == TreeMarkName(m)) s.mark = m;
  }
  Get(j, "differences", &s.differences);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TraceComparison, trace_id, variant, finding_ids,
                                                expected, actual)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UnknownAttribute, key, spans)

// A level the span type has no attribute of is null.
void to_json(json& j, const SpanTypeCoverage& t) {
  auto pct = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  j = {{"span_type", t.span_type},
       {"spans", t.spans},
       {"required", pct(t.required)},
       {"conditionally_required", pct(t.conditionally_required)},
       {"recommended", pct(t.recommended)},
       {"opt_in", pct(t.opt_in)}};
}
void from_json(const json& j, SpanTypeCoverage& t) {
  Get(j, "span_type", &t.span_type);
  Get(j, "spans", &t.spans);
  auto pct = [&j](const char* key, std::optional<double>* v) {
    if (j.contains(key) && j[key].is_number()) *v = j[key].get<double>();
  };
  pct("required", &t.required);
  pct("conditionally_required", &t.conditionally_required);
  pct("recommended", &t.recommended);
  pct("opt_in", &t.opt_in);
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SemconvSection, span_types, unknown_attributes,
                                                span_classes)

json ReportToJson(const ReportModel& m) {
  return {{"schema_version", m.schema_version},
          {"verdict", Passed(m) ? "pass" : "fail"},
          {"exit_code", m.exit_code},
          {"violations", ViolationCount(m)},
          {"run", m.run},
          {"load", m.load ? json(*m.load) : json(nullptr)},
          {"endpoints", m.endpoints},
          {"readback", m.readback ? json(*m.readback) : json(nullptr)},
          {"findings", m.findings},
          {"rules", m.rules},
          {"semconv", m.semconv ? json(*m.semconv) : json(nullptr)},
          {"groups", m.groups},
          {"sampling", m.sampling},
          {"thresholds", m.thresholds},
          {"alerts", m.alerts},
          {"failing_traces", m.failing_traces}};
}

std::string RenderJsonReport(const ReportModel& model) {
  return JsonText(ReportToJson(model), 2) + "\n";
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
    Get(j, "run", &m.run);
    if (j.contains("load") && j["load"].is_object()) m.load = j["load"].get<LoadSection>();
    Get(j, "endpoints", &m.endpoints);
    if (j.contains("readback") && j["readback"].is_object()) {
      m.readback = j["readback"].get<ReadbackSection>();
    }
    Get(j, "findings", &m.findings);
    Get(j, "rules", &m.rules);
    if (j.contains("semconv") && j["semconv"].is_object())
      m.semconv = j["semconv"].get<SemconvSection>();
    Get(j, "groups", &m.groups);
    Get(j, "sampling", &m.sampling);
    Get(j, "thresholds", &m.thresholds);
    Get(j, "alerts", &m.alerts);
    Get(j, "failing_traces", &m.failing_traces);
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
