// Value shapes shared by the sections of a scenario file.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"

namespace agentstorm::scenario_parser {

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

bool IsTypoOf(const std::string& word, const std::vector<std::string>& known) {
  if (std::find(known.begin(), known.end(), word) != known.end()) return false;
  return !Suggest(word, known).empty();
}

int Find(const std::vector<std::string>& names, const std::string& n) {
  auto it = std::find(names.begin(), names.end(), n);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

// "host:port" or {address, port}.
void ScenarioParser::Server(const YAML::Node& node, const std::string& path, std::string* address,
                            int* port) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
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
bool ScenarioParser::Dist(const YAML::Node& node, const std::string& path, Distribution* out,
                          const YamlUnitParser& unit) {
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
  if (kind == "uniform") return DistUniform(body, p, out, unit);
  if (kind == "normal") return DistNormal(body, p, out, unit);
  if (kind == "lognormal") return DistLognormal(body, p, out, unit);
  if (kind == "empirical") return DistEmpirical(body, p, out, unit);
  Error(node.begin()->first, p,
        absl::StrCat("unknown distribution \"", kind, "\"",
                     Suggest(kind, {"constant", "uniform", "normal", "lognormal", "empirical"})));
  return false;
}

bool ScenarioParser::DistUniform(const YAML::Node& body, const std::string& p, Distribution* out,
                                 const YamlUnitParser& unit) {
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

bool ScenarioParser::DistNormal(const YAML::Node& body, const std::string& p, Distribution* out,
                                const YamlUnitParser& unit) {
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

bool ScenarioParser::DistLognormal(const YAML::Node& body, const std::string& p, Distribution* out,
                                   const YamlUnitParser& unit) {
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

bool ScenarioParser::DistEmpirical(const YAML::Node& body, const std::string& p, Distribution* out,
                                   const YamlUnitParser& unit) {
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

// Either a list of values (equal weights) or a map value -> weight.
void ScenarioParser::Weighted(const YAML::Node& node, const std::string& path,
                              std::vector<WeightedString>* out) {
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

void ScenarioParser::Attributes(const YAML::Node& node, const std::string& path,
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
      const std::string& s = v.Scalar();
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

int ScenarioParser::Ref(const YAML::Node& node, const std::string& path,
                        const std::vector<std::string>& names, const char* what) {
  if (!node.IsScalar()) {
    Error(node, path, absl::StrCat("expected the name of a ", what));
    return -1;
  }
  const int i = Find(names, node.Scalar());
  if (i < 0)
    Error(
        node, path,
        absl::StrCat("unknown ", what, " \"", node.Scalar(), "\"", Suggest(node.Scalar(), names)));
  return i;
}

bool ScenarioParser::ParseSemconv(const YAML::Node& n, SemconvProfile* out) {
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

}  // namespace agentstorm::scenario_parser
