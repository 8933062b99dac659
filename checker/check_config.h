// The `check --config FILE` file: finding levels and expected violations.
//
//   examples_per_id: 5                   # optional
//   levels:                              # optional: finding ID (or "family.*") -> level
//     semconv.recommended_coverage: information
//     semconv.deprecated_attribute: improvement
//   expected_violations:                 # optional
//     - id: semconv.deprecated_attribute # required; '*' wildcards allowed
//       reason: "SDK 1.2 still sends gen_ai.system; fixed in 1.3"   # required
//       match:                           # optional; every given field must match
//         span_name: "chat *"
//         attribute: gen_ai.system
//         variant: legacy-sdk
//
// Unknown keys are errors, so a typo cannot silently disable a suppression.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "checker/finding.h"

namespace agentstorm {

// Parses the YAML text of a check config. InvalidArgument names the offending entry.
absl::StatusOr<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text);

// Reads and parses `path`. NotFound when the file cannot be read.
absl::StatusOr<FindingSetOptions> LoadCheckConfig(const std::string& path);

}  // namespace agentstorm
