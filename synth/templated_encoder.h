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
// Contract (tests/synth/templated_encoder_test.cc): for every scenario, seed and trace index,
// the bytes appended by TraceSynthesizer::SynthesizeEncoded parse with libprotobuf into exactly
// the ExportTraceServiceRequest whose resource_spans are those Synthesize() builds
// (MessageDifferencer::Equals). Field order within a span may differ from libprotobuf's (events
// interleave with attributes), which the protobuf wire format allows.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/rng.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "scenario/scenario.h"

namespace agentstorm {

namespace wire {

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* PutFixed64(char* p, uint64_t v) {
  std::memcpy(p, &v, 8);  // little-endian hosts only (x86-64, aarch64)
  return p + 8;
}
// Short copies inline (two overlapping loads/stores, never reading outside `s`): keys and most
// values are under 32 bytes, where a call to the library memcpy costs more than the copy.
inline char* PutBytes(char* p, std::string_view s) {
  const char* src = s.data();
  const size_t n = s.size();
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n > 16 && n <= 32) {
    uint64_t a[2], b[2];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(p, a, 16);
    std::memcpy(p + n - 16, b, 16);
  } else if (n < 8) {
    for (size_t i = 0; i < n; ++i) p[i] = src[i];
  } else {
    std::memcpy(p, src, n);
  }
  return p + n;
}
// tag + length + bytes of a length-delimited field.
inline size_t LenFieldSize(size_t len) { return 1 + VarintSize(len) + len; }
inline char* PutLenField(char* p, char tag, std::string_view s) {
  *p++ = tag;
  p = PutVarint(p, s.size());
  return PutBytes(p, s);
}

// A growable byte buffer whose capacity survives Clear(): appends write through raw pointers.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) {
    o.data_ = nullptr;
    o.size_ = o.cap_ = 0;
  }
  ~Buffer() { std::free(data_); }

  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  const char* data() const { return data_; }
  std::string_view view() const { return {data_, size_}; }
  // A pointer where at least `n` bytes may be written; Commit(end) makes them part of the buffer.
  char* Reserve(size_t n) {
    if (size_ + n > cap_) Grow(size_ + n);
    return data_ + size_;
  }
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_); }
  void Append(std::string_view s) { Commit(PutBytes(Reserve(s.size()), s)); }

 private:
  void Grow(size_t need);
  char* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

// Field tags (field number << 3 | wire type) of the OTLP messages written here.
inline constexpr char kTagResourceSpans = 0x0A;  // ExportTraceServiceRequest.resource_spans
inline constexpr char kTagResource = 0x0A;       // ResourceSpans.resource
inline constexpr char kTagScopeSpans = 0x12;     // ResourceSpans.scope_spans
inline constexpr char kTagResourceAttr = 0x0A;   // Resource.attributes
inline constexpr char kTagSpan = 0x12;           // ScopeSpans.spans
inline constexpr char kTagSpanAttr = 0x4A;       // Span.attributes
inline constexpr char kTagSpanEvent = 0x5A;      // Span.events
inline constexpr char kTagEventAttr = 0x1A;      // Span.Event.attributes

// KeyValue fields under `tag`: {key, AnyValue{string_value | bool | int | double}}.
void PutStringAttr(Buffer* b, char tag, std::string_view key, std::string_view v);
void PutIntAttr(Buffer* b, char tag, std::string_view key, int64_t v);
void PutDoubleAttr(Buffer* b, char tag, std::string_view key, double v);
void PutBoolAttr(Buffer* b, char tag, std::string_view key, bool v);
void PutStringArrayAttr(Buffer* b, char tag, std::string_view key, const std::string_view* v,
                        size_t n);

}  // namespace wire

// The constant fragments of a scenario, built once and shared by every thread.
class EncoderTables {
 public:
  explicit EncoderTables(const Scenario& scenario);

  // Encoded Resource message body of `service` in `part`; null when the service has a pooled
  // attribute (drawn per trace, so it cannot be precompiled).
  const std::string* Resource(int part, int service) const;
  // ScopeSpans.scope (name "agentstorm") and ScopeSpans.schema_url fields of a profile.
  const std::string& Scope() const { return scope_; }
  const std::string& SchemaUrl(bool latest) const { return latest ? schema_latest_ : schema_v136_; }

 private:
  std::vector<std::vector<std::string>> resource_;  // [part][service]
  std::vector<std::vector<bool>> pooled_;
  std::string scope_, schema_latest_, schema_v136_;
};

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
    wire::Buffer body;   // Span.attributes and Span.events fields, in call order
    size_t encoded = 0;  // Finish(): size of the Span message
  };
  struct Slot {
    const std::string* resource = nullptr;  // precompiled, or `pooled_resource`
    wire::Buffer pooled_resource;
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
  wire::Buffer event_;
};

// Encodes a Resource attribute list (service.name, version, environment, telemetry.sdk.name, the
// service's extra attributes) the way the reference path builds it; pooled values draw from `rng`.
void EncodeResource(const Service& svc, CounterRng* rng, wire::Buffer* out);

// The schema URL the synthesizer writes on each ScopeSpans.
const char* ScopeSchemaUrl(bool latest);

// The reference path's encoding: appends `rs` with libprotobuf as one `resource_spans` field
// (number 1, length-delimited) of an ExportTraceServiceRequest.
void AppendResourceSpans(const opentelemetry::proto::trace::v1::ResourceSpans& rs,
                         std::string* out);

}  // namespace agentstorm
