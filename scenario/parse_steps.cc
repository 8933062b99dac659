// The steps: of agents and workflows.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"
#include "scenario/units.h"

namespace agentstorm::scenario_parser {

void ScenarioParser::ParseSteps(const YAML::Node& node, const std::string& path, const Names& names,
                                std::vector<Step>* steps) {
  if (!node.IsSequence()) {
    Error(node, path, "expected a list of steps");
    return;
  }
  static const std::vector<std::string> kKinds = {
      "chat",    "tool",       "execute_tool", "tool_loop",    "fan_out",        "agent",
      "handoff", "embeddings", "retrieval",    "create_agent", "invoke_workflow"};
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node s = node[i];
    const std::string sp = Index(path, i);
    std::string kind;
    YAML::Node body;
    if (s.IsScalar()) {
      kind = s.Scalar();
    } else if (s.IsMap() && s.size() == 1) {
      kind = s.begin()->first.Scalar();
      body = s.begin()->second;
    } else {
      Error(s, sp,
            "a step is a name (\"chat\") or a mapping with one key, e.g. {tool: web_search}");
      continue;
    }
    const std::string p = Join(sp, kind);
    Step step;
    step.path = p;
    // Kinds that name one thing: {kind: name}; `needs` says what when the name is missing.
    auto named = [&](const char* needs) {
      if (!body.IsDefined()) Error(s, p, needs);
      return body.IsDefined();
    };
    bool ok = true;
    if (kind == "chat") {
      step.kind = Step::Kind::kChat;
      ok = ParseChatStep(body, p, names, &step);
    } else if (kind == "tool" || kind == "execute_tool") {
      step.kind = Step::Kind::kTool;
      ok = named("needs a tool name, e.g. {tool: web_search}");
      if (ok) {
        const int t = Ref(body, p, names.tools, "tool");
        if (t >= 0) step.tools.push_back(t);
      }
    } else if (kind == "tool_loop") {
      step.kind = Step::Kind::kToolLoop;
      ok = ParseToolLoopStep(body, p, names, &step);
    } else if (kind == "fan_out") {
      step.kind = Step::Kind::kFanOut;
      ok = named("needs an agent name") && ParseFanOutStep(body, p, names, &step);
    } else if (kind == "agent" || kind == "handoff") {
      step.kind = kind == "handoff" ? Step::Kind::kHandoff : Step::Kind::kFanOut;
      ok = named("needs an agent name");
      if (ok) {
        const int a = Ref(body, p, names.agents, "agent");
        if (a >= 0) step.agents.push_back(a);
        step.parallel = false;
        if (kind == "handoff" && i + 1 != node.size())
          Error(s, sp, "handoff must be the agent's last step (control does not come back)");
      }
    } else if (kind == "embeddings") {
      step.kind = Step::Kind::kEmbeddings;
      ok = named("needs a model name, e.g. {embeddings: text-embedding-3-small}");
      if (ok) step.model = Ref(body, p, names.models, "model");
    } else if (kind == "retrieval") {
      step.kind = Step::Kind::kRetrieval;
      ok = ParseRetrievalStep(body, p, &step);
    } else if (kind == "create_agent") {
      step.kind = Step::Kind::kCreateAgent;
      ok = named("needs an agent name");
      if (ok) {
        const int a = Ref(body, p, names.agents, "agent");
        if (a >= 0) step.agents.push_back(a);
      }
    } else if (kind == "invoke_workflow") {
      step.kind = Step::Kind::kInvokeWorkflow;
      ok = named("needs a workflow name");
      if (ok) step.workflow = Ref(body, p, names.workflows, "workflow");
    } else {
      Error(s.IsMap() ? s.begin()->first : s, p,
            absl::StrCat("unknown step \"", kind, "\"", Suggest(kind, kKinds)));
      ok = false;
    }
    if (ok) steps->push_back(std::move(step));
  }
}

// chat, {chat: model} or {chat: {model: m}}.
bool ScenarioParser::ParseChatStep(const YAML::Node& body, const std::string& p, const Names& names,
                                   Step* step) {
  if (!body.IsDefined() || body.IsNull()) return true;
  if (!body.IsMap()) {
    step->model = Ref(body, p, names.models, "model");
  } else if (CheckMap(body, p, {"model"}) && body["model"]) {
    step->model = Ref(body["model"], Join(p, "model"), names.models, "model");
  }
  return true;
}

bool ScenarioParser::ParseToolLoopStep(const YAML::Node& body, const std::string& p,
                                       const Names& names, Step* step) {
  if (!body.IsDefined() ||
      !CheckMap(body, p, {"tools", "iterations", "max_iterations", "tools_per_iteration", "model"}))
    return false;
  if (!body["tools"]) {
    Error(body, p, "missing required field \"tools\"");
  } else if (!body["tools"].IsSequence()) {
    Error(body["tools"], Join(p, "tools"), "expected a list of tool names");
  } else {
    for (size_t k = 0; k < body["tools"].size(); ++k) {
      const int t = Ref(body["tools"][k], Index(Join(p, "tools"), k), names.tools, "tool");
      if (t >= 0) step->tools.push_back(t);
    }
  }
  if (body["iterations"]) Dist(body["iterations"], Join(p, "iterations"), &step->iterations);
  int64_t m;
  if (body["max_iterations"] && Int(body["max_iterations"], Join(p, "max_iterations"), &m, 1))
    step->max_iterations = static_cast<int>(m);
  if (body["tools_per_iteration"] &&
      Int(body["tools_per_iteration"], Join(p, "tools_per_iteration"), &m, 1))
    step->tools_per_iteration = static_cast<int>(m);
  if (body["model"]) step->model = Ref(body["model"], Join(p, "model"), names.models, "model");
  return true;
}

// {fan_out: {agents: [a, b], mode: parallel|sequential}}.
bool ScenarioParser::ParseFanOutStep(const YAML::Node& body, const std::string& p,
                                     const Names& names, Step* step) {
  if (!CheckMap(body, p, {"agents", "mode"})) return false;
  if (!body["agents"] || !body["agents"].IsSequence() || body["agents"].size() == 0) {
    Error(body, p, "needs agents: [a, b, ...]");
  } else {
    for (size_t k = 0; k < body["agents"].size(); ++k) {
      const int a = Ref(body["agents"][k], Index(Join(p, "agents"), k), names.agents, "agent");
      if (a >= 0) step->agents.push_back(a);
    }
  }
  int mode;
  if (body["mode"] && Enum(body["mode"], Join(p, "mode"), "mode", {"parallel", "sequential"}, &mode,
                           "; use parallel or sequential"))
    step->parallel = mode == 0;
  return true;
}

bool ScenarioParser::ParseRetrievalStep(const YAML::Node& body, const std::string& p, Step* step) {
  if (!body.IsDefined() ||
      !CheckMap(body, p, {"data_source", "top_k", "latency", "provider", "server"}))
    return false;
  if (!body["data_source"])
    Error(body, p, "missing required field \"data_source\"");
  else
    String(body["data_source"], Join(p, "data_source"), &step->data_source);
  if (body["top_k"]) Int(body["top_k"], Join(p, "top_k"), &step->top_k, 1);
  if (body["latency"])
    Dist(body["latency"], Join(p, "latency"), &step->latency, ParseDurationSeconds);
  if (body["provider"]) String(body["provider"], Join(p, "provider"), &step->provider);
  if (body["server"])
    Server(body["server"], Join(p, "server"), &step->server_address, &step->server_port);
  return true;
}

}  // namespace agentstorm::scenario_parser
