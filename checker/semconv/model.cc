#include "checker/semconv/model.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace agentstorm::semconv {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUnknown:
      return "unknown";
    case ValueType::kString:
      return "string";
    case ValueType::kInt:
      return "int";
    case ValueType::kDouble:
      return "double";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kAny:
      return "any";
    case ValueType::kStringArray:
      return "string[]";
    case ValueType::kIntArray:
      return "int[]";
    case ValueType::kDoubleArray:
      return "double[]";
    case ValueType::kBooleanArray:
      return "boolean[]";
  }
  return "unknown";
}

std::optional<ValueType> ParseValueType(std::string_view name) {
  static constexpr ValueType kAll[] = {
      ValueType::kString,   ValueType::kInt,         ValueType::kDouble,
      ValueType::kBoolean,  ValueType::kAny,         ValueType::kStringArray,
      ValueType::kIntArray, ValueType::kDoubleArray, ValueType::kBooleanArray};
  for (ValueType t : kAll) {
    if (name == ValueTypeName(t)) return t;
  }
  return std::nullopt;
}

const char* RequirementLevelName(RequirementLevel level) {
  switch (level) {
    case RequirementLevel::kRequired:
      return "required";
    case RequirementLevel::kConditionallyRequired:
      return "conditionally_required";
    case RequirementLevel::kRecommended:
      return "recommended";
    case RequirementLevel::kOptIn:
      return "opt_in";
  }
  return "unknown";
}

const char* SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
  }
  return "unspecified";
}

std::optional<SpanKind> ParseSpanKind(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (SpanKind k : {SpanKind::kInternal, SpanKind::kServer, SpanKind::kClient, SpanKind::kProducer,
                     SpanKind::kConsumer}) {
    if (lower == SpanKindName(k)) return k;
  }
  return std::nullopt;
}

Condition ConditionFromText(std::string_view text) {
  static const std::regex kOnError(R"re(ended in an error|operation fails)re", std::regex::icase);
  static const std::regex kIfPresent(R"re(^\s*if `([A-Za-z0-9_.]+)` is set\.?\s*$)re",
                                     std::regex::icase);
  static const std::regex kStreaming(
      R"re(^\s*if (and only if )?the request (is|was) (a )?streaming)re", std::regex::icase);
  Condition c;
  c.text = std::string(text);
  std::smatch m;
  if (std::regex_search(c.text, kOnError)) {
    c.kind = Condition::Kind::kOnError;
  } else if (std::regex_match(c.text, m, kIfPresent)) {
    c.kind = Condition::Kind::kIfPresent;
    c.key = m[1].str();
  } else if (std::regex_search(c.text, kStreaming)) {
    c.kind = Condition::Kind::kStreaming;
  }
  return c;
}

const EnumMember* AttributeDef::FindMember(std::string_view value) const {
  // Two members may share a value (a deprecated id renamed to a new one): prefer the live one.
  const EnumMember* found = nullptr;
  for (const EnumMember& m : members) {
    if (m.value != value) continue;
    if (!m.deprecated) return &m;
    if (!found) found = &m;
  }
  return found;
}

const AttributeRequirement* SpanType::FindAttribute(std::string_view key) const {
  for (const AttributeRequirement& a : attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

namespace {

// The definition of `key` by `lookup` (key -> definition or nullptr), also for
// "<template key>.<suffix>" keys: every proper prefix ending before a '.' is tried.
template <typename Lookup>
const AttributeDef* FindWithTemplates(std::string_view key, const Lookup& lookup) {
  if (const AttributeDef* def = lookup(key)) return def;
  for (size_t dot = key.rfind('.'); dot != std::string_view::npos && dot > 0;
       dot = key.rfind('.', dot - 1)) {
    const AttributeDef* def = lookup(key.substr(0, dot));
    if (def != nullptr && def->is_template) return def;
  }
  return nullptr;
}

}  // namespace

const AttributeDef* SemconvModel::FindAttribute(std::string_view key) const {
  return FindWithTemplates(key, [this](std::string_view k) -> const AttributeDef* {
    auto it = attributes.find(k);
    return it == attributes.end() ? nullptr : &it->second;
  });
}

AttributeIndex::AttributeIndex(const SemconvModel& model) {
  by_key_.reserve(model.attributes.size());
  uint32_t ordinal = 0;
  for (const auto& [key, def] : model.attributes) {
    const Entry entry{&def, ordinal++};
    by_key_.emplace(key, entry);
    if (def.is_template && !key.empty()) templates_.emplace_back(key, entry);
  }
  std::stable_sort(templates_.begin(), templates_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

const AttributeDef* AttributeIndex::Find(std::string_view key) const { return Find(key, nullptr); }

// As FindWithTemplates: the key itself, else the longest template key that is a prefix of it
// ending before a '.' (the first template FindWithTemplates meets walking back from the end).
const AttributeDef* AttributeIndex::Find(std::string_view key, uint32_t* ordinal) const {
  const Entry* found = nullptr;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    found = &it->second;
  } else {
    for (const auto& [prefix, entry] : templates_) {
      if (key.size() > prefix.size() && key[prefix.size()] == '.' &&
          key.compare(0, prefix.size(), prefix) == 0) {
        found = &entry;
        break;
      }
    }
  }
  if (found == nullptr) return nullptr;
  if (ordinal != nullptr) *ordinal = found->ordinal;
  return found->def;
}

const SpanType* SemconvModel::FindSpanType(std::string_view id) const {
  for (const SpanType& t : span_types) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::vector<const SpanType*> SemconvModel::CandidatesFor(std::string_view key,
                                                         std::string_view value) const {
  std::vector<const SpanType*> out;
  for (const SpanType& t : span_types) {
    if (!t.refines.empty() || t.match_attribute != key) continue;
    if (t.match_values.empty() ||
        std::find(t.match_values.begin(), t.match_values.end(), value) != t.match_values.end()) {
      out.push_back(&t);
    }
  }
  return out;
}

const SpanType* SemconvModel::RefinementFor(std::string_view base,
                                            std::string_view provider) const {
  if (provider.empty()) return nullptr;
  for (const SpanType& t : span_types) {
    if (t.refines == base && t.provider == provider) return &t;
  }
  return nullptr;
}

std::vector<std::string> SemconvModel::MatchAttributes() const {
  std::vector<std::string> out;
  for (const SpanType& t : span_types) {
    if (t.match_attribute.empty()) continue;
    if (std::find(out.begin(), out.end(), t.match_attribute) == out.end()) {
      out.push_back(t.match_attribute);
    }
  }
  // Types recognised by mere presence of an attribute are more specific than those recognised
  // by the generic operation name; keep the declaration order otherwise.
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return (a != "gen_ai.operation.name") > (b != "gen_ai.operation.name");
  });
  return out;
}

}  // namespace agentstorm::semconv
