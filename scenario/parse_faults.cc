// faults: {kind: rate} or {kind: {rate: .., kind-specific fields}}, at the top level and per
// variant.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"
#include "scenario/units.h"

namespace agentstorm::scenario_parser {
namespace {

// The fields a fault's mapping may have besides `rate`.
std::vector<std::string> FaultFields(FaultKind kind) {
  switch (kind) {
    case FaultKind::kToolFailure:
      return {"rate", "tools", "error_type"};
    case FaultKind::kRunawayLoop:
      return {"rate", "iterations", "error_type"};
    case FaultKind::kContextOverflow:
      return {"rate", "factor", "mode"};
    case FaultKind::kRateLimit:
      return {"rate", "retries", "backoff", "give_up", "error_type"};
    case FaultKind::kTimeout:
      return {"rate", "after", "tools", "error_type"};
    default:
      return {"rate"};
  }
}

// The error.type a fault records when the scenario does not name one.
std::string DefaultErrorType(FaultKind kind) {
  switch (kind) {
    case FaultKind::kToolFailure:
      return "tool_error";
    case FaultKind::kRunawayLoop:
      return "max_iterations_exceeded";
    case FaultKind::kContextOverflow:
      return "context_length_exceeded";
    case FaultKind::kRateLimit:
      return "429";
    case FaultKind::kTimeout:
      return "timeout";
    default:
      return "";
  }
}

}  // namespace

void ScenarioParser::ParseFaults(const YAML::Node& node, const std::string& path,
                                 const Names& names, std::vector<FaultSpec>* out) {
  if (!IsMap(node, path, "expected a mapping of fault: rate or fault: {rate: ..}")) return;
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
    } else if (!ParseFaultBody(b, p, names, &f)) {
      continue;
    }
    out->push_back(std::move(f));
  }
  for (FaultSpec& f : *out)
    if (f.error_type.empty()) f.error_type = DefaultErrorType(f.kind);
}

bool ScenarioParser::ParseFaultBody(const YAML::Node& b, const std::string& p, const Names& names,
                                    FaultSpec* f) {
  if (!CheckMap(b, p, FaultFields(f->kind))) return false;
  if (!b["rate"])
    Error(b, p, "missing required field \"rate\"");
  else
    Fraction(b["rate"], Join(p, "rate"), &f->rate);
  if (b["tools"] && b["tools"].IsSequence()) {
    for (size_t k = 0; k < b["tools"].size(); ++k) {
      const int t = Ref(b["tools"][k], Index(Join(p, "tools"), k), names.tools, "tool");
      if (t >= 0) f->tools.push_back(t);
    }
  } else if (b["tools"]) {
    Error(b["tools"], Join(p, "tools"), "expected a list of tool names");
  }
  if (b["error_type"]) String(b["error_type"], Join(p, "error_type"), &f->error_type);
  if (b["iterations"]) Dist(b["iterations"], Join(p, "iterations"), &f->iterations);
  if (b["factor"] && Number(b["factor"], Join(p, "factor"), &f->overflow_factor) &&
      f->overflow_factor <= 1)
    Error(b["factor"], Join(p, "factor"), "must be greater than 1 to overflow the window");
  int mode;
  if (b["mode"] &&
      Enum(b["mode"], Join(p, "mode"), "mode", {"length", "error"}, &mode, "; use length or error"))
    f->overflow_as_error = mode == 1;
  int64_t r;
  if (b["retries"] && Int(b["retries"], Join(p, "retries"), &r, 1))
    f->rate_limit_retries = static_cast<int>(r);
  if (b["backoff"]) Dist(b["backoff"], Join(p, "backoff"), &f->backoff, ParseDurationSeconds);
  if (b["give_up"]) Fraction(b["give_up"], Join(p, "give_up"), &f->give_up_fraction);
  if (b["after"]) Number(b["after"], Join(p, "after"), &f->timeout_seconds, ParseDurationSeconds);
  return true;
}

}  // namespace agentstorm::scenario_parser
