// services:, models: and tools: of a scenario file.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"
#include "scenario/units.h"

namespace agentstorm::scenario_parser {

void ScenarioParser::ParseServices(const YAML::Node& node, ScenarioPart* part) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    Service s;
    s.name = it->first.Scalar();
    const std::string p = Join("services", s.name);
    const YAML::Node b = it->second;
    if (b.IsNull()) {
      part->services.push_back(std::move(s));
      continue;
    }
    if (CheckMap(b, p, {"version", "environment", "attributes"})) {
      if (b["version"]) String(b["version"], Join(p, "version"), &s.version);
      if (b["environment"]) String(b["environment"], Join(p, "environment"), &s.environment);
      if (b["attributes"]) Attributes(b["attributes"], Join(p, "attributes"), &s.attributes);
    }
    part->services.push_back(std::move(s));
  }
}

void ScenarioParser::ParseModel(const std::string& key, const YAML::Node& b, Model* m) {
  const std::string p = Join("models", key);
  m->key = key;
  m->request_model = key;
  if (!CheckMap(
          b, p,
          {"provider", "request_model", "response_model", "operation", "server", "context_window",
           "input_tokens", "output_tokens", "latency", "streaming", "time_to_first_chunk",
           "finish_reasons", "temperature", "max_tokens", "dimensions", "attributes"}))
    return;
  if (!b["provider"])
    Error(b, p, "missing required field \"provider\"");
  else if (String(b["provider"], Join(p, "provider"), &m->provider) &&
           IsTypoOf(m->provider, kProviders))
    Error(b["provider"], Join(p, "provider"),
          absl::StrCat("unknown provider \"", m->provider, "\"", Suggest(m->provider, kProviders)));
  if (b["request_model"]) String(b["request_model"], Join(p, "request_model"), &m->request_model);
  m->response_model = m->request_model;
  if (b["response_model"])
    String(b["response_model"], Join(p, "response_model"), &m->response_model);
  if (b["operation"] && String(b["operation"], Join(p, "operation"), &m->operation) &&
      Find(kInferenceOperations, m->operation) < 0)
    Error(b["operation"], Join(p, "operation"),
          absl::StrCat("unknown operation \"", m->operation, "\"",
                       Suggest(m->operation, kInferenceOperations),
                       "; use chat, generate_content, text_completion or embeddings"));
  if (b["server"]) Server(b["server"], Join(p, "server"), &m->server_address, &m->server_port);
  if (b["context_window"])
    Int(b["context_window"], Join(p, "context_window"), &m->context_window, 1);
  if (b["input_tokens"]) Dist(b["input_tokens"], Join(p, "input_tokens"), &m->input_tokens);
  if (b["output_tokens"]) Dist(b["output_tokens"], Join(p, "output_tokens"), &m->output_tokens);
  if (b["latency"]) Dist(b["latency"], Join(p, "latency"), &m->latency, ParseDurationSeconds);
  if (b["streaming"]) Bool(b["streaming"], Join(p, "streaming"), &m->streaming);
  if (b["time_to_first_chunk"]) {
    Dist(b["time_to_first_chunk"], Join(p, "time_to_first_chunk"), &m->time_to_first_chunk,
         ParseDurationSeconds);
    if (!m->streaming)
      Error(b["time_to_first_chunk"], Join(p, "time_to_first_chunk"),
            "only meaningful with streaming: true");
  }
  if (b["finish_reasons"])
    Weighted(b["finish_reasons"], Join(p, "finish_reasons"), &m->finish_reasons);
  if (m->finish_reasons.empty()) m->finish_reasons.push_back({"stop", 1});
  if (b["temperature"]) {
    double t;
    if (Number(b["temperature"], Join(p, "temperature"), &t)) m->temperature = t;
  }
  if (b["max_tokens"]) {
    int64_t t;
    if (Int(b["max_tokens"], Join(p, "max_tokens"), &t, 1)) m->max_tokens = t;
  }
  if (b["dimensions"]) Int(b["dimensions"], Join(p, "dimensions"), &m->embedding_dimensions, 1);
  if (b["attributes"]) Attributes(b["attributes"], Join(p, "attributes"), &m->attributes);
}

void ScenarioParser::ParseTool(const std::string& key, const YAML::Node& b, const Names& names,
                               Tool* t) {
  const std::string p = Join("tools", key);
  t->name = key;
  if (b.IsNull()) return;
  if (!CheckMap(b, p,
                {"type", "description", "latency", "error_rate", "error_types", "retries", "mcp",
                 "attributes"}))
    return;
  if (b["type"] && String(b["type"], Join(p, "type"), &t->type) && Find(kToolTypes, t->type) < 0)
    Error(b["type"], Join(p, "type"),
          absl::StrCat("unknown tool type \"", t->type, "\"", Suggest(t->type, kToolTypes),
                       "; use function, extension or datastore"));
  if (b["description"]) String(b["description"], Join(p, "description"), &t->description);
  if (b["latency"]) Dist(b["latency"], Join(p, "latency"), &t->latency, ParseDurationSeconds);
  if (b["error_rate"]) Fraction(b["error_rate"], Join(p, "error_rate"), &t->error_rate);
  if (b["error_types"]) Weighted(b["error_types"], Join(p, "error_types"), &t->error_types);
  if (t->error_types.empty()) t->error_types.push_back({"tool_error", 1});
  if (b["retries"]) {
    int64_t r;
    if (Int(b["retries"], Join(p, "retries"), &r, 0)) t->retries = static_cast<int>(r);
  }
  if (b["attributes"]) Attributes(b["attributes"], Join(p, "attributes"), &t->attributes);
  if (const YAML::Node m = b["mcp"]) ParseMcp(m, Join(p, "mcp"), names, t);
}

void ScenarioParser::ParseMcp(const YAML::Node& m, const std::string& mp, const Names& names,
                              Tool* t) {
  if (!CheckMap(m, mp, {"server", "address", "port", "transport", "protocol_version", "method"}))
    return;
  McpBinding mcp;
  if (!m["server"])
    Error(m, mp, "missing required field \"server\" (the MCP server's service)");
  else
    mcp.server_service = Ref(m["server"], Join(mp, "server"), names.services, "service");
  if (m["address"]) String(m["address"], Join(mp, "address"), &mcp.server_address);
  if (m["port"]) {
    int64_t port;
    if (Int(m["port"], Join(mp, "port"), &port, 1)) mcp.server_port = static_cast<int>(port);
  }
  if (m["transport"] && String(m["transport"], Join(mp, "transport"), &mcp.transport) &&
      Find(kTransports, mcp.transport) < 0)
    Error(m["transport"], Join(mp, "transport"),
          absl::StrCat("unknown transport \"", mcp.transport, "\"",
                       Suggest(mcp.transport, kTransports), "; use pipe, tcp or quic"));
  if (m["protocol_version"])
    String(m["protocol_version"], Join(mp, "protocol_version"), &mcp.protocol_version);
  if (m["method"]) String(m["method"], Join(mp, "method"), &mcp.method);
  t->mcp = mcp;
}

}  // namespace agentstorm::scenario_parser
