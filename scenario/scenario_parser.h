// The scenario loader's parser, one file of the language at a time (internal to scenario/; the
// public entry points are in scenario_loader.h). Each section of a scenario file has its own
// source file:
//   parse_values.cc    value shapes shared by the sections: distributions, weights, servers,
//                      extra attributes, references by name, the semconv label
//   parse_catalog.cc   services:, models:, tools:
//   parse_steps.cc     the steps: of agents and workflows
//   parse_faults.cc    faults: (top level and per variant)
//   parse_load.cc      load:, sampling:, redaction:, alerts:
//   parse_scenario.cc  one scenario file: names, agents:, workflows:, variants:, the
//                      cross-section checks (models for chat steps, fault targets, cycles)
// Errors go through YamlFields (core/yaml_fields.h): every one is collected, none stops the parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/yaml_fields.h"
#include "scenario/scenario.h"

namespace agentstorm::scenario_parser {

// Well-known values (open enums: anything else is accepted unless it looks like a typo of one).
extern const std::vector<std::string> kProviders;
extern const std::vector<std::string> kInferenceOperations;
extern const std::vector<std::string> kToolTypes;
extern const std::vector<std::string> kTransports;
extern const std::vector<std::string> kClasses;

// True when `word` is not in `known` but is a near miss of one of them.
bool IsTypoOf(const std::string& word, const std::vector<std::string>& known);

// The index of `n` in `names`, or -1.
int Find(const std::vector<std::string>& names, const std::string& n);

// Name tables collected before bodies are parsed, so references can point forward.
struct Names {
  std::vector<std::string> services, models, tools, agents, workflows;
};

class ScenarioParser : public YamlFields {
 public:
  using YamlFields::YamlFields;

  // Parses a scenario file body into sc->parts[part_index] plus its variants.
  void ParseScenario(const YAML::Node& root, Scenario* sc, int part_index);
  // sampling:, redaction:, load: and alerts: (a scenario's or a suite's). Call after the variants.
  void ParseExpectations(const YAML::Node& root, Scenario* sc);
  bool ParseSemconv(const YAML::Node& n, SemconvProfile* out);

 private:
  // parse_values.cc
  void Server(const YAML::Node& node, const std::string& path, std::string* address, int* port);
  bool Dist(const YAML::Node& node, const std::string& path, Distribution* out,
            const YamlUnitParser& unit = ParsePlainNumber);
  bool DistUniform(const YAML::Node& body, const std::string& p, Distribution* out,
                   const YamlUnitParser& unit);
  bool DistNormal(const YAML::Node& body, const std::string& p, Distribution* out,
                  const YamlUnitParser& unit);
  bool DistLognormal(const YAML::Node& body, const std::string& p, Distribution* out,
                     const YamlUnitParser& unit);
  bool DistEmpirical(const YAML::Node& body, const std::string& p, Distribution* out,
                     const YamlUnitParser& unit);
  void Weighted(const YAML::Node& node, const std::string& path, std::vector<WeightedString>* out);
  void Attributes(const YAML::Node& node, const std::string& path,
                  std::vector<ExtraAttribute>* out);
  int Ref(const YAML::Node& node, const std::string& path, const std::vector<std::string>& names,
          const char* what);

  // parse_catalog.cc
  void ParseServices(const YAML::Node& node, ScenarioPart* part);
  void ParseModel(const std::string& key, const YAML::Node& b, Model* m);
  void ParseTool(const std::string& key, const YAML::Node& b, const Names& names, Tool* t);
  void ParseMcp(const YAML::Node& m, const std::string& mp, const Names& names, Tool* t);

  // parse_steps.cc
  void ParseSteps(const YAML::Node& node, const std::string& path, const Names& names,
                  std::vector<Step>* steps);
  bool ParseChatStep(const YAML::Node& body, const std::string& p, const Names& names, Step* step);
  bool ParseToolLoopStep(const YAML::Node& body, const std::string& p, const Names& names,
                         Step* step);
  bool ParseFanOutStep(const YAML::Node& body, const std::string& p, const Names& names,
                       Step* step);
  bool ParseRetrievalStep(const YAML::Node& body, const std::string& p, Step* step);

  // parse_faults.cc
  void ParseFaults(const YAML::Node& node, const std::string& path, const Names& names,
                   std::vector<FaultSpec>* out);
  bool ParseFaultBody(const YAML::Node& b, const std::string& p, const Names& names, FaultSpec* f);

  // parse_load.cc
  void ParseLoad(const YAML::Node& node, const std::string& path, LoadProfile* load);
  void ParsePhase(const YAML::Node& b, const std::string& p, LoadProfile* load);
  void ParsePhaseFaults(const YAML::Node& f, const std::string& p, RatePhase* ph);
  void PhaseRate(const YAML::Node& n, const std::string& p, LoadProfile* load, RatePhase* ph,
                 bool end);
  void ParseSampling(const YAML::Node& s, Scenario* sc);
  void ParseAlerts(const YAML::Node& a, Scenario* sc);
  void ParseAlertFire(const YAML::Node& f, AlertExpectations* out);

  // parse_scenario.cc
  Names CollectNames(const YAML::Node& root);
  void ParseAgents(const YAML::Node& node, const Names& names, ScenarioPart* part);
  void ParseWorkflows(const YAML::Node& node, const Names& names, ScenarioPart* part);
  void ParseExtras(const YAML::Node& root, ScenarioPart* part);
  void CheckStepModels(const ScenarioPart& part);
  void CheckFaultTargets(const YAML::Node& root, const ScenarioPart& part);
  void CheckCycles(const ScenarioPart& part, const Names& names);
  void ParseVariants(const YAML::Node& root, const Names& names, Scenario* sc, int part_index);
  void ParseVariant(const YAML::Node& b, const std::string& p, const YAML::Node& root,
                    const Names& names, ScenarioPart* part, Variant* v);
  void ResolveEntry(const YAML::Node& n, const std::string& p, const Names& names, Variant* v);
  void ParseExpect(const YAML::Node& n, const std::string& p, Variant* v);
};

}  // namespace agentstorm::scenario_parser
