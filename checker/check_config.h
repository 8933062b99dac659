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
//   thresholds:                          # optional, as k6's: metric -> expressions
//     spans_not_acknowledged: ["rate<1%"]   # (core/thresholds.h; replaces the default)
//     export_latency: ["p(99)<250ms", "p(50)<50ms"]
//   default_thresholds: false            # optional: no "spans_not_acknowledged: count==0"
//   redaction:                           # optional: what must not reach the backend, checked
//     keys: [app.user.email, "customer.*"]   # on every span (with or without a ledger)
//     patterns: ['[\w.+-]+@[\w-]+\.\w+']    # RE2; no string value may contain a match
//
// Unknown keys are errors, so a typo cannot silently disable a suppression. Every error is
// reported, each as "file:line:column: field: message" (core/yaml_fields.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "checker/finding.h"
#include "core/yaml_fields.h"

namespace agentstorm {

// Parses the YAML text of a check config; `file` names it in diagnostics. Appends every problem
// to *errors and returns nullopt when there is any.
std::optional<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text,
                                                  const std::string& file,
                                                  std::vector<YamlDiagnostic>* errors);

// Same, with the diagnostics joined into one InvalidArgument.
absl::StatusOr<FindingSetOptions> ParseCheckConfig(std::string_view yaml_text,
                                                   const std::string& file = "check config");

// Reads and parses `path`. NotFound when the file cannot be read; InvalidArgument listing every
// diagnostic when it is invalid.
absl::StatusOr<FindingSetOptions> LoadCheckConfig(const std::string& path);

}  // namespace agentstorm
