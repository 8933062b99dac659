#include "core/otlp_json.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/casts.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "core/proto_wire.h"

namespace agentstorm {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

// The OTLP spec makes these bytes fields hex instead of proto3 JSON's base64: trace and span IDs
// of spans, links, log records and exemplars.
bool IsHexIdField(const FieldDescriptor* field) {
  const std::string& name = field->name();
  return name == "trace_id" || name == "span_id" || name == "parent_span_id";
}

size_t HexIdBytes(const FieldDescriptor* field) { return field->name() == "trace_id" ? 16 : 8; }

// Keys may be the lowerCamelCase JSON name or the proto field name (snake_case).
const FieldDescriptor* FindField(const Descriptor* descriptor, const std::string& key) {
  if (const FieldDescriptor* f = descriptor->FindFieldByCamelcaseName(key)) return f;
  if (const FieldDescriptor* f = descriptor->FindFieldByName(key)) return f;
  for (int i = 0; i < descriptor->field_count(); ++i) {  // an explicit json_name option
    const FieldDescriptor* f = descriptor->field(i);
    if (f->has_json_name() && f->json_name() == key) return f;
  }
  return nullptr;
}

// ------------------------------------------------------------------ scalars

// One JSON scalar, as the SAX parser reports it (or as a walk over a parsed document replays it).
struct Scalar {
  enum class Kind : uint8_t { kNull, kBool, kInteger, kUnsigned, kFloat, kString };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string* s = nullptr;  // kString
};

const char* KindName(Scalar::Kind kind) {
  switch (kind) {
    case Scalar::Kind::kNull:
      return "null";
    case Scalar::Kind::kBool:
      return "bool";
    case Scalar::Kind::kInteger:
    case Scalar::Kind::kUnsigned:
    case Scalar::Kind::kFloat:
      return "number";
    case Scalar::Kind::kString:
      return "string";
  }
  return "invalid value";
}

// The scalar parsers answer InvalidArgument with what is wrong; the decoder adds where.
absl::Status Wrong(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::Status TypeError(absl::string_view expected, absl::string_view got) {
  return Wrong(absl::StrCat("expected ", expected, ", got ", got));
}

std::string Quoted(const std::string& s) { return JsonText(json(s)); }

template <typename T>
bool ParseIntegerText(absl::string_view text, T* out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') return false;
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec == std::errc() && ptr == end) return true;
  // Exponent or fraction notation ("1e3", "5.0") is accepted when it names an integer exactly.
  double d = 0;
  auto [dptr, dec] = std::from_chars(begin, end, d);
  if (dec != std::errc() || dptr != end || !std::isfinite(d) || std::trunc(d) != d) return false;
  if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
      d >= static_cast<double>(std::numeric_limits<T>::max()) + 1.0) {
    return false;
  }
  *out = static_cast<T>(d);
  return true;
}

// Integers arrive as JSON numbers or as decimal strings (the OTLP form for 64-bit values).
template <typename T>
absl::Status ParseInteger(const Scalar& v, T* out) {
  constexpr T kMin = std::numeric_limits<T>::min();
  constexpr T kMax = std::numeric_limits<T>::max();
  switch (v.kind) {
    case Scalar::Kind::kInteger:
      if constexpr (std::is_signed_v<T>) {
        if (v.i >= static_cast<int64_t>(kMin) && v.i <= static_cast<int64_t>(kMax)) {
          *out = static_cast<T>(v.i);
          return absl::OkStatus();
        }
      } else {
        if (v.i >= 0 && static_cast<uint64_t>(v.i) <= static_cast<uint64_t>(kMax)) {
          *out = static_cast<T>(v.i);
          return absl::OkStatus();
        }
      }
      return Wrong(absl::StrCat("integer ", v.i, " out of range"));
    case Scalar::Kind::kUnsigned:
      if (v.u <= static_cast<uint64_t>(kMax)) {
        *out = static_cast<T>(v.u);
        return absl::OkStatus();
      }
      return Wrong(absl::StrCat("integer ", v.u, " out of range"));
    case Scalar::Kind::kFloat:
      if (std::isfinite(v.d) && std::trunc(v.d) == v.d && v.d >= static_cast<double>(kMin) &&
          v.d < static_cast<double>(kMax) + 1.0) {
        *out = static_cast<T>(v.d);
        return absl::OkStatus();
      }
      return Wrong(absl::StrCat("not an integer in range: ", json(v.d).dump()));
    case Scalar::Kind::kString:
      if (ParseIntegerText(*v.s, out)) return absl::OkStatus();
      return Wrong(absl::StrCat("invalid integer ", Quoted(*v.s)));
    default:
      return TypeError("integer", KindName(v.kind));
  }
}

// Doubles arrive as numbers, or as strings: "NaN", "Infinity", "-Infinity" or a decimal number.
absl::Status ParseDouble(const Scalar& v, double* out) {
  switch (v.kind) {
    case Scalar::Kind::kInteger:
      *out = static_cast<double>(v.i);
      return absl::OkStatus();
    case Scalar::Kind::kUnsigned:
      *out = static_cast<double>(v.u);
      return absl::OkStatus();
    case Scalar::Kind::kFloat:
      *out = v.d;
      return absl::OkStatus();
    case Scalar::Kind::kString:
      break;
    default:
      return TypeError("number", KindName(v.kind));
  }
  const std::string& s = *v.s;
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(*out)) {
      return Wrong(absl::StrCat("invalid number ", Quoted(s)));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEnum(const Scalar& v, const EnumDescriptor* type, int* out) {
  if (v.kind == Scalar::Kind::kString) {
    const std::string& s = *v.s;
    if (const EnumValueDescriptor* value = type->FindValueByName(s)) {
      *out = value->number();
      return absl::OkStatus();
    }
    int32_t number = 0;
    if (ParseIntegerText(s, &number)) {
      *out = number;
      return absl::OkStatus();
    }
    return Wrong(absl::StrCat("unknown ", type->name(), " value ", Quoted(s)));
  }
  if (v.kind == Scalar::Kind::kInteger || v.kind == Scalar::Kind::kUnsigned ||
      v.kind == Scalar::Kind::kFloat) {
    int32_t number = 0;
    if (absl::Status st = ParseInteger(v, &number); !st.ok()) return st;
    *out = number;  // proto3 enums are open: unknown numbers are kept
    return absl::OkStatus();
  }
  return TypeError(absl::StrCat("enum ", type->name(), " (integer or name)"), KindName(v.kind));
}

absl::Status ParseBytes(const Scalar& v, const FieldDescriptor* field, std::string* out) {
  if (v.kind != Scalar::Kind::kString) return TypeError("string", KindName(v.kind));
  const std::string& s = *v.s;
  if (IsHexIdField(field)) {
    std::optional<std::string> bytes = HexDecode(s);
    if (!bytes) return Wrong(absl::StrCat("invalid hex ", Quoted(s)));
    if (!bytes->empty() && bytes->size() != HexIdBytes(field)) {
      return Wrong(absl::StrCat("expected ", 2 * HexIdBytes(field), " hex digits, got ", s.size()));
    }
    *out = std::move(*bytes);
    return absl::OkStatus();
  }
  // proto3 JSON: standard base64 with or without padding; URL-safe alphabet also accepted.
  if (absl::Base64Unescape(s, out) || absl::WebSafeBase64Unescape(s, out)) {
    return absl::OkStatus();
  }
  return Wrong(absl::StrCat("invalid base64 ", Quoted(s)));
}

// What a field's JSON value (or, for `element`, one element of its array) must be, for a type
// error.
std::string Expected(const FieldDescriptor* field, bool element = false) {
  if (!element && field->is_map()) return "object";
  if (!element && field->is_repeated()) return "array";
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "object";
    case FieldDescriptor::CPPTYPE_STRING:
      return "string";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "bool";
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat("enum ", field->enum_type()->name(), " (integer or name)");
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "number";
    default:
      return "integer";
  }
}

// ------------------------------------------------------------------ protobuf wire output

// A message's length is not known until its end, so its place is held by five bytes: a varint
// padded with continuation bits (any length below 2^35 fits), rewritten minimally at the end.
constexpr size_t kSlotBytes = 5;

void PutVarint(uint64_t v, std::string* out) {
  char buffer[protowire::kMaxVarintSize];
  out->append(buffer, static_cast<size_t>(protowire::PutVarint(buffer, v) - buffer));
}

void PutTag(const FieldDescriptor* field, protowire::WireType type, std::string* out) {
  PutVarint((static_cast<uint64_t>(field->number()) << 3) | type, out);
}

template <typename T>
void PutLittleEndian(T bits, std::string* out) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out->push_back(static_cast<char>(bits & 0xff));
    bits >>= 8;
  }
}

// Writes one scalar value of `field`; `tag`: with its tag (false inside a packed array);
// `skip_default`: nothing for the type's default value (a proto3 field without presence).
absl::Status PutScalar(const FieldDescriptor* field, const Scalar& v, bool tag, bool skip_default,
                       std::string* out) {
  auto varint = [&](uint64_t value) {
    if (skip_default && value == 0) return;
    if (tag) PutTag(field, protowire::kVarint, out);
    PutVarint(value, out);
  };
  auto fixed32 = [&](uint32_t bits) {
    if (skip_default && bits == 0) return;
    if (tag) PutTag(field, protowire::kFixed32, out);
    PutLittleEndian(bits, out);
  };
  auto fixed64 = [&](uint64_t bits) {
    if (skip_default && bits == 0) return;
    if (tag) PutTag(field, protowire::kFixed64, out);
    PutLittleEndian(bits, out);
  };
  switch (field->type()) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES: {
      std::string bytes;
      const std::string* value = &bytes;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (absl::Status st = ParseBytes(v, field, &bytes); !st.ok()) return st;
      } else if (v.kind != Scalar::Kind::kString) {
        return TypeError("string", KindName(v.kind));
      } else {
        value = v.s;
      }
      if (skip_default && value->empty()) return absl::OkStatus();
      PutTag(field, protowire::kLen, out);
      PutVarint(value->size(), out);
      out->append(*value);
      return absl::OkStatus();
    }
    case FieldDescriptor::TYPE_BOOL:
      if (v.kind != Scalar::Kind::kBool) return TypeError("bool", KindName(v.kind));
      varint(v.b ? 1 : 0);
      return absl::OkStatus();
    case FieldDescriptor::TYPE_ENUM: {
      int value = 0;
      if (absl::Status st = ParseEnum(v, field->enum_type(), &value); !st.ok()) return st;
      varint(static_cast<uint64_t>(static_cast<int64_t>(value)));  // negative: ten bytes
      return absl::OkStatus();
    }
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT: {
      double value = 0;
      if (absl::Status st = ParseDouble(v, &value); !st.ok()) return st;
      if (field->type() == FieldDescriptor::TYPE_DOUBLE) {
        fixed64(absl::bit_cast<uint64_t>(value));
      } else {
        fixed32(absl::bit_cast<uint32_t>(static_cast<float>(value)));
      }
      return absl::OkStatus();
    }
    default:
      break;
  }
  // Integers: parsed in the range of their C++ type, written as their wire type says.
  int64_t s = 0;
  uint64_t u = 0;
  absl::Status st;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value = 0;
      st = ParseInteger(v, &value);
      s = value;
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64:
      st = ParseInteger(v, &s);
      break;
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value = 0;
      st = ParseInteger(v, &value);
      u = value;
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64:
      st = ParseInteger(v, &u);
      break;
    default:
      return Wrong("unsupported field type");
  }
  if (!st.ok()) return st;
  switch (field->type()) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_INT64:
      varint(static_cast<uint64_t>(s));
      break;
    case FieldDescriptor::TYPE_SINT32:
      varint(static_cast<uint32_t>((static_cast<uint32_t>(s) << 1) ^
                                   static_cast<uint32_t>(static_cast<int32_t>(s) >> 31)));
      break;
    case FieldDescriptor::TYPE_SINT64:
      varint((static_cast<uint64_t>(s) << 1) ^ static_cast<uint64_t>(s >> 63));
      break;
    case FieldDescriptor::TYPE_SFIXED32:
      fixed32(static_cast<uint32_t>(static_cast<int32_t>(s)));
      break;
    case FieldDescriptor::TYPE_SFIXED64:
      fixed64(static_cast<uint64_t>(s));
      break;
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_UINT64:
      varint(u);
      break;
    case FieldDescriptor::TYPE_FIXED32:
      fixed32(static_cast<uint32_t>(u));
      break;
    case FieldDescriptor::TYPE_FIXED64:
      fixed64(u);
      break;
    default:
      return Wrong("unsupported field type");
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ decode

// Messages nest at most this deep below the one decoded, as libprotobuf parses them
// (io::CodedInputStream's default recursion limit): checked as the decoder descends, so what
// decodes here also parses from the wire.
constexpr int kMaxMessageDepth = 100;

// Turns the events of nlohmann's SAX parser into the protobuf wire form of one message type,
// as they arrive: no document is built, so memory is the output (at most the size of the JSON
// plus four bytes per message) and a stack as deep as the nesting, which the SAX parser keeps
// off the call stack. Errors name where, as `resourceSpans[0].scopeSpans[1].spans[3].traceId`.
class Transcoder {
 public:
  // With `member`, the message is the value of that member of a top-level object (the envelope),
  // whose other members are read past, unkept; `envelope` (optional) learns what was there.
  Transcoder(const Descriptor* root, std::string* out, std::string_view member = {},
             JsonEnvelope* envelope = nullptr)
      : root_(root), out_(*out), member_(member), envelope_(envelope) {
    out_.clear();
  }

  // nlohmann::json_sax<json>.
  bool null() { return OnScalar(Scalar{}); }
  bool boolean(bool value) {
    Scalar v;
    v.kind = Scalar::Kind::kBool;
    v.b = value;
    return OnScalar(v);
  }
  bool number_integer(int64_t value) {
    Scalar v;
    v.kind = Scalar::Kind::kInteger;
    v.i = value;
    return OnScalar(v);
  }
  bool number_unsigned(uint64_t value) {
    Scalar v;
    v.kind = Scalar::Kind::kUnsigned;
    v.u = value;
    return OnScalar(v);
  }
  bool number_float(double value, const std::string& /*text*/) {
    Scalar v;
    v.kind = Scalar::Kind::kFloat;
    v.d = value;
    return OnScalar(v);
  }
  bool string(std::string& value) {
    Scalar v;
    v.kind = Scalar::Kind::kString;
    v.s = &value;
    return OnScalar(v);
  }
  bool binary(json::binary_t& /*value*/) { return Fail("binary value (not JSON)"); }
  bool start_object(size_t /*elements*/) { return Open(true); }
  bool key(std::string& key);
  bool end_object();
  bool start_array(size_t /*elements*/) { return Open(false); }
  bool end_array();
  bool parse_error(size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) {
    // parse_error for bad syntax, out_of_range for numbers like 1e999999: both are bad input.
    status_ = absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
    return false;
  }

  // After the last event: the error, or OK with the wire form complete in `out`.
  absl::Status Finish();

 private:
  static constexpr size_t kNoSlot = std::numeric_limits<size_t>::max();

  struct Frame {
    enum class Kind : uint8_t { kMessage, kRepeated, kMap, kSkip, kEnvelope };
    Kind kind = Kind::kMessage;
    bool map_entry = false;            // kMessage: a map entry, done once its value is
    bool packed = false;               // kRepeated: numeric elements in one length-delimited record
    bool member = false;               // kEnvelope: the current key is the member decoded
    int depth = 0;                     // how deep below the root the message (or its owner) is
    const Descriptor* type = nullptr;  // kMessage
    const FieldDescriptor* field = nullptr;  // kMessage: the current key's; else the field
    std::string key;                         // kMessage, kEnvelope: the current key
    size_t count = 0;                        // kRepeated: element index; kSkip: nesting
    size_t slot = kNoSlot;                   // where the length goes
    size_t tag_at = 0;                       // kRepeated, packed: where its tag begins
    size_t saved_at_open = 0;
    absl::InlinedVector<int, 8> seen;  // kMessage: the field numbers given so far
    absl::InlinedVector<const FieldDescriptor*, 1> oneofs;  // kMessage: members given
  };

  Frame& Top() { return frames_[top_ - 1]; }
  Frame& Push(Frame::Kind kind, int depth) {
    if (top_ == frames_.size()) frames_.emplace_back();
    Frame& f = frames_[top_++];
    f.kind = kind;
    f.map_entry = false;
    f.packed = false;
    f.member = false;
    f.depth = depth;
    f.type = nullptr;
    f.field = nullptr;
    f.key.clear();
    f.count = 0;
    f.slot = kNoSlot;
    f.seen.clear();
    f.oneofs.clear();
    return f;
  }
  void Pop() { --top_; }

  std::string Path() const {
    std::string path;
    for (size_t i = 0; i < top_; ++i) {
      const Frame& f = frames_[i];
      if ((f.kind == Frame::Kind::kMessage || f.kind == Frame::Kind::kEnvelope) && !f.key.empty()) {
        if (!path.empty()) path.push_back('.');
        path += f.key;
      } else if (f.kind == Frame::Kind::kRepeated) {
        absl::StrAppend(&path, "[", f.count, "]");
      }
    }
    return path.empty() ? "(root)" : path;
  }
  bool Fail(absl::string_view what) {
    status_ = absl::InvalidArgumentError(absl::StrCat(Path(), ": ", what));
    return false;
  }
  bool Failed(const absl::Status& status) { return Fail(status.message()); }

  bool OnScalar(const Scalar& v);
  // The start of an object (`object`) or an array.
  bool Open(bool object);
  bool BeginValue(Frame& f);
  bool ValueDone();
  bool OpenMessage(const FieldDescriptor* field, const Descriptor* type, int depth);
  bool OpenSlot(Frame& f, const FieldDescriptor* field) {
    if (out_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return Fail("message over 2 GiB, protobuf's limit");
    }
    PutTag(field, protowire::kLen, &out_);
    f.slot = out_.size();
    f.saved_at_open = saved_;
    out_.append(kSlotBytes, '\0');
    slots_.push_back(static_cast<uint32_t>(f.slot));
    return true;
  }
  bool CloseSlot(const Frame& f);

  const Descriptor* root_;
  std::string& out_;
  const std::string member_;
  JsonEnvelope* envelope_;
  bool member_found_ = false;
  std::vector<Frame> frames_;
  size_t top_ = 0;
  bool done_ = false;
  std::vector<uint32_t> slots_;  // every slot's place, in order (below 2 GiB: checked)
  size_t saved_ = 0;             // by how many bytes the slots closed so far will shrink
  absl::Status status_;
};

bool Transcoder::BeginValue(Frame& f) {
  if (const auto* oneof = f.field->real_containing_oneof()) {
    for (const FieldDescriptor* other : f.oneofs) {
      if (other->containing_oneof() == oneof) {
        return Fail(absl::StrCat("oneof ", oneof->name(), " already set by ", other->json_name()));
      }
    }
    f.oneofs.push_back(f.field);
  }
  return true;
}

bool Transcoder::OpenMessage(const FieldDescriptor* field, const Descriptor* type, int depth) {
  if (depth > kMaxMessageDepth) {
    return Fail(
        absl::StrCat("nested deeper than ", kMaxMessageDepth, " messages (protobuf's limit)"));
  }
  Frame& f = Push(Frame::Kind::kMessage, depth);
  f.type = type;
  return OpenSlot(f, field);
}

bool Transcoder::CloseSlot(const Frame& f) {
  const size_t written = out_.size() - f.slot - kSlotBytes;
  const size_t length = written - (saved_ - f.saved_at_open);
  if (length > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Fail("message over 2 GiB, protobuf's limit");
  }
  for (size_t i = 0; i < kSlotBytes; ++i) {
    const auto bits = static_cast<uint8_t>((length >> (7 * i)) & 0x7f);
    out_[f.slot + i] = static_cast<char>(i + 1 < kSlotBytes ? bits | 0x80 : bits);
  }
  saved_ += kSlotBytes - protowire::VarintSize(length);
  return true;
}

// A field's value (or an array element) is complete.
bool Transcoder::ValueDone() {
  if (top_ == 0) return true;
  Frame& f = Top();
  if (f.kind == Frame::Kind::kRepeated) {
    ++f.count;
  } else if (f.kind == Frame::Kind::kMessage && f.map_entry) {
    if (!CloseSlot(f)) return false;
    Pop();
  }
  return true;
}

bool Transcoder::OnScalar(const Scalar& v) {
  if (top_ == 0) return Fail(absl::StrCat("expected object, got ", KindName(v.kind)));
  Frame& f = Top();
  switch (f.kind) {
    case Frame::Kind::kSkip:
      return true;
    case Frame::Kind::kEnvelope:
      if (!f.member || v.kind == Scalar::Kind::kNull) return true;
      return Failed(TypeError("object", KindName(v.kind)));
    case Frame::Kind::kMessage: {
      const FieldDescriptor* field = f.field;
      if (field == nullptr) return true;  // unknown fields are ignored, as OTLP requires
      if (v.kind == Scalar::Kind::kNull) return ValueDone();  // proto3 JSON: the default
      if (!BeginValue(f)) return false;
      if (field->is_repeated() || field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        return Failed(TypeError(Expected(field), KindName(v.kind)));
      }
      const bool skip_default = !field->has_presence() && !f.map_entry;
      if (absl::Status st = PutScalar(field, v, true, skip_default, &out_); !st.ok()) {
        return Failed(st);
      }
      return ValueDone();
    }
    case Frame::Kind::kRepeated: {
      if (v.kind == Scalar::Kind::kNull) return Fail("null array element");
      if (f.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        return Failed(TypeError(Expected(f.field, true), KindName(v.kind)));
      }
      if (absl::Status st = PutScalar(f.field, v, !f.packed, false, &out_); !st.ok()) {
        return Failed(st);
      }
      ++f.count;
      return true;
    }
    case Frame::Kind::kMap:
      break;
  }
  return Fail("value without a key");  // the SAX parser never reports one
}

bool Transcoder::Open(bool object) {
  const char* what = object ? "object" : "array";
  if (top_ == 0) {
    if (!object) return Fail("expected object, got array");
    if (done_) return Fail("a second document");  // the SAX parser never reports one
    if (!member_.empty()) {
      Push(Frame::Kind::kEnvelope, 0);
      return true;
    }
    Push(Frame::Kind::kMessage, 0).type = root_;
    return true;
  }
  Frame& f = Top();
  switch (f.kind) {
    case Frame::Kind::kSkip:
      ++f.count;
      return true;
    case Frame::Kind::kEnvelope:
      if (!f.member) {
        Push(Frame::Kind::kSkip, 0).count = 1;
        return true;
      }
      if (!object) return Failed(TypeError("object", what));
      member_found_ = true;
      Push(Frame::Kind::kMessage, 0).type = root_;
      return true;
    case Frame::Kind::kMessage: {
      const FieldDescriptor* field = f.field;
      if (field == nullptr) {  // an unknown field's: read past, unkept
        Push(Frame::Kind::kSkip, f.depth).count = 1;
        return true;
      }
      if (!BeginValue(f)) return false;
      if (object && field->is_map()) {
        Push(Frame::Kind::kMap, f.depth).field = field;
        return true;
      }
      if (object && !field->is_repeated() &&
          field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        return OpenMessage(field, field->message_type(), f.depth + 1);
      }
      if (object || !field->is_repeated() || field->is_map()) {
        return Failed(TypeError(Expected(field), what));
      }
      Frame& array = Push(Frame::Kind::kRepeated, f.depth);
      array.field = field;
      array.packed = field->is_packed();
      if (array.packed) {
        array.tag_at = out_.size();
        if (!OpenSlot(array, field)) return false;
      }
      return true;
    }
    case Frame::Kind::kRepeated:
      if (object && f.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        return OpenMessage(f.field, f.field->message_type(), f.depth + 1);
      }
      return Failed(TypeError(Expected(f.field, true), what));
    case Frame::Kind::kMap:
      break;
  }
  return Fail("value without a key");  // the SAX parser never reports one
}

bool Transcoder::key(std::string& key) {
  Frame& f = Top();
  switch (f.kind) {
    case Frame::Kind::kSkip:
      return true;
    case Frame::Kind::kEnvelope:
      f.member = key == member_;
      if (!f.member && envelope_ != nullptr && envelope_->other_keys.size() < 16) {
        envelope_->other_keys.push_back(key);
      }
      f.key = std::move(key);
      if (f.member && member_found_) return Fail("given twice");
      return true;
    case Frame::Kind::kMessage: {
      f.field = FindField(f.type, key);
      f.key = std::move(key);
      if (f.field == nullptr) return true;
      const int number = f.field->number();
      for (int seen : f.seen) {
        if (seen == number) return Fail("given twice");
      }
      f.seen.push_back(number);
      return true;
    }
    case Frame::Kind::kMap: {
      // Each member is one entry message: the key as field 1, the value as field 2.
      const FieldDescriptor* map_field = f.field;
      const Descriptor* entry_type = map_field->message_type();
      if (!OpenMessage(map_field, entry_type, f.depth + 1)) return false;
      Frame& entry = Top();
      entry.map_entry = true;
      entry.key = key;
      const FieldDescriptor* key_field = entry_type->map_key();
      Scalar k;
      if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
        if (key != "true" && key != "false") return Fail("invalid bool map key");
        k.kind = Scalar::Kind::kBool;
        k.b = key == "true";
      } else {
        k.kind = Scalar::Kind::kString;
        k.s = &key;
      }
      if (absl::Status st = PutScalar(key_field, k, true, false, &out_); !st.ok()) {
        return Failed(st);
      }
      entry.field = entry_type->map_value();
      return true;
    }
    case Frame::Kind::kRepeated:
      break;
  }
  return Fail("a key outside an object");  // the SAX parser never reports one
}

bool Transcoder::end_object() {
  Frame& f = Top();
  switch (f.kind) {
    case Frame::Kind::kSkip:
      if (--f.count == 0) Pop();
      return true;
    case Frame::Kind::kMap:
      Pop();
      return ValueDone();
    case Frame::Kind::kEnvelope:
      Pop();
      done_ = true;
      return true;
    case Frame::Kind::kMessage:
      if (f.slot != kNoSlot && !CloseSlot(f)) return false;
      Pop();
      if (top_ == 0) done_ = true;
      return ValueDone();  // nothing for the envelope: its member is a message
    case Frame::Kind::kRepeated:
      break;
  }
  return Fail("an object's end outside an object");
}

bool Transcoder::end_array() {
  Frame& f = Top();
  if (f.kind == Frame::Kind::kSkip) {
    if (--f.count == 0) Pop();
    return true;
  }
  if (f.kind != Frame::Kind::kRepeated) return Fail("an array's end outside an array");
  if (f.packed) {
    if (out_.size() == f.slot + kSlotBytes) {  // empty: no record at all, as protobuf writes
      out_.resize(f.tag_at);
      slots_.pop_back();
    } else if (!CloseSlot(f)) {
      return false;
    }
  }
  Pop();
  return ValueDone();
}

absl::Status Transcoder::Finish() {
  if (!status_.ok()) return status_;
  if (!done_) return absl::InvalidArgumentError("invalid JSON: incomplete document");
  if (envelope_ != nullptr) envelope_->found = member_found_;
  // Rewrite every padded length minimally, moving the bytes between them down.
  size_t read = 0;
  size_t write = 0;
  for (const size_t slot : slots_) {
    std::memmove(out_.data() + write, out_.data() + read, slot - read);
    write += slot - read;
    uint64_t length = 0;
    for (size_t i = 0; i < kSlotBytes; ++i) {
      length |= static_cast<uint64_t>(static_cast<uint8_t>(out_[slot + i]) & 0x7f) << (7 * i);
    }
    do {
      out_[write++] = static_cast<char>(length >= 0x80 ? (length & 0x7f) | 0x80 : length);
      length >>= 7;
    } while (length != 0);
    read = slot + kSlotBytes;
  }
  std::memmove(out_.data() + write, out_.data() + read, out_.size() - read);
  out_.resize(write + out_.size() - read);
  slots_.clear();
  return absl::OkStatus();
}

// Replays a parsed document as the SAX parser's events, without recursion.
bool Replay(const json& document, Transcoder* t) {
  auto scalar = [t](const json& j) {
    switch (j.type()) {
      case json::value_t::null:
        return t->null();
      case json::value_t::boolean:
        return t->boolean(j.get<bool>());
      case json::value_t::number_integer:
        return t->number_integer(j.get<int64_t>());
      case json::value_t::number_unsigned:
        return t->number_unsigned(j.get<uint64_t>());
      case json::value_t::number_float:
        return t->number_float(j.get<double>(), std::string());
      case json::value_t::string: {
        std::string copy = j.get<std::string>();
        return t->string(copy);
      }
      default: {
        json::binary_t none;
        return t->binary(none);
      }
    }
  };
  auto open = [t](const json& j) {
    return j.is_object() ? t->start_object(j.size()) : t->start_array(j.size());
  };
  if (!document.is_structured()) return scalar(document);
  struct Open {
    const json* node;
    json::const_iterator next;
  };
  std::vector<Open> stack;
  if (!open(document)) return false;
  stack.push_back({&document, document.cbegin()});
  while (!stack.empty()) {
    Open& top = stack.back();
    if (top.next == top.node->cend()) {
      const bool ok = top.node->is_object() ? t->end_object() : t->end_array();
      stack.pop_back();
      if (!ok) return false;
      continue;
    }
    const json::const_iterator it = top.next++;
    if (top.node->is_object()) {
      std::string key = it.key();
      if (!t->key(key)) return false;
    }
    const json& child = *it;
    if (child.is_structured()) {
      if (!open(child)) return false;
      stack.push_back({&child, child.cbegin()});
    } else if (!scalar(child)) {
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------ encode
// JSON text written straight from protobuf wire bytes, as the descriptors say: no message and
// no JSON document is built, so encoding costs the output. Keys come in the order of their JSON
// names (byte order), each field once: a repeated field's elements gathered from wherever they
// stand, the last value of a scalar, the merge of a message given more than once, the last
// member of a oneof, as libprotobuf would parse them; default values of fields without presence
// are left out, as proto3 JSON does.

// A message type's fields in output order, and where each field number stands in it.
struct Layout {
  std::vector<const FieldDescriptor*> by_name;
  absl::flat_hash_map<uint32_t, uint32_t> position;
};

const Layout& LayoutOf(const Descriptor* type) {
  thread_local absl::flat_hash_map<const Descriptor*, std::unique_ptr<Layout>> cache;
  std::unique_ptr<Layout>& layout = cache[type];
  if (layout == nullptr) {
    layout = std::make_unique<Layout>();
    for (int i = 0; i < type->field_count(); ++i) layout->by_name.push_back(type->field(i));
    std::sort(layout->by_name.begin(), layout->by_name.end(),
              [](const FieldDescriptor* a, const FieldDescriptor* b) {
                return a->json_name() < b->json_name();
              });
    for (size_t i = 0; i < layout->by_name.size(); ++i) {
      layout->position[static_cast<uint32_t>(layout->by_name[i]->number())] =
          static_cast<uint32_t>(i);
    }
  }
  return *layout;
}

// The wire type a field's value takes, and whether a length-delimited record may also hold
// packed values of it. Records of any other wire type are unknown fields to libprotobuf.
protowire::WireType WireTypeOf(const FieldDescriptor* field) {
  switch (field->type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return protowire::kFixed64;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return protowire::kFixed32;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return protowire::kLen;
    case FieldDescriptor::TYPE_GROUP:
      return protowire::kStartGroup;
    default:
      return protowire::kVarint;
  }
}

bool Fits(const FieldDescriptor* field, uint32_t wire_type) {
  return wire_type == WireTypeOf(field) ||
         (wire_type == protowire::kLen && field->is_repeated() && field->is_packable());
}

// A JSON string of `s`. ASCII is escaped here; anything else goes through nlohmann's dump,
// which replaces invalid UTF-8 with U+FFFD, so the text is always valid JSON.
void PutString(std::string_view s, std::string* out) {
  for (const char c : s) {
    if (static_cast<uint8_t>(c) >= 0x80) {
      out->append(JsonText(json(std::string(s))));
      return;
    }
  }
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20) {
          constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void PutDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
  } else if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    out->append(json(d).dump());  // nlohmann's shortest round-trip form, as the reader expects
  }
}

class WireJsonWriter {
 public:
  WireJsonWriter(std::string* out, int max_depth) : out_(*out), max_depth_(max_depth) {}

  // Writes the message in `bytes`; false when they are not a valid `type` message.
  bool Message(std::string_view bytes, const Descriptor* type, int depth);

 private:
  enum class Wrote { kNothing, kValue, kError };

  Wrote Field(std::string_view bytes, const FieldDescriptor* field, int depth);
  Wrote Map(std::string_view bytes, const FieldDescriptor* field, int depth);
  // One value of `field` from its record; `skip_default`: nothing for a default value.
  Wrote Value(const FieldDescriptor* field, const protowire::Field& record, bool skip_default,
              int depth);
  // The values of a packed record.
  bool Packed(const FieldDescriptor* field, std::string_view bytes, size_t* count);
  bool Next(const char*& p, const char* end, int depth, protowire::Field* record) const {
    p = protowire::ReadField(p, end, depth, max_depth_, record);
    return p != nullptr;
  }

  std::string& out_;
  const int max_depth_;
};

bool WireJsonWriter::Message(std::string_view bytes, const Descriptor* type, int depth) {
  if (depth > max_depth_) return false;
  const Layout& layout = LayoutOf(type);
  // First pass: which fields are there, and each oneof's last member.
  absl::InlinedVector<uint8_t, 32> present(layout.by_name.size(), 0);
  absl::InlinedVector<int, 2> oneof_last(static_cast<size_t>(type->oneof_decl_count()), -1);
  protowire::Field record;
  for (const char *p = bytes.data(), *end = p + bytes.size(); p != end;) {
    if (!Next(p, end, depth, &record)) return false;
    const auto it = layout.position.find(record.number);
    if (it == layout.position.end()) continue;
    const FieldDescriptor* field = layout.by_name[it->second];
    if (!Fits(field, record.wire_type)) continue;
    present[it->second] = 1;
    if (const auto* oneof = field->real_containing_oneof()) {
      oneof_last[static_cast<size_t>(oneof->index())] = static_cast<int>(it->second);
    }
  }
  out_.push_back('{');
  bool first = true;
  for (size_t i = 0; i < present.size(); ++i) {
    if (!present[i]) continue;
    const FieldDescriptor* field = layout.by_name[i];
    if (const auto* oneof = field->real_containing_oneof();
        oneof != nullptr &&
        oneof_last[static_cast<size_t>(oneof->index())] != static_cast<int>(i)) {
      continue;
    }
    const size_t mark = out_.size();
    if (!first) out_.push_back(',');
    PutString(field->json_name(), &out_);
    out_.push_back(':');
    switch (Field(bytes, field, depth)) {
      case Wrote::kError:
        return false;
      case Wrote::kNothing:
        out_.resize(mark);
        break;
      case Wrote::kValue:
        first = false;
        break;
    }
  }
  out_.push_back('}');
  return true;
}

WireJsonWriter::Wrote WireJsonWriter::Field(std::string_view bytes, const FieldDescriptor* field,
                                            int depth) {
  if (field->is_map()) return Map(bytes, field, depth);
  const auto number = static_cast<uint32_t>(field->number());
  protowire::Field record;
  if (field->is_repeated()) {
    out_.push_back('[');
    size_t count = 0;
    for (const char *p = bytes.data(), *end = p + bytes.size(); p != end;) {
      if (!Next(p, end, depth, &record)) return Wrote::kError;
      if (record.number != number || !Fits(field, record.wire_type)) continue;
      if (record.wire_type == protowire::kLen && field->is_packable()) {
        if (!Packed(field, record.bytes, &count)) return Wrote::kError;
        continue;
      }
      if (count++ > 0) out_.push_back(',');
      if (Value(field, record, false, depth) == Wrote::kError) return Wrote::kError;
    }
    out_.push_back(']');
    return count > 0 ? Wrote::kValue : Wrote::kNothing;
  }
  // A singular field: its last value, or for a message the merge of all its records (parsing
  // records one after another merges them, so their concatenation is the merged message).
  std::string merged;
  size_t records = 0;
  protowire::Field last;
  const auto* oneof = field->real_containing_oneof();
  const Layout& layout = LayoutOf(field->containing_type());
  for (const char *p = bytes.data(), *end = p + bytes.size(); p != end;) {
    if (!Next(p, end, depth, &record)) return Wrote::kError;
    if (record.number != number || !Fits(field, record.wire_type)) {
      // Another member of the oneof clears this one: a later record starts afresh.
      if (oneof != nullptr && records > 0) {
        const auto it = layout.position.find(record.number);
        if (it != layout.position.end() &&
            layout.by_name[it->second]->real_containing_oneof() == oneof &&
            Fits(layout.by_name[it->second], record.wire_type)) {
          records = 0;
          merged.clear();
        }
      }
      continue;
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && records > 0) {
      if (records == 1) merged.assign(last.bytes);
      merged.append(record.bytes);
    }
    last = record;
    ++records;
  }
  if (records > 1 && field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) last.bytes = merged;
  return Value(field, last, !field->has_presence(), depth);
}

WireJsonWriter::Wrote WireJsonWriter::Map(std::string_view bytes, const FieldDescriptor* field,
                                          int depth) {
  const Descriptor* entry_type = field->message_type();
  const FieldDescriptor* key_field = entry_type->map_key();
  const FieldDescriptor* value_field = entry_type->map_value();
  std::map<std::string, std::string> entries;  // by key, the last entry of a key winning
  const auto number = static_cast<uint32_t>(field->number());
  protowire::Field record;
  for (const char *p = bytes.data(), *end = p + bytes.size(); p != end;) {
    if (!Next(p, end, depth, &record)) return Wrote::kError;
    if (record.number != number || record.wire_type != protowire::kLen) continue;
    // The entry as a message of its own: {"key":K,"value":V}, then taken apart.
    std::string entry;
    WireJsonWriter writer(&entry, max_depth_);
    if (!writer.Message(record.bytes, entry_type, depth + 1)) return Wrote::kError;
    json parsed = json::parse(entry, nullptr, false);
    if (parsed.is_discarded()) return Wrote::kError;
    std::string key;
    if (const auto k = parsed.find(key_field->json_name()); k != parsed.end()) {
      key = k->is_string() ? k->get<std::string>() : k->dump();
    } else {
      key = key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL     ? "false"
            : key_field->cpp_type() == FieldDescriptor::CPPTYPE_STRING ? ""
                                                                       : "0";
    }
    std::string value;
    if (const auto v = parsed.find(value_field->json_name()); v != parsed.end()) {
      value = JsonText(*v);
    } else {
      // An entry without its value holds the default.
      protowire::Field none;
      none.wire_type = WireTypeOf(value_field);
      WireJsonWriter defaults(&value, max_depth_);
      if (defaults.Value(value_field, none, false, depth + 1) == Wrote::kError) {
        return Wrote::kError;
      }
    }
    entries[std::move(key)] = std::move(value);
  }
  if (entries.empty()) return Wrote::kNothing;
  out_.push_back('{');
  bool first = true;
  for (const auto& [key, value] : entries) {
    if (!first) out_.push_back(',');
    first = false;
    PutString(key, &out_);
    out_.push_back(':');
    out_.append(value);
  }
  out_.push_back('}');
  return Wrote::kValue;
}

bool WireJsonWriter::Packed(const FieldDescriptor* field, std::string_view bytes, size_t* count) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  protowire::Field value;
  value.number = static_cast<uint32_t>(field->number());
  value.wire_type = WireTypeOf(field);
  while (p != end) {
    switch (value.wire_type) {
      case protowire::kVarint:
        p = protowire::ReadVarint(p, end, &value.varint);
        break;
      case protowire::kFixed64:
        p = protowire::ReadFixed64(p, end, &value.fixed);
        break;
      case protowire::kFixed32: {
        uint32_t bits = 0;
        p = protowire::ReadFixed32(p, end, &bits);
        value.fixed = bits;
        break;
      }
      default:
        return false;
    }
    if (p == nullptr) return false;
    if ((*count)++ > 0) out_.push_back(',');
    if (Value(field, value, false, 0) == Wrote::kError) return false;
  }
  return true;
}

WireJsonWriter::Wrote WireJsonWriter::Value(const FieldDescriptor* field,
                                            const protowire::Field& record, bool skip_default,
                                            int depth) {
  const uint64_t bits = record.wire_type == protowire::kVarint ? record.varint : record.fixed;
  const bool is_default = record.wire_type == protowire::kLen ? record.bytes.empty() : bits == 0;
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE && skip_default && is_default) {
    return Wrote::kNothing;
  }
  switch (field->type()) {
    case FieldDescriptor::TYPE_MESSAGE:
      return Message(record.bytes, field->message_type(), depth + 1) ? Wrote::kValue
                                                                     : Wrote::kError;
    case FieldDescriptor::TYPE_STRING:
      PutString(record.bytes, &out_);
      break;
    case FieldDescriptor::TYPE_BYTES:
      out_.push_back('"');
      out_.append(IsHexIdField(field) ? HexEncode(record.bytes)
                                      : absl::Base64Escape(absl::string_view(record.bytes.data(),
                                                                             record.bytes.size())));
      out_.push_back('"');
      break;
    case FieldDescriptor::TYPE_BOOL:
      out_.append(bits != 0 ? "true" : "false");
      break;
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_ENUM:
      absl::StrAppend(&out_, static_cast<int32_t>(bits));
      break;
    case FieldDescriptor::TYPE_SINT32: {
      const auto u = static_cast<uint32_t>(bits);
      absl::StrAppend(&out_, static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1)));
      break;
    }
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      absl::StrAppend(&out_, static_cast<uint32_t>(bits));
      break;
    // 64-bit integers are strings: JavaScript numbers cannot hold them exactly.
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SFIXED64:
      absl::StrAppend(&out_, "\"", static_cast<int64_t>(bits), "\"");
      break;
    case FieldDescriptor::TYPE_SINT64:
      absl::StrAppend(&out_, "\"", static_cast<int64_t>((bits >> 1) ^ (~(bits & 1) + 1)), "\"");
      break;
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      absl::StrAppend(&out_, "\"", bits, "\"");
      break;
    case FieldDescriptor::TYPE_DOUBLE:
      PutDouble(absl::bit_cast<double>(bits), &out_);
      break;
    case FieldDescriptor::TYPE_FLOAT:
      PutDouble(absl::bit_cast<float>(static_cast<uint32_t>(bits)), &out_);
      break;
    default:
      return Wrote::kError;  // groups: not in proto3
  }
  return Wrote::kValue;
}

}  // namespace

absl::Status TranscodeOtlpJson(std::string_view json, const google::protobuf::Descriptor* type,
                               std::string* wire) {
  Transcoder transcoder(type, wire);
  json::sax_parse(json.begin(), json.end(), &transcoder);
  absl::Status status = transcoder.Finish();
  if (!status.ok()) wire->clear();
  return status;
}

absl::Status TranscodeOtlpJsonMember(std::string_view json, std::string_view member,
                                     const google::protobuf::Descriptor* type, std::string* wire,
                                     JsonEnvelope* envelope) {
  *envelope = JsonEnvelope{};
  Transcoder transcoder(type, wire, member, envelope);
  json::sax_parse(json.begin(), json.end(), &transcoder);
  absl::Status status = transcoder.Finish();
  if (!status.ok()) wire->clear();
  return status;
}

namespace {

absl::Status ParseTranscoded(absl::Status transcoded, const std::string& wire,
                             google::protobuf::Message* out) {
  out->Clear();
  if (!transcoded.ok()) return transcoded;
  if (!out->ParseFromString(wire)) {
    out->Clear();
    return absl::InternalError(absl::StrCat("libprotobuf refused the wire form of a decoded ",
                                            out->GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeOtlpJson(std::string_view text, google::protobuf::Message* out) {
  std::string wire;
  absl::Status status = TranscodeOtlpJson(text, out->GetDescriptor(), &wire);
  return ParseTranscoded(std::move(status), wire, out);
}

absl::Status DecodeOtlpJson(const nlohmann::json& json, google::protobuf::Message* out) {
  std::string wire;
  Transcoder transcoder(out->GetDescriptor(), &wire);
  Replay(json, &transcoder);
  absl::Status status = transcoder.Finish();
  return ParseTranscoded(std::move(status), wire, out);
}

absl::Status EncodeOtlpJsonWire(std::string_view wire, const google::protobuf::Descriptor* type,
                                std::string* out) {
  const size_t mark = out->size();
  WireJsonWriter writer(out, kMaxMessageDepth);
  if (writer.Message(wire, type, 0)) return absl::OkStatus();
  out->resize(mark);
  return absl::InvalidArgumentError(absl::StrCat("not a ", type->full_name(),
                                                 " in protobuf wire form (or nested deeper than ",
                                                 kMaxMessageDepth, " messages)"));
}

nlohmann::json EncodeOtlpJsonValue(const google::protobuf::Message& message) {
  return json::parse(EncodeOtlpJson(message));
}

std::string JsonText(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EncodeOtlpJson(const google::protobuf::Message& message) {
  // From libprotobuf's own serialization, which the writer always reads; messages built in
  // memory may nest deeper than any parsed one, so no depth limit here.
  std::string out;
  WireJsonWriter writer(&out, std::numeric_limits<int>::max());
  (void)writer.Message(message.SerializeAsString(), message.GetDescriptor(), 0);
  return out;
}

}  // namespace agentstorm
