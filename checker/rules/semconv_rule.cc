#include "checker/rules/semconv_rule.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checker/rules/other_conventions.h"
#include "checker/semconv/content_schema.h"
#include "core/ids.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;
using semconv::AttributeDef;
using semconv::AttributeRequirement;
using semconv::Condition;
using semconv::RequirementLevel;
using semconv::SpanType;
using semconv::ValueType;

// The span's attributes by key, without copying values.
class Attributes {
 public:
  explicit Attributes(const Span& span) {
    entries_.reserve(span.attributes_size());
    for (const auto& kv : span.attributes()) entries_.emplace_back(kv.key(), &kv.value());
  }
  const AnyValue* Find(std::string_view key) const {
    for (const auto& [k, v] : entries_) {
      if (k == key) return v;
    }
    return nullptr;
  }
  // Present as a key, or (for template attributes) as "<key>.<suffix>".
  bool Has(std::string_view key, bool is_template) const {
    for (const auto& [k, v] : entries_) {
      if (k == key) return true;
      if (is_template && k.size() > key.size() + 1 && k.compare(0, key.size(), key) == 0 &&
          k[key.size()] == '.') {
        return true;
      }
    }
    return false;
  }
  bool HasPrefix(std::string_view prefix) const {
    for (const auto& [k, v] : entries_) {
      if (k.compare(0, prefix.size(), prefix) == 0) return true;
    }
    return false;
  }
  using Entries = absl::InlinedVector<std::pair<std::string_view, const AnyValue*>, 32>;
  const Entries& entries() const { return entries_; }

 private:
  Entries entries_;  // on the stack for a span of up to 32 attributes
};

// Scalar value as text (enum members and name placeholders compare as text).
std::string ScalarText(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return v.string_value();
    case AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case AnyValue::kDoubleValue: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v.double_value());
      return buf;
    }
    default:
      return "";
  }
}

const char* ActualTypeName(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return "string";
    case AnyValue::kIntValue:
      return "int";
    case AnyValue::kDoubleValue:
      return "double";
    case AnyValue::kBoolValue:
      return "boolean";
    case AnyValue::kBytesValue:
      return "bytes";
    case AnyValue::kKvlistValue:
      return "map";
    case AnyValue::kArrayValue: {
      const auto& a = v.array_value();
      if (a.values_size() == 0) return "array";
      switch (a.values(0).value_case()) {
        case AnyValue::kStringValue:
          return "string[]";
        case AnyValue::kIntValue:
          return "int[]";
        case AnyValue::kDoubleValue:
          return "double[]";
        case AnyValue::kBoolValue:
          return "boolean[]";
        default:
          return "array";
      }
    }
    default:
      return "empty";
  }
}

std::string Describe(const AnyValue& v) {
  if (v.value_case() == AnyValue::kStringValue) {
    return absl::StrCat("string \"", v.string_value().substr(0, 80), "\"");
  }
  std::string text = ScalarText(v);
  return text.empty() ? ActualTypeName(v) : absl::StrCat(ActualTypeName(v), " ", text);
}

bool HasType(const AnyValue& v, ValueType t) {
  auto all = [&v](AnyValue::ValueCase c) {
    if (v.value_case() != AnyValue::kArrayValue) return false;
    for (const AnyValue& e : v.array_value().values()) {
      if (e.value_case() != c) return false;
    }
    return true;
  };
  switch (t) {
    case ValueType::kUnknown:
    case ValueType::kAny:
      return true;
    case ValueType::kString:
      return v.value_case() == AnyValue::kStringValue;
    case ValueType::kInt:
      return v.value_case() == AnyValue::kIntValue;
    case ValueType::kDouble:
      return v.value_case() == AnyValue::kDoubleValue;
    case ValueType::kBoolean:
      return v.value_case() == AnyValue::kBoolValue;
    case ValueType::kStringArray:
      return all(AnyValue::kStringValue);
    case ValueType::kIntArray:
      return all(AnyValue::kIntValue);
    case ValueType::kDoubleArray:
      return all(AnyValue::kDoubleValue);
    case ValueType::kBooleanArray:
      return all(AnyValue::kBoolValue);
  }
  return true;
}

const char* KindName(int kind) {
  if (kind == 0) return "unspecified";
  return semconv::SpanKindName(static_cast<semconv::SpanKind>(kind));
}

// Spans with SPAN_KIND_UNSPECIFIED are treated as INTERNAL, as the OpenTelemetry API does.
bool KindAllowed(const SpanType& t, int kind) {
  if (t.kinds.empty()) return true;
  int k = kind == 0 ? static_cast<int>(semconv::SpanKind::kInternal) : kind;
  for (semconv::SpanKind allowed : t.kinds) {
    if (static_cast<int>(allowed) == k) return true;
  }
  return false;
}

// Whether the request was streamed, as the conventions decide it: gen_ai.request.stream when
// set ("if unset, the request is assumed to be non-streaming"), else the sign a streamed
// response leaves, a time to its first chunk. `evidence` (may be null) says which.
bool Streams(const Attributes& attrs, std::string* evidence) {
  const AnyValue* stream = attrs.Find("gen_ai.request.stream");
  if (stream != nullptr && stream->value_case() == AnyValue::kBoolValue) {
    if (evidence) *evidence = absl::StrCat("gen_ai.request.stream is ", stream->bool_value());
    return stream->bool_value();
  }
  if (attrs.Find("gen_ai.response.time_to_first_chunk") != nullptr) {
    if (evidence)
      *evidence = "gen_ai.response.time_to_first_chunk is set: the response was streamed";
    return true;
  }
  return false;
}

// Whether `c` holds for the span; nullopt when only prose can decide it.
std::optional<bool> ConditionHolds(const Condition& c, const Span& span, const Attributes& attrs) {
  switch (c.kind) {
    case Condition::Kind::kOnError:
      return span.status().code() == Status::STATUS_CODE_ERROR;
    case Condition::Kind::kIfPresent:
      return attrs.Find(c.key) != nullptr;
    case Condition::Kind::kStreaming:
      return Streams(attrs, nullptr);
    case Condition::Kind::kText:
      break;
  }
  return std::nullopt;
}

// Why `c` holds, for a finding's message.
std::string WhyConditionHolds(const Condition& c, const Attributes& attrs) {
  switch (c.kind) {
    case Condition::Kind::kOnError:
      return "the span's status is ERROR";
    case Condition::Kind::kIfPresent:
      return absl::StrCat(c.key, " is set");
    case Condition::Kind::kStreaming: {
      std::string evidence;
      Streams(attrs, &evidence);
      return absl::StrCat("the request was streamed (", evidence, ")");
    }
    case Condition::Kind::kText:
      break;
  }
  return c.text;
}

std::string KindList(const SpanType& t) {
  std::vector<std::string> names;
  for (semconv::SpanKind k : t.kinds) names.push_back(semconv::SpanKindName(k));
  return absl::StrJoin(names, " or ");
}

}  // namespace

namespace {

constexpr size_t kMaxUnknownKeys = 100;

// Keys the GenAI conventions defined after the snapshot the bundled profile and the shared
// registry were taken from (semantic-conventions-genai fe5608e2, 2026-08-03), as far as known:
// a library that sends one is ahead of the model, not wrong. Reported as information naming the
// change; a newer --semconv-registry that defines the key reports nothing.
struct NewerKey {
  std::string_view key;
  std::string_view change;
};
constexpr NewerKey kNewerUpstreamKeys[] = {
    {"gen_ai.usage.cache_write.input_tokens",
     "renamed from gen_ai.usage.cache_creation.input_tokens (semantic-conventions-genai #440)"},
    {"gen_ai.usage.text.input_tokens", "per-modality usage attributes"},
    {"gen_ai.usage.image.input_tokens", "per-modality usage attributes"},
    {"gen_ai.usage.audio.input_tokens", "per-modality usage attributes"},
};

const NewerKey* FindNewerKey(std::string_view key) {
  for (const NewerKey& k : kNewerUpstreamKeys)
    if (k.key == key) return &k;
  return nullptr;
}

// gen_ai.*, mcp.* and each provider refinement's namespace, where the model defines any key
// (a version before MCP's conventions does not claim mcp.*).
std::vector<std::string> OwnedNamespaces(const semconv::SemconvModel& model) {
  std::vector<std::string> candidates = {"gen_ai.", "mcp."};
  for (const SpanType& t : model.span_types)
    if (!t.provider.empty()) candidates.push_back(t.provider + ".");
  std::vector<std::string> out;
  for (std::string& ns : candidates) {
    if (std::find(out.begin(), out.end(), ns) != out.end()) continue;
    auto it = model.attributes.lower_bound(ns);
    if (it != model.attributes.end() && it->first.compare(0, ns.size(), ns) == 0)
      out.push_back(std::move(ns));
  }
  return out;
}

}  // namespace

namespace {

std::vector<std::vector<SemconvRule::RequirementDef>> RequirementDefs(
    const semconv::SemconvModel& model, const semconv::AttributeIndex& index) {
  std::vector<std::vector<SemconvRule::RequirementDef>> out;
  out.reserve(model.span_types.size());
  for (const SpanType& type : model.span_types) {
    auto& defs = out.emplace_back();
    defs.reserve(type.attributes.size());
    for (const AttributeRequirement& req : type.attributes) {
      SemconvRule::RequirementDef d;
      d.def = index.Find(req.key, &d.ordinal);
      defs.push_back(d);
    }
  }
  return out;
}

// The attributes whose enum documents free-form values: open, with only the `_OTHER` fallback
// as a member (error.type: an exception's class name, a provider's error code).
absl::flat_hash_set<const AttributeDef*> FreeFormEnums(const semconv::SemconvModel& model) {
  absl::flat_hash_set<const AttributeDef*> out;
  for (const auto& [key, def] : model.attributes) {
    if (!def.closed_enum && std::all_of(def.members.begin(), def.members.end(),
                                        [](const auto& em) { return em.value == "_OTHER"; })) {
      out.insert(&def);
    }
  }
  return out;
}

}  // namespace

SpanTypeTable::SpanTypeTable(const semconv::SemconvModel& model) {
  const std::vector<SpanType>& types = model.span_types;
  for (const std::string& key : model.MatchAttributes()) {
    ByMatchValue& m = by_match_value.emplace_back();
    m.key = key;
    // SemconvModel::CandidatesFor(key, value), for every value some type names and for any
    // other value, each in the order of the model's span types.
    for (const SpanType& t : types) {
      if (!t.refines.empty() || t.match_attribute != key) continue;
      for (const std::string& v : t.match_values) m.by_value.try_emplace(v);
    }
    for (const SpanType& t : types) {
      if (!t.refines.empty() || t.match_attribute != key) continue;
      if (t.match_values.empty()) m.any_value.push_back(&t);
      for (auto& [value, out] : m.by_value) {
        if (t.match_values.empty() || std::find(t.match_values.begin(), t.match_values.end(),
                                                value) != t.match_values.end()) {
          out.push_back(&t);
        }
      }
    }
  }
  // SemconvModel::RefinementFor(base id, provider): the first refinement of each.
  refinements_.resize(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    size_t base = i;  // the first type with this id: refinements name their base by id
    for (size_t j = 0; j < i; ++j) {
      if (types[j].id == types[i].id) {
        base = j;
        break;
      }
    }
    slot_.push_back(base);
  }
  for (const SpanType& t : types) {
    if (t.refines.empty() || t.provider.empty()) continue;
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i].id == t.refines && slot_[i] == i) refinements_[i].try_emplace(t.provider, &t);
    }
  }
  first_ = types.data();
}

const std::vector<const SpanType*>& SpanTypeTable::ByMatchValue::Of(const AnyValue& value) const {
  auto it = value.value_case() == AnyValue::kStringValue ? by_value.find(value.string_value())
                                                         : by_value.find(ScalarText(value));
  return it == by_value.end() ? any_value : it->second;
}

const SpanType* SpanTypeTable::RefinementOf(const SpanType* base, const AnyValue& provider) const {
  const auto& by_provider = refinements_[SlotOf(base)];
  if (by_provider.empty()) return nullptr;
  auto it = provider.value_case() == AnyValue::kStringValue
                ? by_provider.find(provider.string_value())
                : by_provider.find(ScalarText(provider));
  return it == by_provider.end() ? nullptr : it->second;
}

SemconvRule::SemconvRule(semconv::SemconvModel model)
    : model_(std::move(model)),
      requirement_defs_(RequirementDefs(model_, attributes_)),
      match_attributes_(model_.MatchAttributes()),
      span_types_(model_),
      free_form_(FreeFormEnums(model_)),
      owned_namespaces_(OwnedNamespaces(model_)),
      coverage_(model_.span_types.size()) {}

namespace {

// SemconvRule::Classify for a span whose attributes are indexed already.
const SpanType* ClassifySpan(const SpanTypeTable& table, const Span& span,
                             const Attributes& attrs) {
  thread_local std::vector<const SpanType*> candidates;
  candidates.clear();
  for (const SpanTypeTable::ByMatchValue& m : table.by_match_value) {
    const AnyValue* v = attrs.Find(m.key);
    if (!v) continue;
    const std::vector<const SpanType*>& found = m.Of(*v);
    candidates.insert(candidates.end(), found.begin(), found.end());
  }
  if (candidates.empty()) return nullptr;
  const SpanType* chosen = candidates.front();
  for (const SpanType* t : candidates) {
    if (KindAllowed(*t, span.kind())) {
      chosen = t;
      break;
    }
  }
  for (const char* provider_key : {"gen_ai.provider.name", "gen_ai.system"}) {
    if (const AnyValue* p = attrs.Find(provider_key)) {
      if (const SpanType* r = table.RefinementOf(chosen, *p)) return r;
    }
  }
  return chosen;
}

}  // namespace

const SpanType* SemconvRule::Classify(const Span& span) const {
  return ClassifySpan(span_types_, span, Attributes(span));
}

namespace {

// An inference span: one model call (gen_ai.inference.client covers these three operations).
bool IsInference(const Span& span) {
  const std::string_view op = StringAttribute(span, "gen_ai.operation.name");
  return op == "chat" || op == "text_completion" || op == "generate_content";
}

// A finding about `span` of `trace`, its place filled in.
Finding SpanFinding(const char* id, FindingLevel level, const Span& span,
                    const TraceUnderCheck& trace) {
  Finding f;
  f.id = id;
  f.level = level;
  f.trace_id = span.trace_id().empty() ? trace.trace_id : HexEncode(span.trace_id());
  f.span_id = HexEncode(span.span_id());
  f.span_name = span.name();
  f.variant = trace.variant;
  return f;
}

// Spans read in one trace, by class (a handful of classes: a vector, no allocation per span).
class ClassCounts {
 public:
  void Add(std::string_view c, uint64_t n = 1) {
    for (auto& [name, count] : counts_)
      if (name == c) {
        count += n;
        return;
      }
    counts_.emplace_back(c, n);
  }
  uint64_t Of(std::string_view c) const {
    for (const auto& [name, count] : counts_)
      if (name == c) return count;
    return 0;
  }
  const std::vector<std::pair<std::string_view, uint64_t>>& all() const { return counts_; }

 private:
  std::vector<std::pair<std::string_view, uint64_t>> counts_;
};

// One model call is one inference span. An inference span whose parent is an inference span of
// the same model is the same call recorded twice, by two instrumentations (the provider SDK's own
// tracing and an instrumentation library, say): every token is counted twice by whatever sums
// gen_ai.usage.*. Reported on the inner span, naming both spans and their scopes. An
// instrumentation that does not make its span the current one leaves the other's span beside
// it instead: two inference spans of the same model under one parent, from two instrumentation
// scopes, overlapping in time, are the same call too (reported on the later one).
void ReportDuplicateInstrumentation(
    const std::vector<std::pair<const Span*, const std::string*>>& inference,
    const TraceUnderCheck& trace, FindingSet* findings) {
  auto same_model = [](const Span& x, const Span& y) {
    const std::string_view a = StringAttribute(x, "gen_ai.request.model");
    const std::string_view b = StringAttribute(y, "gen_ai.request.model");
    return a.empty() || b.empty() || a == b;  // else a router calling another model
  };
  auto scope_name = [](const std::string* scope) {
    return scope->empty() ? std::string("unnamed") : *scope;
  };
  for (size_t i = 0; i < inference.size(); ++i) {
    const auto& [later, later_scope] = inference[i];
    for (size_t j = 0; j < inference.size(); ++j) {
      const auto& [earlier, earlier_scope] = inference[j];
      if (i == j || later->parent_span_id() != earlier->parent_span_id() ||
          *later_scope == *earlier_scope || !same_model(*later, *earlier))
        continue;
      // The later-starting one (the first listed, when both start together) is the duplicate.
      const bool later_starts_later =
          later->start_time_unix_nano() > earlier->start_time_unix_nano() ||
          (later->start_time_unix_nano() == earlier->start_time_unix_nano() && i > j);
      const bool overlap = later->start_time_unix_nano() < earlier->end_time_unix_nano() &&
                           earlier->start_time_unix_nano() < later->end_time_unix_nano();
      if (!later_starts_later || !overlap) continue;
      Finding f =
          SpanFinding("semconv.duplicate_instrumentation", FindingLevel::kViolation, *later, trace);
      f.message = absl::StrCat(
          "inference span \"", later->name(), "\" (scope ", scope_name(later_scope),
          ") runs beside inference span \"", earlier->name(), "\" (scope ",
          scope_name(earlier_scope),
          ") of the same model under the same parent, at the same time: one call recorded by "
          "two instrumentations, its tokens counted twice");
      f.expected = "one inference span per model call";
      f.actual = absl::StrCat(earlier->name(), " + ", later->name());
      findings->Add(std::move(f));
      break;
    }
  }
  for (const auto& [inner, inner_scope] : inference) {
    if (inner->parent_span_id().empty()) continue;
    for (const auto& [outer, outer_scope] : inference) {
      if (outer->span_id() != inner->parent_span_id()) continue;
      if (!same_model(*inner, *outer)) break;
      Finding f =
          SpanFinding("semconv.duplicate_instrumentation", FindingLevel::kViolation, *inner, trace);
      f.message = absl::StrCat(
          "inference span \"", inner->name(), "\" (scope ", scope_name(inner_scope),
          ") is nested in inference span \"", outer->name(), "\" (scope ", scope_name(outer_scope),
          ") of the same model: one call recorded by two instrumentations, its tokens counted "
          "twice");
      f.expected = "one inference span per model call";
      f.actual = absl::StrCat(outer->name(), " > ", inner->name());
      findings->Add(std::move(f));  // both spans were evaluated already: no evaluation added
      break;
    }
  }
}

}  // namespace

void SemconvRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  SpansById own_index;
  const SpansById& sent = SentSpansOf(trace, &own_index);
  ClassCounts classes;
  std::vector<const Span*> provider_calls;
  std::vector<std::pair<const Span*, const std::string*>> inference;  // with its scope's name
  for (const auto& rs : trace.received->resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        const auto it = sent.find(span.span_id());
        const std::string_view c =
            CheckSpan(span, trace, findings, it == sent.end() ? nullptr : it->second);
        if (c == kProviderCallClass) provider_calls.push_back(&span);
        if (c == kGenAiClass && IsInference(span))
          inference.emplace_back(&span, &ss.scope().name());
        if (c != kProviderCallClass) classes.Add(c);
      }
    }
  }
  ReportDuplicateInstrumentation(inference, trace, findings);
  // An HTTP call to a provider's API in a trace with no GenAI span: the call was not recorded
  // under the conventions at all (with one, this span is only its transport).
  if (!provider_calls.empty() && classes.Of(kGenAiClass) == 0) {
    for (const Span* span : provider_calls) {
      const std::optional<OtherConvention> c = RecognizeOtherConvention(*span);
      Finding f = SpanFinding("semconv.other_convention", FindingLevel::kViolation, *span, trace);
      f.message = absl::StrCat(c->seen,
                               " and no GenAI span in its trace: the LLM call is not "
                               "recorded under the GenAI conventions");
      f.expected = c->expected;
      f.actual = c->seen;
      findings->Add(std::move(f));
      findings->RecordEvaluation("semconv", false);
    }
    classes.Add(kProviderCallClass, provider_calls.size());
  } else if (!provider_calls.empty()) {
    classes.Add(kOtherClass, provider_calls.size());  // the transport of a GenAI span's call
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [c, n] : classes.all()) classes_[std::string(c)] += n;
}

std::string_view SemconvRule::CheckSpan(const Span& span, const TraceUnderCheck& trace,
                                        FindingSet* findings, const Span* sent) {
  Attributes attrs(span);
  bool evaluated = false;
  bool violated = false;
  auto report = [&](const char* id, FindingLevel level, std::string attribute, std::string message,
                    std::string expected, std::string actual) {
    Finding f = SpanFinding(id, level, span, trace);
    f.attribute = std::move(attribute);
    f.message = std::move(message);
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    if (level == FindingLevel::kViolation) violated = true;
    findings->Add(std::move(f));
  };

  // Every attribute the model knows: deprecation, type, enum value. Keys it does not know in a
  // namespace it owns are collected, and reported once the span is known not to follow
  // another convention (OpenLLMetry's gen_ai.prompt.0.content is that convention's finding).
  std::vector<std::string_view> unknown;
  // The ordinal of each of the span's attributes' definitions, for the requirements below.
  thread_local std::vector<uint32_t> span_defs;
  span_defs.clear();
  for (const auto& [key, value] : attrs.entries()) {
    uint32_t ordinal = 0;
    const AttributeDef* def = attributes_.Find(key, &ordinal);
    if (def) span_defs.push_back(ordinal);
    if (!def) {
      for (const std::string& ns : owned_namespaces_) {
        if (key.size() > ns.size() && key.compare(0, ns.size(), ns) == 0) {
          unknown.push_back(key);
          break;
        }
      }
      continue;
    }
    evaluated = true;
    // The key as a string only for a finding (most keys are longer than a short string).
    const auto k = [name = key] { return std::string(name); };
    if (def->deprecated) {
      const semconv::Deprecation& d = *def->deprecated;
      report("semconv.deprecated_attribute", FindingLevel::kViolation, k(),
             d.replacement.empty()
                 ? absl::StrCat(k(), " is deprecated and has no replacement",
                                d.note.empty() ? "" : absl::StrCat(" (", d.note, ")"))
                 : absl::StrCat(k(), " is deprecated; use ", d.replacement),
             d.replacement.empty() ? "(attribute removed)" : d.replacement, k());
    }
    if (def->type == semconv::ValueType::kDouble && value->value_case() == AnyValue::kIntValue) {
      // The OpenTelemetry JavaScript SDK sends a whole-number double (temperature 0, top_p 1)
      // as intValue, and a Python instrumentation records the app's `temperature=0` uncast:
      // the value is right, its type a backend may index apart.
      report("semconv.double_sent_as_int", FindingLevel::kImprovement, k(),
             absl::StrCat(k(), " is a double, sent as the integer ", value->int_value(),
                          " (the OpenTelemetry JavaScript SDK sends whole-number doubles so, and "
                          "an instrumentation that records the app's integer argument uncast "
                          "does too); a backend that keys on the type may index it apart from "
                          "other values"),
             "double", Describe(*value));
      continue;
    }
    if (!HasType(*value, def->type)) {
      report("semconv.attribute_type_mismatch", FindingLevel::kViolation, k(),
             absl::StrCat(k(), " must be ", semconv::ValueTypeName(def->type), ", got ",
                          ActualTypeName(*value)),
             semconv::ValueTypeName(def->type), Describe(*value));
      continue;
    }
    if (def->content_schema) {
      if (std::optional<semconv::ContentProblem> problem = def->content_schema->Check(*value)) {
        // A tool call's arguments and result are "expected to be an object", which an
        // instrumentation SHOULD deserialize to where it can: a tool that returns plain text
        // falls short of that, not of a MUST.
        const bool should = key == "gen_ai.tool.call.arguments" || key == "gen_ai.tool.call.result";
        report("semconv.content_schema",
               should ? FindingLevel::kImprovement : FindingLevel::kViolation, k(),
               absl::StrCat(k(),
                            should ? " is expected to be an object (an instrumentation SHOULD "
                                     "deserialize a serialized one) and"
                                   : "",
                            " does not follow the conventions' JSON schema for it",
                            problem->where.empty() ? "" : absl::StrCat(" at ", problem->where),
                            ": ", problem->what),
               "a value the attribute's JSON schema accepts",
               problem->where.empty() ? Describe(*value)
                                      : absl::StrCat(problem->where, ": ", problem->what));
      }
    }
    // An open enum whose only member is the `_OTHER` fallback (error.type) documents free-form
    // values: an exception's class name, a provider's error code. Any value is what it asks for.
    const bool free_form = free_form_.contains(def);
    if (!def->members.empty() && !free_form &&
        (value->value_case() == AnyValue::kStringValue ||
         value->value_case() == AnyValue::kIntValue)) {
      // A string value is looked up in place; only an integer is written out.
      const semconv::EnumMember* m = def->FindMember(value->value_case() == AnyValue::kStringValue
                                                         ? std::string_view(value->string_value())
                                                         : std::string_view(ScalarText(*value)));
      const std::string text = m != nullptr && !m->deprecated ? "" : ScalarText(*value);
      if (!m) {
        std::vector<std::string> known;
        for (const auto& em : def->members) {
          if (!em.deprecated) known.push_back(em.value);
        }
        report("semconv.unknown_enum_value",
               def->closed_enum ? FindingLevel::kViolation : FindingLevel::kInformation, k(),
               absl::StrCat(k(), " = \"", text, "\" is not one of its ",
                            def->closed_enum ? "allowed" : "well-known", " values"),
               absl::StrJoin(known, "|"), text);
      } else if (m->deprecated) {
        const std::string& repl = m->deprecated->replacement;
        report("semconv.deprecated_attribute", FindingLevel::kViolation, k(),
               repl.empty()
                   ? absl::StrCat(k(), " value \"", text, "\" is deprecated")
                   : absl::StrCat(k(), " value \"", text, "\" is deprecated; use \"", repl, "\""),
               repl, text);
      }
    }
  }

  auto ReportUnknownKeys = [this](const std::vector<std::string_view>& keys, auto& report) {
    for (std::string_view key : keys) {
      if (const NewerKey* newer = FindNewerKey(key)) {
        report("semconv.unknown_attribute", FindingLevel::kInformation, std::string(key),
               absl::StrCat(std::string(key),
                            " is not defined by the conventions checked against, but by later "
                            "ones (",
                            std::string(newer->change), "): the instrumentation is ahead of them"),
               "a key the conventions define", std::string(key));
        continue;
      }
      report("semconv.unknown_attribute", FindingLevel::kViolation, std::string(key),
             absl::StrCat(std::string(key), " is in a namespace the conventions own (",
                          std::string(key.substr(0, key.find('.') + 1)),
                          "*) that the conventions checked against do not define: a misspelt "
                          "key, an invented one, or one added upstream after them (then check "
                          "with a newer --semconv-registry)"),
             "a key the conventions define", std::string(key));
    }
    if (keys.empty()) return;
    absl::MutexLock lock(&mu_);
    for (std::string_view key : keys) {
      auto it = unknown_keys_.find(std::string(key));
      if (it == unknown_keys_.end() && unknown_keys_.size() >= kMaxUnknownKeys)
        it = unknown_keys_.try_emplace("(other keys)", 0).first;
      else if (it == unknown_keys_.end())
        it = unknown_keys_.try_emplace(std::string(key), 0).first;
      ++it->second;
    }
  };

  const SpanType* type = ClassifySpan(span_types_, span, attrs);
  if (!type) {
    // An LLM-like span under another convention: named, with what GenAI expects instead.
    if (std::optional<OtherConvention> other = RecognizeOtherConvention(span)) {
      if (other->convention != kProviderCallClass && other->reported) {
        const std::string convention(other->convention);
        report("semconv.other_convention", FindingLevel::kViolation, "",
               absl::StrCat("span follows ", convention, " (", other->seen,
                            "), not the GenAI conventions"),
               other->expected, absl::StrCat(convention, ": ", other->seen));
        findings->RecordEvaluation("semconv", false);
      } else if (evaluated) {
        findings->RecordEvaluation("semconv", !violated);
      }
      return other->convention;
    }
    ReportUnknownKeys(unknown, report);
    if (!unknown.empty()) evaluated = true;
    // A span in a recognisable namespace without the attribute that says what it is.
    for (const std::string& key : match_attributes_) {
      std::string ns = key.substr(0, key.find('.') + 1);
      if (attrs.Find(key) || !attrs.HasPrefix(ns)) continue;
      evaluated = true;
      report("semconv.required_attribute_missing", FindingLevel::kViolation, key,
             absl::StrCat("span has ", ns, "* attributes but no ", key,
                          ", so its span type cannot be recognised"),
             key, "");
      break;
    }
    if (evaluated) findings->RecordEvaluation("semconv", !violated);
    return kOtherClass;
  }
  evaluated = true;
  ReportUnknownKeys(unknown, report);

  // Kind.
  if (!KindAllowed(*type, span.kind())) {
    report("semconv.span_kind_mismatch", FindingLevel::kViolation, "",
           absl::StrCat(type->id, " spans must have kind ", KindList(*type), ", got ",
                        KindName(span.kind())),
           KindList(*type), KindName(span.kind()));
  }

  // Required, conditionally required, recommended. Coverage states per attribute: -1 its
  // condition does not apply to this span (not counted), 0 absent, 1 present.
  // Reused per thread: no allocation per span on the checker's path.
  thread_local std::vector<int8_t> required_present, recommended_present, conditional_present,
      opt_in_present;
  for (auto* v : {&required_present, &recommended_present, &conditional_present, &opt_in_present})
    v->clear();
  // A bit per definition of the model, set for the span's own (and cleared again below).
  thread_local std::vector<uint64_t> defined;
  defined.resize((attributes_.size() + 63) / 64);
  for (uint32_t o : span_defs) defined[o / 64] |= uint64_t{1} << (o % 64);
  const std::vector<RequirementDef>& req_defs =
      requirement_defs_[static_cast<size_t>(type - model_.span_types.data())];
  for (size_t r = 0; r < type->attributes.size(); ++r) {
    const AttributeRequirement& req = type->attributes[r];
    const AttributeDef* def = req_defs[r].def;
    const uint32_t o = req_defs[r].ordinal;
    // A key the model defines, not a template, is on the span exactly when one of its
    // attributes has that definition (AttributeIndex maps only that key to it).
    const bool present = def != nullptr && !def->is_template
                             ? ((defined[o / 64] >> (o % 64)) & 1) != 0
                             : attrs.Has(req.key, def != nullptr && def->is_template);
    const std::optional<bool> holds = ConditionHolds(req.condition, span, attrs);
    switch (req.level) {
      case RequirementLevel::kRequired:
        required_present.push_back(present ? 1 : 0);
        if (!present) {
          report("semconv.required_attribute_missing", FindingLevel::kViolation, req.key,
                 absl::StrCat(type->id, " requires ", req.key), req.key, "");
        }
        break;
      case RequirementLevel::kConditionallyRequired: {
        const Condition& c = req.condition;
        // A condition only prose can decide ("if the request includes a seed") cannot be
        // acted on per span: it only counts towards the type's coverage figure.
        if (!holds.has_value()) {
          conditional_present.push_back(present ? 1 : 0);
          break;
        }
        if (present || !*holds) break;
        std::string when = c.text.empty() ? "" : absl::StrCat(" (", c.text, ")");
        report("semconv.conditionally_required_missing", FindingLevel::kViolation, req.key,
               absl::StrCat(type->id, " requires ", req.key, " because ",
                            WhyConditionHolds(c, attrs), when),
               req.key, "");
        break;
      }
      case RequirementLevel::kRecommended:
        recommended_present.push_back(holds.value_or(true) ? (present ? 1 : 0) : -1);
        break;
      case RequirementLevel::kOptIn:
        opt_in_present.push_back(present ? 1 : 0);
        break;
    }
  }
  for (uint32_t o : span_defs) defined[o / 64] = 0;

  // A streamed response's first chunk on a request recorded as not streamed.
  if (const AnyValue* stream = attrs.Find("gen_ai.request.stream");
      stream != nullptr && stream->value_case() == AnyValue::kBoolValue && !stream->bool_value() &&
      attrs.Find("gen_ai.response.time_to_first_chunk") != nullptr) {
    report("semconv.contradictory_attributes", FindingLevel::kViolation, "gen_ai.request.stream",
           "gen_ai.request.stream is false, yet gen_ai.response.time_to_first_chunk is set: only "
           "a streamed response has a first chunk (the conventions record "
           "gen_ai.request.stream \"if and only if the request is streaming\")",
           "true", "false");
  }

  // error.type on a span whose status is not ERROR: the recording-errors conventions set both
  // when an operation fails and neither when it succeeds, and a backend that counts errors by
  // status (as dashboards and alert rules do) does not count this one.
  if (const AnyValue* error_type = attrs.Find("error.type");
      error_type != nullptr && span.status().code() != Status::STATUS_CODE_ERROR) {
    const std::string status = span.status().code() == Status::STATUS_CODE_OK ? "OK" : "UNSET";
    report("semconv.contradictory_attributes", FindingLevel::kViolation, "error.type",
           absl::StrCat("error.type = ", Describe(*error_type),
                        " says the operation ended in an error, yet the span status is ", status,
                        ": a failed operation's span has status ERROR, a successful one no "
                        "error.type (an error-rate view that counts by status misses it)"),
           "status ERROR with error.type, or neither",
           absl::StrCat("status ", status, " with error.type"));
  }

  // Token arithmetic: gen_ai.usage.input_tokens includes cached tokens (the Anthropic refinement
  // spells it out: input + cache_read + cache_creation), so it cannot be less than their sum.
  if (const AnyValue* in = attrs.Find("gen_ai.usage.input_tokens");
      in != nullptr && in->value_case() == AnyValue::kIntValue) {
    int64_t cached = 0;
    std::vector<std::string> parts;
    for (const char* key :
         {"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
          "gen_ai.usage.cache_write.input_tokens"}) {
      const AnyValue* v = attrs.Find(key);
      if (v == nullptr || v->value_case() != AnyValue::kIntValue || v->int_value() <= 0) continue;
      cached += v->int_value();
      parts.push_back(absl::StrCat(key, " ", v->int_value()));
    }
    if (cached > in->int_value()) {
      report("semconv.token_arithmetic", FindingLevel::kViolation, "gen_ai.usage.input_tokens",
             absl::StrCat("gen_ai.usage.input_tokens ", in->int_value(), " is less than ",
                          absl::StrJoin(parts, " + "),
                          ": input tokens include cached ones (as the Anthropic refinement "
                          "puts it, input + cache_read + cache_creation); the provider's own "
                          "input_tokens was recorded without them"),
             absl::StrCat(">= ", cached), absl::StrCat(in->int_value()));
    }
  }

  // Name, expected from the attributes as sent when known (a value truncated on the way must not
  // become the reference the name is held to).
  if (!type->name_patterns.empty()) {
    std::optional<Attributes> sent_attrs;
    if (sent != nullptr) sent_attrs.emplace(*sent);
    const Attributes& name_attrs = sent_attrs ? *sent_attrs : attrs;
    std::string first_expected;
    bool matched = false, applicable = false;
    // Reused per thread: a span's name is checked without allocating.
    thread_local std::string glob, shown, value_text;
    for (const std::string& pattern_text : type->name_patterns) {
      const std::string_view pattern = pattern_text;
      glob.clear();
      shown.clear();
      bool usable = true, determined = true;
      for (size_t i = 0; i < pattern.size();) {
        size_t open = pattern.find('{', i);
        size_t close = open == std::string::npos ? open : pattern.find('}', open);
        if (close == std::string::npos) {
          glob += pattern.substr(i);
          shown += pattern.substr(i);
          break;
        }
        glob += pattern.substr(i, open - i);
        shown += pattern.substr(i, open - i);
        const std::string_view key = pattern.substr(open + 1, close - open - 1);
        if (key.find('.') != std::string::npos || attributes_.Find(key)) {
          const AnyValue* v = name_attrs.Find(key);
          if (!v) {
            usable = false;
            break;
          }
          if (v->value_case() == AnyValue::kStringValue) {
            glob += v->string_value();
            shown += v->string_value();
          } else {
            value_text = ScalarText(*v);
            glob += value_text;
            shown += value_text;
          }
        } else {
          glob += '*';  // {target}: any non-empty text
          shown += '{';
          shown += key;
          shown += '}';
          determined = false;
        }
        i = close + 1;
      }
      if (!usable) continue;
      applicable = true;
      if (first_expected.empty()) first_expected = shown;
      bool ok = WildcardMatch(glob, span.name());
      if (ok && !determined) {
        // A wildcard stands for non-empty text: reject a match that only works when empty.
        std::string literal = glob;
        literal.erase(std::remove(literal.begin(), literal.end(), '*'), literal.end());
        ok = span.name() != literal;
      }
      if (ok) {
        matched = true;
        break;
      }
      if (determined) break;  // a fully determined preferred format was not met
    }
    if (applicable && !matched) {
      report("semconv.span_name_format", FindingLevel::kViolation, "",
             absl::StrCat(type->id, " span name should be \"", first_expected, "\""),
             first_expected, span.name());
    }
  }

  findings->RecordEvaluation("semconv", !violated);

  absl::MutexLock lock(&mu_);
  Coverage& cov = coverage_[span_types_.SlotOf(type)];
  if (cov.spans == 0 && cov.recommended.keys.empty()) {
    for (const AttributeRequirement& req : type->attributes) {
      if (req.level == RequirementLevel::kRequired) cov.required.keys.push_back(req.key);
      if (req.level == RequirementLevel::kOptIn) cov.opt_in.keys.push_back(req.key);
      if (req.level == RequirementLevel::kRecommended) cov.recommended.keys.push_back(req.key);
      if (req.level == RequirementLevel::kConditionallyRequired &&
          req.condition.kind == Condition::Kind::kText) {
        cov.conditional.keys.push_back(req.key);
      }
    }
    cov.required.Resize();
    cov.recommended.Resize();
    cov.conditional.Resize();
    cov.opt_in.Resize();
  }
  ++cov.spans;
  cov.required.Count(required_present);
  cov.recommended.Count(recommended_present);
  cov.conditional.Count(conditional_present);
  cov.opt_in.Count(opt_in_present);
  return kGenAiClass;
}

namespace {

// One information finding (and statistic) for the coverage of one list of attributes of one
// span type: "<type>: 25.0% of 12 <what> attributes present over 200 spans; least present: ...".
// An attribute counts only on the spans its condition applied to. A null `id`: the statistic
// only.
void ReportCoverage(const std::string& type, const SemconvRule::KeyCoverage& c, uint64_t spans,
                    const char* what, const char* id, const char* statistic, FindingSet* findings) {
  const std::vector<std::string>& keys = c.keys;
  if (keys.empty() || spans == 0) return;
  uint64_t present = 0, applicable = 0;
  std::vector<std::pair<double, std::string>> per_key;
  for (size_t i = 0; i < keys.size(); ++i) {
    present += c.present[i];
    applicable += c.applicable[i];
    if (c.applicable[i] > 0) per_key.emplace_back(100.0 * c.present[i] / c.applicable[i], keys[i]);
  }
  if (applicable == 0) return;
  double pct = 100.0 * present / static_cast<double>(applicable);
  findings->SetStatistic("semconv", absl::StrCat(statistic, ".", type), pct);
  if (id == nullptr) return;  // counted only
  std::stable_sort(per_key.begin(), per_key.end());
  std::vector<std::string> least;
  for (const auto& [p, key] : per_key) {
    if (p >= 100.0 || least.size() == 5) break;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", p);
    least.push_back(absl::StrCat(key, " ", buf));
  }
  char total[16];
  std::snprintf(total, sizeof total, "%.1f%%", pct);
  Finding f;
  f.id = id;
  f.level = FindingLevel::kInformation;
  f.message = absl::StrCat(
      type, ": ", total, " of ", keys.size(), " ", what, " attributes present over ", spans,
      " spans", least.empty() ? "" : absl::StrCat("; least present: ", absl::StrJoin(least, ", ")));
  f.expected = "100%";
  f.actual = total;
  findings->Add(std::move(f));
}

}  // namespace

void SemconvRule::Finish(FindingSet* findings) {
  absl::MutexLock lock(&mu_);
  // Every span read, by class; a finding when some follow another LLM convention.
  uint64_t total = 0, other_conventions = 0;
  std::vector<std::string> parts;
  for (const auto& [c, n] : classes_) {
    findings->SetStatistic("semconv", absl::StrCat("span_classes.", c), static_cast<double>(n));
    total += n;
    if (c != kGenAiClass && c != kOtherClass) other_conventions += n;
  }
  for (const auto& [c, n] : classes_)
    if (c != kOtherClass) parts.push_back(absl::StrCat(n, " ", c));
  if (auto it = classes_.find(std::string(kOtherClass)); it != classes_.end())
    parts.push_back(absl::StrCat(it->second, " ", std::string(kOtherClass)));
  if (other_conventions > 0) {
    Finding f;
    f.id = "semconv.span_classes";
    f.level = FindingLevel::kInformation;
    f.message = absl::StrCat(total, " spans read: ", absl::StrJoin(parts, ", "));
    f.expected = std::string(kGenAiClass);
    f.actual = absl::StrJoin(parts, ", ");
    findings->Add(std::move(f));
  }
  for (const auto& [key, spans] : unknown_keys_) {
    findings->SetStatistic("semconv", absl::StrCat("unknown_attribute.", key),
                           static_cast<double>(spans));
  }
  // By span type id, in the order of their names.
  std::map<std::string_view, const Coverage*> by_id;
  for (size_t i = 0; i < coverage_.size(); ++i) {
    if (coverage_[i].spans > 0) by_id.emplace(model_.span_types[i].id, &coverage_[i]);
  }
  for (const auto& [id, c] : by_id) {
    const std::string type(id);
    const Coverage& cov = *c;
    findings->SetStatistic("semconv", absl::StrCat("spans.", type), cov.spans);
    ReportCoverage(type, cov.required, cov.spans, "required", nullptr, "required_coverage",
                   findings);
    ReportCoverage(type, cov.opt_in, cov.spans, "opt-in", nullptr, "opt_in_coverage", findings);
    ReportCoverage(type, cov.recommended, cov.spans, "recommended", "semconv.recommended_coverage",
                   "recommended_coverage", findings);
    ReportCoverage(
        type, cov.conditional, cov.spans, "conditionally required (condition not checkable)",
        "semconv.conditionally_required_coverage", "conditionally_required_coverage", findings);
  }
}

}  // namespace agentstorm
