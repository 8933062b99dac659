// OTLP/JSON codec, as the OTLP specification defines it (protocol/otlp.md, "JSON Protobuf
// Encoding"): trace and span IDs as hex (any case in, lowercase out), enums as integers
// (names accepted in), lowerCamelCase keys (snake_case accepted in), 64-bit integers as
// decimal strings (numbers accepted in), unknown fields ignored, bytesValue base64.
//
// Works on any OTLP message (ExportTraceServiceRequest, TracesData, ExportMetricsServiceRequest,
// ...) through protobuf reflection.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <nlohmann/json_fwd.hpp>

#include "absl/status/status.h"

namespace agentstorm {

// Parses `json` into `out` (cleared first). InvalidArgument names the offending field path,
// e.g. "resourceSpans[0].scopeSpans[1].spans[3].traceId: not hex".
absl::Status DecodeOtlpJson(std::string_view json, google::protobuf::Message* out);
absl::Status DecodeOtlpJson(const nlohmann::json& json, google::protobuf::Message* out);

// Encodes `message` as compact OTLP/JSON. Default values are omitted, as proto3 JSON does.
std::string EncodeOtlpJson(const google::protobuf::Message& message);
nlohmann::json EncodeOtlpJsonValue(const google::protobuf::Message& message);

}  // namespace agentstorm
