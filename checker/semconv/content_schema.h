// ContentSchema: the JSON Schema an attribute's value must follow, for the attributes the
// conventions give one (message content: gen_ai.input.messages, gen_ai.output.messages,
// gen_ai.system_instructions, gen_ai.tool.definitions, ...; upstream
// `annotations.type.json_schema`, the bundled profile's `json_schema:`).
//
// Validation is valijson's (Debian libvalijson-dev, header-only; docs/performance.md says why),
// draft 7, `$ref`s within the document resolved; a reference to another document (the tool
// definitions' `parameters` point at the draft-07 meta-schema) is taken as "any value": a
// tool's own parameter schema is not judged.
//
// A value fails with one problem, chosen so that two schemas that state the same constraints
// differently (upstream's, with an anyOf over eleven part types; the profile's, with one) name
// the same one: the deepest place in the value that failed, and there the constraint most of
// the alternatives agree on ("missing required property 'type'"), not the summary lines.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace agentstorm::semconv {

struct ContentProblem {
  std::string where;  // "[0].parts[1]" ("" = the value itself)
  std::string what;   // "missing required property 'type'", "the string is not JSON: ..."
};

class ContentSchema {
 public:
  // Reads and compiles the schema in `path`; InvalidArgument naming the file when it is not a
  // JSON Schema valijson can compile, NotFound when it cannot be read.
  static absl::StatusOr<std::shared_ptr<const ContentSchema>> Load(const std::string& path);
  ~ContentSchema();
  ContentSchema(const ContentSchema&) = delete;
  ContentSchema& operator=(const ContentSchema&) = delete;

  // The value as JSON: a string is parsed (the conventions let an SDK without structured
  // attributes send the JSON text), an OTLP array or kvlist converted; nullopt and `problem`
  // set when a string is not JSON.
  static std::optional<nlohmann::json> ToJson(const opentelemetry::proto::common::v1::AnyValue& v,
                                              ContentProblem* problem);

  // nullopt when `value` follows the schema. Thread-safe (the compiled schema is read-only).
  std::optional<ContentProblem> Check(const nlohmann::json& value) const;
  std::optional<ContentProblem> Check(const opentelemetry::proto::common::v1::AnyValue& v) const;

  const std::string& path() const { return path_; }

 private:
  struct Compiled;
  ContentSchema(std::string path, std::unique_ptr<Compiled> compiled);
  std::string path_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace agentstorm::semconv
