// Splitting a buffer that holds several JSON values one after another: JSON lines (collector
// file exporter), concatenated objects (Jaeger's API v3 gateway streams one {"result": ...}
// chunk per trace), or a single pretty-printed document. Values may be separated by any
// whitespace, or by nothing at all.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace agentstorm::readers {

// The top-level values of `text`, each a view into it, in order. Only objects and arrays are
// accepted at the top level. InvalidArgument (with the byte offset) on an unterminated value
// or text between values. Does not validate the inside of each value: parse it afterwards.
absl::StatusOr<std::vector<std::string_view>> SplitJsonValues(std::string_view text);

}  // namespace agentstorm::readers
