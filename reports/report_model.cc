#include "reports/report_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/check_pipeline.h"
#include "checker/queryability_probe.h"
#include "core/ids.h"
#include "reports/sanitize.h"

namespace agentstorm::reports {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

// Number of recorded values <= `bound` (in histogram units): the highest rank whose
// percentile is <= bound, found by bisection.
uint64_t CountAtOrBelow(const Histogram& h, uint64_t bound) {
  const uint64_t n = h.count();
  if (n == 0 || h.min() > bound) return 0;
  if (h.max() <= bound) return n;
  auto value_at_rank = [&](uint64_t rank) {
    return h.Percentile(100.0 * (static_cast<double>(rank) - 0.5) / static_cast<double>(n));
  };
  uint64_t lo = 1, hi = n;  // value_at_rank(lo) <= bound < value_at_rank(hi + 1)
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    if (value_at_rank(mid) <= bound) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// The 1-2-5 series value at or above v (v > 0).
double NiceCeil(double v) {
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}
double NiceNext(double v) {
  double p = std::pow(10.0, std::floor(std::log10(v) + 1e-12));
  double m = v / p;
  if (m < 1.5) return 2 * p;
  if (m < 3.5) return 5 * p;
  return 10 * p;
}

std::string AnyValueText(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return v.string_value();
    case AnyValue::kIntValue:
      return absl::StrCat(v.int_value());
    case AnyValue::kDoubleValue:
      return absl::StrFormat("%g", v.double_value());
    case AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case AnyValue::kArrayValue: {
      std::string out = "[";
      for (int i = 0; i < v.array_value().values_size(); ++i) {
        if (i > 0) out += ",";
        out += AnyValueText(v.array_value().values(i));
      }
      return out + "]";
    }
    default:
      return "";
  }
}

const char* SpanKindText(int kind) {
  switch (kind) {
    case Span::SPAN_KIND_INTERNAL:
      return "internal";
    case Span::SPAN_KIND_SERVER:
      return "server";
    case Span::SPAN_KIND_CLIENT:
      return "client";
    case Span::SPAN_KIND_PRODUCER:
      return "producer";
    case Span::SPAN_KIND_CONSUMER:
      return "consumer";
    default:
      return "unspecified";
  }
}

const char* StatusText(int code) {
  switch (code) {
    case Status::STATUS_CODE_OK:
      return "ok";
    case Status::STATUS_CODE_ERROR:
      return "error";
    default:
      return "unset";
  }
}

struct FlatSpan {
  const Span* span;
  std::string service;
};

template <typename ResourceSpansRange>
std::vector<TreeSpan> BuildTree(const ResourceSpansRange& resource_spans) {
  std::vector<FlatSpan> flat;
  for (const ResourceSpans& rs : resource_spans) {
    std::string service;
    for (const auto& kv : rs.resource().attributes()) {
      if (kv.key() == "service.name") service = AnyValueText(kv.value());
    }
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) flat.push_back({&span, service});
    }
  }
  std::stable_sort(flat.begin(), flat.end(), [](const FlatSpan& a, const FlatSpan& b) {
    return a.span->start_time_unix_nano() < b.span->start_time_unix_nano();
  });
  std::set<std::string> ids;
  for (const FlatSpan& f : flat) ids.insert(f.span->span_id());
  std::multimap<std::string, size_t> children;  // parent id -> index, in start order
  std::vector<size_t> roots;
  for (size_t i = 0; i < flat.size(); ++i) {
    const std::string& parent = flat[i].span->parent_span_id();
    if (parent.empty() || !ids.count(parent) || parent == flat[i].span->span_id()) {
      roots.push_back(i);
    } else {
      children.emplace(parent, i);
    }
  }
  std::vector<TreeSpan> out;
  std::vector<bool> visited(flat.size(), false);
  std::function<void(size_t, int)> visit = [&](size_t i, int depth) {
    if (visited[i]) return;
    visited[i] = true;
    const Span& s = *flat[i].span;
    TreeSpan t;
    t.span_id = HexEncode(s.span_id());
    t.parent_span_id = HexEncode(s.parent_span_id());
    t.name = s.name();
    t.kind = SpanKindText(s.kind());
    t.status = StatusText(s.status().code());
    t.service = flat[i].service;
    t.depth = depth;
    for (const auto& kv : s.attributes()) {
      if (IsKeyAttribute(kv.key())) t.attributes.emplace_back(kv.key(), AnyValueText(kv.value()));
    }
    std::sort(t.attributes.begin(), t.attributes.end());
    out.push_back(std::move(t));
    auto [b, e] = children.equal_range(s.span_id());
    for (auto it = b; it != e; ++it) visit(it->second, depth + 1);
  };
  for (size_t r : roots) visit(r, 0);
  for (size_t i = 0; i < flat.size(); ++i) visit(i, 0);  // cycles
  return out;
}

void CompareSpans(TreeSpan* e, TreeSpan* a) {
  std::vector<std::string> diffs;
  if (e->name != a->name) diffs.push_back("name");
  if (e->kind != a->kind) diffs.push_back("kind");
  if (e->parent_span_id != a->parent_span_id) diffs.push_back("parent");
  if (e->status != a->status) diffs.push_back("status");
  std::map<std::string, std::string> ea(e->attributes.begin(), e->attributes.end());
  std::map<std::string, std::string> aa(a->attributes.begin(), a->attributes.end());
  std::set<std::string> keys;
  for (auto& [k, v] : ea) keys.insert(k);
  for (auto& [k, v] : aa) keys.insert(k);
  for (const std::string& k : keys) {
    auto ei = ea.find(k), ai = aa.find(k);
    if (ei == ea.end() || ai == aa.end() || ei->second != ai->second) {
      diffs.push_back("attribute " + k);
    }
  }
  if (!diffs.empty()) {
    e->mark = a->mark = TreeSpan::Mark::kChanged;
    e->differences = a->differences = diffs;
  }
}

}  // namespace

const char* TreeMarkName(TreeSpan::Mark mark) {
  switch (mark) {
    case TreeSpan::Mark::kSame:
      return "same";
    case TreeSpan::Mark::kChanged:
      return "changed";
    case TreeSpan::Mark::kMissing:
      return "missing";
    case TreeSpan::Mark::kExtra:
      return "extra";
  }
  return "same";
}

std::string FindingRow::family() const { return id.substr(0, id.find('.')); }

Distribution DistributionFromHistogram(const Histogram& h, double unit_in_ms) {
  Distribution d;
  d.count = h.count();
  if (d.count == 0) return d;
  auto ms = [&](uint64_t v) { return static_cast<double>(v) * unit_in_ms; };
  d.min = ms(h.min());
  d.mean = h.Mean() * unit_in_ms;
  d.p50 = ms(h.Percentile(50));
  d.p90 = ms(h.Percentile(90));
  d.p99 = ms(h.Percentile(99));
  d.p999 = ms(h.Percentile(99.9));
  d.max = ms(h.max());
  // Bucket bounds on a 1-2-5 series (in ms) covering [min, max]; at most ~30 buckets.
  // The first bucket starts at 0 and ends at the first bound at or above min.
  double lowest = NiceCeil(d.min > 0 ? d.min : std::max(d.max / 1e6, unit_in_ms));
  double lower = 0;
  uint64_t below = 0;
  double upper = lowest;
  while (true) {
    uint64_t bound = static_cast<uint64_t>(std::floor(upper / unit_in_ms + 1e-9));
    uint64_t at_or_below = upper >= d.max ? d.count : CountAtOrBelow(h, bound);
    if (at_or_below > below || !d.buckets.empty() || upper >= d.max) {
      d.buckets.push_back({lower, upper, at_or_below - below});
    }
    below = at_or_below;
    lower = upper;
    if (upper >= d.max) break;
    upper = NiceNext(upper);
  }
  return d;
}

uint64_t ViolationCount(const ReportModel& model) {
  uint64_t n = 0;
  for (const FindingRow& f : model.findings) {
    if (f.level == "violation") n += f.count;
  }
  return n;
}

bool LevelFails(const ReportModel& model, const std::string& level) {
  auto rank = [](const std::string& l) {
    return l == "violation" ? 2 : l == "improvement" ? 1 : l == "information" ? 0 : 3;
  };
  return rank(level) >= rank(model.run.fail_on);
}

bool Passed(const ReportModel& model) { return model.exit_code == 0 && ViolationCount(model) == 0; }

void AddLoadSummary(const LoadSummary& s, ReportModel* model) {
  LoadSection load;
  load.load = ScrubSecrets(s.load);
  load.closed_loop = s.closed_loop;
  load.interrupted = s.interrupted;
  load.elapsed_seconds = s.elapsed_seconds;
  load.traces_scheduled = s.traces_scheduled;
  load.traces_sent = s.traces_sent;
  load.spans_scheduled = s.spans_scheduled;
  load.spans_sent = s.spans_sent;
  load.intended_traces_per_second = s.intended_traces_per_second;
  load.achieved_traces_per_second = s.achieved_traces_per_second;
  load.achieved_spans_per_second = s.achieved_spans_per_second;
  for (size_t i = 0; i < s.timeline.size(); ++i) {
    const SecondSample& x = s.timeline[i];
    LoadPoint p;
    p.second = static_cast<uint32_t>(i);
    p.seconds = x.seconds;
    if (x.seconds > 0) {
      if (x.traces_intended > 0) p.intended_traces_per_second = x.traces_intended / x.seconds;
      p.achieved_traces_per_second = static_cast<double>(x.traces_sent) / x.seconds;
    }
    p.traces_sent = x.traces_sent;
    p.spans_sent = x.spans_sent;
    p.spans_acknowledged = x.spans_acknowledged;
    p.spans_errors = x.spans_errors;
    p.latency_p50_ms = static_cast<double>(x.latency_p50_ns) / 1e6;
    p.latency_p99_ms = static_cast<double>(x.latency_p99_ns) / 1e6;
    load.timeline.push_back(p);
  }
  model->load = std::move(load);
  if (model->run.start_unix_nano == 0) model->run.start_unix_nano = s.run_start_unix_nano;
  if (model->run.end_unix_nano == 0 && s.run_start_unix_nano != 0) {
    model->run.end_unix_nano = s.run_start_unix_nano + static_cast<uint64_t>(s.total_seconds * 1e9);
  }
  if (s.shard_count > model->run.shards) model->run.shards = s.shard_count;
  model->endpoints.clear();
  for (const EndpointStats& e : s.endpoints) {
    EndpointDelivery d;
    d.endpoint = ScrubSecrets(e.endpoint);
    d.reachable = !e.unreachable();
    d.spans_acknowledged = e.spans_acknowledged;
    d.spans_rejected = e.spans_rejected;
    d.spans_failed = e.spans_failed;
    d.spans_not_sent = e.spans_not_sent;
    d.traces_acknowledged = e.traces_acknowledged;
    d.traces_rejected = e.traces_rejected;
    d.traces_failed = e.traces_failed;
    d.traces_not_sent = e.traces_not_sent;
    d.bytes_sent = e.bytes_sent;
    d.requests = e.attempts;
    d.last_error = ScrubSecrets(e.last_error);
    d.latency = DistributionFromHistogram(e.latency_from_intended, 1e-6);
    model->endpoints.push_back(std::move(d));
    if (std::find(model->run.endpoints.begin(), model->run.endpoints.end(),
                  model->endpoints.back().endpoint) == model->run.endpoints.end()) {
      model->run.endpoints.push_back(model->endpoints.back().endpoint);
    }
  }
}

std::optional<SemconvSection> SemconvSectionFromStatistics(
    const std::map<std::string, double>& stats) {
  SemconvSection out;
  std::map<std::string, SpanTypeCoverage> types;
  auto field = [](SpanTypeCoverage& t, std::string_view level) -> std::optional<double>* {
    if (level == "required_coverage") return &t.required;
    if (level == "conditionally_required_coverage") return &t.conditionally_required;
    if (level == "recommended_coverage") return &t.recommended;
    if (level == "opt_in_coverage") return &t.opt_in;
    return nullptr;
  };
  for (const auto& [name, value] : stats) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) continue;
    const std::string_view head(name.data(), dot);
    const std::string rest = name.substr(dot + 1);
    if (head == "spans") {
      types[rest].spans = static_cast<uint64_t>(value);
    } else if (head == "unknown_attribute") {
      out.unknown_attributes.push_back({rest, static_cast<uint64_t>(value)});
    } else if (head == "span_classes") {
      out.span_classes[rest] = static_cast<uint64_t>(value);
    } else if (std::optional<double>* f = field(types[rest], head)) {
      *f = value;
    }
  }
  for (auto& [id, t] : types) {
    if (t.spans == 0) continue;
    t.span_type = id;
    out.span_types.push_back(std::move(t));
  }
  if (out.span_types.empty() && out.unknown_attributes.empty() && out.span_classes.empty())
    return std::nullopt;
  return out;
}

void AddFindings(const FindingSet& findings, ReportModel* model) {
  model->findings.clear();
  for (const FindingSummary& s : findings.Summaries()) {
    FindingRow row;
    row.id = s.id;
    row.level = FindingLevelName(s.level);
    row.count = s.count;
    row.suppressed = s.suppressed;
    for (const Finding& f : s.examples) {
      FindingExample x;
      x.trace_id = f.trace_id;
      x.span_id = f.span_id;
      x.span_name = ScrubSecrets(f.span_name);
      x.attribute = f.attribute;
      x.variant = f.variant.value_or("");
      x.message = ScrubSecrets(f.message);
      x.expected = ScrubSecrets(f.expected);
      x.actual = ScrubSecrets(f.actual);
      row.examples.push_back(std::move(x));
    }
    model->findings.push_back(std::move(row));
  }
  model->rules.clear();
  auto statistics = findings.Statistics();
  std::map<std::string, RuleResult> rules;
  for (const auto& [rule, totals] : findings.Totals()) {
    RuleResult& r = rules[rule];
    r.rule = rule;
    r.evaluated = totals.evaluated;
    r.passed = totals.passed;
  }
  for (const auto& [rule, stats] : statistics) {
    RuleResult& r = rules[rule];
    r.rule = rule;
    r.statistics = stats;
  }
  for (auto& [name, r] : rules) model->rules.push_back(std::move(r));
  model->semconv = SemconvSectionFromStatistics(statistics["semconv"]);
}

void AddPollSummary(const readers::PollSummary& poll, ReportModel* model) {
  ReadbackSection r = model->readback.value_or(ReadbackSection{});
  r.found = poll.found;
  r.incomplete = poll.incomplete;
  r.not_found = poll.not_found;
  r.request_failed = poll.request_failed;
  r.requests = poll.requests;
  r.failed_requests = poll.failed_requests;
  r.backend_unreachable = poll.backend_unreachable;
  if (r.traces_expected == 0)
    r.traces_expected = poll.found + poll.incomplete + poll.not_found + poll.request_failed;
  model->readback = std::move(r);
}

void AddCheckResult(const CheckResult& c, ReportModel* model) {
  RunInfo& run = model->run;
  if (run.command.empty()) run.command = "check";
  run.mode = c.mode;
  run.backend = ScrubSecrets(c.backend);
  if (!c.scenario_name.empty()) run.scenario = c.scenario_name;
  if (!c.scenario_path.empty()) run.scenario_path = c.scenario_path;
  run.semconv_model = c.semconv_model;
  if (c.seed != 0) run.seed = c.seed;
  if (!c.run_id.empty()) run.run_id = c.run_id;
  run.shards = std::max(run.shards, c.shards);
  for (const auto& [variant, counts] : c.by_variant) {
    if (std::find(run.variants.begin(), run.variants.end(), variant) == run.variants.end()) {
      run.variants.push_back(variant);
    }
  }
  model->exit_code = c.exit_code;
  model->run.fail_on = FindingLevelName(c.fail_on);
  AddFindings(c.findings, model);
  ReadbackSection r;
  r.traces_expected = c.traces_expected;
  r.spans_expected = c.spans_expected;
  r.spans_read = c.spans_read;
  model->readback = r;
  AddPollSummary(c.poll, model);
  ReadbackSection& readback = *model->readback;
  readback.time_until_queryable_measured = c.queryability.measured && c.queryability.sampled > 0;
  readback.time_until_queryable_sampled = c.queryability.sampled;
  readback.time_until_queryable_note = DescribeQueryability(c.queryability);
  if (c.verify.active) {
    readback.verify_sample = true;
    readback.verify_population = c.verify.population;
    readback.verify_population_acknowledged = c.verify.population_acknowledged;
    readback.verify_sampled = c.verify.sampled;
    readback.verify_sampled_acknowledged = c.verify.sampled_acknowledged;
    readback.verify_lost = c.verify.lost;
    readback.verify_seed = c.verify.seed;
    readback.verify_confidence = c.verify.confidence;
    readback.verify_loss_rate_bound = c.verify.loss_rate_bound;
    readback.verify_note = DescribeVerifiedSample(c.verify);
  }
  if (readback.time_until_queryable_measured)
    readback.time_until_queryable = DistributionFromHistogram(c.queryability.time_us, 1e-3);
  model->groups.clear();
  for (const auto& [name, counts] : c.by_variant) {
    model->groups.push_back({"variant", name, counts.sent, counts.acknowledged, counts.read});
  }
  for (const auto& [name, counts] : c.by_class) {
    model->groups.push_back({"class", name, counts.sent, counts.acknowledged, counts.read});
  }
  model->sampling.clear();
  for (const SamplingInterval& s : c.sampling) {
    model->sampling.push_back({s.population, s.expected, s.kept, s.total, s.observed, s.low, s.high,
                               s.confidence, s.passed});
  }
  model->thresholds.clear();
  for (const ThresholdResult& t : c.thresholds) {
    model->thresholds.push_back({t.threshold.text, t.threshold.metric, t.threshold.is_default,
                                 t.measured, t.observed, t.observed_text, t.passed});
  }
}

bool IsKeyAttribute(const std::string& key) {
  static const std::set<std::string> kKeys = {"gen_ai.operation.name",
                                              "gen_ai.provider.name",
                                              "gen_ai.system",
                                              "gen_ai.request.model",
                                              "gen_ai.response.model",
                                              "gen_ai.agent.name",
                                              "gen_ai.tool.name",
                                              "gen_ai.response.finish_reasons",
                                              "gen_ai.usage.input_tokens",
                                              "gen_ai.usage.output_tokens",
                                              "error.type",
                                              "mcp.method.name",
                                              "gen_ai.data_source.id"};
  return kKeys.count(key) > 0;
}

std::vector<TreeSpan> SpanTreeFromResourceSpans(
    const google::protobuf::RepeatedPtrField<ResourceSpans>& resource_spans) {
  return BuildTree(resource_spans);
}

std::vector<TreeSpan> SpanTreeFromSynthesized(const SynthesizedTrace& trace) {
  return BuildTree(trace.resource_spans);
}

void MarkDifferences(TraceComparison* c) {
  for (TreeSpan& s : c->expected) {
    s.mark = TreeSpan::Mark::kMissing;
    s.differences.clear();
  }
  for (TreeSpan& s : c->actual) {
    s.mark = TreeSpan::Mark::kExtra;
    s.differences.clear();
  }
  std::map<std::string, TreeSpan*> actual_by_id;
  for (TreeSpan& a : c->actual) actual_by_id.emplace(a.span_id, &a);
  std::vector<bool> matched(c->actual.size(), false);
  for (TreeSpan& e : c->expected) {
    auto it = actual_by_id.find(e.span_id);
    if (it == actual_by_id.end() || it->second->mark != TreeSpan::Mark::kExtra) continue;
    e.mark = it->second->mark = TreeSpan::Mark::kSame;
    CompareSpans(&e, it->second);
  }
  // A backend that rewrote span IDs: match what is left by name and depth, in order.
  for (TreeSpan& e : c->expected) {
    if (e.mark != TreeSpan::Mark::kMissing) continue;
    for (TreeSpan& a : c->actual) {
      if (a.mark == TreeSpan::Mark::kExtra && a.name == e.name && a.depth == e.depth) {
        e.mark = a.mark = TreeSpan::Mark::kSame;
        CompareSpans(&e, &a);
        break;
      }
    }
  }
}

void AddFailingTrace(const SynthesizedTrace& expected,
                     const opentelemetry::proto::trace::v1::TracesData* received,
                     const std::string& variant, std::vector<std::string> finding_ids,
                     size_t max_traces, ReportModel* model) {
  AddFailingTrace(HexEncode(expected.trace_id), &expected, received, variant,
                  std::move(finding_ids), {}, max_traces, model);
}

void AddFailingTrace(const std::string& trace_id, const SynthesizedTrace* expected,
                     const opentelemetry::proto::trace::v1::TracesData* received,
                     const std::string& variant, std::vector<std::string> finding_ids,
                     const std::vector<std::pair<std::string, std::string>>& span_findings,
                     size_t max_traces, ReportModel* model) {
  if (model->failing_traces.size() >= max_traces) return;
  TraceComparison c;
  c.trace_id = trace_id;
  c.variant = variant;
  c.finding_ids = std::move(finding_ids);
  if (received != nullptr) c.actual = SpanTreeFromResourceSpans(received->resource_spans());
  if (expected != nullptr) {
    c.expected = SpanTreeFromSynthesized(*expected);
    MarkDifferences(&c);
  } else {
    for (TreeSpan& s : c.actual) {
      for (const auto& [span_id, id] : span_findings) {
        if (span_id != s.span_id) continue;
        s.mark = TreeSpan::Mark::kChanged;
        if (std::find(s.differences.begin(), s.differences.end(), id) == s.differences.end()) {
          s.differences.push_back(id);
        }
      }
    }
  }
  for (std::vector<TreeSpan>* side : {&c.expected, &c.actual}) {
    for (TreeSpan& s : *side) {
      s.name = ScrubSecrets(s.name);
      for (auto& [k, v] : s.attributes) v = ScrubSecrets(v);
    }
  }
  model->failing_traces.push_back(std::move(c));
}

}  // namespace agentstorm::reports
