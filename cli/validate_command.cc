// `agentstorm validate SCENARIO`: every error with file:line:column and field path (exit 2), or
// the compiled plan: variants with weights and classes, spans per trace, services, faults.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/exit_codes.h"
#include "scenario/scenario_loader.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm::cli {
namespace {

std::string DescribeLoad(const LoadProfile& load) {
  if (load.max_rate) return "max (closed loop)";
  std::vector<std::string> parts;
  for (const RatePhase& p : load.phases) {
    const char* unit = p.unit == RateUnit::kSpansPerSecond ? "spans/s" : "traces/s";
    std::string s = absl::StrFormat("%s%g", p.name.empty() ? "" : p.name + ": ", p.start_rate);
    if (p.end_rate != p.start_rate) s += absl::StrFormat(" -> %g", p.end_rate);
    s += absl::StrFormat(" %s for %gs", unit, p.duration_seconds);
    if (p.arrivals == ArrivalProcess::kPoisson) s += " poisson";
    for (const auto& [fault, rate] : p.fault_overrides)
      s += absl::StrFormat(" %s=%g%%", fault, rate * 100);
    parts.push_back(s);
  }
  return absl::StrJoin(parts, "; ");
}

int Validate(const std::string& arg) {
  if (std::string error = UnknownScenarioError(arg, BundledScenariosDir(DataDirOrEmpty()));
      !error.empty()) {
    std::cout << error << "\n1 error\n";
    return kExitUsage;
  }
  const std::string path = ResolveScenarioPath(arg, BundledScenariosDir(DataDirOrEmpty()));
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> loaded = LoadScenarioFile(path, &errors);
  if (!loaded) {
    for (const auto& e : errors) std::cout << e.ToString() << "\n";
    std::cout << errors.size() << (errors.size() == 1 ? " error" : " errors") << "\n";
    return kExitUsage;
  }
  std::shared_ptr<const Scenario> sc = std::move(loaded);
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  std::cout << path << ": valid\n";
  std::cout << "scenario  " << sc->name << ": " << sc->description << "\n";
  std::cout << "semconv   " << sc->SemconvProfileLabel() << "\n";
  std::set<std::string> services;
  for (const auto& part : sc->parts)
    for (const auto& s : part.services) services.insert(s.name);
  std::cout << "services  " << absl::StrJoin(services, ", ") << "\n";
  std::cout << "variants\n";
  std::cout << absl::StrFormat("  %-36s %7s  %-8s %10s %6s  %s\n", "name", "weight", "class",
                               "spans mean", "max", "alerts");
  uint32_t max_spans = 0;
  for (size_t v = 0; v < sc->variants.size(); ++v) {
    const Variant& var = sc->variants[v];
    const VariantShape& shape = synth.shapes()[v];
    max_spans = std::max(max_spans, shape.max_spans);
    std::cout << absl::StrFormat(
        "  %-36s %6.1f%%  %-8s %10.1f %6u  %s\n", var.name, var.weight * 100,
        TraceClassName(var.expected_class), shape.mean_spans, shape.max_spans,
        var.expected_alerts.empty() ? "-" : absl::StrJoin(var.expected_alerts, ","));
  }
  std::cout << absl::StrFormat("spans per trace: mean %.1f, max %u\n", synth.MeanSpansPerTrace(),
                               max_spans);
  std::vector<std::string> faults;
  for (const auto& part : sc->parts)
    for (const FaultSpec& f : part.faults) {
      std::string s = absl::StrFormat("%s %g%%", FaultKindName(f.kind), f.rate * 100);
      if (sc->parts.size() > 1) s.insert(0, part.name + "/");
      faults.push_back(s);
    }
  for (const Variant& var : sc->variants)
    for (const auto& [kind, rate] : var.fault_rates)
      faults.push_back(
          absl::StrFormat("%s %g%% (variant %s)", FaultKindName(kind), rate * 100, var.name));
  std::cout << "faults    " << (faults.empty() ? "none" : absl::StrJoin(faults, ", ")) << "\n";
  if (sc->load) std::cout << "load      " << DescribeLoad(*sc->load) << "\n";
  if (sc->sampling.mode == SamplingExpectation::Mode::kHead)
    std::cout << absl::StrFormat("sampling  head, keep %g%%\n", sc->sampling.probability * 100);
  if (sc->sampling.mode == SamplingExpectation::Mode::kTail)
    std::cout << absl::StrFormat(
        "sampling  tail: keep errors=%s, keep slower than %gs, %g%% of the rest\n",
        sc->sampling.keep_errors ? "yes" : "no", sc->sampling.keep_slower_than_seconds,
        sc->sampling.probability * 100);
  if (sc->redaction.strip_content || !sc->redaction.attributes.empty())
    std::cout << "redaction strip content=" << (sc->redaction.strip_content ? "yes" : "no")
              << (sc->redaction.attributes.empty()
                      ? ""
                      : ", attributes: " + absl::StrJoin(sc->redaction.attributes, ", "))
              << "\n";
  return kExitOk;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int* exit_code) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("validate", "check a scenario file and print its compiled plan");
  cmd->add_option("scenario", *file, "scenario or suite file, or a bundled scenario name")
      ->required();
  cmd->callback([=] { *exit_code = Validate(*file); });
}

}  // namespace agentstorm::cli
