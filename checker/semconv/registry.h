// Loads an upstream semantic-conventions model directory (`check --semconv-registry DIR`) into
// the flat SemconvModel.
//
// Both YAML formats are read, file by file:
//  - v1: a top-level `groups:` list (type attribute_group / span / event / metric; attributes
//    defined with `id:` or referenced with `ref:`; `extends`, `include_groups`; enums as
//    `type: {members: [...]}` or `type: enum` + `members`; `deprecated` as a string or a
//    {reason, renamed_to, note} map);
//  - v2: `file_format: definition/2` with `attributes` (`key:`), `attribute_groups`, `spans`,
//    `span_refinements`, `events`, `metrics` and their refinements; attribute lists of `ref:` and
//    `ref_group:` entries (a ref_group may name `span.<type>`).
// Precedence follows Weaver: an inline ref beats a ref_group, which beats what a refinement or
// `extends` inherits; an override changes only the fields it sets.
//
// What upstream says only in prose is read from the prose, conservatively:
//  - the gen_ai.operation.name values of a span type ("The `gen_ai.operation.name` SHOULD be
//    `embeddings`" / "SHOULD be one of `a`, `b`"); a span type whose name starts with
//    "{gen_ai.operation.name}" and names no operation (the inference span) gets the well-known
//    operation values no other span type claims (chat, text_completion, generate_content);
//  - name formats from the "**Span name** SHOULD be `...`" paragraph;
//  - extra allowed kinds from "MAY be set to `INTERNAL`";
//  - a refinement's provider from "`gen_ai.provider.name` MUST be set to `"openai"`" (or, for
//    old v1 files, `gen_ai.system`, or an id that starts with a provider value:
//    aws.bedrock.client);
//  - a deprecated attribute's replacement from renamed_to, else "Replaced by `x`" / "use `x`".
// Refs to attributes defined in files that were not loaded keep ValueType::kUnknown and are
// listed in SemconvModel::warnings. manifest.yaml / registry_manifest.yaml are skipped.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "checker/semconv/model.h"

namespace agentstorm::semconv {

// Reads every *.yaml under each directory (recursively, in path order). NotFound when a
// directory does not exist; InvalidArgument (naming the file) on malformed YAML, or when the
// directories hold no span definition at all.
absl::StatusOr<SemconvModel> LoadSemconvRegistry(const std::vector<std::string>& dirs);
absl::StatusOr<SemconvModel> LoadSemconvRegistry(const std::string& dir);

}  // namespace agentstorm::semconv
