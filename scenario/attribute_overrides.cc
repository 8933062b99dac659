#include "scenario/attribute_overrides.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/url.h"

namespace agentstorm {
namespace {

using Type = ExtraAttribute::Type;

// A scenario file's scalar rules (scenario/parse_values.cc), for a value written on a command line.
ExtraAttribute Typed(std::string key, absl::string_view value) {
  ExtraAttribute a;
  a.key = std::move(key);
  int64_t i = 0;
  double d = 0;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    a.type = Type::kString;
    a.string_value = std::string(value.substr(1, value.size() - 2));
  } else if (absl::SimpleAtoi(value, &i)) {
    a.type = Type::kInt;
    a.int_value = i;
  } else if (absl::SimpleAtod(value, &d) && value.find_first_of("0123456789") != value.npos) {
    a.type = Type::kDouble;
    a.double_value = d;
  } else if (value == "true" || value == "false") {
    a.type = Type::kBool;
    a.bool_value = value == "true";
  } else {
    a.type = Type::kString;
    a.string_value = std::string(value);
  }
  return a;
}

ExtraAttribute StringAttribute(std::string key, std::string value) {
  ExtraAttribute a;
  a.key = std::move(key);
  a.type = Type::kString;
  a.string_value = std::move(value);
  return a;
}

// Replaces the entry of the same key, or appends.
void Set(const ExtraAttribute& a, std::vector<ExtraAttribute>* list) {
  auto it = std::find_if(list->begin(), list->end(),
                         [&](const ExtraAttribute& x) { return x.key == a.key; });
  if (it != list->end()) {
    *it = a;
  } else {
    list->push_back(a);
  }
}

std::string ValueText(const ExtraAttribute& a) {
  switch (a.type) {
    case Type::kInt:
      return absl::StrCat(a.int_value);
    case Type::kDouble:
      return absl::StrFormat("%.17g", a.double_value);
    case Type::kBool:
      return a.bool_value ? "true" : "false";
    default:
      return a.string_value;
  }
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kInt:
      return "int";
    case Type::kDouble:
      return "double";
    case Type::kBool:
      return "bool";
    default:
      return "string";
  }
}

}  // namespace

absl::StatusOr<ExtraAttribute> ParseAttributeFlag(absl::string_view text, absl::string_view flag) {
  const size_t eq = text.find('=');
  std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
  if (eq == text.npos || key.empty())
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", text, ": expected KEY=VALUE, e.g. ", flag, " team=blue"));
  return Typed(std::move(key), text.substr(eq + 1));
}

absl::StatusOr<std::vector<ExtraAttribute>> ParseResourceAttributesEnv(absl::string_view text) {
  std::vector<ExtraAttribute> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const size_t eq = item.find('=');
    const absl::string_view key = absl::StripAsciiWhitespace(item.substr(0, eq));
    if (eq == item.npos || key.empty())
      return absl::InvalidArgumentError(absl::StrCat(
          "OTEL_RESOURCE_ATTRIBUTES: '", item, "' is not key=value (the variable is a comma-",
          "separated list, e.g. service.name=checkout,team=blue)"));
    auto key_text = PercentDecode(key);
    auto value = PercentDecode(absl::StripAsciiWhitespace(item.substr(eq + 1)));
    if (!key_text.ok() || !value.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("OTEL_RESOURCE_ATTRIBUTES: '", item, "': invalid percent-encoding"));
    out.push_back(StringAttribute(*key_text, *value));
  }
  return out;
}

absl::StatusOr<AttributeOverrides> CollectAttributeOverrides(
    const char* resource_env, const char* service_name_env,
    const std::vector<std::string>& resource_flags, const std::vector<std::string>& span_flags) {
  AttributeOverrides o;
  if (resource_env != nullptr) {
    auto env = ParseResourceAttributesEnv(resource_env);
    if (!env.ok()) return env.status();
    for (const ExtraAttribute& a : *env) Set(a, &o.resource);
  }
  if (service_name_env != nullptr && *service_name_env != '\0')
    Set(StringAttribute("service.name", service_name_env), &o.resource);
  for (const std::string& f : resource_flags) {
    auto a = ParseAttributeFlag(f, "--resource-attr");
    if (!a.ok()) return a.status();
    Set(*a, &o.resource);
  }
  for (const std::string& f : span_flags) {
    auto a = ParseAttributeFlag(f, "--span-attr");
    if (!a.ok()) return a.status();
    Set(*a, &o.span);
  }
  return o;
}

void ApplyAttributeOverrides(const AttributeOverrides& overrides, Scenario* scenario) {
  for (ScenarioPart& part : scenario->parts) {
    for (const ExtraAttribute& a : overrides.resource) {
      const std::string value = ValueText(a);
      if (a.key == "service.name") {
        if (!part.services.empty()) part.services.front().name = value;
        continue;
      }
      for (Service& s : part.services) {
        if (a.key == "service.version") {
          s.version = value;
        } else if (a.key == "deployment.environment.name") {
          s.environment = value;
        } else {
          Set(a, &s.attributes);
        }
      }
    }
    for (const ExtraAttribute& a : overrides.span) Set(a, &part.span_attributes);
  }
}

std::string EncodeAttributeOverrides(const AttributeOverrides& overrides) {
  std::string out;
  auto write = [&](const char* scope, const std::vector<ExtraAttribute>& list) {
    for (const ExtraAttribute& a : list)
      absl::StrAppend(&out, scope, " ", TypeName(a.type), " ", absl::CEscape(a.key), "\t",
                      absl::CEscape(ValueText(a)), "\n");
  };
  write("resource", overrides.resource);
  write("span", overrides.span);
  return out;
}

absl::StatusOr<AttributeOverrides> DecodeAttributeOverrides(absl::string_view text) {
  AttributeOverrides o;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> head = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    std::vector<absl::string_view> kv = head.size() == 3
                                            ? absl::StrSplit(head[2], absl::MaxSplits('\t', 1))
                                            : std::vector<absl::string_view>{};
    std::string key, value;
    if (kv.size() != 2 || (head[0] != "resource" && head[0] != "span") ||
        !absl::CUnescape(kv[0], &key) || !absl::CUnescape(kv[1], &value))
      return absl::DataLossError(absl::StrCat("attribute override '", line, "' is malformed"));
    ExtraAttribute a;
    if (head[1] == "string") {
      a = StringAttribute(std::move(key), std::move(value));
    } else {
      a = Typed(std::move(key), value);
      if (TypeName(a.type) != head[1])
        return absl::DataLossError(
            absl::StrCat("attribute override '", line, "': not a ", head[1]));
    }
    (head[0] == "resource" ? o.resource : o.span).push_back(std::move(a));
  }
  return o;
}

std::string DescribeAttributeOverrides(const AttributeOverrides& overrides) {
  std::string out;
  auto add = [&](const std::vector<ExtraAttribute>& list, const char* suffix) {
    for (const ExtraAttribute& a : list)
      absl::StrAppend(&out, out.empty() ? "" : ", ", a.key, "=", ValueText(a), suffix);
  };
  add(overrides.resource, "");
  add(overrides.span, " (span)");
  return out;
}

}  // namespace agentstorm
