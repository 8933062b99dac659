// One scenario file: its names, agents:, workflows:, variants: and the checks across sections.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"
#include "scenario/units.h"

namespace agentstorm::scenario_parser {

void ScenarioParser::ParseScenario(const YAML::Node& root, Scenario* sc, int part_index) {
  if (!CheckMap(root, "",
                {"name", "description", "semconv", "services", "models", "tools", "agents",
                 "workflows", "entry", "faults", "variants", "content_capture", "conversations",
                 "span_attributes", "slow_threshold", "load", "sampling", "redaction", "alerts"}))
    return;
  ScenarioPart& part = sc->parts[part_index];
  if (root["name"]) String(root["name"], "name", &part.name);
  if (root["semconv"]) ParseSemconv(root["semconv"], &part.semconv);

  const Names names = CollectNames(root);
  if (root["services"].IsDefined() && root["services"].IsMap())
    ParseServices(root["services"], &part);
  if (root["models"] && root["models"].IsMap())
    for (auto it = root["models"].begin(); it != root["models"].end(); ++it) {
      Model m;
      ParseModel(it->first.Scalar(), it->second, &m);
      part.models.push_back(std::move(m));
    }
  if (root["tools"] && root["tools"].IsMap())
    for (auto it = root["tools"].begin(); it != root["tools"].end(); ++it) {
      Tool t;
      ParseTool(it->first.Scalar(), it->second, names, &t);
      part.tools.push_back(std::move(t));
    }
  if (root["agents"] && root["agents"].IsMap()) ParseAgents(root["agents"], names, &part);
  if (root["workflows"] && root["workflows"].IsMap())
    ParseWorkflows(root["workflows"], names, &part);
  CheckStepModels(part);

  if (root["faults"]) ParseFaults(root["faults"], "faults", names, &part.faults);
  ParseExtras(root, &part);
  CheckFaultTargets(root, part);
  if (error_count() == 0) CheckCycles(part, names);
  ParseVariants(root, names, sc, part_index);
}

// The name tables of the five definition sections, checked for the sections' shape and for
// names used twice.
Names ScenarioParser::CollectNames(const YAML::Node& root) {
  Names names;
  for (const char* section : {"services", "models", "tools", "agents", "workflows"}) {
    if (root[section] && !root[section].IsMap())
      Error(root[section], section, "expected a mapping of name: definition");
  }
  names.services = Keys(root["services"]);
  names.models = Keys(root["models"]);
  names.tools = Keys(root["tools"]);
  names.agents = Keys(root["agents"]);
  names.workflows = Keys(root["workflows"]);
  for (const auto& w : names.workflows)
    if (Find(names.agents, w) >= 0)
      Error(root["workflows"], Join("workflows", w),
            absl::StrCat("\"", w, "\" is both an agent and a workflow"));
  if (names.services.empty()) Error(root, "services", "at least one service is required");
  if (names.agents.empty()) Error(root, "agents", "at least one agent is required");
  return names;
}

void ScenarioParser::ParseAgents(const YAML::Node& node, const Names& names, ScenarioPart* part) {
  const int default_service = names.services.size() == 1 ? 0 : -1;
  for (auto it = node.begin(); it != node.end(); ++it) {
    Agent a;
    a.name = it->first.Scalar();
    const std::string p = Join("agents", a.name);
    const YAML::Node b = it->second;
    if (CheckMap(b, p,
                 {"service", "model", "description", "id", "version", "provider", "server", "steps",
                  "attributes"})) {
      a.service = default_service;
      if (b["service"])
        a.service = Ref(b["service"], Join(p, "service"), names.services, "service");
      else if (default_service < 0)
        Error(b, p, "missing \"service\" (required when there are several services)");
      if (b["model"]) a.model = Ref(b["model"], Join(p, "model"), names.models, "model");
      if (b["description"]) String(b["description"], Join(p, "description"), &a.description);
      if (b["id"]) String(b["id"], Join(p, "id"), &a.id);
      if (b["version"]) String(b["version"], Join(p, "version"), &a.version);
      if (b["provider"]) String(b["provider"], Join(p, "provider"), &a.provider);
      if (b["server"]) Server(b["server"], Join(p, "server"), &a.server_address, &a.server_port);
      if (b["attributes"]) Attributes(b["attributes"], Join(p, "attributes"), &a.attributes);
      if (!b["steps"])
        Error(b, p, "missing required field \"steps\"");
      else
        ParseSteps(b["steps"], Join(p, "steps"), names, &a.steps);
    }
    part->agents.push_back(std::move(a));
  }
}

void ScenarioParser::ParseWorkflows(const YAML::Node& node, const Names& names,
                                    ScenarioPart* part) {
  const int default_service = names.services.size() == 1 ? 0 : -1;
  for (auto it = node.begin(); it != node.end(); ++it) {
    Workflow w;
    w.name = it->first.Scalar();
    const std::string p = Join("workflows", w.name);
    const YAML::Node b = it->second;
    if (CheckMap(b, p, {"service", "steps"})) {
      w.service = default_service;
      if (b["service"])
        w.service = Ref(b["service"], Join(p, "service"), names.services, "service");
      else if (default_service < 0)
        Error(b, p, "missing \"service\" (required when there are several services)");
      if (!b["steps"])
        Error(b, p, "missing required field \"steps\"");
      else
        ParseSteps(b["steps"], Join(p, "steps"), names, &w.steps);
    }
    part->workflows.push_back(std::move(w));
  }
}

// A chat step needs a model: its own or its agent's.
void ScenarioParser::CheckStepModels(const ScenarioPart& part) {
  auto chats = [](const Step& s) {
    return (s.kind == Step::Kind::kChat || s.kind == Step::Kind::kToolLoop) && s.model < 0;
  };
  for (const Agent& a : part.agents)
    for (const Step& s : a.steps)
      if (chats(s) && a.model < 0)
        PathError(s.path, absl::StrCat("no model: give the step a model or agent \"", a.name,
                                       "\" a default model"));
  for (const Workflow& w : part.workflows)
    for (const Step& s : w.steps)
      if (chats(s)) PathError(s.path, "no model: a workflow's chat step must name its model");
}

// content_capture:, conversations:, span_attributes:, slow_threshold:.
void ScenarioParser::ParseExtras(const YAML::Node& root, ScenarioPart* part) {
  if (const YAML::Node c = root["content_capture"]) {
    if (CheckMap(c, "content_capture", {"enabled", "size"})) {
      part->content.enabled = true;
      if (c["enabled"]) Bool(c["enabled"], "content_capture.enabled", &part->content.enabled);
      if (c["size"])
        Dist(c["size"], "content_capture.size", &part->content.size_bytes, ParseByteSize);
    }
  }
  if (const YAML::Node c = root["conversations"]) {
    if (CheckMap(c, "conversations", {"pool"}) && c["pool"])
      Int(c["pool"], "conversations.pool", &part->conversation_pool, 1);
  }
  if (root["span_attributes"])
    Attributes(root["span_attributes"], "span_attributes", &part->span_attributes);
  if (root["slow_threshold"])
    Number(root["slow_threshold"], "slow_threshold", &part->slow_threshold_seconds,
           ParseDurationSeconds);
}

// Faults must have somewhere to land.
void ScenarioParser::CheckFaultTargets(const YAML::Node& root, const ScenarioPart& part) {
  bool has_tool_loop = false, has_chat = false, has_tool = false;
  auto scan = [&](const std::vector<Step>& steps) {
    for (const Step& s : steps) {
      has_tool_loop |= s.kind == Step::Kind::kToolLoop;
      has_chat |= s.kind == Step::Kind::kChat || s.kind == Step::Kind::kToolLoop;
      has_tool |= s.kind == Step::Kind::kTool || s.kind == Step::Kind::kToolLoop;
    }
  };
  for (const Agent& a : part.agents) scan(a.steps);
  for (const Workflow& w : part.workflows) scan(w.steps);
  bool has_window = false;
  for (const Model& m : part.models) has_window |= m.context_window > 0;
  for (const FaultSpec& f : part.faults) {
    const std::string p = Join("faults", FaultKindName(f.kind));
    const YAML::Node at = root["faults"][FaultKindName(f.kind)];
    if (f.kind == FaultKind::kRunawayLoop && !has_tool_loop)
      Error(at, p, "no agent has a tool_loop step for a runaway loop to happen in");
    if (f.kind == FaultKind::kContextOverflow && !has_window)
      Error(at, p, "no model declares a context_window to overflow");
    if ((f.kind == FaultKind::kContextOverflow || f.kind == FaultKind::kRateLimit) && !has_chat)
      Error(at, p, "no agent has a chat step for this fault to hit");
    if (f.kind == FaultKind::kToolFailure && !has_tool)
      Error(at, p, "no agent calls a tool for this fault to hit");
  }
}

// Every agent and workflow reachable from a variant must not call itself back.
void ScenarioParser::CheckCycles(const ScenarioPart& part, const Names& names) {
  // Node ids: agents 0..A-1, workflows A..A+W-1.
  const int A = static_cast<int>(part.agents.size());
  const int N = A + static_cast<int>(part.workflows.size());
  std::vector<int> state(N, 0);  // 0 new, 1 on stack, 2 done
  std::function<void(int)> visit = [&](int v) {
    state[v] = 1;
    const std::vector<Step>& steps = v < A ? part.agents[v].steps : part.workflows[v - A].steps;
    for (const Step& s : steps) {
      std::vector<int> next;
      if (s.kind == Step::Kind::kFanOut || s.kind == Step::Kind::kHandoff)
        next.insert(next.end(), s.agents.begin(), s.agents.end());
      if (s.kind == Step::Kind::kInvokeWorkflow && s.workflow >= 0) next.push_back(A + s.workflow);
      for (int w : next) {
        if (state[w] == 1) {
          const std::string name = w < A ? names.agents[w] : names.workflows[w - A];
          PathError(s.path, absl::StrCat("\"", name,
                                         "\" is already running higher up in this call "
                                         "chain (a cycle would make traces infinite)"));
        } else if (state[w] == 0) {
          visit(w);
        }
      }
    }
    state[v] = 2;
  };
  for (int v = 0; v < N; ++v)
    if (state[v] == 0) visit(v);
}

// variants: [...], or one "default" variant; weights normalised to sum 1.
void ScenarioParser::ParseVariants(const YAML::Node& root, const Names& names, Scenario* sc,
                                   int part_index) {
  ScenarioPart& part = sc->parts[part_index];
  std::vector<Variant> variants;
  if (const YAML::Node vs = root["variants"]) {
    if (!vs.IsSequence() || vs.size() == 0) {
      Error(vs, "variants", "expected a non-empty list of variants");
    } else {
      std::set<std::string> seen;
      for (size_t i = 0; i < vs.size(); ++i) {
        const YAML::Node b = vs[i];
        const std::string p = Index("variants", i);
        if (!CheckMap(b, p, {"name", "weight", "entry", "expect", "faults"})) continue;
        Variant v;
        v.part = part_index;
        if (!b["name"])
          Error(b, p, "missing required field \"name\"");
        else if (String(b["name"], Join(p, "name"), &v.name) && !seen.insert(v.name).second)
          Error(b["name"], Join(p, "name"), absl::StrCat("duplicate variant \"", v.name, "\""));
        ParseVariant(b, p, root, names, &part, &v);
        variants.push_back(std::move(v));
      }
    }
  } else {
    Variant v;
    v.name = "default";
    v.part = part_index;
    if (root["entry"])
      ResolveEntry(root["entry"], "entry", names, &v);
    else if (names.agents.size() == 1)
      v.entry = 0;
    else
      Error(root, "entry", "missing \"entry\": which agent or workflow starts a trace");
    variants.push_back(std::move(v));
  }
  double total = 0;
  for (const Variant& v : variants) total += v.weight;
  for (Variant& v : variants) {
    v.weight = total > 0 ? v.weight / total : 0;
    sc->variants.push_back(std::move(v));
  }
}

// A variant's weight, entry, expect and fault overrides (its name is read by the caller).
void ScenarioParser::ParseVariant(const YAML::Node& b, const std::string& p, const YAML::Node& root,
                                  const Names& names, ScenarioPart* part, Variant* v) {
  if (b["weight"] && Number(b["weight"], Join(p, "weight"), &v->weight) && v->weight <= 0)
    Error(b["weight"], Join(p, "weight"), "must be greater than 0");
  if (b["entry"])
    ResolveEntry(b["entry"], Join(p, "entry"), names, v);
  else if (root["entry"])
    ResolveEntry(root["entry"], "entry", names, v);
  else
    Error(b, p, "missing \"entry\" (here or at the top level)");
  ParseExpect(b["expect"], Join(p, "expect"), v);
  if (!b["faults"]) return;
  std::vector<FaultSpec> overrides;
  ParseFaults(b["faults"], Join(p, "faults"), names, &overrides);
  for (const FaultSpec& f : overrides) {
    v->fault_rates[f.kind] = f.rate;
    if (b["faults"][FaultKindName(f.kind)].IsMap()) v->fault_specs[f.kind] = f;
    bool declared = false;
    for (const FaultSpec& g : part->faults) declared |= g.kind == f.kind;
    // A variant may switch on a fault the scenario does not declare: it uses defaults.
    if (!declared) {
      FaultSpec d = f;
      d.rate = 0;
      part->faults.push_back(d);
    }
  }
}

void ScenarioParser::ResolveEntry(const YAML::Node& n, const std::string& p, const Names& names,
                                  Variant* v) {
  if (!n.IsScalar()) {
    Error(n, p, "expected an agent or workflow name");
    return;
  }
  const std::string& e = n.Scalar();
  int i = Find(names.agents, e);
  if (i >= 0) {
    v->entry = i;
    return;
  }
  i = Find(names.workflows, e);
  if (i >= 0) {
    v->entry = i;
    v->entry_is_workflow = true;
    return;
  }
  std::vector<std::string> all = names.agents;
  all.insert(all.end(), names.workflows.begin(), names.workflows.end());
  Error(n, p, absl::StrCat("unknown agent or workflow \"", e, "\"", Suggest(e, all)));
}

void ScenarioParser::ParseExpect(const YAML::Node& n, const std::string& p, Variant* v) {
  if (!n) return;
  if (!CheckMap(n, p, {"class", "alerts"})) return;
  int c;
  if (n["class"] && Enum(n["class"], Join(p, "class"), "class", kClasses, &c,
                         "; use normal, error, slow, runaway or overflow"))
    v->expected_class = static_cast<TraceClass>(c);
  if (n["alerts"]) StringList(n["alerts"], Join(p, "alerts"), &v->expected_alerts);
}

}  // namespace agentstorm::scenario_parser
