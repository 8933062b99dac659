#include "checker/check_rules.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "checker/rules/fidelity_rule.h"
#include "checker/rules/hierarchy_rule.h"
#include "checker/rules/redaction_rule.h"
#include "checker/rules/semconv_rule.h"
#include "checker/semconv/profile.h"

namespace agentstorm {
namespace {

// The bundled profile for a ledger's profile label, and whether deprecated duplicates are sent
// on purpose.
std::string ProfileForLabel(const std::string& label, bool* dual) {
  *dual = label == "dual" || label == "mixed";
  return label == "v1.36" ? "genai-v1.36" : "genai-latest";
}

bool Redacts(const Scenario& scenario) {
  return scenario.redaction.strip_content || !scenario.redaction.attributes.empty();
}

// Redaction options that find no content by themselves.
RedactionRuleOptions NothingByDefault() {
  RedactionRuleOptions ro;
  ro.content_attributes.clear();
  ro.content_prefixes.clear();
  ro.content_events.clear();
  return ro;
}

// What the scenario's redaction section wants gone.
RedactionRuleOptions ScenarioRedaction(const Scenario& scenario) {
  RedactionRuleOptions ro =
      scenario.redaction.strip_content ? RedactionRuleOptions{} : NothingByDefault();
  for (const std::string& a : scenario.redaction.attributes) ro.content_attributes.push_back(a);
  return ro;
}

}  // namespace

absl::StatusOr<CheckSemconvModel> LoadCheckSemconvModel(const CheckOptions& options,
                                                        const Ledger* ledger,
                                                        FindingSetOptions* finding_options) {
  bool dual = false;
  std::string profile_name = options.semconv_profile;
  if (profile_name.empty()) {
    profile_name = ProfileForLabel(ledger ? ledger->header.semconv_profile : "latest", &dual);
  }
  // A profile ending in .yaml/.yml is a file of its own; otherwise the name of a bundled one.
  const bool profile_is_file =
      absl::EndsWith(profile_name, ".yaml") || absl::EndsWith(profile_name, ".yml");
  absl::StatusOr<semconv::SemconvModel> model =
      !options.semconv_registry_dirs.empty()
          ? semconv::LoadSemconvRegistry(options.semconv_registry_dirs)
      : profile_is_file ? semconv::LoadSemconvProfile(profile_name)
                        : semconv::LoadBundledSemconvProfile(options.source_dir, profile_name);
  if (!model.ok()) return model.status();
  if (dual && finding_options->levels.count("semconv.deprecated_attribute") == 0) {
    finding_options->levels["semconv.deprecated_attribute"] = FindingLevel::kInformation;
  }
  return CheckSemconvModel{*std::move(model),
                           options.semconv_registry_dirs.empty()
                               ? profile_name
                               : absl::StrJoin(options.semconv_registry_dirs, " + ")};
}

absl::StatusOr<CheckRules> BuildCheckRules(const CheckOptions& options, const Scenario* scenario,
                                           const Ledger* ledger, semconv::SemconvModel model,
                                           const FindingSetOptions& config,
                                           readers::ReaderCarries carries) {
  CheckRules out;
  std::vector<std::unique_ptr<Rule>>& rules = out.rules;
  HierarchyRuleOptions hierarchy_options;
  hierarchy_options.time_tolerance = options.time_tolerance;
  rules.push_back(std::make_unique<HierarchyRule>(hierarchy_options));
  const bool ledger_mode = scenario != nullptr;
  if (ledger_mode) {
    FidelityRuleOptions fo;
    fo.traces_may_be_dropped = scenario->sampling.mode != SamplingExpectation::Mode::kNone;
    fo.compare_schema_urls = carries.schema_urls;
    fo.compare_scope_attributes = carries.scope_attributes;
    fo.time_tolerance_nanos = std::max<uint64_t>(1000, 2 * carries.time_resolution_nanos);
    if (Redacts(*scenario)) {
      // What the redaction rule wants gone is no fidelity loss.
      const RedactionRuleOptions ro = ScenarioRedaction(*scenario);
      fo.redacted_attributes = ro.content_attributes;
      fo.redacted_events = ro.content_events;
    }
    rules.push_back(std::make_unique<FidelityRule>(fo));
  } else {
    rules.push_back(std::make_unique<FidelityRule>());  // unique attribute keys only
  }
  rules.push_back(std::make_unique<SemconvRule>(std::move(model)));
  // What must be stripped: the scenario's redaction section (with a ledger) or --redaction
  // (without), plus the check config's redaction keys and patterns in either mode.
  const bool configured = !config.redaction_keys.empty() || !config.redaction_patterns.empty();
  std::optional<RedactionRuleOptions> redaction;
  if (ledger_mode && Redacts(*scenario)) {
    redaction = ScenarioRedaction(*scenario);
  } else if (!ledger_mode && options.check_redaction) {
    redaction = RedactionRuleOptions{};
  } else if (configured) {
    redaction = NothingByDefault();
  }
  if (redaction) {
    redaction->keys = config.redaction_keys;
    redaction->patterns = config.redaction_patterns;
    rules.push_back(std::make_unique<RedactionRule>(*std::move(redaction)));
  }
  if (ledger_mode && scenario->sampling.mode != SamplingExpectation::Mode::kNone) {
    auto rule = std::make_unique<SamplingRule>(scenario->sampling, options.sampling_confidence);
    out.sampling = rule.get();
    rules.push_back(std::move(rule));
  }
  if (options.extra_rules) {
    auto extra = options.extra_rules(scenario, ledger);
    if (!extra.ok()) return extra.status();
    for (auto& rule : *extra) rules.push_back(std::move(rule));
  }
  return out;
}

}  // namespace agentstorm
