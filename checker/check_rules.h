// The rules a check runs (RunCheck, checker/check_pipeline.h): the semconv model to check
// against, then hierarchy always; with a ledger fidelity, redaction when the scenario redacts and
// sampling when it expects sampling; ledger-less redaction when CheckOptions::check_redaction;
// redaction in either mode when the check config (`config`) lists redaction keys or patterns;
// then CheckOptions::extra_rules.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "checker/check_pipeline.h"
#include "checker/finding.h"
#include "checker/readers/trace_reader.h"
#include "checker/rule.h"
#include "checker/rules/sampling_rule.h"
#include "checker/semconv/registry.h"
#include "core/ledger.h"
#include "scenario/scenario.h"

namespace agentstorm {

struct CheckSemconvModel {
  semconv::SemconvModel model;
  std::string name;  // what CheckResult::semconv_model says: the profile or the registry dir
};

// The model --semconv-registry names, else the bundled profile CheckOptions::semconv_profile or
// the ledger header's profile label names (see the top of checker/check_pipeline.h). For the
// "dual" and "mixed" labels it lowers semconv.deprecated_attribute in `finding_options` to
// information unless the config set its level. `ledger` is null ledger-less.
absl::StatusOr<CheckSemconvModel> LoadCheckSemconvModel(const CheckOptions& options,
                                                        const Ledger* ledger,
                                                        FindingSetOptions* finding_options);

struct CheckRules {
  std::vector<std::unique_ptr<Rule>> rules;
  SamplingRule* sampling = nullptr;  // one of `rules` when the scenario expects sampling
};

// Builds the rules in the order above. `scenario` and `ledger` are null ledger-less; `carries`
// says what the reader's API can represent (fidelity compares only that). Errors are those of
// CheckOptions::extra_rules.
absl::StatusOr<CheckRules> BuildCheckRules(const CheckOptions& options, const Scenario* scenario,
                                           const Ledger* ledger, semconv::SemconvModel model,
                                           const FindingSetOptions& config,
                                           readers::ReaderCarries carries = {});

}  // namespace agentstorm
