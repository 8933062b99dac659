// Spans of another run under this run's IDs. Trace and span IDs derive from (seed, run ID, index)
// (synth/trace_synthesizer.h), so two runs share IDs only when the second reused the first's
// `--run-id` and `--seed` (or both were recorded before run IDs, ledger version 1). A backend that
// kept the first run then holds two spans under every ID: the same content, shifted in time by
// the difference of the runs' starts. Those copies are the user's own earlier run, not a pipeline
// that duplicated spans, so the check sets them aside and says so (check.spans_of_another_run)
// instead of reporting fidelity.duplicate_span and hierarchy.duplicate_span_id.
#pragma once

#include <cstddef>
#include <cstdint>

#include "checker/rules/trace_view.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

struct OtherRunSpans {
  size_t count = 0;          // spans set aside
  int64_t offset_nanos = 0;  // their start minus the start sent under the same span ID (the first)
};

// A span of `received` is another run's when `expected` has its span ID with a start more than
// 1 ms away and the same duration (within 1 us): a pipeline that rewrites a timestamp does not
// keep the duration while shifting both ends. When some are found, *kept receives `received`
// without them (empty scopes and resources dropped); otherwise *kept is left untouched.
OtherRunSpans SetAsideOtherRunSpans(const SynthesizedTrace& expected,
                                    const opentelemetry::proto::trace::v1::TracesData& received,
                                    opentelemetry::proto::trace::v1::TracesData* kept);
// The same with the spans sent already indexed by span ID (IndexSentSpans).
OtherRunSpans SetAsideOtherRunSpans(const SpansById& sent,
                                    const opentelemetry::proto::trace::v1::TracesData& received,
                                    opentelemetry::proto::trace::v1::TracesData* kept);

}  // namespace agentstorm
