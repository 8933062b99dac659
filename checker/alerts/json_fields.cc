#include "checker/alerts/json_fields.h"

#include "absl/strings/str_cat.h"

namespace agentstorm::alerts::internal {

std::string StringField(const nlohmann::json& object, absl::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(std::string(key));
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::map<std::string, std::string> StringMap(const nlohmann::json& object, absl::string_view key) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

absl::Status TimeField(const nlohmann::json& object, absl::string_view key, absl::Time fallback,
                       absl::Time* out) {
  *out = fallback;
  const std::string text = StringField(object, key);
  if (text.empty()) return absl::OkStatus();
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, out, &err))
    return absl::InvalidArgumentError(absl::StrCat(key, ": not an RFC 3339 time: \"", text, "\""));
  return absl::OkStatus();
}

absl::Status ParseJson(absl::string_view text, absl::string_view what, nlohmann::json* out) {
  *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded())
    return absl::InvalidArgumentError(absl::StrCat(what, ": the response is not JSON"));
  return absl::OkStatus();
}

}  // namespace agentstorm::alerts::internal
