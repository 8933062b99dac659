// Findings: what the checker tells its user, as data (DESIGN.md "Findings").
//
// A Finding is one observation about one span, trace or run, with a stable ID
// ("<family>.<name>", e.g. "semconv.required_attribute_missing") and a level. Rules add findings
// to a FindingSet, which keeps counts per ID and only the first K examples of each, so a run of
// 1M traces never holds 1M findings in memory. Every report (text, JSON, JUnit, Markdown, HTML)
// is a rendering of one FindingSet, so they cannot disagree.
//
// The set also applies the user's configuration (FindingSetOptions, usually read from the
// `--config` file by LoadCheckConfig in checker/check_config.h): a level per finding ID, and
// expected violations (suppressions) that each carry a reason. A suppression that matched nothing
// by the end of the run is itself reported as "config.stale_suppression".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace agentstorm {

// Ordered by severity: only kViolation makes `check` exit with 1.
enum class FindingLevel : uint8_t { kInformation = 0, kImprovement = 1, kViolation = 2 };

const char* FindingLevelName(FindingLevel level);  // "information", "improvement", "violation"
std::optional<FindingLevel> ParseFindingLevel(std::string_view name);

struct Finding {
  std::string id;  // stable ID, "<family>.<name>"
  FindingLevel level = FindingLevel::kViolation;
  std::string trace_id;                // lowercase hex; empty for a run-level finding
  std::string span_id;                 // lowercase hex; empty for a trace- or run-level finding
  std::string span_name;               // empty when no span is concerned
  std::string attribute;               // the attribute key the finding is about, if any
  std::string message;                 // one line, for humans
  std::string expected;                // what should have been there ("" when not applicable)
  std::string actual;                  // what was there ("" when absent)
  std::optional<std::string> variant;  // the scenario variant of the trace, when known

  // The part of the ID before the first '.', e.g. "semconv".
  std::string_view family() const;
};

// One entry of `expected_violations`: findings it matches are counted as suppressed instead of
// failing the run. Empty match fields match anything; `span_name` and `attribute` accept '*'
// wildcards ("chat *", "gen_ai.openai.*").
struct ExpectedViolation {
  std::string id;      // finding ID, or a family wildcard such as "semconv.*"
  std::string reason;  // mandatory: why this is accepted
  std::string span_name;
  std::string attribute;
  std::string variant;
};

struct FindingSetOptions {
  // Examples kept per finding ID; the count is always exact.
  size_t examples_per_id = 5;
  // Level per finding ID (or "family.*"); overrides the level the rule chose. An exact ID wins
  // over a family wildcard.
  std::map<std::string, FindingLevel> levels;
  std::vector<ExpectedViolation> expected_violations;
  // The check config's `thresholds:` ("metric: expression" each, already parsed once) and
  // `default_thresholds:` (unset = on). Not used by the set itself: the check pipeline judges
  // them with the --threshold flags (checker/check_thresholds.h).
  std::vector<std::string> thresholds;
  std::optional<bool> default_thresholds;
  // The check config's `redaction:` section: attribute keys ('*' wildcards) that must not reach
  // the backend, and RE2 patterns no string value may match (validated when parsed). Not used
  // by the set either: the check pipeline builds the redaction rule from them.
  std::vector<std::string> redaction_keys;
  std::vector<std::string> redaction_patterns;
  // Called for every unsuppressed finding as it is recorded (its final level applied), under
  // the set's lock, so calls never overlap and come in the order the set counted them: the
  // `--format jsonl` stream. Null = none.
  std::function<void(const Finding&)> on_finding;
};

// Everything the set knows about one finding ID.
struct FindingSummary {
  std::string id;
  FindingLevel level = FindingLevel::kInformation;  // the highest level seen for this ID
  uint64_t count = 0;                               // findings not suppressed
  uint64_t suppressed = 0;                          // findings matched by an expected violation
  std::vector<Finding> examples;  // the first examples_per_id unsuppressed findings
};

// How many items (spans, traces, ...) a rule examined, and how many passed.
struct RuleTotals {
  uint64_t evaluated = 0;
  uint64_t passed = 0;
  uint64_t failed() const { return evaluated - passed; }
};

// Thread-safe: rules running on several threads may add to one set.
class FindingSet {
 public:
  explicit FindingSet(FindingSetOptions options = {});

  FindingSet(const FindingSet&) = delete;
  FindingSet& operator=(const FindingSet&) = delete;

  // Records `finding`, after applying the configured level for its ID and the suppressions.
  void Add(Finding finding);

  // Counts one item a rule (named by its family, e.g. "semconv") examined.
  void RecordEvaluation(std::string_view rule, bool passed);
  void RecordEvaluations(std::string_view rule, uint64_t evaluated, uint64_t passed);

  // A named figure a rule computed, e.g. ("semconv",
  // "recommended_coverage.gen_ai.inference.client", 72.5). Setting it again replaces the value.
  void SetStatistic(std::string_view rule, std::string_view name, double value);

  // Reports every expected violation that matched nothing as "config.stale_suppression".
  // Call once, after every rule has finished. REQUIRES: Finish() has not been called.
  void Finish();

  // Snapshots, sorted by ID / rule name.
  std::vector<FindingSummary> Summaries() const;
  std::map<std::string, RuleTotals> Totals() const;
  std::map<std::string, std::map<std::string, double>> Statistics() const;

  // Unsuppressed findings at `level`.
  uint64_t CountAtLevel(FindingLevel level) const;
  // Unsuppressed findings at `level` or above (kImprovement: improvements and violations).
  uint64_t CountAtOrAbove(FindingLevel level) const;
  // Unsuppressed findings with this ID (0 when none).
  uint64_t Count(std::string_view id) const;
  bool HasViolations() const { return CountAtLevel(FindingLevel::kViolation) > 0; }

  // How many findings each expected violation matched, in configuration order.
  std::vector<uint64_t> SuppressionMatches() const;

  const FindingSetOptions& options() const { return options_; }

 private:
  FindingLevel LevelFor(const Finding& finding) const;

  const FindingSetOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, FindingSummary, std::less<>> summaries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RuleTotals, std::less<>> totals_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, double>, std::less<>> statistics_
      ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> suppression_matches_ ABSL_GUARDED_BY(mu_);
  uint64_t level_counts_[3] ABSL_GUARDED_BY(mu_) = {0, 0, 0};
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// While alive, records on the current thread what every FindingSet::Add on this thread
// recorded (after levels and suppressions; suppressed findings are not recorded). The checker
// uses it to learn which findings one trace produced while the rules check it on a worker
// thread. Captures nest: only the innermost one records.
class ScopedFindingCapture {
 public:
  struct Captured {
    std::string id;
    FindingLevel level;
    std::string span_id;
  };

  ScopedFindingCapture();
  ~ScopedFindingCapture();
  ScopedFindingCapture(const ScopedFindingCapture&) = delete;
  ScopedFindingCapture& operator=(const ScopedFindingCapture&) = delete;

  const std::vector<Captured>& captured() const { return captured_; }
  bool HasViolation() const;
  void Clear() { captured_.clear(); }

  // The capture active on this thread, or nullptr.
  static ScopedFindingCapture* Current();
  void Record(const Finding& finding);

 private:
  ScopedFindingCapture* const previous_;
  std::vector<Captured> captured_;
};

// True when `text` matches `pattern`, where '*' matches any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view text);

}  // namespace agentstorm
