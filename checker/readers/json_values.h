// Splitting a buffer that holds several JSON values one after another: JSON lines (collector
// file exporter), concatenated objects (Jaeger's API v3 gateway streams one {"result": ...}
// chunk per trace), or a single pretty-printed document. Values may be separated by any
// whitespace, or by nothing at all.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace agentstorm::readers {

// How deep a backend's JSON may nest (objects and arrays). OTLP/JSON at protobuf's limit of 100
// nested messages stays well within it; anything deeper is refused before it is parsed, so the
// readers' recursive walks over a document (Tempo's renaming, Jaeger's tags, error texts) can
// never run out of stack on a hostile or broken backend's answer.
inline constexpr int kMaxJsonNesting = 512;

// The top-level values of `text`, each a view into it, in order. Only objects and arrays are
// accepted at the top level. InvalidArgument (with the byte offset) on an unterminated value,
// text between values, or nesting deeper than kMaxJsonNesting. Does not validate the inside of
// each value: parse it afterwards.
absl::StatusOr<std::vector<std::string_view>> SplitJsonValues(std::string_view text);

// `text` as one JSON object or array, its nesting checked first (SplitJsonValues):
// InvalidArgument when it nests too deep, holds more than one value, or does not parse.
absl::StatusOr<nlohmann::json> ParseBoundedJson(std::string_view text);

}  // namespace agentstorm::readers
