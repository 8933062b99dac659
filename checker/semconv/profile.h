// Loads the project's own conformance profile (scenarios/semconv/*.yaml; the format is described
// in docs/semconv-profile.md) into the same flat SemconvModel the upstream registry loader
// produces, so the semconv rule does not care where its rules came from.
//
// The loader is strict, because a profile is written by hand: unknown keys, unknown kinds or
// types, span types that use an attribute the profile does not define, includes of unknown
// groups and refinements of unknown span types are all errors. Every error is reported, each as
// "file:line:column: field: message" (core/yaml_fields.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "checker/semconv/model.h"
#include "core/yaml_fields.h"

namespace agentstorm::semconv {

// `source` names the text in diagnostics (usually the file path). Appends every problem to
// *errors and returns nullopt when there is any.
std::optional<SemconvModel> ParseSemconvProfile(std::string_view yaml_text,
                                                const std::string& source,
                                                std::vector<YamlDiagnostic>* errors);

// Same, with the diagnostics joined into one InvalidArgument.
absl::StatusOr<SemconvModel> ParseSemconvProfile(std::string_view yaml_text,
                                                 const std::string& source);

// Reads `path`; NotFound when it cannot be read, InvalidArgument listing every diagnostic when
// it is invalid.
absl::StatusOr<SemconvModel> LoadSemconvProfile(const std::string& path);

// The bundled profile `name` ("genai-latest", "genai-v1.36") under
// <source_dir>/scenarios/semconv/<name>.yaml.
absl::StatusOr<SemconvModel> LoadBundledSemconvProfile(const std::string& source_dir,
                                                       const std::string& name);

}  // namespace agentstorm::semconv
