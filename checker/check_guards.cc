#include "checker/check_guards.h"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/exit_codes.h"

namespace agentstorm {
namespace {

void AddVariantGuards(const Scenario& scenario, double sampling_confidence, CheckResult* r) {
  for (const Variant& v : scenario.variants) {
    const auto it = r->by_variant.find(v.name);
    const CheckCounts counts = it == r->by_variant.end() ? CheckCounts{} : it->second;
    if (counts.read > 0) continue;
    if (r->verify.active && counts.sent == 0) continue;  // none of it drawn into the sample
    // Under sampling, all N acknowledged traces of a variant may be sampled out: with kept
    // fraction P that happens with probability (1-P)^N (error and slow traces, always kept,
    // are the sampling rule's to judge). Only when that is below 1 - sampling confidence is
    // an unread variant a violation.
    double all_dropped = 0;
    if (scenario.sampling.mode != SamplingExpectation::Mode::kNone) {
      all_dropped =
          std::pow(1 - scenario.sampling.probability, static_cast<double>(counts.acknowledged));
    }
    const bool plausibly_sampled_out =
        counts.acknowledged > 0 && all_dropped >= 1 - sampling_confidence;
    Finding f = CheckFinding(
        "check.variant_missing",
        counts.acknowledged > 0 && !plausibly_sampled_out ? FindingLevel::kViolation
                                                          : FindingLevel::kImprovement,
        counts.acknowledged == 0
            ? absl::StrCat("variant ", v.name,
                           ": no trace of it was acknowledged (a longer run would cover it)")
        : plausibly_sampled_out
            ? absl::StrFormat("variant %s: its %d acknowledged trace(s) were all sampled out "
                              "(probability %.3g at the expected kept fraction; a longer run "
                              "would cover it)",
                              v.name, counts.acknowledged, all_dropped)
            : absl::StrCat("variant ", v.name, ": ", counts.acknowledged,
                           " trace(s) acknowledged, none read back"),
        absl::StrCat(counts.acknowledged, " traces"), "0");
    f.variant = v.name;
    r->findings.Add(std::move(f));
  }
}

void AddCountGuard(const Scenario& scenario, CheckResult* r) {
  FindingSet& findings = r->findings;
  const uint64_t acked_read = AcknowledgedTracesRead(*r);
  const bool sampled = scenario.sampling.mode != SamplingExpectation::Mode::kNone;
  findings.SetStatistic("check", "traces_acknowledged",
                        static_cast<double>(r->traces_acknowledged));
  findings.SetStatistic("check", "traces_read", static_cast<double>(r->traces_read));
  findings.SetStatistic("check", "spans_expected", static_cast<double>(r->spans_expected));
  findings.SetStatistic("check", "spans_read", static_cast<double>(r->spans_read));
  if (!sampled && (acked_read != r->traces_acknowledged || r->spans_read != r->spans_expected)) {
    findings.Add(CheckFinding(
        "check.count_mismatch", FindingLevel::kViolation,
        absl::StrCat("acknowledged ", r->traces_acknowledged, " traces / ", r->spans_expected,
                     " spans, read back ", acked_read, " traces / ", r->spans_read, " spans"),
        absl::StrCat(r->traces_acknowledged, " traces, ", r->spans_expected, " spans"),
        absl::StrCat(acked_read, " traces, ", r->spans_read, " spans")));
  }
}

}  // namespace

Finding CheckFinding(const char* id, FindingLevel level, std::string message, std::string expected,
                     std::string actual) {
  Finding f;
  f.id = id;
  f.level = level;
  f.message = std::move(message);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  return f;
}

uint64_t AcknowledgedTracesRead(const CheckResult& result) {
  uint64_t read = 0;
  for (const auto& [name, c] : result.by_variant) read += c.read;
  return read - std::min(read, result.unacknowledged_but_present);
}

void ApplyCheckGuards(const Scenario* scenario, double sampling_confidence, CheckResult* r) {
  if (r->poll.backend_unreachable) {
    r->exit_code = kExitUnreachable;
    r->unreachable_reason = std::string(r->poll.first_error.message());
  }
  if (r->traces_read == 0) {
    r->findings.Add(
        CheckFinding("check.no_traces_read", FindingLevel::kViolation,
                     absl::StrCat("no trace could be read back out of ", r->traces_polled,
                                  " polled: a check never passes on nothing"),
                     absl::StrCat(r->traces_polled, " traces"), "0"));
  }
  if (scenario != nullptr) {
    AddVariantGuards(*scenario, sampling_confidence, r);
    AddCountGuard(*scenario, r);
  }
}

void ApplyLedgerGuards(const Ledger& ledger, CheckResult* r) {
  const uint32_t shards = ledger.header.shard.count;
  for (uint32_t missing : ledger.MissingShards()) {
    std::vector<std::string> given;
    for (const LedgerFileInfo& f : ledger.files) given.push_back(f.path);
    r->findings.Add(CheckFinding(
        "check.ledger_shard_missing", FindingLevel::kViolation,
        absl::StrCat("shard ", missing, " of ", shards, " has no ledger (given: ",
                     absl::StrJoin(given, ", "), "): its traces (every trace index i with i mod ",
                     shards, " = ", missing, ") were not checked; pass every shard's ledger"),
        absl::StrCat("shard ", missing, "/", shards), "no ledger"));
  }
  for (const LedgerFileInfo& f : ledger.files) {
    if (f.complete) continue;
    r->findings.Add(CheckFinding(
        "check.ledger_truncated", FindingLevel::kViolation,
        absl::StrCat("ledger ", f.path,
                     " ends without its end marker (the generator crashed or was killed): ",
                     f.records, " trace record(s) read",
                     f.ignored_bytes > 0 ? absl::StrCat(", ", f.ignored_bytes,
                                                        " damaged byte(s) at its tail ignored")
                                         : std::string(),
                     "; traces sent after the last record are not checked"),
        "end marker", absl::StrCat(f.records, " records, no end marker")));
  }
}

}  // namespace agentstorm
