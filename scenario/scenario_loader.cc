#include "scenario/scenario_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "scenario/units.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

// Well-known values (open enums: anything else is accepted unless it looks like a typo of one).
const std::vector<std::string> kProviders = {
    "openai",         "gcp.gen_ai",  "gcp.vertex_ai",      "gcp.gemini",
    "anthropic",      "cohere",      "azure.ai.inference", "azure.ai.openai",
    "ibm.watsonx.ai", "aws.bedrock", "perplexity",         "x_ai",
    "deepseek",       "groq",        "mistral_ai",         "moonshot_ai"};
const std::vector<std::string> kInferenceOperations = {"chat", "generate_content",
                                                       "text_completion", "embeddings"};
const std::vector<std::string> kToolTypes = {"function", "extension", "datastore"};
const std::vector<std::string> kTransports = {"pipe", "tcp", "quic"};
const std::vector<std::string> kClasses = {"normal", "error", "slow", "runaway", "overflow"};

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 1 << 30;
  for (const auto& c : candidates) {
    const int d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const int limit = std::max<int>(2, static_cast<int>(word.size()) / 3);
  if (best_d > 0 && best_d <= limit) return absl::StrCat(" (did you mean \"", best, "\"?)");
  return "";
}

bool IsTypoOf(const std::string& word, const std::vector<std::string>& known) {
  if (std::find(known.begin(), known.end(), word) != known.end()) return false;
  return !Suggest(word, known).empty();
}

using UnitParser = std::function<absl::StatusOr<double>(std::string_view)>;

absl::StatusOr<double> PlainNumber(std::string_view sv) {
  const std::string s(sv);
  double v;
  if (!absl::SimpleAtod(s, &v) || !std::isfinite(v))
    return absl::InvalidArgumentError(absl::StrCat("not a number: \"", s, "\""));
  return v;
}

// Parses one file. Suites recurse through LoadPart with a fresh Parser per file.
class Parser {
 public:
  Parser(std::string file, std::vector<ScenarioDiagnostic>* errors)
      : file_(std::move(file)), errors_(errors) {}

  size_t error_count() const { return errors_->size(); }

  void Error(const YAML::Node& node, const std::string& path, const std::string& message) {
    ScenarioDiagnostic d;
    d.file = file_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      d.line = node.Mark().line + 1;
      d.column = node.Mark().column + 1;
    }
    d.path = path;
    d.message = message;
    errors_->push_back(std::move(d));
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }
  static std::string Index(const std::string& path, size_t i) {
    return absl::StrCat(path, "[", i, "]");
  }

  // Reports keys of `node` not in `allowed`. False when `node` is not a map.
  bool CheckMap(const YAML::Node& node, const std::string& path,
                const std::vector<std::string>& allowed) {
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping");
      return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        Error(it->first, Join(path, key),
              absl::StrCat("unknown field \"", key, "\"", Suggest(key, allowed)));
    }
    return true;
  }

  bool String(const YAML::Node& node, const std::string& path, std::string* out) {
    if (!node.IsScalar()) {
      Error(node, path, "expected a string");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool Number(const YAML::Node& node, const std::string& path, double* out,
              const UnitParser& unit = PlainNumber) {
    if (!node.IsScalar()) {
      Error(node, path, "expected a number");
      return false;
    }
    auto v = unit(node.Scalar());
    if (!v.ok()) {
      Error(node, path, std::string(v.status().message()));
      return false;
    }
    *out = *v;
    return true;
  }

  bool Int(const YAML::Node& node, const std::string& path, int64_t* out, int64_t min = 0) {
    int64_t v;
    if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v)) {
      Error(node, path, absl::StrCat("expected an integer, got \"", node.Scalar(), "\""));
      return false;
    }
    if (v < min) {
      Error(node, path, absl::StrCat("must be at least ", min));
      return false;
    }
    *out = v;
    return true;
  }

  bool Fraction(const YAML::Node& node, const std::string& path, double* out) {
    if (!Number(node, path, out)) return false;
    if (*out < 0 || *out > 1) {
      Error(node, path, absl::StrCat("must be between 0 and 1, got ", node.Scalar()));
      return false;
    }
    return true;
  }

  bool Bool(const YAML::Node& node, const std::string& path, bool* out) {
    const std::string s = node.IsScalar() ? node.Scalar() : "";
    if (s == "true" || s == "yes" || s == "on")
      *out = true;
    else if (s == "false" || s == "no" || s == "off")
      *out = false;
    else {
      Error(node, path, "expected true or false");
      return false;
    }
    return true;
  }

  bool StringList(const YAML::Node& node, const std::string& path, std::vector<std::string>* out) {
    if (node.IsScalar()) {
      out->push_back(node.Scalar());
      return true;
    }
    if (!node.IsSequence()) {
      Error(node, path, "expected a list of strings");
      return false;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      std::string s;
      if (String(node[i], Index(path, i), &s)) out->push_back(s);
    }
    return true;
  }

  // "host:port" or {address, port}.
  void Server(const YAML::Node& node, const std::string& path, std::string* address, int* port) {
    if (node.IsScalar()) {
      const std::string s = node.Scalar();
      const size_t colon = s.rfind(':');
      int p = 0;
      if (colon == std::string::npos || !absl::SimpleAtoi(s.substr(colon + 1), &p) || p <= 0 ||
          p > 65535) {
        Error(node, path, absl::StrCat("expected HOST:PORT, got \"", s, "\""));
        return;
      }
      *address = s.substr(0, colon);
      *port = p;
      return;
    }
    if (!CheckMap(node, path, {"address", "port"})) return;
    if (node["address"]) String(node["address"], Join(path, "address"), address);
    if (node["port"]) {
      int64_t p;
      if (Int(node["port"], Join(path, "port"), &p, 1)) *port = static_cast<int>(p);
    }
  }

  // A scalar is a constant; otherwise {constant|uniform|normal|lognormal|empirical: ...}.
  bool Dist(const YAML::Node& node, const std::string& path, Distribution* out,
            const UnitParser& unit = PlainNumber) {
    if (node.IsScalar()) {
      double v;
      if (!Number(node, path, &v, unit)) return false;
      *out = Distribution::Constant(v);
      return true;
    }
    if (!node.IsMap() || node.size() != 1) {
      Error(node, path,
            "expected a value or one of {constant, uniform, normal, lognormal, empirical}");
      return false;
    }
    const std::string kind = node.begin()->first.Scalar();
    const YAML::Node body = node.begin()->second;
    const std::string p = Join(path, kind);
    if (kind == "constant") {
      double v;
      if (!Number(body, p, &v, unit)) return false;
      *out = Distribution::Constant(v);
      return true;
    }
    if (kind == "uniform") {
      double lo = 0, hi = 0;
      bool ok;
      if (body.IsSequence() && body.size() == 2) {
        ok = Number(body[0], Index(p, 0), &lo, unit) & Number(body[1], Index(p, 1), &hi, unit);
      } else if (body.IsMap() && CheckMap(body, p, {"min", "max"}) && body["min"] && body["max"]) {
        ok = Number(body["min"], Join(p, "min"), &lo, unit) &
             Number(body["max"], Join(p, "max"), &hi, unit);
      } else {
        Error(body, p, "expected [min, max] or {min: .., max: ..}");
        return false;
      }
      if (!ok) return false;
      if (hi < lo) {
        Error(body, p, "max is smaller than min");
        return false;
      }
      *out = Distribution::Uniform(lo, hi);
      return true;
    }
    if (kind == "normal") {
      if (!CheckMap(body, p, {"mean", "stddev"})) return false;
      if (!body["mean"] || !body["stddev"]) {
        Error(body, p, "needs mean and stddev");
        return false;
      }
      double m, s;
      if (!(Number(body["mean"], Join(p, "mean"), &m, unit) &
            Number(body["stddev"], Join(p, "stddev"), &s, unit)))
        return false;
      *out = Distribution::Normal(m, s);
      return true;
    }
    if (kind == "lognormal") {
      if (!CheckMap(body, p, {"p50", "p99"})) return false;
      if (!body["p50"] || !body["p99"]) {
        Error(body, p, "needs p50 and p99");
        return false;
      }
      double p50, p99;
      if (!(Number(body["p50"], Join(p, "p50"), &p50, unit) &
            Number(body["p99"], Join(p, "p99"), &p99, unit)))
        return false;
      if (p50 <= 0) {
        Error(body["p50"], Join(p, "p50"), "must be greater than 0");
        return false;
      }
      if (p99 < p50) {
        Error(body["p99"], Join(p, "p99"), "must be at least p50");
        return false;
      }
      *out = Distribution::LognormalP50P99(p50, p99);
      return true;
    }
    if (kind == "empirical") {
      if (!body.IsSequence() || body.size() == 0) {
        Error(body, p, "expected a non-empty list of values or [value, weight] pairs");
        return false;
      }
      std::vector<double> values, weights;
      bool ok = true;
      for (size_t i = 0; i < body.size(); ++i) {
        const YAML::Node e = body[i];
        double v = 0, w = 1;
        if (e.IsSequence() && e.size() == 2) {
          ok &= Number(e[0], Index(p, i), &v, unit) && Number(e[1], Index(p, i), &w);
          if (w <= 0) {
            Error(e[1], Index(p, i), "weight must be greater than 0");
            ok = false;
          }
        } else {
          ok &= Number(e, Index(p, i), &v, unit);
        }
        values.push_back(v);
        weights.push_back(w);
      }
      if (!ok) return false;
      *out = Distribution::Empirical(std::move(values), std::move(weights));
      return true;
    }
    Error(node.begin()->first, p,
          absl::StrCat("unknown distribution \"", kind, "\"",
                       Suggest(kind, {"constant", "uniform", "normal", "lognormal", "empirical"})));
    return false;
  }

  // Either a list of values (equal weights) or a map value -> weight.
  void Weighted(const YAML::Node& node, const std::string& path, std::vector<WeightedString>* out) {
    if (node.IsScalar()) {
      out->push_back({node.Scalar(), 1});
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        std::string s;
        if (String(node[i], Index(path, i), &s)) out->push_back({s, 1});
      }
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        double w;
        const std::string key = it->first.Scalar();
        if (!Number(it->second, Join(path, key), &w)) continue;
        if (w <= 0) {
          Error(it->second, Join(path, key), "weight must be greater than 0");
          continue;
        }
        out->push_back({key, w});
      }
    } else {
      Error(node, path, "expected a value, a list, or a map of value: weight");
    }
  }

  void Attributes(const YAML::Node& node, const std::string& path,
                  std::vector<ExtraAttribute>* out) {
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping of attribute: value");
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      ExtraAttribute a;
      a.key = it->first.Scalar();
      const YAML::Node v = it->second;
      const std::string p = Join(path, a.key);
      if (v.IsSequence()) {
        a.type = ExtraAttribute::Type::kStringArray;
        StringList(v, p, &a.strings);
      } else if (v.IsMap()) {
        if (!CheckMap(v, p, {"pool", "prefix"})) continue;
        if (!v["pool"]) {
          Error(v, p, "a generated attribute needs pool: N");
          continue;
        }
        a.type = ExtraAttribute::Type::kPool;
        if (!Int(v["pool"], Join(p, "pool"), &a.int_value, 1)) continue;
        a.string_value = a.key + "-";
        if (v["prefix"]) String(v["prefix"], Join(p, "prefix"), &a.string_value);
      } else if (v.IsScalar()) {
        const std::string s = v.Scalar();
        int64_t i;
        double d;
        // Quoted scalars stay strings ("1.0"); yaml-cpp marks them with the "!" tag.
        if (v.Tag() == "!") {
          a.type = ExtraAttribute::Type::kString;
          a.string_value = s;
        } else if (absl::SimpleAtoi(s, &i)) {
          a.type = ExtraAttribute::Type::kInt;
          a.int_value = i;
        } else if (absl::SimpleAtod(s, &d) && s.find_first_of("0123456789") != std::string::npos) {
          a.type = ExtraAttribute::Type::kDouble;
          a.double_value = d;
        } else if (s == "true" || s == "false") {
          a.type = ExtraAttribute::Type::kBool;
          a.bool_value = s == "true";
        } else {
          a.type = ExtraAttribute::Type::kString;
          a.string_value = s;
        }
      } else {
        Error(v, p, "expected a value");
        continue;
      }
      out->push_back(std::move(a));
    }
  }

  // ---------------------------------------------------------------- scenario (one part)

  // Name tables collected before bodies are parsed, so references can point forward.
  struct Names {
    std::vector<std::string> services, models, tools, agents, workflows;
  };

  static int Find(const std::vector<std::string>& names, const std::string& n) {
    auto it = std::find(names.begin(), names.end(), n);
    return it == names.end() ? -1 : static_cast<int>(it - names.begin());
  }

  int Ref(const YAML::Node& node, const std::string& path, const std::vector<std::string>& names,
          const char* what) {
    if (!node.IsScalar()) {
      Error(node, path, absl::StrCat("expected the name of a ", what));
      return -1;
    }
    const int i = Find(names, node.Scalar());
    if (i < 0)
      Error(node, path,
            absl::StrCat("unknown ", what, " \"", node.Scalar(), "\"",
                         Suggest(node.Scalar(), names)));
    return i;
  }

  void ParseServices(const YAML::Node& node, ScenarioPart* part) {
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

  void ParseModel(const std::string& key, const YAML::Node& b, Model* m) {
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
      Error(
          b["provider"], Join(p, "provider"),
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

  void ParseTool(const std::string& key, const YAML::Node& b, const Names& names, Tool* t) {
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
    if (const YAML::Node m = b["mcp"]) {
      const std::string mp = Join(p, "mcp");
      if (!CheckMap(m, mp,
                    {"server", "address", "port", "transport", "protocol_version", "method"}))
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
  }

  void ParseSteps(const YAML::Node& node, const std::string& path, const Names& names,
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
      const YAML::Node at = body.IsDefined() ? body : s;
      Step step;
      step.path = p;
      if (kind == "chat") {
        step.kind = Step::Kind::kChat;
        if (body.IsDefined() && !body.IsNull()) {
          if (body.IsMap()) {
            if (CheckMap(body, p, {"model"}) && body["model"])
              step.model = Ref(body["model"], Join(p, "model"), names.models, "model");
          } else {
            step.model = Ref(body, p, names.models, "model");
          }
        }
      } else if (kind == "tool" || kind == "execute_tool") {
        step.kind = Step::Kind::kTool;
        if (!body.IsDefined()) {
          Error(s, p, "needs a tool name, e.g. {tool: web_search}");
          continue;
        }
        const int t = Ref(body, p, names.tools, "tool");
        if (t >= 0) step.tools.push_back(t);
      } else if (kind == "tool_loop") {
        step.kind = Step::Kind::kToolLoop;
        if (!body.IsDefined() ||
            !CheckMap(body, p,
                      {"tools", "iterations", "max_iterations", "tools_per_iteration", "model"}))
          continue;
        if (!body["tools"])
          Error(body, p, "missing required field \"tools\"");
        else if (!body["tools"].IsSequence())
          Error(body["tools"], Join(p, "tools"), "expected a list of tool names");
        else
          for (size_t k = 0; k < body["tools"].size(); ++k) {
            const int t = Ref(body["tools"][k], Index(Join(p, "tools"), k), names.tools, "tool");
            if (t >= 0) step.tools.push_back(t);
          }
        if (body["iterations"]) Dist(body["iterations"], Join(p, "iterations"), &step.iterations);
        if (body["max_iterations"]) {
          int64_t m;
          if (Int(body["max_iterations"], Join(p, "max_iterations"), &m, 1))
            step.max_iterations = static_cast<int>(m);
        }
        if (body["tools_per_iteration"]) {
          int64_t m;
          if (Int(body["tools_per_iteration"], Join(p, "tools_per_iteration"), &m, 1))
            step.tools_per_iteration = static_cast<int>(m);
        }
        if (body["model"]) step.model = Ref(body["model"], Join(p, "model"), names.models, "model");
      } else if (kind == "fan_out" || kind == "agent" || kind == "handoff") {
        step.kind = kind == "handoff" ? Step::Kind::kHandoff : Step::Kind::kFanOut;
        if (!body.IsDefined()) {
          Error(s, p, "needs an agent name");
          continue;
        }
        if (kind == "fan_out") {
          if (!CheckMap(body, p, {"agents", "mode"})) continue;
          if (!body["agents"] || !body["agents"].IsSequence() || body["agents"].size() == 0) {
            Error(body, p, "needs agents: [a, b, ...]");
          } else {
            for (size_t k = 0; k < body["agents"].size(); ++k) {
              const int a =
                  Ref(body["agents"][k], Index(Join(p, "agents"), k), names.agents, "agent");
              if (a >= 0) step.agents.push_back(a);
            }
          }
          if (body["mode"]) {
            const std::string mode = body["mode"].Scalar();
            if (mode == "parallel")
              step.parallel = true;
            else if (mode == "sequential")
              step.parallel = false;
            else
              Error(body["mode"], Join(p, "mode"),
                    absl::StrCat("unknown mode \"", mode, "\"",
                                 Suggest(mode, {"parallel", "sequential"}),
                                 "; use parallel or sequential"));
          }
        } else {
          const int a = Ref(body, p, names.agents, "agent");
          if (a >= 0) step.agents.push_back(a);
          step.parallel = false;
          if (kind == "handoff" && i + 1 != node.size())
            Error(s, sp, "handoff must be the agent's last step (control does not come back)");
        }
      } else if (kind == "embeddings") {
        step.kind = Step::Kind::kEmbeddings;
        if (!body.IsDefined()) {
          Error(s, p, "needs a model name, e.g. {embeddings: text-embedding-3-small}");
          continue;
        }
        step.model = Ref(body, p, names.models, "model");
      } else if (kind == "retrieval") {
        step.kind = Step::Kind::kRetrieval;
        if (!body.IsDefined() ||
            !CheckMap(body, p, {"data_source", "top_k", "latency", "provider", "server"}))
          continue;
        if (!body["data_source"])
          Error(body, p, "missing required field \"data_source\"");
        else
          String(body["data_source"], Join(p, "data_source"), &step.data_source);
        if (body["top_k"]) Int(body["top_k"], Join(p, "top_k"), &step.top_k, 1);
        if (body["latency"])
          Dist(body["latency"], Join(p, "latency"), &step.latency, ParseDurationSeconds);
        if (body["provider"]) String(body["provider"], Join(p, "provider"), &step.provider);
        if (body["server"])
          Server(body["server"], Join(p, "server"), &step.server_address, &step.server_port);
      } else if (kind == "create_agent") {
        step.kind = Step::Kind::kCreateAgent;
        if (!body.IsDefined()) {
          Error(s, p, "needs an agent name");
          continue;
        }
        const int a = Ref(body, p, names.agents, "agent");
        if (a >= 0) step.agents.push_back(a);
      } else if (kind == "invoke_workflow") {
        step.kind = Step::Kind::kInvokeWorkflow;
        if (!body.IsDefined()) {
          Error(s, p, "needs a workflow name");
          continue;
        }
        step.workflow = Ref(body, p, names.workflows, "workflow");
      } else {
        Error(s.IsMap() ? s.begin()->first : s, p,
              absl::StrCat("unknown step \"", kind, "\"", Suggest(kind, kKinds)));
        continue;
      }
      steps->push_back(std::move(step));
    }
  }

  void ParseFaults(const YAML::Node& node, const std::string& path, const Names& names,
                   std::vector<FaultSpec>* out) {
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping of fault: rate or fault: {rate: ..}");
      return;
    }
    std::vector<std::string> fault_names;
    for (int i = 0; i < kFaultKindCount; ++i)
      fault_names.push_back(FaultKindName(static_cast<FaultKind>(i)));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string p = Join(path, key);
      FaultSpec f;
      if (!ParseFaultKind(key, &f.kind)) {
        Error(it->first, p, absl::StrCat("unknown fault \"", key, "\"", Suggest(key, fault_names)));
        continue;
      }
      const YAML::Node b = it->second;
      if (b.IsScalar()) {
        Fraction(b, p, &f.rate);
        out->push_back(std::move(f));
        continue;
      }
      std::vector<std::string> allowed = {"rate"};
      switch (f.kind) {
        case FaultKind::kToolFailure:
          allowed.insert(allowed.end(), {"tools", "error_type"});
          break;
        case FaultKind::kRunawayLoop:
          allowed.insert(allowed.end(), {"iterations", "error_type"});
          break;
        case FaultKind::kContextOverflow:
          allowed.insert(allowed.end(), {"factor", "mode"});
          break;
        case FaultKind::kRateLimit:
          allowed.insert(allowed.end(), {"retries", "backoff", "give_up", "error_type"});
          break;
        case FaultKind::kTimeout:
          allowed.insert(allowed.end(), {"after", "tools", "error_type"});
          break;
        default:
          break;
      }
      if (!CheckMap(b, p, allowed)) continue;
      if (!b["rate"])
        Error(b, p, "missing required field \"rate\"");
      else
        Fraction(b["rate"], Join(p, "rate"), &f.rate);
      if (b["tools"] && b["tools"].IsSequence()) {
        for (size_t k = 0; k < b["tools"].size(); ++k) {
          const int t = Ref(b["tools"][k], Index(Join(p, "tools"), k), names.tools, "tool");
          if (t >= 0) f.tools.push_back(t);
        }
      } else if (b["tools"]) {
        Error(b["tools"], Join(p, "tools"), "expected a list of tool names");
      }
      if (b["error_type"]) String(b["error_type"], Join(p, "error_type"), &f.error_type);
      if (b["iterations"]) Dist(b["iterations"], Join(p, "iterations"), &f.iterations);
      if (b["factor"]) {
        if (Number(b["factor"], Join(p, "factor"), &f.overflow_factor) && f.overflow_factor <= 1)
          Error(b["factor"], Join(p, "factor"), "must be greater than 1 to overflow the window");
      }
      if (b["mode"]) {
        const std::string mode = b["mode"].Scalar();
        if (mode == "error")
          f.overflow_as_error = true;
        else if (mode != "length")
          Error(b["mode"], Join(p, "mode"),
                absl::StrCat("unknown mode \"", mode, "\"", Suggest(mode, {"length", "error"}),
                             "; use length or error"));
      }
      if (b["retries"]) {
        int64_t r;
        if (Int(b["retries"], Join(p, "retries"), &r, 1))
          f.rate_limit_retries = static_cast<int>(r);
      }
      if (b["backoff"]) Dist(b["backoff"], Join(p, "backoff"), &f.backoff, ParseDurationSeconds);
      if (b["give_up"]) Fraction(b["give_up"], Join(p, "give_up"), &f.give_up_fraction);
      if (b["after"])
        Number(b["after"], Join(p, "after"), &f.timeout_seconds, ParseDurationSeconds);
      out->push_back(std::move(f));
    }
    for (auto& f : *out) {
      if (!f.error_type.empty()) continue;
      switch (f.kind) {
        case FaultKind::kToolFailure:
          f.error_type = "tool_error";
          break;
        case FaultKind::kRunawayLoop:
          f.error_type = "max_iterations_exceeded";
          break;
        case FaultKind::kContextOverflow:
          f.error_type = "context_length_exceeded";
          break;
        case FaultKind::kRateLimit:
          f.error_type = "429";
          break;
        case FaultKind::kTimeout:
          f.error_type = "timeout";
          break;
        default:
          break;
      }
    }
  }

  void ParseLoad(const YAML::Node& node, const std::string& path, LoadProfile* load) {
    if (!CheckMap(node, path, {"phases", "rate", "duration"})) return;
    auto rate_of = [&](const YAML::Node& n, const std::string& p, RatePhase* ph, bool end) {
      auto r = ParseRate(n.IsScalar() ? n.Scalar() : "");
      if (!r.ok()) {
        Error(n, p, std::string(r.status().message()));
        return;
      }
      if (r->max) {
        load->max_rate = true;
        return;
      }
      (end ? ph->end_rate : ph->start_rate) = r->per_second;
      ph->unit = r->unit;
    };
    if (node["rate"] || node["duration"]) {
      if (node["phases"]) Error(node, path, "use either rate/duration or phases, not both");
      RatePhase ph;
      if (node["rate"]) rate_of(node["rate"], Join(path, "rate"), &ph, false);
      ph.end_rate = ph.start_rate;
      if (node["duration"])
        Number(node["duration"], Join(path, "duration"), &ph.duration_seconds,
               ParseDurationSeconds);
      load->phases.push_back(ph);
      return;
    }
    const YAML::Node phases = node["phases"];
    if (!phases || !phases.IsSequence() || phases.size() == 0) {
      Error(node, path, "needs phases: [...] or rate/duration");
      return;
    }
    for (size_t i = 0; i < phases.size(); ++i) {
      const YAML::Node b = phases[i];
      const std::string p = Index(Join(path, "phases"), i);
      if (!CheckMap(b, p, {"name", "duration", "rate", "ramp_to", "arrivals", "faults"})) continue;
      RatePhase ph;
      if (b["name"]) String(b["name"], Join(p, "name"), &ph.name);
      if (!b["duration"])
        Error(b, p, "missing required field \"duration\"");
      else
        Number(b["duration"], Join(p, "duration"), &ph.duration_seconds, ParseDurationSeconds);
      if (!b["rate"])
        Error(b, p, "missing required field \"rate\"");
      else
        rate_of(b["rate"], Join(p, "rate"), &ph, false);
      ph.end_rate = ph.start_rate;
      if (b["ramp_to"]) {
        const RateUnit unit = ph.unit;
        rate_of(b["ramp_to"], Join(p, "ramp_to"), &ph, true);
        if (ph.unit != unit)
          Error(b["ramp_to"], Join(p, "ramp_to"), "must use the same unit as rate");
      }
      if (b["arrivals"]) {
        const std::string a = b["arrivals"].Scalar();
        if (a == "poisson")
          ph.arrivals = ArrivalProcess::kPoisson;
        else if (a != "constant")
          Error(b["arrivals"], Join(p, "arrivals"),
                absl::StrCat("unknown arrival process \"", a, "\"",
                             Suggest(a, {"constant", "poisson"}), "; use constant or poisson"));
      }
      if (b["faults"]) {
        const YAML::Node f = b["faults"];
        if (!f.IsMap()) {
          Error(f, Join(p, "faults"), "expected a mapping of fault: rate");
        } else {
          std::vector<std::string> fault_names;
          for (int k = 0; k < kFaultKindCount; ++k)
            fault_names.push_back(FaultKindName(static_cast<FaultKind>(k)));
          for (auto it = f.begin(); it != f.end(); ++it) {
            const std::string key = it->first.Scalar();
            FaultKind kind;
            double rate;
            if (!ParseFaultKind(key, &kind)) {
              Error(it->first, Join(Join(p, "faults"), key),
                    absl::StrCat("unknown fault \"", key, "\"", Suggest(key, fault_names)));
              continue;
            }
            if (Fraction(it->second, Join(Join(p, "faults"), key), &rate))
              ph.fault_overrides[key] = rate;
          }
        }
      }
      load->phases.push_back(ph);
    }
  }

  void ParseExpectations(const YAML::Node& root, Scenario* sc) {
    if (const YAML::Node s = root["sampling"]) {
      if (CheckMap(s, "sampling", {"head", "tail"})) {
        if (s["head"] && s["tail"]) Error(s, "sampling", "use either head or tail, not both");
        if (s["head"]) {
          sc->sampling.mode = SamplingExpectation::Mode::kHead;
          const YAML::Node h = s["head"];
          if (h.IsMap()) {
            if (CheckMap(h, "sampling.head", {"probability"}) && h["probability"])
              Fraction(h["probability"], "sampling.head.probability", &sc->sampling.probability);
          } else {
            Fraction(h, "sampling.head", &sc->sampling.probability);
          }
        } else if (s["tail"]) {
          sc->sampling.mode = SamplingExpectation::Mode::kTail;
          const YAML::Node t = s["tail"];
          if (CheckMap(t, "sampling.tail", {"keep_errors", "keep_slower_than", "probability"})) {
            if (t["keep_errors"])
              Bool(t["keep_errors"], "sampling.tail.keep_errors", &sc->sampling.keep_errors);
            if (t["keep_slower_than"])
              Number(t["keep_slower_than"], "sampling.tail.keep_slower_than",
                     &sc->sampling.keep_slower_than_seconds, ParseDurationSeconds);
            sc->sampling.probability = 0;
            if (t["probability"])
              Fraction(t["probability"], "sampling.tail.probability", &sc->sampling.probability);
          }
        }
      }
    }
    if (const YAML::Node r = root["redaction"]) {
      if (CheckMap(r, "redaction", {"strip_content", "attributes"})) {
        if (r["strip_content"])
          Bool(r["strip_content"], "redaction.strip_content", &sc->redaction.strip_content);
        if (r["attributes"])
          StringList(r["attributes"], "redaction.attributes", &sc->redaction.attributes);
      }
    }
    if (const YAML::Node l = root["load"]) {
      LoadProfile load;
      ParseLoad(l, "load", &load);
      sc->load = std::move(load);
    }
    ParseAlerts(root["alerts"], sc);
  }

  // `alerts:` plus the variants' expect.alerts. Call after the load and the variants.
  void ParseAlerts(const YAML::Node& a, Scenario* sc) {
    AlertExpectations& out = sc->alerts;
    if (a && CheckMap(a, "alerts", {"fire", "silent", "fault_phase", "deadline"})) {
      if (a["deadline"] &&
          Number(a["deadline"], "alerts.deadline", &out.deadline_seconds, ParseDurationSeconds) &&
          out.deadline_seconds <= 0)
        Error(a["deadline"], "alerts.deadline", "must be greater than 0");
      if (const YAML::Node f = a["fault_phase"];
          f && String(f, "alerts.fault_phase", &out.fault_phase)) {
        std::vector<std::string> phases;
        if (sc->load)
          for (const RatePhase& ph : sc->load->phases) phases.push_back(ph.name);
        if (Find(phases, out.fault_phase) < 0)
          Error(f, "alerts.fault_phase",
                absl::StrCat("no load phase named \"", out.fault_phase, "\"",
                             Suggest(out.fault_phase, phases)));
      }
      if (const YAML::Node f = a["fire"]) {
        if (!f.IsSequence()) Error(f, "alerts.fire", "expected a list of alerts");
        for (size_t i = 0; f.IsSequence() && i < f.size(); ++i) {
          const YAML::Node e = f[i];
          const std::string p = Index("alerts.fire", i);
          AlertExpectation x;
          if (e.IsScalar()) {
            x.alert = e.Scalar();
          } else if (CheckMap(e, p, {"alert", "labels", "within"})) {
            if (!e["alert"])
              Error(e, p, "missing required field \"alert\" (the alertname)");
            else
              String(e["alert"], Join(p, "alert"), &x.alert);
            if (const YAML::Node l = e["labels"]) {
              if (!l.IsMap()) Error(l, Join(p, "labels"), "expected a mapping of label: value");
              for (auto it = l.begin(); l.IsMap() && it != l.end(); ++it) {
                std::string v;
                if (String(it->second, Join(Join(p, "labels"), it->first.Scalar()), &v))
                  x.labels[it->first.Scalar()] = v;
              }
            }
            if (e["within"] &&
                Number(e["within"], Join(p, "within"), &x.within_seconds, ParseDurationSeconds) &&
                x.within_seconds <= 0)
              Error(e["within"], Join(p, "within"), "must be greater than 0");
          }
          if (!x.alert.empty()) out.fire.push_back(std::move(x));
        }
      }
      if (const YAML::Node n = a["silent"]) {
        if (n.IsScalar() && n.Scalar() == "others") {
          out.silent_others = true;
        } else {
          out.silent_others = false;  // `none`, or exactly the alerts listed
          if (!(n.IsScalar() && n.Scalar() == "none")) StringList(n, "alerts.silent", &out.silent);
        }
      }
    }
    for (const Variant& v : sc->variants) {
      if (v.weight <= 0) continue;
      for (const std::string& name : v.expected_alerts) {
        bool listed = false;
        for (const AlertExpectation& x : out.fire) listed |= x.alert == name;
        if (!listed) out.fire.push_back(AlertExpectation{name, {}, 0});
      }
    }
    for (const AlertExpectation& x : out.fire)
      for (const std::string& s : out.silent)
        if (s == x.alert)
          AddPathError("alerts.silent",
                       absl::StrCat("alert \"", s, "\" is expected to fire and to stay silent"));
  }

  bool ParseSemconv(const YAML::Node& n, SemconvProfile* out) {
    const std::string v = n.IsScalar() ? n.Scalar() : "";
    if (v == "latest")
      *out = SemconvProfile::kLatest;
    else if (v == "v1.36" || v == "1.36" || v == "v1.36.0")
      *out = SemconvProfile::kV136;
    else if (v == "dual")
      *out = SemconvProfile::kDual;
    else {
      Error(n, "semconv",
            absl::StrCat("unknown semconv profile \"", v, "\"",
                         Suggest(v, {"latest", "v1.36", "dual"}), "; use latest, v1.36 or dual"));
      return false;
    }
    return true;
  }

  // Every agent and workflow reachable from a variant must not call itself back.
  void CheckCycles(const ScenarioPart& part, const Names& names) {
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
        if (s.kind == Step::Kind::kInvokeWorkflow && s.workflow >= 0)
          next.push_back(A + s.workflow);
        for (int w : next) {
          if (state[w] == 1) {
            const std::string name = w < A ? names.agents[w] : names.workflows[w - A];
            ScenarioDiagnostic d;
            d.file = file_;
            d.path = s.path;
            d.message = absl::StrCat("\"", name,
                                     "\" is already running higher up in this call "
                                     "chain (a cycle would make traces infinite)");
            errors_->push_back(d);
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

  static std::vector<std::string> Keys(const YAML::Node& n) {
    std::vector<std::string> out;
    if (n && n.IsMap())
      for (auto it = n.begin(); it != n.end(); ++it) out.push_back(it->first.Scalar());
    return out;
  }

  // Parses a scenario file body into a part plus its variants.
  void ParseScenario(const YAML::Node& root, Scenario* sc, int part_index) {
    if (!CheckMap(root, "",
                  {"name", "description", "semconv", "services", "models", "tools", "agents",
                   "workflows", "entry", "faults", "variants", "content_capture", "conversations",
                   "span_attributes", "slow_threshold", "load", "sampling", "redaction", "alerts"}))
      return;
    ScenarioPart& part = sc->parts[part_index];
    if (root["name"]) String(root["name"], "name", &part.name);
    if (root["semconv"]) ParseSemconv(root["semconv"], &part.semconv);

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
    const int default_service = names.services.size() == 1 ? 0 : -1;
    if (root["agents"] && root["agents"].IsMap())
      for (auto it = root["agents"].begin(); it != root["agents"].end(); ++it) {
        Agent a;
        a.name = it->first.Scalar();
        const std::string p = Join("agents", a.name);
        const YAML::Node b = it->second;
        if (CheckMap(b, p,
                     {"service", "model", "description", "id", "version", "provider", "server",
                      "steps", "attributes"})) {
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
          if (b["server"])
            Server(b["server"], Join(p, "server"), &a.server_address, &a.server_port);
          if (b["attributes"]) Attributes(b["attributes"], Join(p, "attributes"), &a.attributes);
          if (!b["steps"])
            Error(b, p, "missing required field \"steps\"");
          else
            ParseSteps(b["steps"], Join(p, "steps"), names, &a.steps);
        }
        part.agents.push_back(std::move(a));
      }
    if (root["workflows"] && root["workflows"].IsMap())
      for (auto it = root["workflows"].begin(); it != root["workflows"].end(); ++it) {
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
        part.workflows.push_back(std::move(w));
      }
    // A chat step needs a model: its own or its agent's.
    for (const Agent& a : part.agents)
      for (const Step& s : a.steps)
        if ((s.kind == Step::Kind::kChat || s.kind == Step::Kind::kToolLoop) && s.model < 0 &&
            a.model < 0)
          AddPathError(s.path, absl::StrCat("no model: give the step a model or agent \"", a.name,
                                            "\" a default model"));
    for (const Workflow& w : part.workflows)
      for (const Step& s : w.steps)
        if ((s.kind == Step::Kind::kChat || s.kind == Step::Kind::kToolLoop) && s.model < 0)
          AddPathError(s.path, "no model: a workflow's chat step must name its model");

    if (root["faults"]) ParseFaults(root["faults"], "faults", names, &part.faults);
    if (const YAML::Node c = root["content_capture"]) {
      if (CheckMap(c, "content_capture", {"enabled", "size"})) {
        part.content.enabled = true;
        if (c["enabled"]) Bool(c["enabled"], "content_capture.enabled", &part.content.enabled);
        if (c["size"])
          Dist(c["size"], "content_capture.size", &part.content.size_bytes, ParseByteSize);
      }
    }
    if (const YAML::Node c = root["conversations"]) {
      if (CheckMap(c, "conversations", {"pool"}) && c["pool"])
        Int(c["pool"], "conversations.pool", &part.conversation_pool, 1);
    }
    if (root["span_attributes"])
      Attributes(root["span_attributes"], "span_attributes", &part.span_attributes);
    if (root["slow_threshold"])
      Number(root["slow_threshold"], "slow_threshold", &part.slow_threshold_seconds,
             ParseDurationSeconds);

    // Faults must have somewhere to land.
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

    if (error_count() == 0) CheckCycles(part, names);

    // Variants.
    auto resolve_entry = [&](const YAML::Node& n, const std::string& p, Variant* v) {
      if (!n.IsScalar()) {
        Error(n, p, "expected an agent or workflow name");
        return;
      }
      const std::string e = n.Scalar();
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
    };
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
          if (b["weight"]) {
            if (Number(b["weight"], Join(p, "weight"), &v.weight) && v.weight <= 0)
              Error(b["weight"], Join(p, "weight"), "must be greater than 0");
          }
          if (b["entry"])
            resolve_entry(b["entry"], Join(p, "entry"), &v);
          else if (root["entry"])
            resolve_entry(root["entry"], "entry", &v);
          else
            Error(b, p, "missing \"entry\" (here or at the top level)");
          ParseExpect(b["expect"], Join(p, "expect"), &v);
          if (b["faults"]) {
            std::vector<FaultSpec> overrides;
            ParseFaults(b["faults"], Join(p, "faults"), names, &overrides);
            for (const FaultSpec& f : overrides) {
              v.fault_rates[f.kind] = f.rate;
              if (b["faults"][FaultKindName(f.kind)].IsMap()) v.fault_specs[f.kind] = f;
              bool declared = false;
              for (const FaultSpec& g : part.faults) declared |= g.kind == f.kind;
              // A variant may switch on a fault the scenario does not declare: it uses defaults.
              if (!declared) {
                FaultSpec d = f;
                d.rate = 0;
                part.faults.push_back(d);
              }
            }
          }
          variants.push_back(std::move(v));
        }
      }
    } else {
      Variant v;
      v.name = "default";
      v.part = part_index;
      if (root["entry"])
        resolve_entry(root["entry"], "entry", &v);
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

  void ParseExpect(const YAML::Node& n, const std::string& p, Variant* v) {
    if (!n) return;
    if (!CheckMap(n, p, {"class", "alerts"})) return;
    if (n["class"]) {
      const std::string c = n["class"].Scalar();
      const int i = Find(kClasses, c);
      if (i < 0)
        Error(n["class"], Join(p, "class"),
              absl::StrCat("unknown class \"", c, "\"", Suggest(c, kClasses),
                           "; use normal, error, slow, runaway or overflow"));
      else
        v->expected_class = static_cast<TraceClass>(i);
    }
    if (n["alerts"]) StringList(n["alerts"], Join(p, "alerts"), &v->expected_alerts);
  }

  void AddPathError(const std::string& path, const std::string& message) {
    ScenarioDiagnostic d;
    d.file = file_;
    d.path = path;
    d.message = message;
    errors_->push_back(std::move(d));
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<ScenarioDiagnostic>* errors_;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool ParseYaml(std::string_view text, const std::string& file, YAML::Node* root,
               std::vector<ScenarioDiagnostic>* errors) {
  try {
    *root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    ScenarioDiagnostic d;
    d.file = file;
    d.line = e.mark.line + 1;
    d.column = e.mark.column + 1;
    d.message = absl::StrCat("YAML syntax error: ", e.msg);
    errors->push_back(std::move(d));
    return false;
  }
  if (!root->IsMap()) {
    errors->push_back({file, 1, 1, "", "expected a mapping at the top level"});
    return false;
  }
  return true;
}

std::unique_ptr<Scenario> LoadImpl(std::string_view text, const std::string& file,
                                   std::vector<ScenarioDiagnostic>* errors) {
  const size_t before = errors->size();
  YAML::Node root;
  if (!ParseYaml(text, file, &root, errors)) return nullptr;
  auto sc = std::make_unique<Scenario>();
  sc->source_file = file;
  sc->source_text = std::string(text);
  Parser parser(file, errors);

  if (root["suite"] || root["scenarios"]) {
    // A suite: each entry's variants join this scenario, weighted by the entry's weight.
    if (!parser.CheckMap(root, "",
                         {"suite", "description", "semconv", "scenarios", "load", "sampling",
                          "redaction", "alerts"}))
      return nullptr;
    if (root["suite"]) parser.String(root["suite"], "suite", &sc->name);
    if (root["description"]) parser.String(root["description"], "description", &sc->description);
    std::optional<SemconvProfile> semconv_override;
    if (root["semconv"]) {
      SemconvProfile p;
      if (parser.ParseSemconv(root["semconv"], &p)) semconv_override = p;
    }
    const YAML::Node list = root["scenarios"];
    if (!list || !list.IsSequence() || list.size() == 0) {
      parser.Error(root, "scenarios", "a suite needs scenarios: [{file: x.yaml, weight: 1}, ...]");
    } else {
      const fs::path base = fs::path(file).parent_path();
      double total_weight = 0;
      std::vector<double> weights;
      for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node e = list[i];
        const std::string p = Parser::Index("scenarios", i);
        std::string rel;
        double weight = 1;
        if (e.IsScalar()) {
          rel = e.Scalar();
        } else if (parser.CheckMap(e, p, {"file", "weight"})) {
          if (!e["file"])
            parser.Error(e, p, "missing required field \"file\"");
          else
            parser.String(e["file"], Parser::Join(p, "file"), &rel);
          if (e["weight"] && parser.Number(e["weight"], Parser::Join(p, "weight"), &weight) &&
              weight <= 0)
            parser.Error(e["weight"], Parser::Join(p, "weight"), "must be greater than 0");
        }
        if (rel.empty()) continue;
        const std::string child = (base / rel).lexically_normal().string();
        std::string child_text;
        if (!ReadFile(child, &child_text)) {
          parser.Error(e.IsScalar() ? e : e["file"], p,
                       absl::StrCat("cannot read scenario file \"", child, "\""));
          continue;
        }
        YAML::Node child_root;
        if (!ParseYaml(child_text, child, &child_root, errors)) continue;
        if (child_root["suite"] || child_root["scenarios"]) {
          parser.Error(e, p, "a suite cannot include another suite");
          continue;
        }
        Parser cp(child, errors);
        const int part_index = static_cast<int>(sc->parts.size());
        sc->parts.emplace_back();
        sc->parts.back().source_file = child;
        const size_t first_variant = sc->variants.size();
        cp.ParseScenario(child_root, sc.get(), part_index);
        absl::StrAppend(&sc->source_text, "\n---\n", child_text);
        if (semconv_override) sc->parts[part_index].semconv = *semconv_override;
        std::string part_name = sc->parts[part_index].name;
        if (part_name.empty()) part_name = fs::path(child).stem().string();
        sc->parts[part_index].name = part_name;
        for (size_t v = first_variant; v < sc->variants.size(); ++v) {
          sc->variants[v].weight *= weight;
          sc->variants[v].name = absl::StrCat(part_name, "/", sc->variants[v].name);
        }
        total_weight += weight;
      }
      for (Variant& v : sc->variants) v.weight /= total_weight > 0 ? total_weight : 1;
    }
    parser.ParseExpectations(root, sc.get());
  } else {
    sc->parts.emplace_back();
    sc->parts[0].source_file = file;
    if (root["description"]) parser.String(root["description"], "description", &sc->description);
    parser.ParseScenario(root, sc.get(), 0);
    sc->name = sc->parts[0].name.empty() ? fs::path(file).stem().string() : sc->parts[0].name;
    sc->parts[0].name = sc->name;
    parser.ParseExpectations(root, sc.get());
  }
  if (sc->description.empty())
    errors->push_back({file, 0, 0, "description",
                       "missing \"description\": one line saying what the scenario exercises"});
  if (errors->size() != before) {
    // Report in reading order: file, then line, then column.
    std::stable_sort(errors->begin() + before, errors->end(),
                     [](const ScenarioDiagnostic& a, const ScenarioDiagnostic& b) {
                       return std::tie(a.file, a.line, a.column) <
                              std::tie(b.file, b.line, b.column);
                     });
    return nullptr;
  }
  return sc;
}

}  // namespace

std::string ScenarioDiagnostic::ToString() const {
  std::string s = file;
  if (line > 0) absl::StrAppend(&s, ":", line, ":", column);
  absl::StrAppend(&s, ": ");
  if (!path.empty()) absl::StrAppend(&s, path, ": ");
  absl::StrAppend(&s, message);
  return s;
}

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::unique_ptr<Scenario> LoadScenarioText(std::string_view yaml, const std::string& file_label,
                                           std::vector<ScenarioDiagnostic>* errors) {
  return LoadImpl(yaml, file_label, errors);
}

std::unique_ptr<Scenario> LoadScenarioFile(const std::string& path,
                                           std::vector<ScenarioDiagnostic>* errors) {
  std::string text;
  if (!ReadFile(path, &text)) {
    errors->push_back({path, 0, 0, "", "cannot read file"});
    return nullptr;
  }
  return LoadImpl(text, path, errors);
}

absl::StatusOr<std::shared_ptr<const Scenario>> LoadScenario(const std::string& path) {
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> sc = LoadScenarioFile(path, &errors);
  if (!sc) {
    std::vector<std::string> lines;
    for (const auto& e : errors) lines.push_back(e.ToString());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return std::shared_ptr<const Scenario>(std::move(sc));
}

std::string BundledScenariosDir(const std::string& source_dir) {
  if (const char* env = std::getenv("AGENTSTORM_SCENARIOS_DIR"); env && *env) return env;
  return (fs::path(source_dir) / "scenarios").string();
}

std::string ResolveScenarioPath(const std::string& arg, const std::string& scenarios_dir) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) return arg;
  for (const std::string& candidate : {arg, arg + ".yaml"}) {
    const fs::path p = fs::path(scenarios_dir) / candidate;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return arg;
}

}  // namespace agentstorm
