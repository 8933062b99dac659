// Rebuilds what a run sent from its ledger and scenario (RunCheck, checker/check_pipeline.h): a
// ledger record says (index, phase, trace ID, span count, faults, start); the synthesizer, given
// the ledger header's seed and run start, makes the same trace again.
#pragma once

#include <memory>
#include <string>

#include "core/ledger.h"
#include "core/synthesized_trace.h"
#include "scenario/load_profile.h"
#include "scenario/scenario.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {

// Thread-safe: Rebuild may be called from many threads at once.
class ExpectedTraceRebuilder {
 public:
  ExpectedTraceRebuilder(std::shared_ptr<const Scenario> scenario, const LedgerHeader& header);
  ExpectedTraceRebuilder(const ExpectedTraceRebuilder&) = delete;
  ExpectedTraceRebuilder& operator=(const ExpectedTraceRebuilder&) = delete;

  // Synthesizes `record` into `out`, first with the scenario's load phases (whose fault
  // overrides the record's phase selects), then without (runs driven by --rate). True when one
  // of them gives the record's trace ID, span count and faults; `out` is then moved to the
  // record's start time. False when neither does: `out` holds the last attempt.
  bool Rebuild(const LedgerRecord& record, SynthesizedTrace* out) const;
  // The same trace as its wire encoding (TraceSynthesizer::SynthesizeEncodedAt at the record's
  // start), appended to *out as `resource_spans` fields (field 1 of an ExportTraceServiceRequest,
  // and of a TracesData); *meta gets the trace's facts and no spans. About a fifth of Rebuild's
  // cost: enough to tell whether a backend's answer is byte for byte what was sent.
  bool RebuildEncoded(const LedgerRecord& record, SynthesizedTrace* meta, std::string* out) const;

 private:
  LoadProfile no_phases_;  // borrowed by the synthesizers' options
  std::unique_ptr<TraceSynthesizer> phased_, plain_;
};

}  // namespace agentstorm
