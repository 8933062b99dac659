// Reading OTLP trace requests straight from their protobuf wire bytes, without building
// messages: the sink's fast path. One pass over an ExportTraceServiceRequest checks that
// libprotobuf would accept it (structure, lengths, varints, UTF-8 of every string field, span
// and trace ID rules) and indexes it: each span's byte range, IDs, name, kind, times, status,
// and each scope group's resource and scope. The store keeps the bytes and the index, and
// parses a span only when somebody queries it.
//
// The scanner is deliberately narrower than the protobuf grammar. It vouches only for
// encodings it can read exactly as libprotobuf would: a singular field present twice (which
// libprotobuf merges or overwrites), a second member of a oneof, a tag of field 0, or nesting
// deeper than kMaxDepth all make it decline, and so does anything malformed. A declined request
// is not refused: the caller parses it with libprotobuf, which gives the verdict and the error
// message, and indexes libprotobuf's own re-serialization of it instead (which the scanner
// always accepts). Unknown fields, and known ones with another wire type, are skipped: libprotobuf
// keeps both as unknown fields and ignores them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "core/ids.h"

namespace agentstorm::sink::wire {

inline constexpr int kMaxDepth = 24;

// An AnyValue as read from the wire.
struct Value {
  enum class Type : uint8_t { kNone, kString, kBool, kInt, kDouble, kArray, kKvList, kBytes };
  Type type = Type::kNone;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string_view bytes;  // string, bytes, or the encoded ArrayValue / KeyValueList
};

// One attribute of a span, as the scanner read it.
struct ScannedAttribute {
  std::string_view key;
  Value value;
};

// One ScopeSpans and the ResourceSpans around it. Views point into the scanned bytes.
struct ScannedGroup {
  uint32_t resource_index = 0;  // which ResourceSpans of the request
  std::string_view resource;    // the Resource message's bytes (has_resource tells absence)
  std::string_view resource_schema_url;
  std::string_view scope;  // the InstrumentationScope message's bytes
  std::string_view scope_schema_url;
  std::string_view service;  // resource attribute service.name when a string, else ""
  bool has_resource = false;
  bool has_scope = false;
};

struct ScannedSpan {
  std::string_view bytes;  // the Span message
  std::string_view name;
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero when the span has none (a root)
  bool has_parent = false;
  int32_t kind = 0;
  int32_t status_code = 0;
  uint32_t group = 0;  // index into ScannedRequest::groups
  // The span's attributes: ScannedRequest::attributes[first_attribute, +attribute_count).
  uint32_t first_attribute = 0;
  uint32_t attribute_count = 0;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
};

struct ScannedRequest {
  std::vector<ScannedGroup> groups;          // only groups with at least one span
  std::vector<ScannedSpan> spans;            // in wire order
  std::vector<ScannedAttribute> attributes;  // of every span, in wire order
  void clear() {
    groups.clear();
    spans.clear();
    attributes.clear();
  }
};

// Scans an ExportTraceServiceRequest (or a TracesData: same field numbers). True when the
// scanner vouches for the bytes (see above): `out` then indexes every span. False when it
// declines: parse with libprotobuf for the verdict. `out` is cleared first and keeps its
// capacity across calls.
bool ScanTraceRequest(std::string_view bytes, ScannedRequest* out);

// Calls f(key, value) for each attribute (field 9) of a Span message that the scanner vouched
// for, in wire order. Stops early when f returns false.
void ForEachSpanAttribute(std::string_view span,
                          absl::FunctionRef<bool(std::string_view key, const Value& value)> f);
// The same for the attributes (field 1) of a Resource message.
void ForEachResourceAttribute(std::string_view resource,
                              absl::FunctionRef<bool(std::string_view key, const Value& value)> f);

// The name (field 5) of a Span message the scanner vouched for.
std::string_view SpanName(std::string_view span);

// True when `s` is valid UTF-8 as protobuf checks it (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace agentstorm::sink::wire
