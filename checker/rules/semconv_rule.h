// SemconvRule: semantic-convention completeness of every GenAI span, against a SemconvModel
// (the bundled profile or an upstream registry).
//
// Per span:
//  - recognise its span type: the value of gen_ai.operation.name (or the presence of
//    mcp.method.name) picks the candidates, the span kind picks among them (invoke_agent is
//    CLIENT when remote, INTERNAL in-process), and gen_ai.provider.name (or gen_ai.system)
//    picks a provider refinement (openai.inference.client, ...);
//  - required attributes present                      -> semconv.required_attribute_missing
//    (also: a span with gen_ai.* attributes but no gen_ai.operation.name)
//  - conditionally required attributes present        -> semconv.conditionally_required_missing
//    when the span shows the condition holds (violation): status ERROR for error.type, or the
//    named attribute is set (server.address -> server.port), or the request was streamed
//    (gen_ai.request.stream, or a time to first chunk: checker/semconv/model.h kStreaming);
//    nothing when it does not hold.
//    A condition only prose can decide ("if the request includes a seed") is no per-span
//    finding, since nobody could act on it: such attributes are counted like recommended ones,
//    as the statistic "conditionally_required_coverage.<span type>" and one information
//    finding per span type                             -> semconv.conditionally_required_coverage
//  - every known attribute with its declared type     -> semconv.attribute_type_mismatch
//  - enum values: unknown value of a closed enum is a violation, of an open enum information
//                                                     -> semconv.unknown_enum_value
//  - span name in the declared format, e.g. "{gen_ai.operation.name} {gen_ai.request.model}",
//    "invoke_agent {gen_ai.agent.name}" (or "invoke_agent" without a name); with a ledger the
//    values come from the span as sent, so a damaged attribute is not the reference
//                                                     -> semconv.span_name_format
//  - span kind among the declared kinds               -> semconv.span_kind_mismatch
//  - deprecated attributes and enum values, with the replacement
//                                                     -> semconv.deprecated_attribute
//  - per span type, the statistics "required_coverage.<type>" and "opt_in_coverage.<type>"
//    (no finding: a missing required attribute is one per span, opt-in ones are only counted)
//  - recommended attributes: coverage in percent per span type, reported in Finish() as the
//    statistic "recommended_coverage.<span type>" and one information finding per span type
//                                                     -> semconv.recommended_coverage
//    (an attribute with an evaluable condition, `when: error`, `when_present: KEY`,
//    `when: streaming`, counts only on the spans where it holds)
//  - a key in a namespace the conventions own (gen_ai.*, mcp.*, a provider refinement's own
//    namespace such as openai.*) that the model does not define, on a span not recognised as
//    another convention's: the statistic "unknown_attribute.<key>" counts the spans
//                                                     -> semconv.unknown_attribute
//  - gen_ai.request.stream false with a time to first chunk; error.type on a span whose status
//    is not ERROR                                     -> semconv.contradictory_attributes
// Spans that carry no attribute the model knows (HTTP, DB spans, ...) are not evaluated.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "checker/finding.h"
#include "checker/rule.h"
#include "checker/semconv/model.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

// The model's span types as SemconvRule recognises a span: the candidates for a matching
// attribute's value (SemconvModel::CandidatesFor) and a type's provider refinement
// (SemconvModel::RefinementFor), looked up by hash instead of a walk over every type per span.
class SpanTypeTable {
 public:
  explicit SpanTypeTable(const semconv::SemconvModel& model);

  struct ByMatchValue {
    std::string key;  // a match attribute, in SemconvModel::MatchAttributes() order
    // The candidates for each value some type names, and for any other value.
    absl::flat_hash_map<std::string, std::vector<const semconv::SpanType*>> by_value;
    std::vector<const semconv::SpanType*> any_value;
    const std::vector<const semconv::SpanType*>& Of(
        const opentelemetry::proto::common::v1::AnyValue& value) const;
  };
  std::vector<ByMatchValue> by_match_value;

  // The refinement of `base` (a type of the model) for this gen_ai.provider.name, or nullptr.
  const semconv::SpanType* RefinementOf(
      const semconv::SpanType* base,
      const opentelemetry::proto::common::v1::AnyValue& provider) const;

  // The index (in the model's span_types) of the first type with the id of `type`, a type of the
  // model: what is kept per span type id is kept there.
  size_t SlotOf(const semconv::SpanType* type) const {
    return slot_[static_cast<size_t>(type - first_)];
  }

 private:
  const semconv::SpanType* first_ = nullptr;
  std::vector<size_t> slot_;  // per type, the index of the first type with its id
  std::vector<absl::flat_hash_map<std::string, const semconv::SpanType*>> refinements_;
};

class SemconvRule : public Rule {
 public:
  explicit SemconvRule(semconv::SemconvModel model);

  std::string_view family() const override { return "semconv"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;
  void Finish(FindingSet* findings) override;

  // Checks one span; `trace` supplies the trace ID (when the span has none) and the variant.
  // `sent` is the span as sent (ledger mode; null without): the expected span name is derived
  // from its attributes, so a value damaged in the pipeline is not taken as the reference.
  // Returns the span's class (other_conventions.h): kGenAiClass, another convention's name, or
  // kOtherClass. A "provider API call" is returned, not reported: CheckTrace reports it when no
  // span of its trace is a GenAI one.
  std::string_view CheckSpan(const opentelemetry::proto::trace::v1::Span& span,
                             const TraceUnderCheck& trace, FindingSet* findings,
                             const opentelemetry::proto::trace::v1::Span* sent = nullptr);

  // The span type `span` is recognised as (after kind and provider refinement), or nullptr.
  const semconv::SpanType* Classify(const opentelemetry::proto::trace::v1::Span& span) const;

  const semconv::SemconvModel& model() const { return model_; }

  // A requirement's definition (nullptr where the model defines none) and its ordinal in the
  // rule's AttributeIndex.
  struct RequirementDef {
    const semconv::AttributeDef* def = nullptr;
    uint32_t ordinal = 0;
  };

  // Presence of a list of attributes over the spans of one type, each counted only on the spans
  // its condition applied to (or could not be evaluated on).
  struct KeyCoverage {
    std::vector<std::string> keys;
    std::vector<uint64_t> present;     // per key
    std::vector<uint64_t> applicable;  // per key
    void Resize() {
      present.assign(keys.size(), 0);
      applicable.assign(keys.size(), 0);
    }
    // `states` per key: -1 not applicable, 0 absent, 1 present.
    void Count(const std::vector<int8_t>& states) {
      for (size_t i = 0; i < states.size() && i < keys.size(); ++i) {
        if (states[i] < 0) continue;
        ++applicable[i];
        present[i] += static_cast<uint64_t>(states[i]);
      }
    }
  };

 private:
  struct Coverage {
    uint64_t spans = 0;
    KeyCoverage required;
    KeyCoverage recommended;
    // Conditionally required attributes whose condition is prose.
    KeyCoverage conditional;
    KeyCoverage opt_in;  // counted, not scored: no finding
  };

  const semconv::SemconvModel model_;
  const semconv::AttributeIndex attributes_{model_};  // model_.FindAttribute, by hash
  // Per span type (index in model_.span_types), the definition of each of its requirements' keys
  // (nullptr where the model defines none), found once rather than per span.
  const std::vector<std::vector<RequirementDef>> requirement_defs_;
  const std::vector<std::string> match_attributes_;
  const SpanTypeTable span_types_;
  const absl::flat_hash_set<const semconv::AttributeDef*> free_form_;  // FreeFormEnums
  // Namespaces the conventions own ("gen_ai.", "mcp.", a refinement's provider namespace such
  // as "openai." when the model defines attributes in it): a key in one that the model does not
  // define is reported.
  const std::vector<std::string> owned_namespaces_;
  absl::Mutex mu_;
  // Spans per undefined key in an owned namespace, for the statistics (at most
  // kMaxUnknownKeys keys; the rest are counted together).
  std::map<std::string, uint64_t> unknown_keys_ ABSL_GUARDED_BY(mu_);
  // Per span type id, at span_types_.SlotOf(type): a span finds its counts without a lookup
  // by name.
  std::vector<Coverage> coverage_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> classes_ ABSL_GUARDED_BY(mu_);  // spans read, by class
};

}  // namespace agentstorm
