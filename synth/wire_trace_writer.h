// Templated wire encoding: the synthesizer's fast path to OTLP protobuf bytes.
//
// The reference path builds libprotobuf messages (ResourceSpans, Span, KeyValue...) for every
// trace and serializes them with libprotobuf's generic serializer. The templated path runs the
// SAME synthesis code (TraceBuilder in trace_synthesizer.cc is a template over its output) but
// writes each span straight to wire format into reusable per-thread buffers:
//   - per scenario, EncoderTables precompiles what never varies: every service's encoded Resource
//     block and the encoded scope / schema_url fragments of each semconv profile;
//   - per span, only what varies is written: IDs, timestamps, name, kind, attributes (a few bytes
//     of tag + length around each key and value), events and status;
//   - at the end of the trace, ResourceSpans / ScopeSpans lengths are computed from the recorded
//     sizes and everything is laid out in one pass into the caller's string.
// Buffers keep their capacity across traces, so steady state allocates nothing per span.
//
// Contract (tests/synth/wire_trace_writer_test.cc): for every scenario, seed and trace index,
// the bytes appended by TraceSynthesizer::SynthesizeEncoded parse with libprotobuf into exactly
// the ExportTraceServiceRequest whose resource_spans are those Synthesize() builds
// (MessageDifferencer::Equals). Field order within a span may differ from libprotobuf's (events
// interleave with attributes), which the protobuf wire format allows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto_wire.h"
#include "core/rng.h"
#include "scenario/scenario.h"
#include "synth/otlp_wire_format.h"

namespace agentstorm {

class EncoderTables;

// The templated path's output for one trace at a time: span records (IDs, times, kind, name, and
// the span's attributes / events already in wire format) grouped into resource slots, laid out as
// `resource_spans` fields by Finish(). One per thread; reused across traces.
class WireTraceWriter {
 public:
  using SpanHandle = int32_t;
  static constexpr SpanHandle kNoSpan = -1;

  // Starts a trace. `tables` must outlive the trace; `services` is the part's service count.
  void Begin(const EncoderTables* tables, const uint8_t* trace_id, int part, bool latest,
             size_t services);
  // A span in `service`'s slot (created, with its resource, on first use; a pooled resource
  // draws from `attrs`). `parent` is kNoSpan for a root.
  SpanHandle NewSpan(int service, const Service& svc, CounterRng* attrs, SpanHandle parent,
                     int kind, uint64_t start_unix_nano, uint64_t span_id);
  void SetKind(SpanHandle h, int kind) { spans_[h].kind = kind; }
  void SetName(SpanHandle h, std::string_view a, std::string_view b);
  void SetEnd(SpanHandle h, uint64_t end_unix_nano) { spans_[h].end = end_unix_nano; }
  void Str(SpanHandle h, std::string_view key, std::string_view v) {
    wire::PutStringAttr(&spans_[h].body, wire::kTagSpanAttr, key, v);
  }
  void Int(SpanHandle h, std::string_view key, int64_t v) {
    wire::PutIntAttr(&spans_[h].body, wire::kTagSpanAttr, key, v);
  }
  void Double(SpanHandle h, std::string_view key, double v) {
    wire::PutDoubleAttr(&spans_[h].body, wire::kTagSpanAttr, key, v);
  }
  void Bool(SpanHandle h, std::string_view key, bool v) {
    wire::PutBoolAttr(&spans_[h].body, wire::kTagSpanAttr, key, v);
  }
  void StrArray(SpanHandle h, std::string_view key, const std::string_view* v, size_t n) {
    wire::PutStringArrayAttr(&spans_[h].body, wire::kTagSpanAttr, key, v, n);
  }
  // Status{code: ERROR, message}.
  void SetError(SpanHandle h, std::string_view message);
  // An event is built between BeginEvent and EndEvent; one at a time.
  void BeginEvent(SpanHandle h, uint64_t time_unix_nano, std::string_view name);
  void EventStr(std::string_view key, std::string_view v) {
    wire::PutStringAttr(&event_, wire::kTagEventAttr, key, v);
  }
  void EventInt(std::string_view key, int64_t v) {
    wire::PutIntAttr(&event_, wire::kTagEventAttr, key, v);
  }
  void EndEvent();
  // Instrumentation defects: spans that have a parent (slot order, then creation order), a new
  // parent ID, and removing the root (the first span of the first slot).
  void CollectParented(std::vector<SpanHandle>* out) const;
  void SetParent(SpanHandle h, uint64_t parent_id) { spans_[h].parent = parent_id; }
  void RemoveRoot();
  int used_slots() const { return static_cast<int>(n_slots_); }

  // Appends the trace as `resource_spans` fields of an ExportTraceServiceRequest.
  void Finish(std::string* out);

 private:
  struct SpanRecord {
    uint64_t id = 0, parent = 0, start = 0, end = 0;
    int32_t slot = 0;
    int32_t kind = 0;
    bool removed = false;
    bool error = false;
    std::string name;
    std::string status_message;
    protowire::Buffer body;  // Span.attributes and Span.events fields, in call order
    size_t encoded = 0;      // Finish(): size of the Span message
  };
  struct Slot {
    const std::string* resource = nullptr;  // precompiled, or `pooled_resource`
    protowire::Buffer pooled_resource;
    size_t scope_spans = 0, resource_spans = 0;  // Finish(): message sizes
  };
  size_t EncodedSpanSize(const SpanRecord& s) const;
  char* PutSpan(char* p, const SpanRecord& s) const;

  const EncoderTables* tables_ = nullptr;
  uint8_t trace_id_[16] = {};
  int part_ = 0;
  bool latest_ = true;
  std::vector<int> slot_of_service_;
  std::vector<Slot> slots_;  // [0, n_slots_) in use
  size_t n_slots_ = 0;
  std::vector<SpanRecord> spans_;  // [0, n_spans_) in use; the rest keep their capacity
  size_t n_spans_ = 0;
  SpanHandle event_span_ = kNoSpan;
  uint64_t event_time_ = 0;
  std::string_view event_name_;
  protowire::Buffer event_;
};

}  // namespace agentstorm
