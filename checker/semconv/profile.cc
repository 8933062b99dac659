#include "checker/semconv/profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace agentstorm::semconv {
namespace {

// Thrown inside the parser, turned into InvalidArgument at the boundary.
struct ProfileError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw ProfileError{absl::StrCat(where, ": ", what)};
}

std::string Str(const YAML::Node& n, const std::string& where) {
  if (!n || !n.IsScalar()) Fail(where, "expected a string");
  return n.as<std::string>();
}

void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
               const std::string& where) {
  if (!map.IsMap()) Fail(where, "expected a map");
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) Fail(where, absl::StrCat("unknown key '", key, "'"));
  }
}

std::vector<std::string> StrList(const YAML::Node& n, const std::string& where) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) return {n.as<std::string>()};
  if (!n.IsSequence()) Fail(where, "expected a list");
  for (size_t i = 0; i < n.size(); ++i) out.push_back(Str(n[i], absl::StrCat(where, "[", i, "]")));
  return out;
}

Condition ParseCondition(const YAML::Node& n, const std::string& where) {
  if (!n || n.IsNull()) return Condition{};
  if (n.IsScalar()) return ConditionFromText(n.as<std::string>());
  CheckKeys(n, {"if", "when", "when_present"}, where);
  Condition c;
  c.text = n["if"] ? Str(n["if"], where + ".if") : "";
  if (n["when"]) {
    std::string when = Str(n["when"], where + ".when");
    if (when != "error") Fail(where + ".when", "only 'error' is understood");
    c.kind = Condition::Kind::kOnError;
  } else if (n["when_present"]) {
    c.kind = Condition::Kind::kIfPresent;
    c.key = Str(n["when_present"], where + ".when_present");
  }
  if (c.text.empty()) c.text = c.kind == Condition::Kind::kOnError ? "on error" : "";
  return c;
}

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

// required / conditionally_required / recommended / opt_in, as used in groups and span types.
// A list entry is a key, or a one-entry map {key: condition}.
void ParseLevels(const YAML::Node& n, const std::string& where, Requirements* out) {
  static const std::pair<const char*, RequirementLevel> kLevels[] = {
      {"required", RequirementLevel::kRequired},
      {"conditionally_required", RequirementLevel::kConditionallyRequired},
      {"recommended", RequirementLevel::kRecommended},
      {"opt_in", RequirementLevel::kOptIn}};
  for (const auto& [name, level] : kLevels) {
    const YAML::Node list = n[name];
    if (!list) continue;
    std::string w = absl::StrCat(where, ".", name);
    const RequirementLevel list_level = level;  // clang 14 cannot capture a structured binding
    auto add = [&](const std::string& key, const YAML::Node& cond, const std::string& cw) {
      AttributeRequirement r;
      r.key = key;
      r.level = list_level;
      r.condition = ParseCondition(cond, cw);
      Put(out, std::move(r));
    };
    if (list.IsMap()) {
      for (const auto& kv : list) {
        std::string key = kv.first.as<std::string>();
        add(key, kv.second, absl::StrCat(w, ".", key));
      }
    } else if (list.IsSequence()) {
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node e = list[i];
        std::string ew = absl::StrCat(w, "[", i, "]");
        if (e.IsScalar()) {
          add(e.as<std::string>(), YAML::Node(), ew);
        } else if (e.IsMap() && e.size() == 1) {
          auto kv = *e.begin();
          add(kv.first.as<std::string>(), kv.second, ew);
        } else {
          Fail(ew, "expected a key or {key: condition}");
        }
      }
    } else {
      Fail(w, "expected a list or a map");
    }
  }
}

std::optional<Deprecation> ParseDeprecation(const YAML::Node& n, const std::string& where) {
  if (!n) return std::nullopt;
  Deprecation d;
  if (n.IsScalar()) {
    d.note = n.as<std::string>();
    return d;
  }
  CheckKeys(n, {"replacement", "note", "reason"}, where);
  if (n["replacement"]) d.replacement = Str(n["replacement"], where + ".replacement");
  if (n["note"]) d.note = Str(n["note"], where + ".note");
  d.reason = n["reason"] ? Str(n["reason"], where + ".reason")
                         : (d.replacement.empty() ? "obsoleted" : "renamed");
  return d;
}

AttributeDef ParseAttribute(const std::string& key, const YAML::Node& n, const std::string& where) {
  AttributeDef def;
  def.key = key;
  std::string type;
  if (n.IsScalar()) {
    type = n.as<std::string>();
  } else {
    CheckKeys(n,
              {"type", "enum", "closed", "deprecated", "deprecated_values", "brief", "stability"},
              where);
    type = n["type"] ? Str(n["type"], where + ".type") : "string";
    for (const std::string& v : StrList(n["enum"], where + ".enum")) {
      def.members.push_back(EnumMember{v, v, std::nullopt});
    }
    if (const YAML::Node dv = n["deprecated_values"]; dv && !dv.IsMap()) {
      Fail(where + ".deprecated_values", "expected a map {old value: new value}");
    }
    def.closed_enum = n["closed"] && n["closed"].as<bool>();
    def.deprecated = ParseDeprecation(n["deprecated"], where + ".deprecated");
    if (n["brief"]) def.brief = Str(n["brief"], where + ".brief");
    if (n["stability"]) def.stability = Str(n["stability"], where + ".stability");
  }
  if (absl::StartsWith(type, "template[") && absl::EndsWith(type, "]")) {
    def.is_template = true;
    type = type.substr(9, type.size() - 10);
  }
  std::optional<ValueType> vt = ParseValueType(type);
  if (!vt) Fail(where, absl::StrCat("unknown type '", type, "'"));
  def.type = *vt;
  return def;
}

SemconvModel Parse(const YAML::Node& root, const std::string& source) {
  SemconvModel model;
  model.source = source;
  CheckKeys(root, {"profile", "description", "based_on", "attributes", "groups", "span_types"},
            "top level");
  // Attributes.
  const YAML::Node attrs = root["attributes"];
  if (!attrs || !attrs.IsMap()) Fail("top level", "'attributes' (a map) is required");
  for (const auto& kv : attrs) {
    std::string key = kv.first.as<std::string>();
    std::string where = absl::StrCat("attributes.", key);
    AttributeDef def = ParseAttribute(key, kv.second, where);
    // deprecated_values: {old value: replacement value or ~}
    if (kv.second.IsMap()) {
      if (const YAML::Node dv = kv.second["deprecated_values"]) {
        for (const auto& v : dv) {
          EnumMember m;
          m.id = m.value = v.first.as<std::string>();
          Deprecation d;
          d.reason = v.second.IsNull() ? "obsoleted" : "renamed";
          if (!v.second.IsNull()) d.replacement = v.second.as<std::string>();
          m.deprecated = d;
          def.members.push_back(std::move(m));
        }
      }
    }
    model.attributes[key] = std::move(def);
  }
  // Groups.
  std::map<std::string, Requirements> groups;
  if (const YAML::Node g = root["groups"]) {
    if (!g.IsMap()) Fail("groups", "expected a map");
    for (const auto& kv : g) {
      std::string name = kv.first.as<std::string>();
      std::string where = absl::StrCat("groups.", name);
      CheckKeys(kv.second, {"required", "conditionally_required", "recommended", "opt_in"}, where);
      ParseLevels(kv.second, where, &groups[name]);
    }
  }
  // Span types.
  const YAML::Node types = root["span_types"];
  if (!types || !types.IsSequence() || types.size() == 0) {
    Fail("top level", "'span_types' (a non-empty list) is required");
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const YAML::Node n = types[i];
    std::string where = absl::StrCat("span_types[", i, "]");
    CheckKeys(n,
              {"id", "operations", "match", "refines", "provider", "kind", "name", "include",
               "required", "conditionally_required", "recommended", "opt_in", "deprecated"},
              where);
    SpanType t;
    t.id = Str(n["id"], where + ".id");
    where = absl::StrCat("span_types[", t.id, "]");
    if (n["operations"]) {
      t.match_attribute = "gen_ai.operation.name";
      t.match_values = StrList(n["operations"], where + ".operations");
    }
    if (const YAML::Node m = n["match"]) {
      CheckKeys(m, {"attribute", "values"}, where + ".match");
      t.match_attribute = Str(m["attribute"], where + ".match.attribute");
      t.match_values = StrList(m["values"], where + ".match.values");
    }
    for (const std::string& k : StrList(n["kind"], where + ".kind")) {
      std::optional<SpanKind> kind = ParseSpanKind(k);
      if (!kind) Fail(where + ".kind", absl::StrCat("unknown span kind '", k, "'"));
      t.kinds.push_back(*kind);
    }
    t.name_patterns = StrList(n["name"], where + ".name");
    t.deprecated = ParseDeprecation(n["deprecated"], where + ".deprecated");
    Requirements reqs;
    if (n["refines"]) {
      t.refines = Str(n["refines"], where + ".refines");
      t.provider = n["provider"] ? Str(n["provider"], where + ".provider") : "";
      const SpanType* base = model.FindSpanType(t.refines);
      if (!base)
        Fail(where + ".refines", absl::StrCat("unknown (or later) span type '", t.refines, "'"));
      if (t.provider.empty()) Fail(where, "a refinement needs a provider");
      reqs = base->attributes;
      if (t.match_attribute.empty()) {
        t.match_attribute = base->match_attribute;
        t.match_values = base->match_values;
      }
      if (t.kinds.empty()) t.kinds = base->kinds;
      if (t.name_patterns.empty()) t.name_patterns = base->name_patterns;
    } else if (t.match_attribute.empty()) {
      Fail(where, "needs 'operations' or 'match' to be recognisable");
    }
    for (const std::string& g : StrList(n["include"], where + ".include")) {
      auto it = groups.find(g);
      if (it == groups.end()) Fail(where + ".include", absl::StrCat("unknown group '", g, "'"));
      for (const AttributeRequirement& r : it->second) Put(&reqs, r);
    }
    ParseLevels(n, where, &reqs);
    for (const AttributeRequirement& r : reqs) {
      if (!model.attributes.count(r.key)) {
        Fail(where, absl::StrCat("attribute '", r.key, "' is not defined under 'attributes'"));
      }
      if (r.condition.kind == Condition::Kind::kIfPresent &&
          !model.attributes.count(r.condition.key)) {
        Fail(where, absl::StrCat("condition names undefined attribute '", r.condition.key, "'"));
      }
    }
    t.attributes = std::move(reqs);
    if (model.FindSpanType(t.id)) Fail(where, "defined twice");
    model.span_types.push_back(std::move(t));
  }
  return model;
}

}  // namespace

absl::StatusOr<SemconvModel> ParseSemconvProfile(std::string_view yaml_text,
                                                 const std::string& source) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(source, ": not a map"));
    return Parse(root, source);
  } catch (const ProfileError& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.message));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
}

absl::StatusOr<SemconvModel> LoadSemconvProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read semconv profile ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseSemconvProfile(buffer.str(), path);
}

absl::StatusOr<SemconvModel> LoadBundledSemconvProfile(const std::string& source_dir,
                                                       const std::string& name) {
  return LoadSemconvProfile(absl::StrCat(source_dir, "/scenarios/semconv/", name, ".yaml"));
}

}  // namespace agentstorm::semconv
