#include "checker/expected_traces.h"

#include <cstdint>
#include <string>
#include <utility>

namespace agentstorm {
namespace {

// Moves every timestamp of `t` by `delta` nanoseconds (the expected trace is synthesized with
// the run's start and no spacing; the ledger record says where it really started).
void ShiftTimes(SynthesizedTrace* t, int64_t delta) {
  if (delta == 0) return;
  t->start_unix_nano += delta;
  t->end_unix_nano += delta;
  for (auto& rs : t->resource_spans)
    for (auto& ss : *rs.mutable_scope_spans())
      for (auto& span : *ss.mutable_spans()) {
        span.set_start_time_unix_nano(span.start_time_unix_nano() + delta);
        span.set_end_time_unix_nano(span.end_time_unix_nano() + delta);
        for (auto& e : *span.mutable_events()) e.set_time_unix_nano(e.time_unix_nano() + delta);
      }
}

}  // namespace

ExpectedTraceRebuilder::ExpectedTraceRebuilder(std::shared_ptr<const Scenario> scenario,
                                               const LedgerHeader& header) {
  SynthesizerOptions so;
  so.seed = header.seed;
  so.run_id = header.run_id;
  so.start_unix_nano = header.run_start_unix_nano;
  so.trace_interval_nanos = 0;
  so.estimate_shapes = false;  // it only rebuilds traces
  so.load = scenario->load ? &*scenario->load : &no_phases_;
  phased_ = std::make_unique<TraceSynthesizer>(scenario, so);
  so.load = &no_phases_;
  plain_ = std::make_unique<TraceSynthesizer>(std::move(scenario), so);
}

bool ExpectedTraceRebuilder::Rebuild(const LedgerRecord& record, SynthesizedTrace* out) const {
  for (const TraceSynthesizer* s : {phased_.get(), plain_.get()}) {
    s->Synthesize(record.index, record.phase, out);
    if (out->trace_id == record.trace_id && out->span_count == record.span_count &&
        out->faults == record.faults) {
      ShiftTimes(out, static_cast<int64_t>(record.start_unix_nano - out->start_unix_nano));
      return true;
    }
  }
  return false;
}

bool ExpectedTraceRebuilder::RebuildEncoded(const LedgerRecord& record, SynthesizedTrace* meta,
                                            std::string* out) const {
  const size_t mark = out->size();
  for (const TraceSynthesizer* s : {phased_.get(), plain_.get()}) {
    out->resize(mark);
    s->SynthesizeEncodedAt(record.index, record.phase, record.start_unix_nano, meta, out);
    if (meta->trace_id == record.trace_id && meta->span_count == record.span_count &&
        meta->faults == record.faults) {
      return true;
    }
  }
  return false;
}

}  // namespace agentstorm
