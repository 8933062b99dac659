#include "checker/finding_catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/did_you_mean.h"

namespace agentstorm {

const std::vector<std::string>& KnownFindingIds() {
  static const std::vector<std::string>* ids = [] {
    auto* v = new std::vector<std::string>{
        "alerts.expected_alert_not_fired",
        "alerts.rule_unhealthy",
        "alerts.unexpected_alert_fired",
        "baseline.loss_improvement",
        "baseline.loss_regression",
        "baseline.queryability_improvement",
        "baseline.queryability_regression",
        "baseline.scenario_changed",
        "baseline.throughput_improvement",
        "baseline.throughput_regression",
        "check.count_mismatch",
        "check.ledger_shard_missing",
        "check.ledger_truncated",
        "check.no_traces_read",
        "check.spans_of_another_run",
        "check.trace_not_rebuilt",
        "check.trace_unreadable",
        "check.variant_missing",
        "config.stale_suppression",
        "fidelity.attribute_added",
        "fidelity.attribute_dropped",
        "fidelity.duplicate_attribute_key",
        "fidelity.duplicate_span",
        "fidelity.event_changed",
        "fidelity.link_changed",
        "fidelity.name_changed",
        "fidelity.resource_changed",
        "fidelity.schema_url_changed",
        "fidelity.scope_changed",
        "fidelity.span_added",
        "fidelity.span_missing",
        "fidelity.span_never_acknowledged",
        "fidelity.status_changed",
        "fidelity.time_changed",
        "fidelity.trace_id_changed",
        "fidelity.trace_missing",
        "fidelity.trace_never_acknowledged",
        "fidelity.type_changed",
        "fidelity.value_changed",
        "fidelity.value_truncated",
        "hierarchy.child_outside_parent",
        "hierarchy.cycle",
        "hierarchy.duplicate_span_id",
        "hierarchy.kind_mismatch",
        "hierarchy.missing_root",
        "hierarchy.mixed_trace_ids",
        "hierarchy.multiple_roots",
        "hierarchy.orphan_span",
        "hierarchy.parent_mismatch",
        "redaction.content_present",
        "sampling.error_trace_dropped",
        "sampling.partial_trace",
        "sampling.rate_out_of_bounds",
        "sampling.slow_trace_dropped",
        "semconv.attribute_type_mismatch",
        "semconv.conditionally_required_coverage",
        "semconv.conditionally_required_missing",
        "semconv.deprecated_attribute",
        "semconv.recommended_coverage",
        "semconv.required_attribute_missing",
        "semconv.span_kind_mismatch",
        "semconv.span_name_format",
        "semconv.unknown_enum_value",
        "threshold.failed",
    };
    std::sort(v->begin(), v->end());
    return v;
  }();
  return *ids;
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
