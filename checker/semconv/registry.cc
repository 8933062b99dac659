#include "checker/semconv/registry.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "checker/semconv/content_schema.h"

namespace agentstorm::semconv {
namespace {

namespace fs = std::filesystem;

std::string Str(const YAML::Node& n) {
  return n && n.IsScalar() ? n.as<std::string>() : std::string();
}

// A requirement as written in one place: only the fields that place sets.
struct PartialRequirement {
  std::string key;
  std::optional<RequirementLevel> level;
  std::optional<Condition> condition;
  std::optional<bool> sampling_relevant;
};

// An attribute list entry: a ref (or v1 inline definition) or a v2 ref_group.
struct Entry {
  std::string group;  // non-empty for ref_group
  PartialRequirement ref;
};

struct RawGroup {
  std::string id;    // group id as a ref_group/extends would name it ("span.gen_ai.x.client")
  std::string kind;  // attribute_group | span | event | metric | ...
  bool v2 = false;
  std::string extends;                      // v1
  std::vector<std::string> include_groups;  // v1
  std::string refines;                      // v2 refinement: group id of the base
  std::vector<Entry> entries;
  // Span facts.
  std::string type_id;  // "gen_ai.inference.client"
  std::string span_kind;
  std::string name_text;  // where the span name format is described
  std::string prose;      // brief + note
  std::optional<Deprecation> deprecated;
  std::string file;
};

using Resolved = std::vector<PartialRequirement>;

void MergeInto(Resolved* into, const PartialRequirement& r) {
  for (PartialRequirement& e : *into) {
    if (e.key != r.key) continue;
    if (r.level) e.level = r.level;
    if (r.condition) e.condition = r.condition;
    if (r.sampling_relevant) e.sampling_relevant = r.sampling_relevant;
    return;
  }
  into->push_back(r);
}

std::optional<std::string> ExtractReplacement(std::string_view text) {
  // "Replaced by `x`", "use `x` instead", "Use 'x' instead.", "Replaced by x" (x dotted).
  static const std::regex kQuoted(R"re((?:[Rr]eplaced by|[Uu]se)\s+[`'"]([A-Za-z0-9_.]+)[`'"])re");
  static const std::regex kBare(
      R"re((?:[Rr]eplaced by|[Uu]se)\s+([a-z0-9_]+[._][A-Za-z0-9_.]*[A-Za-z0-9_]))re");
  std::string s(text);
  std::smatch m;
  if (std::regex_search(s, m, kQuoted)) return m[1].str();
  if (std::regex_search(s, m, kBare)) return m[1].str();
  return std::nullopt;
}

std::optional<Deprecation> ParseDeprecated(const YAML::Node& n, std::string_view brief) {
  if (!n || n.IsNull()) return std::nullopt;
  Deprecation d;
  if (n.IsScalar()) {
    d.note = n.as<std::string>();
  } else if (n.IsMap()) {
    d.reason = Str(n["reason"]);
    d.replacement = Str(n["renamed_to"]);
    d.note = Str(n["note"]);
  }
  if (d.replacement.empty() && d.reason != "obsoleted") {
    if (auto r = ExtractReplacement(d.note)) {
      d.replacement = *r;
    } else if (auto b = ExtractReplacement(brief)) {
      d.replacement = *b;
    }
  }
  absl::StripAsciiWhitespace(&d.note);
  return d;
}

PartialRequirement ParseRef(const YAML::Node& a, const std::string& key) {
  PartialRequirement r;
  r.key = key;
  const YAML::Node rl = a["requirement_level"];
  if (rl && rl.IsScalar()) {
    std::string v = rl.as<std::string>();
    if (v == "required") r.level = RequirementLevel::kRequired;
    if (v == "recommended") r.level = RequirementLevel::kRecommended;
    if (v == "opt_in") r.level = RequirementLevel::kOptIn;
    if (v == "conditionally_required") r.level = RequirementLevel::kConditionallyRequired;
    r.condition = Condition{};
  } else if (rl && rl.IsMap()) {
    for (const auto& kv : rl) {
      std::string k = kv.first.as<std::string>();
      std::string text = Str(kv.second);
      absl::StripAsciiWhitespace(&text);
      if (k == "conditionally_required") r.level = RequirementLevel::kConditionallyRequired;
      if (k == "recommended") r.level = RequirementLevel::kRecommended;
      if (k == "opt_in") r.level = RequirementLevel::kOptIn;
      if (k == "required") r.level = RequirementLevel::kRequired;
      r.condition = ConditionFromText(text);
    }
  }
  if (a["sampling_relevant"]) r.sampling_relevant = a["sampling_relevant"].as<bool>();
  return r;
}

class Loader {
 public:
  // Files of the n-th registry directory follow (0 = the registry itself, then the ones it
  // depends on): what an earlier one defines, a later one cannot redefine.
  void StartDirectory(size_t index) { dir_ = index; }

  absl::Status LoadFile(const fs::path& path) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path.string());
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", e.what()));
    }
    if (!root.IsMap()) return absl::OkStatus();
    file_ = path.string();
    try {
      if (Str(root["file_format"]) == "definition/2") {
        LoadV2(root);
      } else if (root["groups"]) {
        LoadV1(root["groups"]);
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", e.what()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<SemconvModel> Build(std::string source) {
    model_.source = std::move(source);
    for (const std::string& id : group_order_) {
      const RawGroup& g = groups_.at(id);
      if (g.kind == "span") BuildSpanType(g);
      if (g.kind == "event") model_.event_names.push_back(g.type_id);
      if (g.kind == "metric") model_.metric_names.push_back(g.type_id);
    }
    if (model_.span_types.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no span definitions found in ", model_.source));
    }
    AssignOperations();
    for (const std::string& key : unresolved_) {
      model_.warnings.push_back(
          absl::StrCat("attribute '", key, "' is referenced but not defined in the loaded files"));
    }
    return std::move(model_);
  }

 private:
  // ---------------------------------------------------------------- attribute definitions
  void DefineAttribute(const YAML::Node& a, const std::string& key) {
    AttributeDef def;
    def.key = key;
    def.brief = Str(a["brief"]);
    absl::StripAsciiWhitespace(&def.brief);
    def.stability = Str(a["stability"]);
    def.deprecated = ParseDeprecated(a["deprecated"], def.brief);
    const YAML::Node t = a["type"];
    YAML::Node members;
    if (t && t.IsMap()) {
      members = t["members"];
    } else if (t && t.IsScalar()) {
      std::string name = t.as<std::string>();
      if (name == "enum") {
        members = a["members"];
      } else {
        std::string inner = name;
        if (absl::StartsWith(name, "template[") && absl::EndsWith(name, "]")) {
          def.is_template = true;
          inner = name.substr(9, name.size() - 10);
        }
        if (auto vt = ParseValueType(inner)) {
          def.type = *vt;
        } else {
          model_.warnings.push_back(
              absl::StrCat(file_, ": attribute '", key, "' has unknown type '", name, "'"));
        }
      }
    }
    if (members && members.IsSequence()) {
      bool all_int = members.size() > 0;
      for (const YAML::Node& m : members) {
        EnumMember em;
        em.id = Str(m["id"]);
        em.value = Str(m["value"]);
        em.deprecated = ParseDeprecated(m["deprecated"], Str(m["brief"]));
        if (em.value.empty() || em.value.find_first_not_of("-0123456789") != std::string::npos) {
          all_int = false;
        }
        def.members.push_back(std::move(em));
      }
      def.type = all_int ? ValueType::kInt : ValueType::kString;
    }
    if (const YAML::Node ann = a["annotations"]; ann && ann.IsMap()) {
      if (const YAML::Node type = ann["type"]; type && type.IsMap() && type["json_schema"])
        def.content_schema = LoadContentSchema(Str(type["json_schema"]), key);
    }
    if (auto it = attribute_dir_.find(key); it != attribute_dir_.end()) {
      // A registry given earlier wins over the ones it depends on (their copy of a moved
      // attribute is a stub); within one registry the last definition wins, with a warning.
      if (it->second < dir_) return;
      model_.warnings.push_back(absl::StrCat(file_, ": attribute '", key, "' defined again"));
    }
    attribute_dir_[key] = dir_;
    model_.attributes[key] = std::move(def);
  }

  // The schema file a definition names ("model/gen-ai/gen-ai-input-messages.json"): relative
  // to the repository root, which is the definition file's directory or one above it. Not
  // found or not usable: a warning, and the attribute's values go unchecked.
  std::shared_ptr<const ContentSchema> LoadContentSchema(const std::string& relative,
                                                         const std::string& key) {
    if (relative.empty()) return nullptr;
    std::error_code ec;
    for (fs::path base = fs::path(file_).parent_path(); !base.empty(); base = base.parent_path()) {
      const fs::path candidate = base / relative;
      if (fs::is_regular_file(candidate, ec)) {
        absl::StatusOr<std::shared_ptr<const ContentSchema>> schema =
            ContentSchema::Load(candidate.string());
        if (schema.ok()) return *std::move(schema);
        model_.warnings.push_back(
            absl::StrCat(file_, ": attribute '", key, "': ", schema.status().message()));
        return nullptr;
      }
      if (base == base.root_path()) break;
    }
    model_.warnings.push_back(absl::StrCat(file_, ": attribute '", key, "': JSON schema ", relative,
                                           " not found above the file"));
    return nullptr;
  }

  // Reads an attribute list; v1 inline definitions (`id:`) also define the attribute.
  std::vector<Entry> ReadEntries(const YAML::Node& list) {
    std::vector<Entry> out;
    if (!list || !list.IsSequence()) return out;
    for (const YAML::Node& a : list) {
      Entry e;
      if (a["ref_group"]) {
        e.group = Str(a["ref_group"]);
      } else if (a["ref"]) {
        e.ref = ParseRef(a, Str(a["ref"]));
        referenced_.insert(e.ref.key);
      } else if (a["id"]) {
        std::string key = Str(a["id"]);
        DefineAttribute(a, key);
        e.ref = ParseRef(a, key);
      } else {
        continue;
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  void AddGroup(RawGroup g) {
    g.file = file_;
    if (auto it = group_dir_.find(g.id); it != group_dir_.end() && it->second < dir_) return;
    if (!groups_.count(g.id)) group_order_.push_back(g.id);
    group_dir_[g.id] = dir_;
    groups_[g.id] = std::move(g);
  }

  // ---------------------------------------------------------------- v1
  void LoadV1(const YAML::Node& groups) {
    if (!groups.IsSequence()) return;
    for (const YAML::Node& n : groups) {
      RawGroup g;
      g.id = Str(n["id"]);
      g.kind = Str(n["type"]);
      if (g.kind.empty()) g.kind = n["span_kind"] ? "span" : "attribute_group";
      if (g.kind == "resource") g.kind = "entity";
      g.extends = Str(n["extends"]);
      if (const YAML::Node inc = n["include_groups"]; inc && inc.IsSequence()) {
        for (const YAML::Node& i : inc) g.include_groups.push_back(Str(i));
      }
      g.entries = ReadEntries(n["attributes"]);
      std::string brief = Str(n["brief"]);
      std::string note = Str(n["note"]);
      g.prose = absl::StrCat(brief, "\n\n", note);
      g.name_text = g.prose;
      g.span_kind = Str(n["span_kind"]);
      g.deprecated = ParseDeprecated(n["deprecated"], brief);
      g.type_id = std::string(absl::StripPrefix(g.id, "span."));
      if (g.kind == "event") g.type_id = n["name"] ? Str(n["name"]) : g.id;
      if (g.kind == "metric") g.type_id = Str(n["metric_name"]);
      AddGroup(std::move(g));
    }
  }

  // ---------------------------------------------------------------- v2
  void LoadV2(const YAML::Node& root) {
    if (const YAML::Node attrs = root["attributes"]; attrs && attrs.IsSequence()) {
      for (const YAML::Node& a : attrs) DefineAttribute(a, Str(a["key"]));
    }
    for (const YAML::Node& n : Seq(root["attribute_groups"])) {
      RawGroup g;
      g.v2 = true;
      g.id = Str(n["id"]);
      g.kind = "attribute_group";
      g.entries = ReadEntries(n["attributes"]);
      AddGroup(std::move(g));
    }
    for (const YAML::Node& n : Seq(root["spans"])) {
      RawGroup g = V2Signal(n, "span", Str(n["type"]));
      g.span_kind = Str(n["kind"]);
      g.name_text = n["name"] && n["name"].IsMap() ? Str(n["name"]["note"]) : Str(n["name"]);
      AddGroup(std::move(g));
    }
    for (const YAML::Node& n : Seq(root["span_refinements"])) {
      RawGroup g = V2Signal(n, "span", Str(n["id"]));
      g.refines = absl::StrCat("span.", Str(n["ref"]));
      if (n["kind"]) g.span_kind = Str(n["kind"]);
      if (n["name"]) {
        g.name_text = n["name"].IsMap() ? Str(n["name"]["note"]) : Str(n["name"]);
      }
      AddGroup(std::move(g));
    }
    for (const YAML::Node& n : Seq(root["events"])) AddGroup(V2Signal(n, "event", Str(n["name"])));
    for (const YAML::Node& n : Seq(root["event_refinements"])) {
      RawGroup g = V2Signal(n, "event", Str(n["id"]));
      g.refines = absl::StrCat("event.", Str(n["ref"]));
      AddGroup(std::move(g));
    }
    for (const YAML::Node& n : Seq(root["metrics"])) {
      AddGroup(V2Signal(n, "metric", Str(n["name"])));
    }
    for (const YAML::Node& n : Seq(root["metric_refinements"])) {
      RawGroup g = V2Signal(n, "metric", Str(n["id"]));
      g.refines = absl::StrCat("metric.", Str(n["ref"]));
      AddGroup(std::move(g));
    }
  }

  static std::vector<YAML::Node> Seq(const YAML::Node& n) {
    std::vector<YAML::Node> out;
    if (n && n.IsSequence()) {
      for (const YAML::Node& e : n) out.push_back(e);
    }
    return out;
  }

  RawGroup V2Signal(const YAML::Node& n, const std::string& kind, const std::string& type_id) {
    RawGroup g;
    g.v2 = true;
    g.kind = kind;
    g.type_id = type_id;
    g.id = absl::StrCat(kind, ".", type_id);  // how Weaver names the v1 group of a v2 signal
    g.entries = ReadEntries(n["attributes"]);
    std::string brief = Str(n["brief"]);
    g.prose = absl::StrCat(brief, "\n\n", Str(n["note"]));
    g.deprecated = ParseDeprecated(n["deprecated"], brief);
    return g;
  }

  // ---------------------------------------------------------------- resolution
  const Resolved& Resolve(const std::string& id) {
    if (auto it = resolved_.find(id); it != resolved_.end()) return it->second;
    static const Resolved kEmpty;
    auto git = groups_.find(id);
    if (git == groups_.end()) {
      if (!id.empty()) model_.warnings.push_back(absl::StrCat("group '", id, "' is not defined"));
      return resolved_[id] = kEmpty;
    }
    if (!resolving_.insert(id).second) {
      model_.warnings.push_back(absl::StrCat("group '", id, "' includes itself"));
      return kEmpty;
    }
    const RawGroup& g = git->second;
    Resolved out;
    auto merge_all = [&out](const Resolved& r) {
      for (const PartialRequirement& p : r) MergeInto(&out, p);
    };
    if (!g.extends.empty()) merge_all(Resolve(g.extends));
    if (!g.refines.empty()) merge_all(Resolve(g.refines));
    for (const std::string& inc : g.include_groups) merge_all(Resolve(inc));
    // ref_groups first, then inline refs on top: an inline ref wins over a group.
    for (const Entry& e : g.entries) {
      if (!e.group.empty()) merge_all(Resolve(e.group));
    }
    for (const Entry& e : g.entries) {
      if (e.group.empty()) MergeInto(&out, e.ref);
    }
    resolving_.erase(id);
    return resolved_[id] = std::move(out);
  }

  // ---------------------------------------------------------------- span types
  static std::vector<std::string> NamePatterns(const std::string& text) {
    std::vector<std::string> out;
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    size_t start = lower.find("span name");
    if (start == std::string::npos) return out;
    size_t end = text.find("\n\n", start);
    std::string para =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    static const std::regex kPattern(
        R"re((?:SHOULD be|the format)\s+`([^`]+)`|`([^`]+)`\s+otherwise)re");
    for (std::sregex_iterator it(para.begin(), para.end(), kPattern), stop; it != stop; ++it) {
      std::string p = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
      if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    return out;
  }

  static std::vector<std::string> OperationNames(const std::string& prose) {
    std::vector<std::string> out;
    static const std::regex kLead(R"re(`gen_ai\.operation\.name` SHOULD be)re");
    std::smatch m;
    if (!std::regex_search(prose, m, kLead)) return out;
    std::string rest = m.suffix().str();
    // The sentence ends at the first ". " or ".\n" (operation values contain no dots).
    size_t end = rest.find_first_of('.');
    rest = rest.substr(0, end);
    static const std::regex kValue(R"re(`([a-z0-9_]+)`)re");
    for (std::sregex_iterator it(rest.begin(), rest.end(), kValue), stop; it != stop; ++it) {
      out.push_back((*it)[1].str());
    }
    return out;
  }

  std::string ProviderOf(const RawGroup& g) const {
    static const std::regex kMust(
        R"re(`(?:gen_ai\.provider\.name|gen_ai\.system)` MUST be set to `"?([^`"]+)"?`)re");
    std::smatch m;
    if (std::regex_search(g.prose, m, kMust)) return m[1].str();
    // Old files: an id that starts with a provider value ("aws.bedrock.client").
    for (const char* key : {"gen_ai.provider.name", "gen_ai.system"}) {
      auto it = model_.attributes.find(key);
      if (it == model_.attributes.end()) continue;
      for (const EnumMember& em : it->second.members) {
        if (!em.value.empty() && absl::StartsWith(g.type_id, em.value + ".")) return em.value;
      }
    }
    return "";
  }

  void BuildSpanType(const RawGroup& g) {
    SpanType t;
    t.id = g.type_id;
    t.deprecated = g.deprecated;
    if (auto k = ParseSpanKind(g.span_kind)) t.kinds.push_back(*k);
    static const std::regex kMay(R"re(MAY be set to `([A-Za-z]+)`)re");
    for (std::sregex_iterator it(g.prose.begin(), g.prose.end(), kMay), stop; it != stop; ++it) {
      if (auto k = ParseSpanKind((*it)[1].str());
          k && std::find(t.kinds.begin(), t.kinds.end(), *k) == t.kinds.end()) {
        t.kinds.push_back(*k);
      }
    }
    t.name_patterns = NamePatterns(g.name_text);
    t.match_values = OperationNames(g.prose);
    t.provider = ProviderOf(g);
    if (!g.refines.empty()) {
      t.refines = std::string(absl::StripPrefix(g.refines, "span."));
    } else if (!t.provider.empty()) {
      // v1: refines the span it extends, or (decided in AssignOperations) the generic one.
      auto base = groups_.find(g.extends);
      if (base != groups_.end() && base->second.kind == "span")
        t.refines = base->second.type_id;
      else
        t.refines = "?";
    }
    for (const PartialRequirement& p : Resolve(g.id)) {
      AttributeRequirement a;
      a.key = p.key;
      a.level = p.level.value_or(RequirementLevel::kRecommended);
      if (p.condition) a.condition = *p.condition;
      a.sampling_relevant = p.sampling_relevant.value_or(false);
      if (!model_.attributes.count(a.key)) unresolved_.insert(a.key);
      t.attributes.push_back(std::move(a));
    }
    model_.span_types.push_back(std::move(t));
  }

  // Decides how each span type is recognised, once every type is known.
  void AssignOperations() {
    std::set<std::string> claimed;
    for (const SpanType& t : model_.span_types) {
      if (t.refines.empty()) claimed.insert(t.match_values.begin(), t.match_values.end());
    }
    std::vector<std::string> unclaimed;
    if (auto it = model_.attributes.find("gen_ai.operation.name"); it != model_.attributes.end()) {
      for (const EnumMember& m : it->second.members) {
        if (!claimed.count(m.value) && !m.deprecated) unclaimed.push_back(m.value);
      }
    }
    std::string generic;
    for (SpanType& t : model_.span_types) {
      if (!t.refines.empty()) continue;
      const AttributeRequirement* op = t.FindAttribute("gen_ai.operation.name");
      const AttributeRequirement* mcp = t.FindAttribute("mcp.method.name");
      if (!t.match_values.empty()) {
        t.match_attribute = "gen_ai.operation.name";
      } else if (mcp && mcp->level == RequirementLevel::kRequired) {
        t.match_attribute = "mcp.method.name";
      } else if (op && op->level == RequirementLevel::kRequired && !t.name_patterns.empty() &&
                 absl::StartsWith(t.name_patterns.front(), "{gen_ai.operation.name}")) {
        t.match_attribute = "gen_ai.operation.name";
        t.match_values = unclaimed;
        if (generic.empty()) generic = t.id;
      }
    }
    for (SpanType& t : model_.span_types) {
      bool inherits_attributes = false;
      if (t.refines == "?") {
        // A v1 provider span that extends only attribute groups still "extends and overrides"
        // the generic span (upstream's words): put the base's attributes under its own.
        t.refines = generic;
        inherits_attributes = true;
      }
      if (t.refines.empty()) continue;
      const SpanType* base = model_.FindSpanType(t.refines);
      if (!base) continue;
      if (inherits_attributes) {
        std::vector<AttributeRequirement> merged = base->attributes;
        for (AttributeRequirement& own : t.attributes) {
          auto it = std::find_if(merged.begin(), merged.end(),
                                 [&](const AttributeRequirement& a) { return a.key == own.key; });
          if (it != merged.end())
            *it = std::move(own);
          else
            merged.push_back(std::move(own));
        }
        t.attributes = std::move(merged);
      }
      t.match_attribute = base->match_attribute;
      t.match_values = base->match_values;
      if (t.kinds.empty()) t.kinds = base->kinds;
      if (t.name_patterns.empty()) t.name_patterns = base->name_patterns;
    }
  }

  SemconvModel model_;
  std::string file_;
  std::map<std::string, RawGroup> groups_;
  std::vector<std::string> group_order_;
  std::map<std::string, Resolved> resolved_;
  size_t dir_ = 0;
  std::map<std::string, size_t> attribute_dir_;  // the directory that defined each attribute
  std::map<std::string, size_t> group_dir_;
  std::set<std::string> resolving_;
  std::set<std::string> referenced_;
  std::set<std::string> unresolved_;
};

}  // namespace

absl::StatusOr<SemconvModel> LoadSemconvRegistry(const std::vector<std::string>& dirs) {
  Loader loader;
  for (size_t index = 0; index < dirs.size(); ++index) {
    const std::string& dir = dirs[index];
    loader.StartDirectory(index);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return absl::NotFoundError(absl::StrCat("semconv registry directory not found: ", dir));
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (!e.is_regular_file()) continue;
      const fs::path& p = e.path();
      std::string name = p.filename().string();
      if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
      if (name == "manifest.yaml" || name == "registry_manifest.yaml") continue;
      files.push_back(p);
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      if (absl::Status s = loader.LoadFile(p); !s.ok()) return s;
    }
  }
  return loader.Build(absl::StrJoin(dirs, ", "));
}

absl::StatusOr<SemconvModel> LoadSemconvRegistry(const std::string& dir) {
  return LoadSemconvRegistry(std::vector<std::string>{dir});
}

}  // namespace agentstorm::semconv
