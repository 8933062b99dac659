#include "reports/markdown_writer.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reports/text_format.h"

namespace agentstorm::reports {
namespace {

constexpr size_t kTopFindings = 10;

int LevelRank(const std::string& level) {
  return level == "violation" ? 0 : level == "improvement" ? 1 : 2;
}

}  // namespace

std::string RenderMarkdownReport(const ReportModel& m) {
  std::string out;
  const uint64_t violations = ViolationCount(m);
  const bool passed = Passed(m);
  std::string subject =
      m.run.scenario.empty() ? "agentstorm" : "`" + MarkdownCell(m.run.scenario) + "`";
  if (passed) {
    absl::StrAppend(&out, "## ✅ PASS: ", subject, "\n\n");
  } else if (m.exit_code == 3) {
    absl::StrAppend(&out, "## ❌ FAIL: ", subject, ": backend or endpoint unreachable\n\n");
  } else if (m.run.fail_on != "violation" && violations == 0) {
    uint64_t failing = 0;
    for (const FindingRow& f : m.findings)
      if (LevelFails(m, f.level)) failing += f.count;
    absl::StrAppend(&out, "## ❌ FAIL: ", subject, ": ", Thousands(failing), " finding",
                    failing == 1 ? "" : "s", " at ", m.run.fail_on, " level or above (--fail-on ",
                    m.run.fail_on, ")\n\n");
  } else {
    absl::StrAppend(&out, "## ❌ FAIL: ", subject, ": ", Thousands(violations), " violation",
                    violations == 1 ? "" : "s", "\n\n");
  }
  std::vector<std::string> facts;
  if (!m.run.command.empty()) facts.push_back("agentstorm " + m.run.command);
  if (!m.run.tool_version.empty()) facts.push_back("version " + m.run.tool_version);
  facts.push_back("seed " + std::to_string(m.run.seed));
  if (!m.run.run_id.empty()) facts.push_back("run `" + m.run.run_id + "`");
  if (m.run.shards > 1) facts.push_back(std::to_string(m.run.shards) + " shards");
  if (!m.run.backend.empty()) facts.push_back("backend `" + MarkdownCell(m.run.backend) + "`");
  if (m.run.start_unix_nano != 0) facts.push_back("started " + IsoTime(m.run.start_unix_nano));
  std::string line;
  for (size_t i = 0; i < facts.size(); ++i) absl::StrAppend(&line, i ? " · " : "", facts[i]);
  absl::StrAppend(&out, line, "\n\n");

  if (m.load) {
    const LoadSection& l = *m.load;
    absl::StrAppend(&out, "**Load:** ", Thousands(l.traces_sent), " traces / ",
                    Thousands(l.spans_sent), " spans sent in ",
                    absl::StrFormat("%.1f s", l.elapsed_seconds), "; ");
    if (l.closed_loop) {
      absl::StrAppend(&out, "closed loop, achieved ", ShortNumber(l.achieved_traces_per_second),
                      " traces/s");
    } else {
      absl::StrAppend(&out, "intended ", ShortNumber(l.intended_traces_per_second),
                      " traces/s, achieved ", ShortNumber(l.achieved_traces_per_second),
                      " traces/s");
    }
    absl::StrAppend(&out, " (", ShortNumber(l.achieved_spans_per_second), " spans/s)",
                    l.interrupted ? ", **interrupted**" : "", "\n\n");
  }
  if (!m.endpoints.empty()) {
    absl::StrAppend(&out,
                    "| Endpoint | Acknowledged | Rejected | Failed | Not sent | p50 | p99 |\n"
                    "|---|---:|---:|---:|---:|---:|---:|\n");
    for (const EndpointDelivery& e : m.endpoints) {
      uint64_t total = e.spans_acknowledged + e.spans_rejected + e.spans_failed + e.spans_not_sent;
      absl::StrAppend(
          &out, "| `", MarkdownCell(e.endpoint), "`", e.reachable ? "" : " ⚠ unreachable", " | ",
          Thousands(e.spans_acknowledged), " (",
          PercentText(static_cast<double>(e.spans_acknowledged), static_cast<double>(total)),
          ") | ", Thousands(e.spans_rejected), " | ", Thousands(e.spans_failed), " | ",
          Thousands(e.spans_not_sent), " | ", HumanMillis(e.latency.p50), " | ",
          HumanMillis(e.latency.p99), " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  if (m.readback) {
    const ReadbackSection& r = *m.readback;
    absl::StrAppend(&out, "**Read back:** ", Thousands(r.found), " found, ",
                    Thousands(r.incomplete), " incomplete, ", Thousands(r.not_found),
                    " not found, ", Thousands(r.request_failed), " failed of ",
                    Thousands(r.traces_expected), " traces");
    if (r.time_until_queryable_measured) {
      absl::StrAppend(
          &out, "; time until queryable p50 ", HumanMillis(r.time_until_queryable.p50), ", p99 ",
          HumanMillis(r.time_until_queryable.p99), " (", Thousands(r.time_until_queryable_sampled),
          r.time_until_queryable_sampled == 1 ? " trace" : " traces", " sampled while sending)");
    } else {
      absl::StrAppend(&out, "; time until queryable not measured");
    }
    absl::StrAppend(&out, r.backend_unreachable ? " — **backend unreachable**" : "", "\n\n");
    if (r.verify_sample) absl::StrAppend(&out, "**Verified a sample:** ", r.verify_note, "\n\n");
  }

  // Rules: one row per family, with the totals and the findings by level.
  std::map<std::string, std::array<uint64_t, 3>> by_family;  // violation, improvement, info
  for (const FindingRow& f : m.findings) by_family[f.family()][LevelRank(f.level)] += f.count;
  std::map<std::string, const RuleResult*> rules;
  for (const RuleResult& r : m.rules) {
    rules[r.rule] = &r;
    by_family[r.rule];
  }
  if (!by_family.empty()) {
    absl::StrAppend(&out,
                    "| Rule | Result | Evaluated | Passed | Violations | Improvements | "
                    "Information |\n|---|---|---:|---:|---:|---:|---:|\n");
    for (const auto& [family, counts] : by_family) {
      auto it = rules.find(family);
      std::string evaluated = it == rules.end() ? "-" : Thousands(it->second->evaluated);
      std::string passed_items = it == rules.end() ? "-" : Thousands(it->second->passed);
      absl::StrAppend(&out, "| ", MarkdownCell(family), " | ", counts[0] > 0 ? "❌ fail" : "✅ pass",
                      " | ", evaluated, " | ", passed_items, " | ", Thousands(counts[0]), " | ",
                      Thousands(counts[1]), " | ", Thousands(counts[2]), " |\n");
    }
    absl::StrAppend(&out, "\n");
  }

  std::vector<const FindingRow*> top;
  for (const FindingRow& f : m.findings) {
    if (f.count > 0) top.push_back(&f);
  }
  std::stable_sort(top.begin(), top.end(), [](const FindingRow* a, const FindingRow* b) {
    if (LevelRank(a->level) != LevelRank(b->level))
      return LevelRank(a->level) < LevelRank(b->level);
    return a->count > b->count;
  });
  if (!top.empty()) {
    absl::StrAppend(&out,
                    "### Top findings\n\n| Finding | Level | Count | First example |\n"
                    "|---|---|---:|---|\n");
    for (size_t i = 0; i < top.size() && i < kTopFindings; ++i) {
      const FindingRow& f = *top[i];
      std::string example;
      if (!f.examples.empty()) {
        const FindingExample& x = f.examples.front();
        example = x.message;
        if (!x.expected.empty() || !x.actual.empty()) {
          absl::StrAppend(&example, " (expected ", x.expected.empty() ? "nothing" : x.expected,
                          ", actual ", x.actual.empty() ? "absent" : x.actual, ")");
        }
        if (!x.trace_id.empty()) absl::StrAppend(&example, " trace `", x.trace_id, "`");
      }
      if (example.size() > 300) example = example.substr(0, 297) + "...";
      absl::StrAppend(&out, "| `", MarkdownCell(f.id), "` | ", f.level, " | ", Thousands(f.count),
                      " | ", MarkdownCell(example), " |\n");
    }
    if (top.size() > kTopFindings) {
      absl::StrAppend(&out, "\n", top.size() - kTopFindings,
                      " more finding IDs in report.json / report.html.\n");
    }
    absl::StrAppend(&out, "\n");
  }
  if (!m.sampling.empty()) {
    absl::StrAppend(&out,
                    "| Sampling | Expected kept | Observed | Interval | Result |\n"
                    "|---|---:|---:|---|---|\n");
    for (const SamplingRow& s : m.sampling) {
      absl::StrAppend(&out, "| ", MarkdownCell(s.population), " | ", ShortNumber(s.expected), " | ",
                      ShortNumber(s.observed), " (", Thousands(s.kept), "/", Thousands(s.total),
                      ") | [", ShortNumber(s.low), ", ", ShortNumber(s.high), "] at ",
                      ShortNumber(s.confidence * 100), "% | ", s.passed ? "✅" : "❌", " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  if (!m.thresholds.empty()) {
    absl::StrAppend(&out,
                    "| Threshold | Observed | Result |\n"
                    "|---|---|---|\n");
    for (const ThresholdRow& t : m.thresholds) {
      absl::StrAppend(&out, "| `", MarkdownCell(t.threshold), "`", t.is_default ? " (default)" : "",
                      " | ", MarkdownCell(t.detail), " | ", t.passed ? "✅" : "❌", " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  if (!m.alerts.empty()) {
    absl::StrAppend(&out,
                    "| Alert | Expected | Fired | Time to fire | Result |\n"
                    "|---|---|---|---:|---|\n");
    for (const AlertTimeline& a : m.alerts) {
      absl::StrAppend(&out, "| ", MarkdownCell(a.name), " | ", a.expected ? "yes" : "no", " | ",
                      a.fired ? "yes" : "no", " | ",
                      a.time_to_fire ? absl::StrFormat("%.1f s", *a.time_to_fire) : "-", " | ",
                      a.passed ? "✅" : "❌", " |\n");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace agentstorm::reports
