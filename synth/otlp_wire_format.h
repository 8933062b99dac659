// OTLP trace messages in wire format, for the templated encoder: the field tags it writes and the
// KeyValue attribute writers. The protobuf primitives underneath are core/proto_wire.h; the
// reference path's libprotobuf serialization (AppendResourceSpans) is core/synthesized_trace.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/proto_wire.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

namespace wire {

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
void PutStringAttr(protowire::Buffer* b, char tag, std::string_view key, std::string_view v);
void PutIntAttr(protowire::Buffer* b, char tag, std::string_view key, int64_t v);
void PutDoubleAttr(protowire::Buffer* b, char tag, std::string_view key, double v);
void PutBoolAttr(protowire::Buffer* b, char tag, std::string_view key, bool v);
void PutStringArrayAttr(protowire::Buffer* b, char tag, std::string_view key,
                        const std::string_view* v, size_t n);

}  // namespace wire

}  // namespace agentstorm
