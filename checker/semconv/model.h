// The flat semantic-convention model the semconv rule checks against.
//
// Two loaders produce it: LoadSemconvRegistry (checker/semconv/registry.h) from an upstream
// semantic-conventions model directory, and LoadSemconvProfile (checker/semconv/profile.h) from
// the project's own compact profile in scenarios/semconv/. Everything that upstream expresses
// through refs, ref_groups, extends and refinements is already resolved here: a SpanType lists
// every attribute that applies to it with its final requirement level.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"

namespace agentstorm::semconv {

class ContentSchema;  // checker/semconv/content_schema.h

// The value type of an attribute, as semconv spells it ("string", "int", "string[]", "any", ...).
enum class ValueType : uint8_t {
  kUnknown,  // referenced but not defined in the loaded files: no type check
  kString,
  kInt,
  kDouble,
  kBoolean,
  kAny,  // any value, e.g. JSON-schema'd message content
  kStringArray,
  kIntArray,
  kDoubleArray,
  kBooleanArray,
};
const char* ValueTypeName(ValueType type);
std::optional<ValueType> ParseValueType(std::string_view name);

enum class RequirementLevel : uint8_t { kRequired, kConditionallyRequired, kRecommended, kOptIn };
const char* RequirementLevelName(RequirementLevel level);

// Span kinds by their OTLP enum numbers (SPAN_KIND_INTERNAL = 1 ... SPAN_KIND_CONSUMER = 5).
enum class SpanKind : uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};
const char* SpanKindName(SpanKind kind);                       // "internal", "server", ...
std::optional<SpanKind> ParseSpanKind(std::string_view name);  // case-insensitive

struct Deprecation {
  std::string reason;       // renamed | obsoleted | uncategorized | "" (old plain-string form)
  std::string replacement;  // the attribute (or enum value) to use instead; "" when none
  std::string note;         // upstream text, for the finding message
};

struct EnumMember {
  std::string id;
  std::string value;  // the wire value (string, or an int written in decimal)
  std::optional<Deprecation> deprecated;
};

struct AttributeDef {
  std::string key;
  ValueType type = ValueType::kUnknown;
  // template[T]: `key` is a prefix; the values are recorded as "<key>.<suffix>" with type T.
  bool is_template = false;
  std::vector<EnumMember> members;  // non-empty for an enum
  // Upstream enums are all open (any value allowed; members are well-known values). A profile
  // may close one: then an unknown value is a violation, not information.
  bool closed_enum = false;
  std::string stability;
  std::optional<Deprecation> deprecated;
  std::string brief;
  // The JSON Schema its value must follow (message content), or null: upstream's
  // `annotations.type.json_schema`, the profile's `json_schema`.
  std::shared_ptr<const ContentSchema> content_schema;

  const EnumMember* FindMember(std::string_view value) const;
};

// When a conditional requirement applies, in the forms a checker can evaluate from the span.
struct Condition {
  enum class Kind : uint8_t {
    kText,       // only prose: not evaluable
    kOnError,    // "if the operation ended in an error": span status is ERROR
    kIfPresent,  // "if `server.address` is set": attribute `key` is present
    // "if the request was a streaming request" / "if and only if the request is streaming":
    // gen_ai.request.stream is true, or, when it is unset, the span shows a streamed response
    // (gen_ai.response.time_to_first_chunk is set; unset and no such sign = not streaming)
    kStreaming,
  };
  Kind kind = Kind::kText;
  std::string key;   // for kIfPresent
  std::string text;  // the condition as written
};

// Reads the evaluable forms out of upstream prose: "if the operation ended in an error" /
// "if and only if the operation fails" -> kOnError; "If `server.address` is set." -> kIfPresent;
// "If the request was a streaming request." / "If and only if the request is streaming."
// -> kStreaming; anything else -> kText.
Condition ConditionFromText(std::string_view text);

struct AttributeRequirement {
  std::string key;
  RequirementLevel level = RequirementLevel::kRecommended;
  // For kConditionallyRequired (and kRecommended with a condition): when it applies.
  Condition condition;
  bool sampling_relevant = false;
};

// One kind of span the conventions describe (upstream: a span group or a v2 span type).
struct SpanType {
  std::string id;  // "gen_ai.inference.client", "mcp.client", ...
  // How to recognise it: the value of `match_attribute` is one of `match_values` (empty = the
  // attribute is merely present). E.g. gen_ai.operation.name in {chat, text_completion, ...}.
  std::string match_attribute;
  std::vector<std::string> match_values;
  // Allowed kinds, preferred first (the inference span is CLIENT but MAY be INTERNAL).
  std::vector<SpanKind> kinds;
  // Span name formats in order of preference, with {attribute.key} placeholders. A placeholder
  // that names no attribute (MCP's "{target}") stands for any non-empty text.
  std::vector<std::string> name_patterns;
  // Every attribute that applies, resolved (groups, extends, refinements). Order as declared.
  std::vector<AttributeRequirement> attributes;
  // A provider refinement (e.g. openai.inference.client) names its base type and the
  // gen_ai.provider.name (or, in old versions, gen_ai.system) value that selects it.
  std::string refines;
  std::string provider;
  std::optional<Deprecation> deprecated;

  const AttributeRequirement* FindAttribute(std::string_view key) const;
};

struct SemconvModel {
  std::string source;  // directory or profile file it was loaded from, for messages
  std::map<std::string, AttributeDef, std::less<>> attributes;
  std::vector<SpanType> span_types;
  std::vector<std::string> event_names;   // events defined (not checked yet)
  std::vector<std::string> metric_names;  // metrics defined (not checked yet)
  // Problems that did not stop loading (e.g. refs to attributes defined in files not loaded).
  std::vector<std::string> warnings;

  // The definition of `key`, also for "<template key>.<suffix>" keys; nullptr if unknown.
  const AttributeDef* FindAttribute(std::string_view key) const;
  const SpanType* FindSpanType(std::string_view id) const;
  // Span types that `key = value` recognises (refinements excluded).
  std::vector<const SpanType*> CandidatesFor(std::string_view key, std::string_view value) const;
  // The refinement of `base` selected by `provider`, or nullptr.
  const SpanType* RefinementFor(std::string_view base, std::string_view provider) const;
  // Attribute keys used to recognise span types, most specific first ("mcp.method.name" before
  // "gen_ai.operation.name": an MCP tool call carries both).
  std::vector<std::string> MatchAttributes() const;
};

// A hash of an attribute key that reads at most 16 of its bytes: its length and its first and
// last (up to) 8 bytes, which tell apart the keys of one namespace ("gen_ai.request.model",
// "gen_ai.response.model", "gen_ai.usage.input_tokens"). Keys alike in all three only share a
// hash; tables compare the whole key. A general string hash reads every byte, for every key of
// every span.
struct AttributeKeyHash {
  size_t operator()(std::string_view key) const {
    uint64_t head = 0, tail = 0;
    const size_t n = key.size() < 8 ? key.size() : 8;
    if (n > 0) {
      std::memcpy(&head, key.data(), n);
      std::memcpy(&tail, key.data() + key.size() - n, n);
    }
    return absl::HashOf(head, tail, key.size());
  }
};

// SemconvModel::FindAttribute by hash, for a model that no longer changes (the rules look up
// every attribute of every span; the sorted map's string compares were a twelfth of a check).
// `model` must outlive the index and stay as it was.
class AttributeIndex {
 public:
  explicit AttributeIndex(const SemconvModel& model);
  const AttributeDef* Find(std::string_view key) const;  // as SemconvModel::FindAttribute
  // The same, and the definition's ordinal (0 .. size() - 1, one per definition of the model)
  // in *ordinal when there is one: a rule can keep a bit per definition.
  const AttributeDef* Find(std::string_view key, uint32_t* ordinal) const;
  size_t size() const { return by_key_.size(); }

 private:
  struct Entry {
    const AttributeDef* def;
    uint32_t ordinal;
  };
  absl::flat_hash_map<std::string_view, Entry, AttributeKeyHash, std::equal_to<std::string_view>>
      by_key_;
  // The template attributes, longest key first: a key the map lacks is under the longest one
  // that prefixes it up to a '.', without a lookup per prefix of the key.
  std::vector<std::pair<std::string_view, Entry>> templates_;
};

}  // namespace agentstorm::semconv
