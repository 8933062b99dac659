// Resource and span attributes given outside the scenario file: the standard OTEL_SERVICE_NAME
// and OTEL_RESOURCE_ATTRIBUTES variables and `--resource-attr K=V` / `--span-attr K=V`, as
// telemetrygen takes them. They are applied to the compiled scenario, and the ledger records them
// (EncodeAttributeOverrides) so that `check` rebuilds the traces that were really sent.
//
// What each does to the scenario:
//   service.name        renames the scenario's first service (the one its root spans come from,
//                       as an SDK names its own process); other services keep their names
//   service.version, deployment.environment.name
//                       set on every service
//   any other resource key   set on every service's resource (replacing the scenario's value)
//   span attributes     set on every span (replacing a `span_attributes:` entry of that key)
//
// Precedence follows the SDK specification, then flags: OTEL_RESOURCE_ATTRIBUTES, then
// OTEL_SERVICE_NAME (wins over its service.name), then --resource-attr in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scenario/scenario.h"

namespace agentstorm {

struct AttributeOverrides {
  std::vector<ExtraAttribute> resource;  // in order; a later key replaces an earlier one
  std::vector<ExtraAttribute> span;
  bool empty() const { return resource.empty() && span.empty(); }
};

// `KEY=VALUE` of a flag. VALUE is typed as in a scenario file: 42 an int, 0.5 a double,
// true/false a bool, anything else (or anything in double quotes) a string.
// `flag` names the flag in errors ("--span-attr").
absl::StatusOr<ExtraAttribute> ParseAttributeFlag(absl::string_view text, absl::string_view flag);

// OTEL_RESOURCE_ATTRIBUTES: `key1=value1,key2=value2`, values percent-decoded, all strings.
absl::StatusOr<std::vector<ExtraAttribute>> ParseResourceAttributesEnv(absl::string_view text);

// Collects the environment (`getenv` of OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME; pass
// nullptr for unset) and the flags, in precedence order. Errors name the variable or flag.
absl::StatusOr<AttributeOverrides> CollectAttributeOverrides(
    const char* resource_env, const char* service_name_env,
    const std::vector<std::string>& resource_flags, const std::vector<std::string>& span_flags);

// Sets the overrides on every part of `scenario` (idempotent: applying twice changes nothing).
void ApplyAttributeOverrides(const AttributeOverrides& overrides, Scenario* scenario);

// One line per attribute, `resource|span TYPE KEY=VALUE` with the value escaped; "" when empty.
// Decode(Encode(x)) == x.
std::string EncodeAttributeOverrides(const AttributeOverrides& overrides);
absl::StatusOr<AttributeOverrides> DecodeAttributeOverrides(absl::string_view text);

// "service.name=research, team=blue (span)" for the plan printout and the summary.
std::string DescribeAttributeOverrides(const AttributeOverrides& overrides);

}  // namespace agentstorm
