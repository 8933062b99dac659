#include "checker/finding_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/did_you_mean.h"

namespace agentstorm {

namespace {

// Each known ID with what it means in a few words (a JUnit case name, a report's tooltip).
const std::vector<std::pair<std::string, std::string>>& Catalog() {
  static const auto* catalog = new std::vector<std::pair<std::string, std::string>>{
      {"alerts.expected_alert_not_fired", "an alert the scenario expects did not fire in time"},
      {"alerts.rule_unhealthy", "an alerting rule could not be evaluated"},
      {"alerts.unexpected_alert_fired", "an alert fired that the scenario says must not"},
      {"baseline.loss_improvement", "less loss than the baseline"},
      {"baseline.loss_regression", "more loss than the baseline"},
      {"baseline.queryability_improvement", "traces queryable sooner than in the baseline"},
      {"baseline.queryability_regression", "traces queryable later than in the baseline"},
      {"baseline.scenario_changed", "the baseline was made from another scenario"},
      {"baseline.throughput_improvement", "higher throughput than the baseline"},
      {"baseline.throughput_regression", "lower throughput than the baseline"},
      {"check.count_mismatch", "acknowledged and read-back counts do not reconcile"},
      {"check.ledger_shard_missing", "a shard of the run has no ledger"},
      {"check.ledger_truncated", "a ledger ends without its end marker"},
      {"check.no_traces_read", "no trace could be read back"},
      {"check.spans_of_another_run", "spans of an earlier run under this run's IDs"},
      {"check.trace_not_rebuilt", "the scenario does not rebuild a ledger record"},
      {"check.trace_unreadable", "every request for a trace failed"},
      {"check.variant_missing", "no trace of a variant was read back"},
      {"config.stale_suppression", "an expected violation that no longer occurs"},
      {"fidelity.attribute_added", "an attribute that was not sent"},
      {"fidelity.attribute_dropped", "a span attribute sent did not arrive"},
      {"fidelity.duplicate_attribute_key", "a span carries one attribute key twice"},
      {"fidelity.duplicate_span", "a span arrived more than once"},
      {"fidelity.event_changed", "span events differ from what was sent"},
      {"fidelity.link_changed", "span links differ from what was sent"},
      {"fidelity.name_changed", "a span's name differs from what was sent"},
      {"fidelity.resource_changed", "a resource attribute differs from what was sent"},
      {"fidelity.schema_url_changed", "a schema URL differs from what was sent"},
      {"fidelity.scope_changed", "the instrumentation scope differs from what was sent"},
      {"fidelity.span_added", "a span that was not sent"},
      {"fidelity.span_missing", "an acknowledged span is missing"},
      {"fidelity.span_never_acknowledged", "a span never acknowledged is absent"},
      {"fidelity.status_changed", "a span's status differs from what was sent"},
      {"fidelity.time_changed", "a span's timestamps differ from what was sent"},
      {"fidelity.trace_id_changed", "a span arrived under another trace ID"},
      {"fidelity.trace_missing", "an acknowledged trace is missing"},
      {"fidelity.trace_never_acknowledged", "a trace never acknowledged is absent"},
      {"fidelity.type_changed", "an attribute arrived with another type"},
      {"fidelity.value_changed", "an attribute arrived with another value"},
      {"fidelity.value_truncated", "a string attribute arrived truncated"},
      {"hierarchy.child_outside_parent", "a child span outside its parent's time window"},
      {"hierarchy.cycle", "spans whose parents form a cycle"},
      {"hierarchy.duplicate_span_id", "two spans share a span ID"},
      {"hierarchy.kind_mismatch", "a span's kind differs from what was sent"},
      {"hierarchy.missing_root", "a trace without a root span"},
      {"hierarchy.mixed_trace_ids", "one trace's spans carry different trace IDs"},
      {"hierarchy.multiple_roots", "a trace with more than one root span"},
      {"hierarchy.orphan_span", "a span whose parent is not in the trace"},
      {"hierarchy.parent_mismatch", "a span's parent differs from what was sent"},
      {"redaction.content_present", "content that must be redacted arrived"},
      {"redaction.pattern_matched", "a value matches a pattern that must be redacted"},
      {"sampling.error_trace_dropped", "an error trace the sampler must keep was dropped"},
      {"sampling.partial_trace", "a sampled trace arrived incomplete"},
      {"sampling.rate_out_of_bounds", "the kept fraction is outside its confidence interval"},
      {"sampling.slow_trace_dropped", "a slow trace the sampler must keep was dropped"},
      {"semconv.attribute_type_mismatch", "an attribute of the wrong type for the conventions"},
      {"semconv.conditionally_required_coverage", "coverage of conditionally required attributes"},
      {"semconv.conditionally_required_missing", "a conditionally required attribute is missing"},
      {"semconv.content_schema",
       "message content (or another JSON-schema'd value) that does not follow its schema"},
      {"semconv.contradictory_attributes", "attributes of one span that cannot both be true"},
      {"semconv.deprecated_attribute", "a deprecated attribute is used"},
      {"semconv.double_sent_as_int", "a double attribute sent as a whole-number integer"},
      {"semconv.duplicate_instrumentation",
       "one model call recorded as two nested inference spans"},
      {"semconv.other_convention",
       "an LLM span under another convention (OpenInference, OpenLLMetry, Vercel AI SDK)"},
      {"semconv.recommended_coverage", "coverage of recommended attributes"},
      {"semconv.required_attribute_missing", "a required attribute is missing"},
      {"semconv.span_classes", "spans read by convention, when some follow another one"},
      {"semconv.span_kind_mismatch", "a span kind the conventions do not allow"},
      {"semconv.span_name_format", "a span name not in the conventions' format"},
      {"semconv.token_arithmetic", "input tokens fewer than the cached tokens they include"},
      {"semconv.unknown_attribute", "a key in a conventions' namespace they do not define"},
      {"semconv.unknown_enum_value", "a value outside the attribute's enumeration"},
      {"threshold.failed", "a pass/fail threshold was not met"},
  };
  return *catalog;
}

}  // namespace

const std::vector<std::string>& KnownFindingIds() {
  static const std::vector<std::string>* ids = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& [id, summary] : Catalog()) v->push_back(id);
    std::sort(v->begin(), v->end());
    return v;
  }();
  return *ids;
}

std::string FindingSummary(std::string_view id) {
  for (const auto& [known, summary] : Catalog())
    if (known == id) return summary;
  return "";
}

std::string UnknownFindingIdError(std::string_view id) {
  const std::vector<std::string>& ids = KnownFindingIds();
  if (id == "*" || std::binary_search(ids.begin(), ids.end(), id)) return "";
  std::vector<std::string> families;
  for (const std::string& known : ids) {
    std::string family = known.substr(0, known.find('.'));
    if (families.empty() || families.back() != family) families.push_back(std::move(family));
  }
  const size_t dot = id.find('.');
  const std::string_view family = id.substr(0, dot);
  const bool known_family = std::find(families.begin(), families.end(), family) != families.end();
  if (known_family && id.find('*') != std::string_view::npos) return "";  // "semconv.*", ...
  std::string message = "unknown finding ID \"" + std::string(id) + "\"";
  std::string closest = ClosestMatch(id, ids);
  if (closest.empty() && !known_family) {
    closest = ClosestMatch(family, families);
    if (!closest.empty()) closest += ".*";
  }
  if (!closest.empty()) return absl::StrCat(message, "; did you mean ", closest, "?");
  return absl::StrCat(message, " (finding IDs are listed in the README, e.g. ", ids.front(),
                      "; a family is written as semconv.*)");
}

}  // namespace agentstorm
