// Trace and span identifiers (W3C Trace Context sizes) and their hex form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentstorm {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

// Lowercase hex of arbitrary bytes ("" for empty input).
std::string HexEncode(std::string_view bytes);
inline std::string HexEncode(const TraceId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}
inline std::string HexEncode(const SpanId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

// Decodes hex, upper or lower case. nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);

// Parses a trace ID of 1..32 hex digits; shorter IDs are left-padded with zeros
// (Jaeger legacy and Tempo shorten 64-bit IDs). nullopt when not hex or too long.
std::optional<TraceId> ParseTraceId(std::string_view hex);
std::optional<SpanId> ParseSpanId(std::string_view hex);

inline std::string_view AsBytes(const TraceId& id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}
inline std::string_view AsBytes(const SpanId& id) {
  return {reinterpret_cast<const char*>(id.data()), id.size()};
}

}  // namespace agentstorm
