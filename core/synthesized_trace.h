// What the synthesizer hands to the load engine for one trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

// The class the checker expects a trace to fall into (DESIGN.md, ledger).
enum class TraceClass : uint8_t { kNormal = 0, kError = 1, kSlow = 2, kRunaway = 3, kOverflow = 4 };
const char* TraceClassName(TraceClass c);

// Faults a scenario can inject. The first five change the agent's behaviour; the rest are
// deliberately broken instrumentation for negative tests of a checker.
enum class FaultKind : uint8_t {
  kToolFailure = 0,
  kRunawayLoop = 1,
  kContextOverflow = 2,
  kRateLimit = 3,
  kTimeout = 4,
  kOrphanSpan = 5,
  kMissingRoot = 6,
  kMissingRequiredAttribute = 7,
  kWrongSpanKind = 8,
  kDeprecatedAttributeOnly = 9,
};
inline constexpr int kFaultKindCount = 10;
// The scenario-file name: "tool_failure", "runaway_loop", ..., "deprecated_attribute_only".
const char* FaultKindName(FaultKind f);
// Inverse of FaultKindName; false when `name` is not a fault.
bool ParseFaultKind(const std::string& name, FaultKind* out);
constexpr uint32_t FaultBit(FaultKind f) { return 1u << static_cast<uint32_t>(f); }

// One synthesized trace: spans grouped by resource (a remote subagent or MCP server is its own
// ResourceSpans), plus the facts the ledger records. Reused across calls to avoid allocation.
struct SynthesizedTrace {
  uint64_t index = 0;  // trace index within the run (before sharding)
  TraceId trace_id{};
  uint16_t variant = 0;  // index into the scenario's variants
  TraceClass expected_class = TraceClass::kNormal;
  uint32_t span_count = 0;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  uint32_t faults = 0;  // FaultBit() of every fault that took effect in this trace
  std::vector<opentelemetry::proto::trace::v1::ResourceSpans> resource_spans;
};

// A deterministic source of traces: Synthesize(i) is a pure function of the source's inputs
// (scenario, seed, shard) and i. Thread-safe for concurrent calls with different outputs.
class TraceSource {
 public:
  virtual ~TraceSource() = default;
  // Fills *out with trace `index` (its previous contents are overwritten). `phase` is an index
  // into the load profile's phases whose fault overrides apply, or -1 for the scenario's own rates.
  virtual void Synthesize(uint64_t index, int phase, SynthesizedTrace* out) const = 0;
  // Appends trace `index` to *out as `resource_spans` fields of a serialized
  // ExportTraceServiceRequest (so traces concatenate into a request) and fills *meta like
  // Synthesize (its resource_spans are scratch). The default serializes Synthesize's messages;
  // TraceSynthesizer overrides it with the templated wire encoder.
  virtual void SynthesizeEncoded(uint64_t index, int phase, SynthesizedTrace* meta,
                                 std::string* out) const;
  // Mean spans per trace, used to turn a spans/s target into traces/s.
  virtual double MeanSpansPerTrace() const = 0;
};

// The reference path's encoding: appends `rs` with libprotobuf as one `resource_spans` field
// (number 1, length-delimited) of an ExportTraceServiceRequest.
void AppendResourceSpans(const opentelemetry::proto::trace::v1::ResourceSpans& rs,
                         std::string* out);

}  // namespace agentstorm
