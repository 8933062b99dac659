// The rule framework: every check the checker makes is a Rule.
//
// A Rule sees each received trace once (CheckTrace) and then the end of the run (Finish).
//  - Per-trace rules (hierarchy, fidelity, semconv, redaction) do their work in CheckTrace.
//  - Whole-run rules (sampling, alerts) gather what they need in CheckTrace, or nothing at all,
//    and decide in Finish. An alerts rule is "one more rule": CheckTrace may ignore its input and
//    Finish queries Prometheus/Alertmanager.
// Rules report through the FindingSet: findings, plus RecordEvaluation for how many items they
// examined and passed, plus SetStatistic for figures such as coverage percentages.
//
// Threading: the checker may call CheckTrace concurrently from several threads, for different
// traces. A rule that keeps state across traces guards it itself. Finish is called once, after
// every CheckTrace call has returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "checker/finding.h"
#include "checker/rules/trace_view.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

// One trace as the checker hands it to the rules.
struct TraceUnderCheck {
  std::string trace_id;  // lowercase hex, 32 digits
  // What the backend returned; empty (no resource spans) when the trace was not found.
  const opentelemetry::proto::trace::v1::TracesData* received = nullptr;
  // What was sent, rebuilt by the synthesizer from the ledger; nullptr without a ledger
  // (`check --service` / `--trace-id`), in which case rules check invariants only.
  const SynthesizedTrace* expected = nullptr;
  // The scenario variant name of the trace, when a ledger says it.
  std::optional<std::string> variant;
  // With a ledger: whether every endpoint acknowledged the trace (its worst DeliveryOutcome was
  // kAcknowledged). Spans of a trace that was not acknowledged may legitimately be missing.
  bool acknowledged = true;
  // With a ledger: whether the backend returned the trace at all (false: `received` is empty
  // because the poller ended with not found or incomplete-with-nothing).
  bool found = true;
  // `expected`'s spans by span ID (IndexSentSpans), built once for every rule of the trace;
  // nullptr: a rule that needs them indexes them itself (SentSpansOf).
  const SpansById* sent_by_id = nullptr;
  // With a ledger: the backend answered the trace byte for byte as its spans were sent (the
  // encoding of the expected trace; CheckOptions::compare_wire). `expected` then holds the
  // trace's facts (span count, times, class, faults) but no spans: what was sent is `received`,
  // span for span, so a rule compares nothing and takes the sent spans from `received`.
  bool arrived_as_sent = false;
};

// trace.sent_by_id, or `storage` filled from trace.expected (left empty without one, and when
// the trace arrived as sent: then what was sent is trace.received).
inline const SpansById& SentSpansOf(const TraceUnderCheck& trace, SpansById* storage) {
  if (trace.sent_by_id != nullptr) return *trace.sent_by_id;
  if (trace.expected != nullptr) IndexSentSpans(*trace.expected, storage);
  return *storage;
}

class Rule {
 public:
  virtual ~Rule() = default;

  // The rule family, which prefixes its finding IDs: "semconv", "hierarchy", "alerts", ...
  virtual std::string_view family() const = 0;

  // Examines one trace. REQUIRES: trace.received != nullptr.
  virtual void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) = 0;

  // Called once after the last CheckTrace; whole-run rules report here.
  virtual void Finish(FindingSet* findings) {}
};

}  // namespace agentstorm
