// The shape of a load over time: a sequence of phases, each with a rate (constant or a linear
// ramp), an arrival process, and optional fault-rate overrides for the traces sent during it.
// Built from `--rate` / `--duration` flags or from a scenario's `load:` section.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace agentstorm {

enum class RateUnit { kTracesPerSecond, kSpansPerSecond };
enum class ArrivalProcess { kConstant, kPoisson };

struct RatePhase {
  std::string name;  // "normal", "incident", ... ("" for an unnamed phase)
  double duration_seconds = 0;
  double start_rate = 0;  // per second, in `unit`; start == end for a constant phase
  double end_rate = 0;    // linear ramp from start_rate to end_rate over the phase
  RateUnit unit = RateUnit::kTracesPerSecond;
  ArrivalProcess arrivals = ArrivalProcess::kConstant;
  // Fault name (as in the scenario's `faults:` section, e.g. "tool_failure") -> rate in [0,1]
  // applied instead of the scenario's rate while this phase lasts.
  std::map<std::string, double> fault_overrides;
};

struct LoadProfile {
  std::vector<RatePhase> phases;
  bool max_rate = false;  // `--rate max`: closed loop, as fast as the endpoints accept
};

}  // namespace agentstorm
