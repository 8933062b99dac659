// Renders a synthesized trace as an indented tree, one span per line:
//   invoke_agent research_agent 5.8s [research-app]
//     chat gpt-4o 1.2s tokens=1200/310 finish=tool_call
//     execute_tool web_search 412ms ERROR timeout
// Children are ordered by start time; a span whose parent is not in the trace is shown as an
// extra root marked "(orphan)". For `generate --dry-run --format tree` and for reports.
#pragma once

#include <string>

#include "core/synthesized_trace.h"

namespace agentstorm {

std::string RenderTraceTree(const SynthesizedTrace& trace);

// "850ms", "5.8s", "2m03s".
std::string FormatDurationNanos(uint64_t nanos);

}  // namespace agentstorm
