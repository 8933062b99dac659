#include "checker/semconv/profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "checker/semconv/content_schema.h"
#include "core/yaml_fields.h"

namespace agentstorm::semconv {
namespace {

using Requirements = std::vector<AttributeRequirement>;

void Put(Requirements* reqs, AttributeRequirement r) {
  for (AttributeRequirement& e : *reqs) {
    if (e.key == r.key) {
      e = std::move(r);
      return;
    }
  }
  reqs->push_back(std::move(r));
}

// Reads one profile, reporting every problem through YamlFields and carrying on.
class ProfileParser {
 public:
  ProfileParser(const std::string& source, std::vector<YamlDiagnostic>* errors)
      : source_(source), f_(source, errors) {}

  SemconvModel Parse(const YAML::Node& root);

 private:
  static std::string Join(const std::string& path, const std::string& key) {
    return YamlFields::Join(path, key);
  }

  // The string at parent[key] into *out; reports it missing at `parent`.
  bool Required(const YAML::Node& parent, const char* key, const std::string& where,
                std::string* out) {
    if (!parent[key]) {
      f_.Error(parent, where, absl::StrCat("missing required field \"", key, "\""));
      return false;
    }
    return f_.String(parent[key], Join(where, key), out);
  }
  // The string at parent[key] into *out when present.
  void Optional(const YAML::Node& parent, const char* key, const std::string& where,
                std::string* out) {
    if (parent[key]) f_.String(parent[key], Join(where, key), out);
  }
  // A list of strings (or one string) at parent[key]; empty when absent.
  std::vector<std::string> List(const YAML::Node& parent, const char* key,
                                const std::string& where) {
    std::vector<std::string> out;
    if (parent[key]) f_.StringList(parent[key], Join(where, key), &out, "expected a list");
    return out;
  }

  Condition ParseCondition(const YAML::Node& n, const std::string& where);
  void AddRequirement(const YAML::Node& key, const YAML::Node& cond, const std::string& where,
                      RequirementLevel level, Requirements* out);
  void ParseLevels(const YAML::Node& n, const std::string& where, Requirements* out);
  std::optional<Deprecation> ParseDeprecation(const YAML::Node& parent, const std::string& where);
  AttributeDef ParseAttribute(const std::string& key, const YAML::Node& n,
                              const std::string& where);
  void ParseGroups(const YAML::Node& g);
  void ParseSpanType(const YAML::Node& n, std::string where, SemconvModel* model);
  void ResolveRefinement(const YAML::Node& n, const std::string& where, const SemconvModel& model,
                         SpanType* t, Requirements* reqs);
  void CheckRequirements(const YAML::Node& n, const std::string& where, const SemconvModel& model,
                         const Requirements& reqs);

  // The directory of the profile file (for paths in it), "." for a bare name.
  static std::string DirName(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
  }

  std::string source_;
  YamlFields f_;
  std::map<std::string, Requirements> groups_;
};

Condition ProfileParser::ParseCondition(const YAML::Node& n, const std::string& where) {
  if (!n || n.IsNull()) return Condition{};
  if (n.IsScalar()) return ConditionFromText(n.Scalar());
  Condition c;
  if (!f_.CheckMap(n, where, {"if", "when", "when_present"})) return c;
  Optional(n, "if", where, &c.text);
  if (n["when"]) {
    std::string when;
    if (f_.String(n["when"], Join(where, "when"), &when) && when != "error" && when != "streaming")
      f_.Error(n["when"], Join(where, "when"), "only 'error' and 'streaming' are understood");
    c.kind = when == "streaming" ? Condition::Kind::kStreaming : Condition::Kind::kOnError;
  } else if (n["when_present"]) {
    c.kind = Condition::Kind::kIfPresent;
    f_.String(n["when_present"], Join(where, "when_present"), &c.key);
  }
  if (c.text.empty()) c.text = c.kind == Condition::Kind::kOnError ? "on error" : "";
  return c;
}

void ProfileParser::AddRequirement(const YAML::Node& key, const YAML::Node& cond,
                                   const std::string& where, RequirementLevel level,
                                   Requirements* out) {
  AttributeRequirement r;
  if (!f_.String(key, where, &r.key)) return;
  r.level = level;
  r.condition = ParseCondition(cond, where);
  Put(out, std::move(r));
}

// required / conditionally_required / recommended / opt_in, as used in groups and span types.
// A list entry is a key, or a one-entry map {key: condition}.
void ProfileParser::ParseLevels(const YAML::Node& n, const std::string& where, Requirements* out) {
  static const std::pair<const char*, RequirementLevel> kLevels[] = {
      {"required", RequirementLevel::kRequired},
      {"conditionally_required", RequirementLevel::kConditionallyRequired},
      {"recommended", RequirementLevel::kRecommended},
      {"opt_in", RequirementLevel::kOptIn}};
  for (const auto& entry : kLevels) {
    const YAML::Node list = n[entry.first];
    if (!list) continue;
    const std::string w = Join(where, entry.first);
    if (list.IsMap()) {
      for (auto it = list.begin(); it != list.end(); ++it)
        AddRequirement(it->first, it->second, Join(w, it->first.Scalar()), entry.second, out);
    } else if (list.IsSequence()) {
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node e = list[i];
        const std::string ew = YamlFields::Index(w, i);
        if (e.IsScalar()) {
          AddRequirement(e, YAML::Node(), ew, entry.second, out);
        } else if (e.IsMap() && e.size() == 1) {
          AddRequirement(e.begin()->first, e.begin()->second, ew, entry.second, out);
        } else {
          f_.Error(e, ew, "expected a key or {key: condition}");
        }
      }
    } else {
      f_.Error(list, w, "expected a list or a map");
    }
  }
}

std::optional<Deprecation> ProfileParser::ParseDeprecation(const YAML::Node& parent,
                                                           const std::string& where) {
  const YAML::Node n = parent["deprecated"];
  if (!n) return std::nullopt;
  const std::string w = Join(where, "deprecated");
  Deprecation d;
  if (n.IsScalar()) {
    d.note = n.Scalar();
    return d;
  }
  if (!f_.CheckMap(n, w, {"replacement", "note", "reason"})) return d;
  Optional(n, "replacement", w, &d.replacement);
  Optional(n, "note", w, &d.note);
  d.reason = d.replacement.empty() ? "obsoleted" : "renamed";
  Optional(n, "reason", w, &d.reason);
  return d;
}

AttributeDef ProfileParser::ParseAttribute(const std::string& key, const YAML::Node& n,
                                           const std::string& where) {
  AttributeDef def;
  def.key = key;
  std::string type = "string";
  if (n.IsScalar()) {
    type = n.Scalar();
  } else if (f_.CheckMap(n, where,
                         {"type", "enum", "closed", "deprecated", "deprecated_values", "brief",
                          "stability", "json_schema"})) {
    Optional(n, "type", where, &type);
    std::string schema;
    Optional(n, "json_schema", where, &schema);
    if (!schema.empty()) {
      // Relative to the profile's directory.
      const std::string path =
          absl::StartsWith(schema, "/") ? schema : absl::StrCat(DirName(source_), "/", schema);
      absl::StatusOr<std::shared_ptr<const ContentSchema>> loaded = ContentSchema::Load(path);
      if (loaded.ok()) {
        def.content_schema = *std::move(loaded);
      } else {
        f_.Error(n["json_schema"], Join(where, "json_schema"),
                 absl::StrCat(loaded.status().message(),
                              absl::IsNotFound(loaded.status())
                                  ? " (a path relative to the profile's directory: a copy of a "
                                    "bundled profile needs its content/ folder beside it)"
                                  : ""));
      }
    }
    for (const std::string& v : List(n, "enum", where))
      def.members.push_back(EnumMember{v, v, std::nullopt});
    if (n["closed"]) f_.Bool(n["closed"], Join(where, "closed"), &def.closed_enum);
    def.deprecated = ParseDeprecation(n, where);
    Optional(n, "brief", where, &def.brief);
    Optional(n, "stability", where, &def.stability);
    // deprecated_values: {old value: replacement value or ~}
    if (const YAML::Node dv = n["deprecated_values"];
        dv &&
        f_.IsMap(dv, Join(where, "deprecated_values"), "expected a map {old value: new value}")) {
      for (auto it = dv.begin(); it != dv.end(); ++it) {
        EnumMember m;
        m.id = m.value = it->first.Scalar();
        Deprecation d;
        d.reason = it->second.IsNull() ? "obsoleted" : "renamed";
        if (!it->second.IsNull())
          f_.String(it->second, Join(Join(where, "deprecated_values"), m.id), &d.replacement);
        m.deprecated = d;
        def.members.push_back(std::move(m));
      }
    }
  }
  if (absl::StartsWith(type, "template[") && absl::EndsWith(type, "]")) {
    def.is_template = true;
    type = type.substr(9, type.size() - 10);
  }
  std::optional<ValueType> vt = ParseValueType(type);
  if (vt) {
    def.type = *vt;
  } else {
    const YAML::Node at = n.IsMap() && n["type"] ? n["type"] : n;
    f_.Error(at, n.IsMap() ? Join(where, "type") : where,
             absl::StrCat("unknown type '", type, "'"));
  }
  return def;
}

void ProfileParser::ParseGroups(const YAML::Node& g) {
  if (!f_.IsMap(g, "groups", "expected a map")) return;
  for (auto it = g.begin(); it != g.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string where = Join("groups", name);
    if (f_.CheckMap(it->second, where,
                    {"required", "conditionally_required", "recommended", "opt_in"}))
      ParseLevels(it->second, where, &groups_[name]);
  }
}

SemconvModel ProfileParser::Parse(const YAML::Node& root) {
  SemconvModel model;
  model.source = f_.file();
  if (!f_.CheckMap(root, "",
                   {"profile", "description", "based_on", "attributes", "groups", "span_types"}))
    return model;
  const YAML::Node attrs = root["attributes"];
  if (!attrs) {
    f_.Error(root, "attributes", "'attributes' (a map) is required");
  } else if (f_.IsMap(attrs, "attributes", "expected a map of attribute: definition")) {
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
      const std::string key = it->first.Scalar();
      model.attributes[key] = ParseAttribute(key, it->second, Join("attributes", key));
    }
  }
  if (const YAML::Node g = root["groups"]) ParseGroups(g);
  const YAML::Node types = root["span_types"];
  if (!types || !types.IsSequence() || types.size() == 0) {
    f_.Error(types ? types : root, "span_types", "'span_types' (a non-empty list) is required");
    return model;
  }
  for (size_t i = 0; i < types.size(); ++i)
    ParseSpanType(types[i], YamlFields::Index("span_types", i), &model);
  return model;
}

void ProfileParser::ParseSpanType(const YAML::Node& n, std::string where, SemconvModel* model) {
  if (!f_.CheckMap(n, where,
                   {"id", "operations", "match", "refines", "provider", "kind", "name", "include",
                    "required", "conditionally_required", "recommended", "opt_in", "deprecated"}))
    return;
  SpanType t;
  if (Required(n, "id", where, &t.id)) where = absl::StrCat("span_types[", t.id, "]");
  if (n["operations"]) {
    t.match_attribute = "gen_ai.operation.name";
    t.match_values = List(n, "operations", where);
  }
  if (const YAML::Node m = n["match"]) {
    const std::string mw = Join(where, "match");
    if (f_.CheckMap(m, mw, {"attribute", "values"})) {
      Required(m, "attribute", mw, &t.match_attribute);
      t.match_values = List(m, "values", mw);
    }
  }
  for (const std::string& k : List(n, "kind", where)) {
    std::optional<SpanKind> kind = ParseSpanKind(k);
    if (kind)
      t.kinds.push_back(*kind);
    else
      f_.Error(n["kind"], Join(where, "kind"), absl::StrCat("unknown span kind '", k, "'"));
  }
  t.name_patterns = List(n, "name", where);
  t.deprecated = ParseDeprecation(n, where);
  Requirements reqs;
  if (n["refines"]) {
    ResolveRefinement(n, where, *model, &t, &reqs);
  } else if (t.match_attribute.empty()) {
    f_.Error(n, where, "needs 'operations' or 'match' to be recognisable");
  }
  for (const std::string& g : List(n, "include", where)) {
    auto it = groups_.find(g);
    if (it == groups_.end()) {
      f_.Error(n["include"], Join(where, "include"), absl::StrCat("unknown group '", g, "'"));
      continue;
    }
    for (const AttributeRequirement& r : it->second) Put(&reqs, r);
  }
  ParseLevels(n, where, &reqs);
  CheckRequirements(n, where, *model, reqs);
  t.attributes = std::move(reqs);
  if (t.id.empty()) return;
  if (model->FindSpanType(t.id)) {
    f_.Error(n["id"], where, "defined twice");
    return;
  }
  model->span_types.push_back(std::move(t));
}

// A refinement starts from its base type's requirements and recognition.
void ProfileParser::ResolveRefinement(const YAML::Node& n, const std::string& where,
                                      const SemconvModel& model, SpanType* t, Requirements* reqs) {
  Optional(n, "provider", where, &t->provider);
  if (t->provider.empty()) f_.Error(n, where, "a refinement needs a provider");
  if (!f_.String(n["refines"], Join(where, "refines"), &t->refines)) return;
  const SpanType* base = model.FindSpanType(t->refines);
  if (!base) {
    f_.Error(n["refines"], Join(where, "refines"),
             absl::StrCat("unknown (or later) span type '", t->refines, "'"));
    return;
  }
  *reqs = base->attributes;
  if (t->match_attribute.empty()) {
    t->match_attribute = base->match_attribute;
    t->match_values = base->match_values;
  }
  if (t->kinds.empty()) t->kinds = base->kinds;
  if (t->name_patterns.empty()) t->name_patterns = base->name_patterns;
}

// Every attribute a span type uses, directly or in a condition, must be defined.
void ProfileParser::CheckRequirements(const YAML::Node& n, const std::string& where,
                                      const SemconvModel& model, const Requirements& reqs) {
  for (const AttributeRequirement& r : reqs) {
    if (!model.attributes.count(r.key))
      f_.Error(n, where, absl::StrCat("attribute '", r.key, "' is not defined under 'attributes'"));
    if (r.condition.kind == Condition::Kind::kIfPresent && !model.attributes.count(r.condition.key))
      f_.Error(n, where,
               absl::StrCat("condition names undefined attribute '", r.condition.key, "'"));
  }
}

}  // namespace

std::optional<SemconvModel> ParseSemconvProfile(std::string_view yaml_text,
                                                const std::string& source,
                                                std::vector<YamlDiagnostic>* errors) {
  const size_t before = errors->size();
  YAML::Node root;
  if (!ParseYamlText(yaml_text, source, &root, errors)) return std::nullopt;
  ProfileParser parser(source, errors);
  SemconvModel model;
  try {
    model = parser.Parse(root);
  } catch (const YAML::Exception& e) {
    errors->push_back(YamlExceptionDiagnostic(source, e, /*syntax=*/false));
  }
  if (errors->size() != before) return std::nullopt;
  return model;
}

absl::StatusOr<SemconvModel> ParseSemconvProfile(std::string_view yaml_text,
                                                 const std::string& source) {
  std::vector<YamlDiagnostic> errors;
  std::optional<SemconvModel> model = ParseSemconvProfile(yaml_text, source, &errors);
  if (!model) return DiagnosticsToStatus(errors);
  return *std::move(model);
}

absl::StatusOr<SemconvModel> LoadSemconvProfile(const std::string& path) {
  std::string text;
  if (!ReadTextFile(path, &text))
    return absl::NotFoundError(absl::StrCat("cannot read semconv profile ", path));
  return ParseSemconvProfile(text, path);
}

absl::StatusOr<SemconvModel> LoadBundledSemconvProfile(const std::string& source_dir,
                                                       const std::string& name) {
  return LoadSemconvProfile(absl::StrCat(source_dir, "/scenarios/semconv/", name, ".yaml"));
}

}  // namespace agentstorm::semconv
