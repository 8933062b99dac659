#include "checker/finding.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace agentstorm {

const char* FindingLevelName(FindingLevel level) {
  switch (level) {
    case FindingLevel::kInformation:
      return "information";
    case FindingLevel::kImprovement:
      return "improvement";
    case FindingLevel::kViolation:
      return "violation";
  }
  return "unknown";
}

std::optional<FindingLevel> ParseFindingLevel(std::string_view name) {
  if (name == "information" || name == "info") return FindingLevel::kInformation;
  if (name == "improvement") return FindingLevel::kImprovement;
  if (name == "violation") return FindingLevel::kViolation;
  return std::nullopt;
}

std::string_view Finding::family() const {
  std::string_view v = id;
  size_t dot = v.find('.');
  return dot == std::string_view::npos ? v : v.substr(0, dot);
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

bool Matches(const ExpectedViolation& e, const Finding& f) {
  if (!WildcardMatch(e.id, f.id)) return false;
  if (!e.span_name.empty() && !WildcardMatch(e.span_name, f.span_name)) return false;
  if (!e.attribute.empty() && !WildcardMatch(e.attribute, f.attribute)) return false;
  if (!e.variant.empty() && (!f.variant || !WildcardMatch(e.variant, *f.variant))) return false;
  return true;
}

}  // namespace

FindingSet::FindingSet(FindingSetOptions options)
    : options_(std::move(options)), suppression_matches_(options_.expected_violations.size(), 0) {}

FindingLevel FindingSet::LevelFor(const Finding& finding) const {
  if (auto it = options_.levels.find(finding.id); it != options_.levels.end()) return it->second;
  std::string family_wildcard = std::string(finding.family()) + ".*";
  if (auto it = options_.levels.find(family_wildcard); it != options_.levels.end()) {
    return it->second;
  }
  return finding.level;
}

void FindingSet::Add(Finding finding) {
  finding.level = LevelFor(finding);
  int suppressed_by = -1;
  for (size_t i = 0; i < options_.expected_violations.size(); ++i) {
    if (Matches(options_.expected_violations[i], finding)) {
      suppressed_by = static_cast<int>(i);
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  auto it = summaries_.find(finding.id);
  if (it == summaries_.end()) {
    it = summaries_.emplace(finding.id, FindingSummary{}).first;
    it->second.id = finding.id;
    it->second.level = finding.level;
  }
  FindingSummary& s = it->second;
  if (suppressed_by >= 0) {
    ++suppression_matches_[suppressed_by];
    ++s.suppressed;
    return;
  }
  if (ScopedFindingCapture* capture = ScopedFindingCapture::Current()) capture->Record(finding);
  s.level = s.count == 0 ? finding.level : std::max(s.level, finding.level);
  ++s.count;
  ++level_counts_[static_cast<int>(finding.level)];
  if (options_.on_finding) options_.on_finding(finding);
  if (s.examples.size() < options_.examples_per_id) s.examples.push_back(std::move(finding));
}

void FindingSet::RecordEvaluation(std::string_view rule, bool passed) {
  RecordEvaluations(rule, 1, passed ? 1 : 0);
}

void FindingSet::RecordEvaluations(std::string_view rule, uint64_t evaluated, uint64_t passed) {
  absl::MutexLock lock(&mu_);
  auto it = totals_.find(rule);
  if (it == totals_.end()) it = totals_.emplace(std::string(rule), RuleTotals{}).first;
  it->second.evaluated += evaluated;
  it->second.passed += passed;
}

void FindingSet::SetStatistic(std::string_view rule, std::string_view name, double value) {
  absl::MutexLock lock(&mu_);
  auto it = statistics_.find(rule);
  if (it == statistics_.end())
    it = statistics_.emplace(std::string(rule), std::map<std::string, double>{}).first;
  it->second[std::string(name)] = value;
}

void FindingSet::Finish() {
  std::vector<uint64_t> matches = SuppressionMatches();
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  for (size_t i = 0; i < matches.size(); ++i) {
    if (matches[i] != 0) continue;
    const ExpectedViolation& e = options_.expected_violations[i];
    Finding f;
    f.id = "config.stale_suppression";
    f.level = FindingLevel::kImprovement;
    f.span_name = e.span_name;
    f.attribute = e.attribute;
    f.message =
        absl::StrCat("expected violation #", i + 1, " (", e.id,
                     ") matched nothing; remove it or fix its match. Reason given: ", e.reason);
    f.expected = absl::StrCat("at least one ", e.id, " finding");
    f.actual = "none";
    // A stale suppression must not suppress itself.
    f.level = LevelFor(f);
    absl::MutexLock lock(&mu_);
    auto it = summaries_.find(f.id);
    if (it == summaries_.end()) {
      it = summaries_.emplace(f.id, FindingSummary{}).first;
      it->second.id = f.id;
      it->second.level = f.level;
    }
    it->second.level = std::max(it->second.level, f.level);
    ++it->second.count;
    ++level_counts_[static_cast<int>(f.level)];
    if (options_.on_finding) options_.on_finding(f);
    if (it->second.examples.size() < options_.examples_per_id) {
      it->second.examples.push_back(std::move(f));
    }
  }
}

std::vector<FindingSummary> FindingSet::Summaries() const {
  absl::MutexLock lock(&mu_);
  std::vector<FindingSummary> out;
  out.reserve(summaries_.size());
  for (const auto& [id, s] : summaries_) out.push_back(s);
  return out;
}

std::map<std::string, RuleTotals> FindingSet::Totals() const {
  absl::MutexLock lock(&mu_);
  return {totals_.begin(), totals_.end()};
}

std::map<std::string, std::map<std::string, double>> FindingSet::Statistics() const {
  absl::MutexLock lock(&mu_);
  return {statistics_.begin(), statistics_.end()};
}

uint64_t FindingSet::CountAtLevel(FindingLevel level) const {
  absl::MutexLock lock(&mu_);
  return level_counts_[static_cast<int>(level)];
}

uint64_t FindingSet::CountAtOrAbove(FindingLevel level) const {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (int l = static_cast<int>(level); l <= static_cast<int>(FindingLevel::kViolation); ++l)
    n += level_counts_[l];
  return n;
}

uint64_t FindingSet::Count(std::string_view id) const {
  absl::MutexLock lock(&mu_);
  auto it = summaries_.find(id);
  return it == summaries_.end() ? 0 : it->second.count;
}

std::vector<uint64_t> FindingSet::SuppressionMatches() const {
  absl::MutexLock lock(&mu_);
  return suppression_matches_;
}

namespace {
thread_local ScopedFindingCapture* current_capture = nullptr;
}  // namespace

ScopedFindingCapture::ScopedFindingCapture() : previous_(current_capture) {
  current_capture = this;
}

ScopedFindingCapture::~ScopedFindingCapture() { current_capture = previous_; }

ScopedFindingCapture* ScopedFindingCapture::Current() { return current_capture; }

void ScopedFindingCapture::Record(const Finding& finding) {
  captured_.push_back({finding.id, finding.level, finding.span_id});
}

bool ScopedFindingCapture::HasViolation() const {
  for (const Captured& c : captured_) {
    if (c.level == FindingLevel::kViolation) return true;
  }
  return false;
}

}  // namespace agentstorm
