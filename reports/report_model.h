// The report model: everything a report shows, as plain data. Every writer (report.json,
// junit.xml, report.md, report.html) renders this one model, so they never disagree.
//
// The model is filled by the builders at the bottom of this file (from a LoadSummary, a
// FindingSet, a PollSummary, a CheckResult) or directly by tests. Sections a run did not produce
// are simply left empty (`load` unset, `alerts` empty, ...); writers skip them.
//
// Secrets: builders pass every string through ScrubSecrets (reports/sanitize.h) and
// WriteReports sanitizes the whole model once more before writing, so an Authorization header,
// a token in a URL query or basic-auth userinfo never reaches a report file.
//
// Units: durations in reports are milliseconds (double) unless a field name says otherwise;
// times are Unix nanoseconds (uint64) or seconds since the run start (double).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checker/finding.h"
#include "checker/readers/poller.h"
#include "core/histogram.h"
#include "core/load_summary.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {
struct CheckResult;
}

namespace agentstorm::reports {

// Version of the report.json schema (docs/report-schema.md). Bumped on incompatible changes.
inline constexpr int kReportSchemaVersion = 1;

struct RunInfo {
  std::string tool_version;  // "0.1.0"
  std::string command;       // "check", "run"
  std::string mode;          // "ledger", "live", "" when not a check
  std::string scenario;      // scenario or suite name
  std::string scenario_path;
  std::string semconv_model;
  uint64_t seed = 0;
  std::string run_id;  // 16 hex digits (core/run_id.h); "" when no ledger was read
  uint32_t shards = 1;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  double command_seconds = 0;          // this command's own wall time (0: not known)
  std::string backend;                 // described without secrets
  std::vector<std::string> endpoints;  // described without secrets
  std::vector<std::string> variants;   // the scenario's variants, in scenario order
  // `--fail-on`: the lowest finding level that fails the command ("violation" by default).
  std::string fail_on = "violation";
};

// One bucket of a distribution: values in (lower, upper], in the distribution's unit.
struct DistributionBucket {
  double lower = 0;
  double upper = 0;
  uint64_t count = 0;
};

// A latency-like distribution (milliseconds).
struct Distribution {
  uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  std::vector<DistributionBucket> buckets;  // ascending, contiguous; empty when count == 0
};

// `histogram` holds values in units of `unit_in_ms` milliseconds (1e-6 for nanoseconds, 1e-3
// for microseconds). Buckets follow a 1-2-5 series from min to max; their counts are exact up
// to the histogram's 1% precision.
Distribution DistributionFromHistogram(const Histogram& histogram, double unit_in_ms);

struct LoadPoint {
  uint32_t second = 0;  // since the start of the run
  double seconds = 1;   // the bucket's width (less for the run's last partial second)
  double intended_traces_per_second = 0;  // from the schedule (0 for a closed loop)
  double achieved_traces_per_second = 0;  // traces_sent / seconds
  uint64_t traces_sent = 0;
  uint64_t spans_sent = 0;
  uint64_t spans_acknowledged = 0;
  uint64_t spans_errors = 0;
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
};

struct LoadSection {
  std::string load;  // described load profile
  bool closed_loop = false;
  bool interrupted = false;
  double elapsed_seconds = 0;
  uint64_t traces_scheduled = 0, traces_sent = 0;
  uint64_t spans_scheduled = 0, spans_sent = 0;
  double intended_traces_per_second = 0;
  double achieved_traces_per_second = 0;
  double achieved_spans_per_second = 0;
  std::vector<LoadPoint> timeline;
};

struct EndpointDelivery {
  std::string endpoint;  // without secrets
  bool reachable = true;
  uint64_t spans_acknowledged = 0, spans_rejected = 0, spans_failed = 0, spans_not_sent = 0;
  uint64_t traces_acknowledged = 0, traces_rejected = 0, traces_failed = 0, traces_not_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t requests = 0;
  std::string last_error;
  Distribution latency;  // from the intended send time (no coordinated omission)
};

// Reading the traces back from the backend.
struct ReadbackSection {
  uint64_t traces_expected = 0;
  uint64_t found = 0, incomplete = 0, not_found = 0, request_failed = 0;
  uint64_t requests = 0, failed_requests = 0;
  uint64_t spans_expected = 0, spans_read = 0;
  bool backend_unreachable = false;
  // Milliseconds; empty unless measured on a sample while the run went on (`run`).
  Distribution time_until_queryable;
  bool time_until_queryable_measured = false;
  uint64_t time_until_queryable_sampled = 0;  // traces in the sample
  std::string time_until_queryable_note;      // DescribeQueryability: the sample, or why not
  // --verify: the counts above are the sample's; this is what it covered and proves.
  bool verify_sample = false;
  uint64_t verify_population = 0, verify_population_acknowledged = 0;
  uint64_t verify_sampled = 0, verify_sampled_acknowledged = 0, verify_lost = 0;
  uint64_t verify_seed = 0;
  double verify_confidence = 0;
  double verify_loss_rate_bound = 1;
  std::string verify_note;  // DescribeVerifiedSample
};

struct FindingExample {
  std::string trace_id, span_id, span_name, attribute, variant;
  std::string message, expected, actual;
};

struct FindingRow {
  std::string id;     // "<family>.<name>"
  std::string level;  // "violation", "improvement", "information"
  uint64_t count = 0;
  uint64_t suppressed = 0;
  // Findings per scenario variant when known ("" = no variant); empty when not known.
  std::map<std::string, uint64_t> count_by_variant;
  std::vector<FindingExample> examples;

  std::string family() const;  // the ID before the first '.'
};

struct RuleResult {
  std::string rule;  // the family: "semconv", "hierarchy", ...
  uint64_t evaluated = 0;
  uint64_t passed = 0;
  std::map<std::string, double> statistics;  // e.g. "recommended_coverage.chat" -> 72.5
  uint64_t failed() const { return evaluated - passed; }
};

// The semconv rule's figures per span type (from its statistics): percent of the attributes
// of each requirement level present, each counted on the spans its condition applied to;
// absent when the type has no attribute of that level.
struct SpanTypeCoverage {
  std::string span_type;  // "openai.inference.client"
  uint64_t spans = 0;
  std::optional<double> required, conditionally_required, recommended, opt_in;
};

// A key in a namespace the conventions own that they do not define, and the spans carrying it.
struct UnknownAttribute {
  std::string key;
  uint64_t spans = 0;
};

struct SemconvSection {
  std::vector<SpanTypeCoverage> span_types;          // by span type
  std::vector<UnknownAttribute> unknown_attributes;  // by key
  std::map<std::string, uint64_t> span_classes;      // spans read by class
};

// Trace figures of one scenario variant or one expected trace class.
struct GroupCounts {
  std::string group;  // "variant" or "class"
  std::string name;
  uint64_t sent = 0, acknowledged = 0, read = 0;
};

// One kept-fraction estimate of the sampling rule, with its Wilson interval.
struct SamplingRow {
  std::string population;  // "head", "tail.rest", "class.error", ...
  double expected = 0;
  uint64_t kept = 0, total = 0;
  double observed = 0, low = 0, high = 0, confidence = 0;
  bool passed = true;
};

// One delivery threshold (core/thresholds.h) and how the run fared against it.
struct ThresholdRow {
  std::string threshold;  // "export_latency: p(99)<250ms"
  std::string metric;
  bool is_default = false;  // the built-in "spans_not_acknowledged: count==0"
  bool measured = false;
  double observed = 0;  // in the threshold's unit (ms, fraction, count)
  std::string detail;   // "77 of 800 spans (9.63%)", "not measured: ..."
  bool passed = false;
};

// One expected or observed alert. Times are seconds since the run start; unset = never.
struct AlertTimeline {
  std::string name;
  bool expected = false;
  bool fired = false;
  std::optional<double> pending_at, firing_at, resolved_at;
  std::optional<double> time_to_fire;  // seconds from the cause (e.g. the incident) to firing
  std::optional<double> deadline;      // expected to fire within this many seconds
  bool passed = true;
};

// One span of an expected or actual trace tree, in depth-first order.
struct TreeSpan {
  enum class Mark { kSame, kChanged, kMissing, kExtra };
  std::string span_id, parent_span_id;
  std::string name, kind, status;
  std::string service;
  int depth = 0;
  std::vector<std::pair<std::string, std::string>> attributes;  // key attributes, sorted by key
  Mark mark = Mark::kSame;
  std::vector<std::string> differences;  // "kind", "parent", "attribute gen_ai.request.model"
};
const char* TreeMarkName(TreeSpan::Mark mark);  // "same", "changed", "missing", "extra"

// A failing trace, as sent and as read back, with the differences marked on both sides:
// an expected span with no actual counterpart is kMissing, an actual span with no expected one
// is kExtra, a span present on both sides that differs is kChanged on both.
struct TraceComparison {
  std::string trace_id;
  std::string variant;
  std::vector<std::string> finding_ids;  // the findings this trace produced
  std::vector<TreeSpan> expected;
  std::vector<TreeSpan> actual;
};

struct ReportModel {
  int schema_version = kReportSchemaVersion;
  RunInfo run;
  int exit_code = 0;  // of the command the report describes
  std::optional<LoadSection> load;
  std::vector<EndpointDelivery> endpoints;
  std::optional<ReadbackSection> readback;
  std::vector<FindingRow> findings;       // sorted by ID
  std::vector<RuleResult> rules;          // sorted by rule
  std::optional<SemconvSection> semconv;  // when the semconv rule evaluated any span
  std::vector<GroupCounts> groups;
  std::vector<SamplingRow> sampling;
  std::vector<ThresholdRow> thresholds;
  std::vector<AlertTimeline> alerts;
  std::vector<TraceComparison> failing_traces;  // the first few
};

// Unsuppressed violation-level findings in the model.
uint64_t ViolationCount(const ReportModel& model);
// True when the run passed: no violation finding and exit code 0.
bool Passed(const ReportModel& model);
// True when a finding at `level` fails the command under the model's run.fail_on.
bool LevelFails(const ReportModel& model, const std::string& level);

// ------------------------------------------------------------------ builders

// Load figures and per-endpoint delivery; each timeline point carries the schedule's intended
// rate in that second (ramps and phases) beside the achieved one.
void AddLoadSummary(const LoadSummary& summary, ReportModel* model);

// Findings, per-rule totals and statistics. Replaces model->findings and model->rules.
void AddFindings(const FindingSet& findings, ReportModel* model);
// The semconv section from the semconv rule's statistics ("spans.<type>",
// "<level>_coverage.<type>", "unknown_attribute.<key>", "span_classes.<class>"); nullopt when
// there are none.
std::optional<SemconvSection> SemconvSectionFromStatistics(
    const std::map<std::string, double>& stats);

// Read-back outcome counts and the time-until-queryable distribution.
void AddPollSummary(const readers::PollSummary& poll, ReportModel* model);

// Everything a check produced: run facts, findings, read-back, per-variant/class counts,
// sampling intervals, exit code.
void AddCheckResult(const CheckResult& result, ReportModel* model);

// Key attributes shown in span trees (gen_ai.operation.name, gen_ai.request.model, ...).
bool IsKeyAttribute(const std::string& key);

// Span trees in depth-first order (children by start time; orphans as extra roots at depth 0).
std::vector<TreeSpan> SpanTreeFromResourceSpans(
    const google::protobuf::RepeatedPtrField<opentelemetry::proto::trace::v1::ResourceSpans>&
        resource_spans);
std::vector<TreeSpan> SpanTreeFromSynthesized(const SynthesizedTrace& trace);

// Marks the differences between `comparison->expected` and `comparison->actual` (spans matched
// by span ID, then by name and depth), as described at TraceComparison.
void MarkDifferences(TraceComparison* comparison);

// Builds a comparison of one failing trace and appends it unless the model already holds
// `max_traces` of them. `received` may be null (trace not found).
void AddFailingTrace(const SynthesizedTrace& expected,
                     const opentelemetry::proto::trace::v1::TracesData* received,
                     const std::string& variant, std::vector<std::string> finding_ids,
                     size_t max_traces, ReportModel* model);

// The same for a trace that may have no expected side (`expected` null: a ledger-less check,
// or a ledger record the scenario could not rebuild): only the actual tree is shown, and each
// of its spans named in `span_findings` ((span ID hex, finding ID) pairs) is marked kChanged
// with those finding IDs as its differences. With `expected`, as above.
void AddFailingTrace(const std::string& trace_id, const SynthesizedTrace* expected,
                     const opentelemetry::proto::trace::v1::TracesData* received,
                     const std::string& variant, std::vector<std::string> finding_ids,
                     const std::vector<std::pair<std::string, std::string>>& span_findings,
                     size_t max_traces, ReportModel* model);

}  // namespace agentstorm::reports
