#include "sink/otlp_wire.h"

#include <cstring>
#include <optional>

#include "core/proto_wire.h"

namespace agentstorm::sink::wire {
namespace {

using protowire::Field;
using protowire::kFixed32;
using protowire::kFixed64;
using protowire::kLen;
using protowire::kVarint;
using protowire::ReadVarint;

// The codec's field reader (core/proto_wire.h) with the scanner's nesting limit.
inline const char* ReadField(const char* p, const char* end, int depth, Field* f) {
  return protowire::ReadField(p, end, depth, kMaxDepth, f);
}

// A known field with the expected wire type (a known number with another wire type is an
// unknown field to libprotobuf, and is skipped like one). Once() declines a singular field
// seen twice: libprotobuf merges or overwrites those.
bool Once(const Field& f, bool singular, uint32_t* seen) {
  if (singular) {
    const uint32_t bit = 1u << (f.number & 31);
    if (*seen & bit) return false;
    *seen |= bit;
  }
  return true;
}

// Most strings in telemetry are short ASCII: checked inline with word loads (the last one
// overlapping), the rest by IsValidUtf8().
inline bool AsciiOnly(const char* p, size_t n) {
  uint64_t acc = 0;
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      acc |= w;
    }
    uint64_t w;
    std::memcpy(&w, p + n - 8, 8);
    acc |= w;
  } else {
    for (size_t i = 0; i < n; ++i) acc |= static_cast<uint8_t>(p[i]);
  }
  return (acc & 0x8080808080808080ull) == 0;
}

inline bool Utf8(std::string_view s) { return AsciiOnly(s.data(), s.size()) || IsValidUtf8(s); }

// The wire type of each AnyValue member, by field number.
constexpr uint32_t kAnyValueWireTypes[8] = {0, kLen, kVarint, kVarint, kFixed64, kLen, kLen, kLen};

// How a field of a known message is checked: its wire type (another one makes it an unknown
// field), whether it is singular (sent twice: declined), and what its bytes must be.
enum class Check : uint8_t { kNone, kUtf8, kKeyValue };
struct Rule {
  uint32_t wire_type = 0xff;  // no field with this number
  bool singular = false;
  Check check = Check::kNone;
};

// By field number, from the OTLP schema.
constexpr Rule kEventFields[] = {{},
                                 {kFixed64, true},
                                 {kLen, true, Check::kUtf8},
                                 {kLen, false, Check::kKeyValue},
                                 {kVarint, true}};
constexpr Rule kLinkFields[] = {{},
                                {kLen, true},  // trace_id
                                {kLen, true},  // span_id
                                {kLen, true, Check::kUtf8},
                                {kLen, false, Check::kKeyValue},
                                {kVarint, true},
                                {kFixed32, true}};
constexpr Rule kScopeFields[] = {{},
                                 {kLen, true, Check::kUtf8},
                                 {kLen, true, Check::kUtf8},
                                 {kLen, false, Check::kKeyValue},
                                 {kVarint, true}};
constexpr Rule kEntityRefFields[] = {{},
                                     {kLen, true, Check::kUtf8},
                                     {kLen, true, Check::kUtf8},
                                     {kLen, false, Check::kUtf8},
                                     {kLen, false, Check::kUtf8}};

class Scanner {
 public:
  explicit Scanner(ScannedRequest* out) : out_(out) {}

  bool Request(std::string_view b) {
    const char* p = b.data();
    const char* const end = p + b.size();
    uint32_t resource_index = 0;
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, 0, &f)) == nullptr) return false;
      if (f.number != 1 || f.wire_type != kLen) continue;  // an unknown field
      if (!ResourceSpans(f.bytes, resource_index++)) return false;
    }
    return true;
  }

 private:
  bool ResourceSpans(std::string_view b, uint32_t resource_index) {
    const size_t first_group = out_->groups.size();
    std::string_view resource, schema_url, service;
    bool has_resource = false;
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, 1, &f)) == nullptr) return false;
      switch (f.number) {
        case 1:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Resource(f.bytes, 2, &service)) return false;
          resource = f.bytes;
          has_resource = true;
          break;
        case 2:
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen) || !ScopeSpans(f.bytes, resource_index)) return false;
          break;
        case 3:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
          schema_url = f.bytes;
          break;
      }
    }
    for (size_t i = first_group; i < out_->groups.size(); ++i) {
      ScannedGroup& g = out_->groups[i];
      g.resource = resource;
      g.has_resource = has_resource;
      g.resource_schema_url = schema_url;
      g.service = service;
    }
    return true;
  }

  bool ScopeSpans(std::string_view b, uint32_t resource_index) {
    const size_t first_span = out_->spans.size();
    const auto group = static_cast<uint32_t>(out_->groups.size());
    ScannedGroup g;
    g.resource_index = resource_index;
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, 2, &f)) == nullptr) return false;
      switch (f.number) {
        case 1:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Checked(f.bytes, 3, kScopeFields)) return false;
          g.scope = f.bytes;
          g.has_scope = true;
          break;
        case 2: {
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen)) return false;
          ScannedSpan& s = out_->spans.emplace_back();
          if (!Span(f.bytes, 3, &s)) return false;
          s.group = group;
          break;
        }
        case 3:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
          g.scope_schema_url = f.bytes;
          break;
      }
    }
    if (out_->spans.size() > first_span) out_->groups.push_back(g);
    return true;
  }

  bool Span(std::string_view b, int depth, ScannedSpan* s) {
    s->bytes = b;
    s->first_attribute = static_cast<uint32_t>(out_->attributes.size());
    std::string_view trace_id, span_id, parent;
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, depth, &f)) == nullptr) return false;
      switch (f.number) {
        case 1:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen)) return false;
          trace_id = f.bytes;
          break;
        case 2:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen)) return false;
          span_id = f.bytes;
          break;
        case 3:  // trace_state
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
          break;
        case 4:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen)) return false;
          parent = f.bytes;
          break;
        case 5:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
          s->name = f.bytes;
          break;
        case 6:
          if (f.wire_type != kVarint) break;
          if (!Once(f, true, &seen)) return false;
          s->kind = static_cast<int32_t>(static_cast<uint32_t>(f.varint));
          break;
        case 7:
          if (f.wire_type != kFixed64) break;
          if (!Once(f, true, &seen)) return false;
          s->start_time_unix_nano = f.fixed;
          break;
        case 8:
          if (f.wire_type != kFixed64) break;
          if (!Once(f, true, &seen)) return false;
          s->end_time_unix_nano = f.fixed;
          break;
        case 9: {
          if (f.wire_type != kLen) break;
          ScannedAttribute& a = out_->attributes.emplace_back();
          if (!KeyValue(f.bytes, depth + 1, &a.key, &a.value)) return false;
          ++s->attribute_count;
          break;
        }
        case 10:
        case 12:
        case 14:  // dropped counts
          if (f.wire_type != kVarint) break;
          if (!Once(f, true, &seen)) return false;
          break;
        case 11:
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen) || !Checked(f.bytes, depth + 1, kEventFields)) return false;
          break;
        case 13:
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen) || !Checked(f.bytes, depth + 1, kLinkFields)) return false;
          break;
        case 15:
          if (f.wire_type != kLen) break;
          if (!Once(f, true, &seen) || !Status(f.bytes, &s->status_code)) return false;
          break;
        case 16:  // flags
          if (f.wire_type != kFixed32) break;
          if (!Once(f, true, &seen)) return false;
          break;
      }
    }
    // The sink's own rules (ValidateTraceRequest): decline, so that the slow path names the
    // offending span exactly as it always has.
    if (!NonZeroId(trace_id, 16) || !NonZeroId(span_id, 8)) return false;
    if (!parent.empty() && !NonZeroId(parent, 8)) return false;
    std::memcpy(s->trace_id.data(), trace_id.data(), 16);
    std::memcpy(s->span_id.data(), span_id.data(), 8);
    s->has_parent = !parent.empty();
    if (s->has_parent) std::memcpy(s->parent_span_id.data(), parent.data(), 8);
    return true;
  }

  static bool NonZeroId(std::string_view id, size_t size) {
    if (id.size() != size) return false;
    for (char c : id) {
      if (c != 0) return true;
    }
    return false;
  }

  static bool Status(std::string_view b, int32_t* code) {
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, 5, &f)) == nullptr) return false;
      if (f.number == 2 && f.wire_type == kLen) {
        if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
      } else if (f.number == 3 && f.wire_type == kVarint) {
        if (!Once(f, true, &seen)) return false;
        *code = static_cast<int32_t>(static_cast<uint32_t>(f.varint));
      }
      // field 1 is reserved in the schema: unknown, skipped
    }
    return true;
  }

  // Event, Link, InstrumentationScope and EntityRef hold nothing the index needs: their
  // fields are only checked, by the rules of their schema (kScopeFields and the others).
  template <size_t N>
  bool Checked(std::string_view b, int depth, const Rule (&rules)[N]) {
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, depth, &f)) == nullptr) return false;
      if (f.number >= N || f.wire_type != rules[f.number].wire_type) continue;  // unknown
      const Rule& rule = rules[f.number];
      if (!Once(f, rule.singular, &seen)) return false;
      if (rule.check == Check::kUtf8 && !Utf8(f.bytes)) return false;
      if (rule.check == Check::kKeyValue && !KeyValue(f.bytes, depth + 1)) return false;
    }
    return true;
  }

  // Resource; `service` gets the first string-valued service.name attribute.
  bool Resource(std::string_view b, int depth, std::string_view* service) {
    uint32_t seen = 0;
    bool have_service = false;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, depth, &f)) == nullptr) return false;
      switch (f.number) {
        case 1: {
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen)) return false;
          std::string_view key;
          Value value;
          if (!KeyValue(f.bytes, depth + 1, &key, &value)) return false;
          if (!have_service && key == "service.name" && value.type == Value::Type::kString) {
            *service = value.bytes;
            have_service = true;
          }
          break;
        }
        case 2:
          if (f.wire_type != kVarint) break;
          if (!Once(f, true, &seen)) return false;
          break;
        case 3:
          if (f.wire_type != kLen) break;
          if (!Once(f, false, &seen) || !Checked(f.bytes, depth + 1, kEntityRefFields))
            return false;
          break;
        default:
          break;
      }
    }
    return true;
  }

  // The KeyValue every OTLP exporter writes: the key (field 1), then the value (field 2)
  // holding one string, bool, int or double, every length under 128 bytes. Read in one
  // straight pass; nullopt when `b` has any other shape (the loop below reads it then), else
  // the verdict the loop would give.
  static std::optional<bool> CanonicalKeyValue(std::string_view b, std::string_view* key,
                                               Value* value) {
    const auto* p = reinterpret_cast<const uint8_t*>(b.data());
    const auto* const end = p + b.size();
    if (end - p < 4 || p[0] != 0x0a || p[1] >= 0x80 || p[1] > end - p - 4) return std::nullopt;
    const std::string_view k(reinterpret_cast<const char*>(p + 2), p[1]);
    p += 2 + p[1];
    if (p[0] != 0x12 || p[1] >= 0x80 || p[1] != end - p - 2) return std::nullopt;
    p += 2;
    Value v;
    if (p < end) {
      switch (p[0]) {
        case 0x0a:  // string_value
          if (end - p < 2 || p[1] >= 0x80 || p[1] != end - p - 2) return std::nullopt;
          v.type = Value::Type::kString;
          v.bytes = std::string_view(reinterpret_cast<const char*>(p + 2), p[1]);
          if (!Utf8(v.bytes)) return false;
          break;
        case 0x10:  // bool_value
          if (end - p != 2 || p[1] >= 0x80) return std::nullopt;
          v.type = Value::Type::kBool;
          v.bool_value = p[1] != 0;
          break;
        case 0x18: {  // int_value
          uint64_t n;
          const char* q = ReadVarint(reinterpret_cast<const char*>(p + 1),
                                     reinterpret_cast<const char*>(end), &n);
          if (q != reinterpret_cast<const char*>(end)) return std::nullopt;
          v.type = Value::Type::kInt;
          v.int_value = static_cast<int64_t>(n);
          break;
        }
        case 0x21:  // double_value
          if (end - p != 9) return std::nullopt;
          v.type = Value::Type::kDouble;
          std::memcpy(&v.double_value, p + 1, 8);
          break;
        default:
          return std::nullopt;
      }
    }
    if (!Utf8(k)) return false;
    if (key != nullptr) *key = k;
    if (value != nullptr) *value = v;
    return true;
  }

  bool KeyValue(std::string_view b, int depth, std::string_view* key = nullptr,
                Value* value = nullptr) {
    if (depth > kMaxDepth) return false;
    if (depth + 1 <= kMaxDepth) {
      if (std::optional<bool> ok = CanonicalKeyValue(b, key, value)) return *ok;
    }
    uint32_t seen = 0;
    const char* p = b.data();
    const char* const end = p + b.size();
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, depth, &f)) == nullptr) return false;
      if (f.number == 1 && f.wire_type == kLen) {
        if (!Once(f, true, &seen) || !Utf8(f.bytes)) return false;
        if (key != nullptr) *key = f.bytes;
      } else if (f.number == 2 && f.wire_type == kLen) {
        if (!Once(f, true, &seen) || !AnyValue(f.bytes, depth + 1, value)) return false;
      }
    }
    return true;
  }

  bool AnyValue(std::string_view b, int depth, Value* value) {
    if (depth > kMaxDepth) return false;
    bool set = false;  // a oneof: a second member (or the same one again) is declined
    const char* p = b.data();
    const char* const end = p + b.size();
    Value v;
    while (p < end) {
      Field f;
      if ((p = ReadField(p, end, depth, &f)) == nullptr) return false;
      if (f.number < 1 || f.number > 7 || f.wire_type != kAnyValueWireTypes[f.number]) continue;
      if (set) return false;
      set = true;
      switch (f.number) {
        case 1:
          if (!Utf8(f.bytes)) return false;
          v.type = Value::Type::kString;
          v.bytes = f.bytes;
          break;
        case 2:
          v.type = Value::Type::kBool;
          v.bool_value = f.varint != 0;
          break;
        case 3:
          v.type = Value::Type::kInt;
          v.int_value = static_cast<int64_t>(f.varint);
          break;
        case 4:
          v.type = Value::Type::kDouble;
          std::memcpy(&v.double_value, &f.fixed, 8);
          break;
        case 5:
        case 6: {
          const char* q = f.bytes.data();
          const char* const qend = q + f.bytes.size();
          while (q < qend) {
            Field item;
            if ((q = ReadField(q, qend, depth + 1, &item)) == nullptr) return false;
            if (item.number != 1 || item.wire_type != kLen) continue;
            if (f.number == 5 ? !AnyValue(item.bytes, depth + 2, nullptr)
                              : !KeyValue(item.bytes, depth + 2)) {
              return false;
            }
          }
          v.type = f.number == 5 ? Value::Type::kArray : Value::Type::kKvList;
          v.bytes = f.bytes;
          break;
        }
        case 7:
          v.type = Value::Type::kBytes;
          v.bytes = f.bytes;
          break;
      }
    }
    if (value != nullptr) *value = v;
    return true;
  }

  ScannedRequest* out_;
};

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* const end = p + s.size();
  while (p < end) {
    // Most attribute text is ASCII: eight bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    const uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    auto cont = [&](ptrdiff_t i, uint8_t lo = 0x80, uint8_t hi = 0xbf) {
      return end - p > i && p[i] >= lo && p[i] <= hi;
    };
    if (c < 0xc2) return false;  // continuation byte, or an overlong 2-byte form
    if (c < 0xe0) {
      if (!cont(1)) return false;
      p += 2;
    } else if (c < 0xf0) {
      const uint8_t lo = c == 0xe0 ? 0xa0 : 0x80;  // overlong
      const uint8_t hi = c == 0xed ? 0x9f : 0xbf;  // surrogates
      if (!cont(1, lo, hi) || !cont(2)) return false;
      p += 3;
    } else if (c < 0xf5) {
      const uint8_t lo = c == 0xf0 ? 0x90 : 0x80;  // overlong
      const uint8_t hi = c == 0xf4 ? 0x8f : 0xbf;  // above U+10FFFF
      if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return false;
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

bool ScanTraceRequest(std::string_view bytes, ScannedRequest* out) {
  out->clear();
  if (bytes.size() > 0x7fffffffu) return false;
  Scanner scanner(out);
  if (scanner.Request(bytes)) return true;
  out->clear();
  return false;
}

namespace {

Value ReadAnyValue(std::string_view any_value) {
  Value v;
  const char* p = any_value.data();
  const char* const end = p + any_value.size();
  while (p < end) {
    Field f;
    if ((p = ReadField(p, end, 0, &f)) == nullptr) break;
    if (f.number < 1 || f.number > 7 || f.wire_type != kAnyValueWireTypes[f.number]) continue;
    switch (f.number) {
      case 1:
        v.type = Value::Type::kString;
        v.bytes = f.bytes;
        break;
      case 2:
        v.type = Value::Type::kBool;
        v.bool_value = f.varint != 0;
        break;
      case 3:
        v.type = Value::Type::kInt;
        v.int_value = static_cast<int64_t>(f.varint);
        break;
      case 4:
        v.type = Value::Type::kDouble;
        std::memcpy(&v.double_value, &f.fixed, 8);
        break;
      case 5:
        v.type = Value::Type::kArray;
        v.bytes = f.bytes;
        break;
      case 6:
        v.type = Value::Type::kKvList;
        v.bytes = f.bytes;
        break;
      case 7:
        v.type = Value::Type::kBytes;
        v.bytes = f.bytes;
        break;
      default:
        break;
    }
  }
  return v;
}

// Walks the KeyValue fields numbered `field` of a message the scanner vouched for.
void ForEachKeyValue(std::string_view message, uint32_t field,
                     absl::FunctionRef<bool(std::string_view, const Value&)> f) {
  const char* p = message.data();
  const char* const end = p + message.size();
  while (p < end) {
    Field kv;
    if ((p = ReadField(p, end, 0, &kv)) == nullptr) return;
    if (kv.number != field || kv.wire_type != kLen) continue;
    std::string_view key;
    Value value;
    const char* q = kv.bytes.data();
    const char* const qend = q + kv.bytes.size();
    while (q < qend) {
      Field part;
      if ((q = ReadField(q, qend, 0, &part)) == nullptr) break;
      if (part.number == 1)
        key = part.bytes;
      else if (part.number == 2)
        value = ReadAnyValue(part.bytes);
    }
    if (!f(key, value)) return;
  }
}

}  // namespace

void ForEachSpanAttribute(std::string_view span,
                          absl::FunctionRef<bool(std::string_view, const Value&)> f) {
  ForEachKeyValue(span, 9, f);
}

std::string_view SpanName(std::string_view span) {
  const char* p = span.data();
  const char* const end = p + span.size();
  while (p < end) {
    Field f;
    if ((p = ReadField(p, end, 0, &f)) == nullptr) break;
    if (f.number == 5 && f.wire_type == kLen) return f.bytes;  // vouched: present once at most
  }
  return {};
}

void ForEachResourceAttribute(std::string_view resource,
                              absl::FunctionRef<bool(std::string_view, const Value&)> f) {
  ForEachKeyValue(resource, 1, f);
}

}  // namespace agentstorm::sink::wire
