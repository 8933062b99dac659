// JSON field access shared by the alert readers: tolerant of absent fields, strict about types
// of the fields that matter. Internal to checker/alerts.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace agentstorm::alerts::internal {

// The string at `key`, or "" when absent or not a string.
std::string StringField(const nlohmann::json& object, absl::string_view key);
// A {"name": "value"} object at `key` (absent = empty; non-string values are skipped).
std::map<std::string, std::string> StringMap(const nlohmann::json& object, absl::string_view key);
// An RFC 3339 time at `key`; `fallback` when absent. InvalidArgument when malformed.
absl::Status TimeField(const nlohmann::json& object, absl::string_view key, absl::Time fallback,
                       absl::Time* out);
// Parses `text`; InvalidArgument (with `what`) when it is not JSON.
absl::Status ParseJson(absl::string_view text, absl::string_view what, nlohmann::json* out);

}  // namespace agentstorm::alerts::internal
