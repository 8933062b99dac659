#include "reports/junit_writer.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "checker/finding_catalog.h"
#include "reports/text_format.h"

namespace agentstorm::reports {
namespace {

struct Case {
  std::string name;
  std::string classname;
  std::string failure_message;  // empty = passed
  std::string failure_text;
  bool error = false;
  std::string output;  // <system-out>
};

struct Suite {
  std::string name;
  std::vector<std::pair<std::string, std::string>> properties;
  std::vector<Case> cases;
};

std::string CaseName(const std::string& base, const std::string& variant) {
  return variant.empty() ? base : absl::StrCat(base, " [", variant, "]");
}

std::string FailureText(const FindingRow& f, const std::string& variant) {
  std::string text;
  std::vector<std::string> traces;
  for (const FindingExample& x : f.examples) {
    if (!variant.empty() && !x.variant.empty() && x.variant != variant) continue;
    absl::StrAppend(&text, x.message.empty() ? f.id : x.message, "\n");
    if (!x.trace_id.empty()) {
      absl::StrAppend(&text, "  trace ", x.trace_id);
      if (!x.span_id.empty()) absl::StrAppend(&text, " span ", x.span_id);
      if (!x.span_name.empty()) absl::StrAppend(&text, " (", x.span_name, ")");
      absl::StrAppend(&text, "\n");
      if (std::find(traces.begin(), traces.end(), x.trace_id) == traces.end()) {
        traces.push_back(x.trace_id);
      }
    }
    if (!x.attribute.empty()) absl::StrAppend(&text, "  attribute: ", x.attribute, "\n");
    if (!x.expected.empty() || !x.actual.empty()) {
      absl::StrAppend(&text, "  expected: ", x.expected.empty() ? "(nothing)" : x.expected, "\n");
      absl::StrAppend(&text, "  actual:   ", x.actual.empty() ? "(absent)" : x.actual, "\n");
    }
  }
  if (!traces.empty()) {
    absl::StrAppend(&text, "first offending traces: ", absl::StrJoin(traces, ", "), "\n");
  }
  return text;
}

std::vector<Suite> BuildSuites(const ReportModel& m) {
  std::vector<std::string> variants = m.run.variants;
  if (variants.empty()) variants.push_back("");
  std::map<std::string, Suite> suites;
  std::map<std::string, const RuleResult*> rules;
  for (const RuleResult& r : m.rules) {
    rules[r.rule] = &r;
    suites[r.rule].name = r.rule;
  }
  for (const FindingRow& f : m.findings) {
    if (f.family() == "threshold" && !m.thresholds.empty()) continue;  // one case each, below
    Suite& suite = suites[f.family()];
    suite.name = f.family();
    std::vector<std::string> case_variants;
    if (f.count_by_variant.empty()) {
      case_variants.push_back("");
    } else {
      std::set<std::string> seen;
      for (const std::string& v : variants) {
        if (seen.insert(v).second) case_variants.push_back(v);
      }
      for (const auto& [v, n] : f.count_by_variant) {
        if (seen.insert(v).second) case_variants.push_back(v);
      }
    }
    for (const std::string& v : case_variants) {
      Case c;
      // The ID with what it means, so a CI test list reads as sentences; stable across runs.
      const std::string summary = FindingSummary(f.id);
      c.name = CaseName(summary.empty() ? f.id : f.id + ": " + summary, v);
      c.classname = "agentstorm." + suite.name;
      uint64_t count = f.count_by_variant.empty()    ? f.count
                       : f.count_by_variant.count(v) ? f.count_by_variant.at(v)
                                                     : 0;
      if (LevelFails(m, f.level) && count > 0) {
        c.failure_message = absl::StrCat(f.id, ": ", count, " finding", count == 1 ? "" : "s",
                                         " at ", f.level, " level");
        if (!f.examples.empty() && !f.examples.front().message.empty()) {
          absl::StrAppend(&c.failure_message, " (first: ", f.examples.front().message, ")");
        }
        c.failure_text = FailureText(f, v);
      } else {
        c.output = absl::StrCat(count, " finding", count == 1 ? "" : "s", " at level ", f.level);
        if (f.suppressed > 0) absl::StrAppend(&c.output, ", ", f.suppressed, " suppressed");
      }
      suite.cases.push_back(std::move(c));
    }
  }
  for (const ThresholdRow& t : m.thresholds) {
    Suite& suite = suites["threshold"];
    suite.name = "threshold";
    Case c;
    c.name = t.threshold;
    c.classname = "agentstorm.threshold";
    if (t.passed) {
      c.output = t.detail;
    } else {
      c.failure_message = absl::StrCat("threshold ", t.threshold, " failed: ", t.detail);
      c.failure_text = absl::StrCat(t.detail, "\n");
    }
    suite.cases.push_back(std::move(c));
  }
  for (auto& [name, suite] : suites) {
    if (auto it = rules.find(name); it != rules.end()) {
      const RuleResult& r = *it->second;
      suite.properties.emplace_back("evaluated", std::to_string(r.evaluated));
      suite.properties.emplace_back("passed", std::to_string(r.passed));
      for (const auto& [k, v] : r.statistics) suite.properties.emplace_back(k, ShortNumber(v, 6));
    }
    if (suite.cases.empty()) {
      for (const std::string& v : variants) {
        Case c;
        c.name = CaseName(name, v);
        c.classname = "agentstorm." + name;
        if (auto it = rules.find(name); it != rules.end()) {
          c.output = absl::StrCat(it->second->evaluated, " evaluated, ", it->second->passed,
                                  " passed, no findings");
        }
        suite.cases.push_back(std::move(c));
      }
    }
  }
  std::vector<Suite> out;
  for (auto& [name, suite] : suites) out.push_back(std::move(suite));
  bool unreachable = m.exit_code == 3 || (m.readback && m.readback->backend_unreachable);
  if (unreachable) {
    Suite run;
    run.name = "run";
    Case c;
    c.name = "backend reachable";
    c.classname = "agentstorm.run";
    c.error = true;
    c.failure_message = "the backend or an endpoint could not be reached or read";
    c.failure_text = absl::StrCat("backend: ", m.run.backend, "\n");
    for (const EndpointDelivery& e : m.endpoints) {
      if (!e.reachable)
        absl::StrAppend(&c.failure_text, "endpoint unreachable: ", e.endpoint,
                        e.last_error.empty() ? "" : " (" + e.last_error + ")", "\n");
    }
    run.cases.push_back(std::move(c));
    out.push_back(std::move(run));
  }
  return out;
}

}  // namespace

std::string RenderJunitReport(const ReportModel& m) {
  std::vector<Suite> suites = BuildSuites(m);
  size_t tests = 0, failures = 0, errors = 0;
  for (const Suite& s : suites) {
    for (const Case& c : s.cases) {
      ++tests;
      if (c.error) {
        ++errors;
      } else if (!c.failure_message.empty()) {
        ++failures;
      }
    }
  }
  std::string timestamp = IsoTimeNoZone(m.run.start_unix_nano);
  if (timestamp.empty()) timestamp = "1970-01-01T00:00:00";
  // The command's own time: from the run's start would count the hours between a run and a
  // later check of its ledger.
  double seconds = m.run.command_seconds;
  if (seconds <= 0 && m.run.end_unix_nano > m.run.start_unix_nano)
    seconds = static_cast<double>(m.run.end_unix_nano - m.run.start_unix_nano) / 1e9;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string title = m.run.scenario.empty() ? "agentstorm" : "agentstorm " + m.run.scenario;
  absl::StrAppend(&out, "<testsuites name=\"", XmlEscape(title), "\" tests=\"", tests,
                  "\" failures=\"", failures, "\" errors=\"", errors, "\" time=\"",
                  absl::StrFormat("%.3f", seconds), "\">\n");
  int id = 0;
  for (const Suite& s : suites) {
    size_t f = 0, e = 0;
    for (const Case& c : s.cases) {
      if (c.error) {
        ++e;
      } else if (!c.failure_message.empty()) {
        ++f;
      }
    }
    absl::StrAppend(&out, "  <testsuite name=\"", XmlEscape(s.name), "\" id=\"", id++,
                    "\" package=\"agentstorm\" tests=\"", s.cases.size(), "\" failures=\"", f,
                    "\" errors=\"", e, "\" skipped=\"0\" time=\"0\" timestamp=\"", timestamp,
                    "\" hostname=\"agentstorm\">\n");
    absl::StrAppend(&out, "    <properties>\n");
    std::vector<std::pair<std::string, std::string>> props = {{"scenario", m.run.scenario},
                                                              {"seed", std::to_string(m.run.seed)},
                                                              {"run_id", m.run.run_id},
                                                              {"backend", m.run.backend},
                                                              {"tool_version", m.run.tool_version}};
    if (m.readback && m.readback->verify_sample) {
      props.emplace_back("verify", m.readback->verify_note);
      props.emplace_back("verify_loss_rate_upper_bound",
                         absl::StrCat(m.readback->verify_loss_rate_bound));
    }
    props.insert(props.end(), s.properties.begin(), s.properties.end());
    for (const auto& [k, v] : props) {
      absl::StrAppend(&out, "      <property name=\"", XmlEscape(k), "\" value=\"", XmlEscape(v),
                      "\"/>\n");
    }
    absl::StrAppend(&out, "    </properties>\n");
    for (const Case& c : s.cases) {
      absl::StrAppend(&out, "    <testcase name=\"", XmlEscape(c.name), "\" classname=\"",
                      XmlEscape(c.classname), "\" time=\"0\"");
      if (c.failure_message.empty() && c.output.empty()) {
        absl::StrAppend(&out, "/>\n");
        continue;
      }
      absl::StrAppend(&out, ">\n");
      if (!c.failure_message.empty()) {
        const char* tag = c.error ? "error" : "failure";
        absl::StrAppend(&out, "      <", tag, " message=\"", XmlEscape(c.failure_message),
                        "\" type=\"", c.error ? "unreachable" : "violation", "\">",
                        XmlEscape(c.failure_text), "</", tag, ">\n");
      }
      if (!c.output.empty()) {
        absl::StrAppend(&out, "      <system-out>", XmlEscape(c.output), "</system-out>\n");
      }
      absl::StrAppend(&out, "    </testcase>\n");
    }
    absl::StrAppend(&out, "    <system-out></system-out>\n    <system-err></system-err>\n");
    absl::StrAppend(&out, "  </testsuite>\n");
  }
  absl::StrAppend(&out, "</testsuites>\n");
  return out;
}

}  // namespace agentstorm::reports
