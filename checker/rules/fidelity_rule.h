// FidelityRule: every span that was sent arrived once, exactly as sent. Needs the expected trace
// (ledger mode); without one (`check --service`, `--trace-id`) it checks only what OTLP requires
// of any span: fidelity.duplicate_attribute_key.
//
// Per trace:
//   fidelity.trace_missing        an acknowledged trace the backend does not have (violation)
//   fidelity.trace_never_acknowledged  a trace the ledger says was not acknowledged is absent
//                                 (information: nothing was lost by the backend)
//   fidelity.resource_changed     a resource attribute (service.name, ...) differs from what was
//                                 sent, or is missing; once per trace and difference
//   fidelity.scope_changed        the instrumentation scope's name, version or (when the reader's
//                                 API carries them) attributes differ; once per trace and
//                                 difference
//   fidelity.schema_url_changed   the resource's or scope's schema URL differs (when the reader's
//                                 API carries schema URLs); once per trace and difference
// Per span that was sent:
//   fidelity.span_missing         acknowledged but absent: lost by the pipeline (violation)
//   fidelity.span_never_acknowledged  absent, and the ledger says its trace was not (fully)
//                                 acknowledged (information)
//   fidelity.duplicate_span       present more than once
//   fidelity.trace_id_changed     the span arrived under another trace ID: e.g. the upper 64 bits
//                                 zeroed by a backend that stores 64-bit IDs (spans are matched by
//                                 span ID, so this is what tells)
//   fidelity.duplicate_attribute_key  the span carries one attribute key more than once (OTLP
//                                 requires unique keys); the values are listed
//   fidelity.name_changed, fidelity.status_changed, fidelity.time_changed (beyond 1 us)
//   fidelity.attribute_dropped    a span attribute sent is absent
//   fidelity.value_truncated      a string (or string array element) arrived as a strict prefix
//   fidelity.type_changed         arrived with another type: int -> string, array -> string, ...
//   fidelity.value_changed        same type, other value
//   fidelity.attribute_added      an attribute that was not sent (information)
//   fidelity.event_changed        events differ in number, or an event's name, time or
//                                 attributes differ (once per event)
//   fidelity.link_changed         links differ in number, or a link's target or attributes
// Per span that was not sent:
//   fidelity.span_added           (information)
//
// When the scenario expects content to be stripped (`redacted_attributes`, `redacted_events`),
// their absence is not a fidelity finding: the redaction rule checks they are gone.
// When the scenario expects sampling (`traces_may_be_dropped`), whole traces may be absent and
// a partial one is the sampling rule's sampling.partial_trace: this rule then reports neither.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checker/finding.h"
#include "checker/rule.h"

namespace agentstorm {

struct FidelityRuleOptions {
  bool traces_may_be_dropped = false;
  // When the scenario expects the pipeline to strip content (the redaction rule judges that),
  // these span and event attribute keys may be absent without fidelity.attribute_dropped or
  // fidelity.event_changed, and events with these names may be missing.
  std::vector<std::string> redacted_attributes;
  std::vector<std::string> redacted_events;
  // What the reader's API can represent (readers::TraceReader::Carries): the Jaeger legacy JSON
  // has neither schema URLs nor scope attributes, so their absence there is not the pipeline's.
  bool compare_schema_urls = true;
  bool compare_scope_attributes = true;
  // Times (span start and end, event times) further apart than this differ: 1 us, or twice the
  // reader's resolution when coarser (a start and a duration each cut to it).
  uint64_t time_tolerance_nanos = 1000;
};

class FidelityRule : public Rule {
 public:
  explicit FidelityRule(FidelityRuleOptions options = {});

  std::string_view family() const override { return "fidelity"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;

 private:
  void CheckInvariants(const TraceUnderCheck& trace, FindingSet* findings);
  const FidelityRuleOptions options_;
};

}  // namespace agentstorm
