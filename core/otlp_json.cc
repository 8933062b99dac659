#include "core/otlp_json.h"

#include <google/protobuf/descriptor.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/ids.h"

namespace agentstorm {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

// ------------------------------------------------------------------ field paths
// A decode error names where it happened ("resourceSpans[0].scopeSpans[1].spans[3].traceId").
// The path lives on the stack as a chain of frames and is only rendered when an error occurs, so
// the successful path costs nothing.
struct PathFrame {
  const PathFrame* parent;
  absl::string_view key;  // field key as written in the input; empty for an array element
  size_t index;           // element index, when key is empty
};

void AppendPath(const PathFrame* frame, std::string* out) {
  if (frame == nullptr) return;
  AppendPath(frame->parent, out);
  if (frame->key.empty()) {
    absl::StrAppend(out, "[", frame->index, "]");
  } else {
    if (!out->empty()) out->push_back('.');
    absl::StrAppend(out, frame->key);
  }
}

absl::Status PathError(const PathFrame* frame, absl::string_view what) {
  std::string path;
  AppendPath(frame, &path);
  if (path.empty()) path = "(root)";
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

const char* JsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "invalid value";
  }
}

absl::Status TypeError(const PathFrame* frame, absl::string_view expected, const json& got) {
  return PathError(frame, absl::StrCat("expected ", expected, ", got ", JsonTypeName(got)));
}

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

// ------------------------------------------------------------------ scalar parsing

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
absl::Status ParseInteger(const json& j, const PathFrame* frame, T* out) {
  constexpr T kMin = std::numeric_limits<T>::min();
  constexpr T kMax = std::numeric_limits<T>::max();
  switch (j.type()) {
    case json::value_t::number_integer: {
      const int64_t v = j.get<int64_t>();
      if constexpr (std::is_signed_v<T>) {
        if (v >= static_cast<int64_t>(kMin) && v <= static_cast<int64_t>(kMax)) {
          *out = static_cast<T>(v);
          return absl::OkStatus();
        }
      } else {
        if (v >= 0 && static_cast<uint64_t>(v) <= static_cast<uint64_t>(kMax)) {
          *out = static_cast<T>(v);
          return absl::OkStatus();
        }
      }
      return PathError(frame, absl::StrCat("integer ", v, " out of range"));
    }
    case json::value_t::number_unsigned: {
      const uint64_t v = j.get<uint64_t>();
      if (v <= static_cast<uint64_t>(kMax)) {
        *out = static_cast<T>(v);
        return absl::OkStatus();
      }
      return PathError(frame, absl::StrCat("integer ", v, " out of range"));
    }
    case json::value_t::number_float: {
      const double d = j.get<double>();
      if (std::isfinite(d) && std::trunc(d) == d && d >= static_cast<double>(kMin) &&
          d < static_cast<double>(kMax) + 1.0) {
        *out = static_cast<T>(d);
        return absl::OkStatus();
      }
      return PathError(frame, absl::StrCat("not an integer in range: ", j.dump()));
    }
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (ParseIntegerText(s, out)) return absl::OkStatus();
      return PathError(frame, absl::StrCat("invalid integer ", json(s).dump()));
    }
    default:
      return TypeError(frame, "integer", j);
  }
}

// Doubles arrive as numbers, or as strings: "NaN", "Infinity", "-Infinity" or a decimal number.
absl::Status ParseDouble(const json& j, const PathFrame* frame, double* out) {
  if (j.is_number()) {
    *out = j.get<double>();
    return absl::OkStatus();
  }
  if (!j.is_string()) return TypeError(frame, "number", j);
  const std::string& s = j.get_ref<const std::string&>();
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(*out)) {
      return PathError(frame, absl::StrCat("invalid number ", json(s).dump()));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEnum(const json& j, const PathFrame* frame, const EnumDescriptor* type,
                       int* out) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (const EnumValueDescriptor* v = type->FindValueByName(s)) {
      *out = v->number();
      return absl::OkStatus();
    }
    int32_t number = 0;
    if (ParseIntegerText(s, &number)) {
      *out = number;
      return absl::OkStatus();
    }
    return PathError(frame, absl::StrCat("unknown ", type->name(), " value ", json(s).dump()));
  }
  if (j.is_number()) {
    int32_t number = 0;
    if (absl::Status st = ParseInteger(j, frame, &number); !st.ok()) return st;
    *out = number;  // proto3 enums are open: unknown numbers are kept
    return absl::OkStatus();
  }
  return TypeError(frame, absl::StrCat("enum ", type->name(), " (integer or name)"), j);
}

absl::Status ParseBytes(const json& j, const PathFrame* frame, const FieldDescriptor* field,
                        std::string* out) {
  if (!j.is_string()) return TypeError(frame, "string", j);
  const std::string& s = j.get_ref<const std::string&>();
  if (IsHexIdField(field)) {
    std::optional<std::string> bytes = HexDecode(s);
    if (!bytes) return PathError(frame, absl::StrCat("invalid hex ", json(s).dump()));
    if (!bytes->empty() && bytes->size() != HexIdBytes(field)) {
      return PathError(
          frame, absl::StrCat("expected ", 2 * HexIdBytes(field), " hex digits, got ", s.size()));
    }
    *out = std::move(*bytes);
    return absl::OkStatus();
  }
  // proto3 JSON: standard base64 with or without padding; URL-safe alphabet also accepted.
  if (absl::Base64Unescape(s, out) || absl::WebSafeBase64Unescape(s, out)) {
    return absl::OkStatus();
  }
  return PathError(frame, absl::StrCat("invalid base64 ", json(s).dump()));
}

// ------------------------------------------------------------------ decode

// Messages nest at most this deep below the one decoded, as libprotobuf parses them
// (io::CodedInputStream's default recursion limit): checked as the decoder descends, so a
// hostile body cannot take the stack, and what decodes here also parses from the wire.
constexpr int kMaxMessageDepth = 100;

// `depth`: how deep below the message decoded `msg` is (0 for that message itself).
absl::Status DecodeMessage(const json& j, const PathFrame* frame, Message* msg, int depth);

// Decodes one (non-repeated) value of `field` and stores it, or appends it when `repeated`;
// `depth` is that of `msg`.
absl::Status DecodeValue(const json& j, const PathFrame* frame, const FieldDescriptor* field,
                         Message* msg, bool repeated, int depth) {
  const Reflection* r = msg->GetReflection();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (depth + 1 > kMaxMessageDepth) {
        return PathError(frame, absl::StrCat("nested deeper than ", kMaxMessageDepth,
                                             " messages (protobuf's limit)"));
      }
      Message* child = repeated ? r->AddMessage(msg, field) : r->MutableMessage(msg, field);
      return DecodeMessage(j, frame, child, depth + 1);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (absl::Status st = ParseBytes(j, frame, field, &value); !st.ok()) return st;
      } else {
        if (!j.is_string()) return TypeError(frame, "string", j);
        value = j.get_ref<const std::string&>();
      }
      repeated ? r->AddString(msg, field, std::move(value))
               : r->SetString(msg, field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (!j.is_boolean()) return TypeError(frame, "bool", j);
      repeated ? r->AddBool(msg, field, j.get<bool>()) : r->SetBool(msg, field, j.get<bool>());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      int value = 0;
      if (absl::Status st = ParseEnum(j, frame, field->enum_type(), &value); !st.ok()) return st;
      repeated ? r->AddEnumValue(msg, field, value) : r->SetEnumValue(msg, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value = 0;
      if (absl::Status st = ParseDouble(j, frame, &value); !st.ok()) return st;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        repeated ? r->AddDouble(msg, field, value) : r->SetDouble(msg, field, value);
      } else {
        const auto f = static_cast<float>(value);
        repeated ? r->AddFloat(msg, field, f) : r->SetFloat(msg, field, f);
      }
      return absl::OkStatus();
    }
#define AGENTSTORM_INTEGER_CASE(CPPTYPE, T, Setter)                                   \
  case FieldDescriptor::CPPTYPE: {                                                    \
    T value = 0;                                                                      \
    if (absl::Status st = ParseInteger(j, frame, &value); !st.ok()) return st;        \
    repeated ? r->Add##Setter(msg, field, value) : r->Set##Setter(msg, field, value); \
    return absl::OkStatus();                                                          \
  }
      AGENTSTORM_INTEGER_CASE(CPPTYPE_INT32, int32_t, Int32)
      AGENTSTORM_INTEGER_CASE(CPPTYPE_INT64, int64_t, Int64)
      AGENTSTORM_INTEGER_CASE(CPPTYPE_UINT32, uint32_t, UInt32)
      AGENTSTORM_INTEGER_CASE(CPPTYPE_UINT64, uint64_t, UInt64)
#undef AGENTSTORM_INTEGER_CASE
  }
  return PathError(frame, "unsupported field type");
}

// A map field in JSON is an object; each member becomes one map entry message.
absl::Status DecodeMap(const json& j, const PathFrame* frame, const FieldDescriptor* field,
                       Message* msg, int depth) {
  if (!j.is_object()) return TypeError(frame, "object", j);
  const FieldDescriptor* key_field = field->message_type()->map_key();
  const FieldDescriptor* value_field = field->message_type()->map_value();
  for (const auto& [key, value] : j.items()) {
    PathFrame entry_frame{frame, key, 0};
    Message* entry = msg->GetReflection()->AddMessage(msg, field);
    // Map keys are always strings in JSON; reuse the scalar parsers on a string value.
    const json key_json =
        key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL ? json(key == "true") : json(key);
    if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL && key != "true" && key != "false") {
      return PathError(&entry_frame, "invalid bool map key");
    }
    if (absl::Status st = DecodeValue(key_json, &entry_frame, key_field, entry, false, depth + 1);
        !st.ok()) {
      return st;
    }
    if (value.is_null()) continue;
    if (absl::Status st = DecodeValue(value, &entry_frame, value_field, entry, false, depth + 1);
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeMessage(const json& j, const PathFrame* frame, Message* msg, int depth) {
  if (!j.is_object()) return TypeError(frame, "object", j);
  const Descriptor* descriptor = msg->GetDescriptor();
  for (const auto& [key, value] : j.items()) {
    const FieldDescriptor* field = FindField(descriptor, key);
    if (field == nullptr) continue;  // unknown fields are ignored, as the OTLP spec requires
    if (value.is_null()) continue;   // proto3 JSON: null means the default value
    PathFrame field_frame{frame, key, 0};
    if (const auto* oneof = field->real_containing_oneof()) {
      const FieldDescriptor* already = msg->GetReflection()->GetOneofFieldDescriptor(*msg, oneof);
      if (already != nullptr && already != field) {
        return PathError(&field_frame, absl::StrCat("oneof ", oneof->name(), " already set by ",
                                                    already->json_name()));
      }
    }
    if (field->is_map()) {
      if (absl::Status st = DecodeMap(value, &field_frame, field, msg, depth); !st.ok()) return st;
    } else if (field->is_repeated()) {
      if (!value.is_array()) return TypeError(&field_frame, "array", value);
      size_t index = 0;
      for (const json& element : value) {
        PathFrame element_frame{&field_frame, {}, index++};
        if (element.is_null()) return PathError(&element_frame, "null array element");
        if (absl::Status st = DecodeValue(element, &element_frame, field, msg, true, depth);
            !st.ok()) {
          return st;
        }
      }
    } else {
      if (absl::Status st = DecodeValue(value, &field_frame, field, msg, false, depth); !st.ok()) {
        return st;
      }
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ encode

json EncodeDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

json EncodeMessage(const Message& msg);

json EncodeValue(const Message& msg, const FieldDescriptor* field, int index) {
  const Reflection* r = msg.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return EncodeMessage(rep ? r->GetRepeatedMessage(msg, field, index)
                               : r->GetMessage(msg, field));
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(msg, field, index, &scratch)
                                 : r->GetStringReference(msg, field, &scratch);
      if (field->type() != FieldDescriptor::TYPE_BYTES) return s;
      return IsHexIdField(field) ? HexEncode(s) : absl::Base64Escape(s);
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(msg, field, index) : r->GetBool(msg, field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return rep ? r->GetRepeatedEnumValue(msg, field, index) : r->GetEnumValue(msg, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return EncodeDouble(rep ? r->GetRepeatedDouble(msg, field, index) : r->GetDouble(msg, field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return EncodeDouble(rep ? r->GetRepeatedFloat(msg, field, index) : r->GetFloat(msg, field));
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(msg, field, index) : r->GetInt32(msg, field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(msg, field, index) : r->GetUInt32(msg, field);
    // 64-bit integers are strings: JavaScript numbers cannot hold them exactly.
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(rep ? r->GetRepeatedInt64(msg, field, index) : r->GetInt64(msg, field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(rep ? r->GetRepeatedUInt64(msg, field, index)
                                : r->GetUInt64(msg, field));
  }
  return nullptr;
}

json EncodeMapKey(const Message& entry, const FieldDescriptor* key_field) {
  json key = EncodeValue(entry, key_field, -1);
  return key.is_string() ? key.get<std::string>() : key.dump();
}

json EncodeMessage(const Message& msg) {
  json out = json::object();
  const Reflection* r = msg.GetReflection();
  // ListFields returns exactly the fields proto3 JSON prints: set fields with presence (oneof
  // members such as AnyValue's, message fields, `optional` scalars) and non-default implicit
  // scalars and non-empty repeated fields.
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->is_extension()) continue;
    json& slot = out[field->json_name()];
    if (field->is_map()) {
      slot = json::object();
      const FieldDescriptor* key_field = field->message_type()->map_key();
      const FieldDescriptor* value_field = field->message_type()->map_value();
      for (int i = 0, n = r->FieldSize(msg, field); i < n; ++i) {
        const Message& entry = r->GetRepeatedMessage(msg, field, i);
        slot[EncodeMapKey(entry, key_field).get<std::string>()] =
            EncodeValue(entry, value_field, -1);
      }
    } else if (field->is_repeated()) {
      slot = json::array();
      for (int i = 0, n = r->FieldSize(msg, field); i < n; ++i) {
        slot.push_back(EncodeValue(msg, field, i));
      }
    } else {
      slot = EncodeValue(msg, field, -1);
    }
  }
  return out;
}

}  // namespace

absl::Status DecodeOtlpJson(const nlohmann::json& json, google::protobuf::Message* out) {
  out->Clear();
  absl::Status status = DecodeMessage(json, nullptr, out, 0);
  if (!status.ok()) out->Clear();
  return status;
}

absl::Status DecodeOtlpJson(std::string_view text, google::protobuf::Message* out) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // parse_error for bad syntax, out_of_range for numbers like 1e999999: both are bad input.
    out->Clear();
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
  return DecodeOtlpJson(parsed, out);
}

nlohmann::json EncodeOtlpJsonValue(const google::protobuf::Message& message) {
  return EncodeMessage(message);
}

std::string JsonText(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EncodeOtlpJson(const google::protobuf::Message& message) {
  // Strings from protobuf input are not guaranteed valid UTF-8; replace rather than throw.
  return JsonText(EncodeMessage(message));
}

}  // namespace agentstorm
