// load:, sampling:, redaction: and alerts: of a scenario or suite file.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "scenario/scenario_parser.h"
#include "scenario/units.h"

namespace agentstorm::scenario_parser {

void ScenarioParser::ParseExpectations(const YAML::Node& root, Scenario* sc) {
  if (const YAML::Node s = root["sampling"]) ParseSampling(s, sc);
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

void ScenarioParser::ParseSampling(const YAML::Node& s, Scenario* sc) {
  if (!CheckMap(s, "sampling", {"head", "tail"})) return;
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

void ScenarioParser::ParseLoad(const YAML::Node& node, const std::string& path, LoadProfile* load) {
  if (!CheckMap(node, path, {"phases", "rate", "duration"})) return;
  if (node["rate"] || node["duration"]) {
    if (node["phases"]) Error(node, path, "use either rate/duration or phases, not both");
    RatePhase ph;
    if (node["rate"]) PhaseRate(node["rate"], Join(path, "rate"), load, &ph, false);
    ph.end_rate = ph.start_rate;
    if (node["duration"])
      Number(node["duration"], Join(path, "duration"), &ph.duration_seconds, ParseDurationSeconds);
    load->phases.push_back(ph);
    return;
  }
  const YAML::Node phases = node["phases"];
  if (!phases || !phases.IsSequence() || phases.size() == 0) {
    Error(node, path, "needs phases: [...] or rate/duration");
    return;
  }
  for (size_t i = 0; i < phases.size(); ++i)
    ParsePhase(phases[i], Index(Join(path, "phases"), i), load);
}

// A rate into ph's start (or, with `end`, end) rate; "max" makes the whole load unthrottled.
void ScenarioParser::PhaseRate(const YAML::Node& n, const std::string& p, LoadProfile* load,
                               RatePhase* ph, bool end) {
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
}

void ScenarioParser::ParsePhase(const YAML::Node& b, const std::string& p, LoadProfile* load) {
  if (!CheckMap(b, p, {"name", "duration", "rate", "ramp_to", "arrivals", "faults"})) return;
  RatePhase ph;
  if (b["name"]) String(b["name"], Join(p, "name"), &ph.name);
  if (!b["duration"])
    Error(b, p, "missing required field \"duration\"");
  else
    Number(b["duration"], Join(p, "duration"), &ph.duration_seconds, ParseDurationSeconds);
  if (!b["rate"])
    Error(b, p, "missing required field \"rate\"");
  else
    PhaseRate(b["rate"], Join(p, "rate"), load, &ph, false);
  ph.end_rate = ph.start_rate;
  if (b["ramp_to"]) {
    const RateUnit unit = ph.unit;
    PhaseRate(b["ramp_to"], Join(p, "ramp_to"), load, &ph, true);
    if (ph.unit != unit) Error(b["ramp_to"], Join(p, "ramp_to"), "must use the same unit as rate");
  }
  int arrivals;
  if (b["arrivals"] && Enum(b["arrivals"], Join(p, "arrivals"), "arrival process",
                            {"constant", "poisson"}, &arrivals, "; use constant or poisson"))
    ph.arrivals = arrivals == 1 ? ArrivalProcess::kPoisson : ArrivalProcess::kConstant;
  if (b["faults"]) ParsePhaseFaults(b["faults"], Join(p, "faults"), &ph);
  load->phases.push_back(ph);
}

// A phase's faults: {kind: rate}, overriding the scenario's rates while the phase lasts.
void ScenarioParser::ParsePhaseFaults(const YAML::Node& f, const std::string& p, RatePhase* ph) {
  if (!IsMap(f, p, "expected a mapping of fault: rate")) return;
  std::vector<std::string> fault_names;
  for (int k = 0; k < kFaultKindCount; ++k)
    fault_names.push_back(FaultKindName(static_cast<FaultKind>(k)));
  for (auto it = f.begin(); it != f.end(); ++it) {
    const std::string key = it->first.Scalar();
    FaultKind kind;
    double rate;
    if (!ParseFaultKind(key, &kind)) {
      Error(it->first, Join(p, key),
            absl::StrCat("unknown fault \"", key, "\"", Suggest(key, fault_names)));
      continue;
    }
    if (Fraction(it->second, Join(p, key), &rate)) ph->fault_overrides[key] = rate;
  }
}

// `alerts:` plus the variants' expect.alerts. Call after the load and the variants.
void ScenarioParser::ParseAlerts(const YAML::Node& a, Scenario* sc) {
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
    if (const YAML::Node f = a["fire"]) ParseAlertFire(f, &out);
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
        PathError("alerts.silent",
                  absl::StrCat("alert \"", s, "\" is expected to fire and to stay silent"));
}

// alerts.fire: [name | {alert, labels, within}].
void ScenarioParser::ParseAlertFire(const YAML::Node& f, AlertExpectations* out) {
  if (!f.IsSequence()) {
    Error(f, "alerts.fire", "expected a list of alerts");
    return;
  }
  for (size_t i = 0; i < f.size(); ++i) {
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
      if (const YAML::Node l = e["labels"];
          l && IsMap(l, Join(p, "labels"), "expected a mapping of label: value")) {
        for (auto it = l.begin(); it != l.end(); ++it) {
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
    if (!x.alert.empty()) out->fire.push_back(std::move(x));
  }
}

}  // namespace agentstorm::scenario_parser
