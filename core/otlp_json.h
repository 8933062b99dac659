// OTLP/JSON codec, as the OTLP specification defines it (protocol/otlp.md, "JSON Protobuf
// Encoding"): trace and span IDs as hex (any case in, lowercase out), enums as integers
// (names accepted in), lowerCamelCase keys (snake_case accepted in), 64-bit integers as
// decimal strings (numbers accepted in), unknown fields ignored, bytesValue base64.
//
// Works on any OTLP message (ExportTraceServiceRequest, TracesData, ExportMetricsServiceRequest,
// ...) through protobuf reflection.
#pragma once

#include <google/protobuf/message.h>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace agentstorm {

// Parses `json` into `out` (cleared first). InvalidArgument names the offending field path,
// e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId: invalid hex "xyz"`; a JSON value of the
// wrong type (a string where an object belongs, ...) is an error too, and so is a field given
// twice in one object (as protojson has it). Hex IDs must have their full length (32 digits for
// trace IDs, 16 for span IDs) or be empty. Messages nest at most 100 deep, libprotobuf's limit.
// On error `out` is left cleared.
absl::Status DecodeOtlpJson(std::string_view json, google::protobuf::Message* out);
absl::Status DecodeOtlpJson(const nlohmann::json& json, google::protobuf::Message* out);

// Decodes `json` as DecodeOtlpJson does, straight into the protobuf wire form of a `type`
// message in `wire` (the form libprotobuf serializes, fields in the order given), without
// building either a JSON document or a message: the whole cost in memory is `wire` (for any
// input no bigger than the JSON plus four bytes per message) and a stack as deep as the
// nesting. `wire` is left empty on error.
absl::Status TranscodeOtlpJson(std::string_view json, const google::protobuf::Descriptor* type,
                               std::string* wire);

// What the envelope around a member held (TranscodeOtlpJsonMember).
struct JsonEnvelope {
  bool found = false;                   // the member was there (and not null)
  std::vector<std::string> other_keys;  // the envelope's other keys (the first 16)
};
// As TranscodeOtlpJson, for a `type` message that is the value of `member` in a top-level JSON
// object, e.g. Jaeger API v3's {"result": TracesData}: the object's other members are read past
// and not kept (their keys go to `envelope`). Errors name paths from the envelope
// ("result.resourceSpans[0]..."). OK with `envelope->found` false and `wire` empty when the
// member is absent.
absl::Status TranscodeOtlpJsonMember(std::string_view json, std::string_view member,
                                     const google::protobuf::Descriptor* type, std::string* wire,
                                     JsonEnvelope* envelope);

// nlohmann::json converts implicitly from strings; these make text arguments unambiguous.
inline absl::Status DecodeOtlpJson(const std::string& json, google::protobuf::Message* out) {
  return DecodeOtlpJson(std::string_view(json), out);
}
inline absl::Status DecodeOtlpJson(const char* json, google::protobuf::Message* out) {
  return DecodeOtlpJson(std::string_view(json), out);
}

// The text of `j`, with invalid UTF-8 in its strings replaced by U+FFFD instead of throwing
// (nlohmann's dump() throws on it): an answer or report that carries bytes a client sent, or a
// backend returned, always serializes. `indent` as dump()'s (-1: compact).
std::string JsonText(const nlohmann::json& j, int indent = -1);

// Encodes `message` as compact OTLP/JSON. Default values are omitted, as proto3 JSON does;
// keys come in the byte order of their JSON names.
std::string EncodeOtlpJson(const google::protobuf::Message& message);
// Appends to `out` what EncodeOtlpJson() gives for the message whose protobuf wire bytes are
// `wire`, without parsing it: the cost in memory is the output. For a field given more than once
// it writes what libprotobuf would parse (the last scalar, merged messages, every element).
// InvalidArgument (and nothing appended) when `wire` is not a valid `type` message or nests
// deeper than 100 messages.
absl::Status EncodeOtlpJsonWire(std::string_view wire, const google::protobuf::Descriptor* type,
                                std::string* out);
nlohmann::json EncodeOtlpJsonValue(const google::protobuf::Message& message);

}  // namespace agentstorm
