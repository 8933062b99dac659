#include "reports/html_writer.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "reports/svg_chart.h"
#include "reports/text_format.h"

namespace agentstorm::reports {
namespace {

constexpr const char* kStyle = R"css(
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--ok:#2e7d32;--bad:#c62828;--warn:#b7791f;--accent:#4c78a8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1f2933;color:#fff;padding:20px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header .meta{color:#cbd2d9;margin-top:6px;font-size:13px}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin:0 0 20px}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:14px;margin:16px 0 8px;color:var(--muted)}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:700;font-size:13px;margin-left:10px;vertical-align:middle}
.pass{background:#e3f4e5;color:var(--ok)}.fail{background:#fde8e8;color:var(--bad)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card .v{font-size:22px;font-weight:600}.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.muted{color:var(--muted);fill:var(--muted)}
svg.chart{max-width:100%;height:auto;display:block;font-size:11px}
svg.chart text{font-family:inherit}
.lvl-violation{color:var(--bad);font-weight:600}.lvl-improvement{color:var(--warn)}.lvl-information{color:var(--muted)}
details{margin:4px 0}summary{cursor:pointer}
.ex{margin:6px 0 10px 16px;font-size:12px}
.trees{width:100%;table-layout:fixed;border-collapse:collapse}
.trees th{background:var(--bg);text-align:left;padding:6px 10px;border:1px solid var(--line)}
.trees td{vertical-align:top;padding:0;border-left:1px solid var(--line);border-right:1px solid var(--line)}
.toc{columns:2;font-size:13px}.top{font-size:13px;text-decoration:none}
.lvl-suppressed{color:var(--muted)}
.span{padding:3px 10px;border-bottom:1px solid #f0f2f5;font-size:12px}
.span .nm{font-weight:600}.span .at{color:var(--muted)}
.span.missing{background:#fde8e8}.span.extra{background:#fff4d6}.span.changed{background:#e8f0fe}
.span .diff{color:var(--bad);font-weight:600}
.legend span{display:inline-block;padding:1px 8px;margin-right:8px;border-radius:4px;font-size:12px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
)css";

std::string E(std::string_view s) { return XmlEscape(s); }

const char* LevelColor(const std::string& level) {
  return level == "violation" ? "#c62828" : level == "improvement" ? "#d69e2e" : "#9aa5b1";
}

std::string Card(const std::string& key, const std::string& value) {
  return absl::StrCat("<div class=\"card\"><div class=\"k\">", E(key), "</div><div class=\"v\">",
                      E(value), "</div></div>\n");
}

std::vector<Bar> DistributionBars(const Distribution& d, const std::string& color) {
  std::vector<Bar> bars;
  for (const DistributionBucket& b : d.buckets) {
    Bar bar;
    bar.label = "≤" + HumanMillis(b.upper);
    bar.value = static_cast<double>(b.count);
    bar.color = color;
    bar.tooltip =
        absl::StrCat(HumanMillis(b.lower), " – ", HumanMillis(b.upper), ": ", Thousands(b.count));
    bars.push_back(bar);
  }
  return bars;
}

std::string DistributionLine(const Distribution& d) {
  if (d.count == 0) return "no values";
  return absl::StrCat(Thousands(d.count), " values · p50 ", HumanMillis(d.p50), " · p90 ",
                      HumanMillis(d.p90), " · p99 ", HumanMillis(d.p99), " · max ",
                      HumanMillis(d.max));
}

// One span of a tree, indented by depth. A parent that is not in the same tree (an orphan's) is
// named in the row, not only in the tooltip.
std::string SpanCell(const TreeSpan& t, const std::set<std::string>& ids) {
  const char* mark = TreeMarkName(t.mark);
  std::string s =
      absl::StrCat("<div class=\"span ", mark, "\" style=\"padding-left:", 10 + 18 * t.depth,
                   "px\" title=\"span ", E(t.span_id), " parent ",
                   E(t.parent_span_id.empty() ? "(root)" : t.parent_span_id), "\">");
  if (t.mark != TreeSpan::Mark::kSame) {
    absl::StrAppend(&s, "<span class=\"diff\">",
                    t.mark == TreeSpan::Mark::kMissing ? "− "
                    : t.mark == TreeSpan::Mark::kExtra ? "+ "
                                                       : "~ ",
                    "</span>");
  }
  absl::StrAppend(&s, "<span class=\"nm\">", E(t.name), "</span> <span class=\"at\">", E(t.kind),
                  t.status == "error" ? " · ERROR" : "",
                  t.service.empty() ? "" : " · " + E(t.service), "</span>");
  if (!t.parent_span_id.empty() && !ids.contains(t.parent_span_id)) {
    absl::StrAppend(&s, "<div class=\"diff\">parent <code>", E(t.parent_span_id),
                    "</code> is not in this trace</div>");
  }
  if (!t.attributes.empty()) {
    std::vector<std::string> attrs;
    for (const auto& [k, v] : t.attributes) attrs.push_back(E(k) + "=" + E(v));
    absl::StrAppend(&s, "<div class=\"at mono\">", absl::StrJoin(attrs, " "), "</div>");
  }
  if (!t.differences.empty()) {
    absl::StrAppend(&s, "<div class=\"diff\">differs: ", E(absl::StrJoin(t.differences, ", ")),
                    "</div>");
  }
  absl::StrAppend(&s, "</div>");
  return s;
}

// The trace as sent and as read back side by side, one row per span: a span present on both
// sides is on one row (so the trees line up whatever the rows hold), a missing one has an empty
// right cell, and extra spans follow with an empty left cell.
std::string AlignedTrees(const std::vector<TreeSpan>& expected,
                         const std::vector<TreeSpan>& actual) {
  std::set<std::string> expected_ids, actual_ids;
  for (const TreeSpan& t : expected) expected_ids.insert(t.span_id);
  for (const TreeSpan& t : actual) actual_ids.insert(t.span_id);
  std::string s =
      absl::StrCat("<table class=\"trees\"><tr><th>expected (sent) (", expected.size(),
                   " spans)</th><th>actual (read back) (", actual.size(), " spans)</th></tr>\n");
  const std::string nothing = "<div class=\"span muted\">nothing</div>";
  if (expected.empty() || actual.empty()) {
    absl::StrAppend(&s, "<tr><td>", expected.empty() ? nothing : "", "</td><td>",
                    actual.empty() ? nothing : "", "</td></tr>\n");
  }
  std::vector<bool> used(actual.size(), false);
  for (const TreeSpan& e : expected) {
    std::string right;
    for (size_t i = 0; i < actual.size(); ++i) {
      if (!used[i] && actual[i].span_id == e.span_id) {
        used[i] = true;
        right = SpanCell(actual[i], actual_ids);
        break;
      }
    }
    absl::StrAppend(&s, "<tr><td>", SpanCell(e, expected_ids), "</td><td>", right, "</td></tr>\n");
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!used[i])
      absl::StrAppend(&s, "<tr><td></td><td>", SpanCell(actual[i], actual_ids), "</td></tr>\n");
  }
  absl::StrAppend(&s, "</table>\n");
  return s;
}

}  // namespace

std::string RenderHtmlReport(const ReportModel& m) {
  const bool passed = Passed(m);
  const uint64_t violations = ViolationCount(m);
  std::string title =
      absl::StrCat("agentstorm report", m.run.scenario.empty() ? "" : ": " + m.run.scenario);
  std::string h = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      E(title), "</title>\n<style>", kStyle, "</style></head>\n<body>\n");
  absl::StrAppend(&h, "<header><h1>", E(title), "<span class=\"badge ", passed ? "pass" : "fail",
                  "\">", passed ? "PASS" : "FAIL", "</span></h1>\n<div class=\"meta\">");
  std::vector<std::string> meta;
  if (!m.run.command.empty()) meta.push_back("agentstorm " + m.run.command);
  if (!m.run.tool_version.empty()) meta.push_back("version " + m.run.tool_version);
  meta.push_back("seed " + std::to_string(m.run.seed));
  if (!m.run.run_id.empty()) meta.push_back("run " + m.run.run_id);
  meta.push_back(std::to_string(m.run.shards) + (m.run.shards == 1 ? " shard" : " shards"));
  if (m.run.start_unix_nano)
    meta.push_back(IsoTime(m.run.start_unix_nano) + " → " + IsoTime(m.run.end_unix_nano));
  if (!m.run.backend.empty()) meta.push_back("backend " + m.run.backend);
  for (const std::string& e : m.run.endpoints) meta.push_back("endpoint " + e);
  if (!m.run.semconv_model.empty()) meta.push_back("semconv " + m.run.semconv_model);
  absl::StrAppend(&h, E(absl::StrJoin(meta, " · ")), "</div></header>\n<main>\n");

  // Headline figures.
  absl::StrAppend(&h, "<div class=\"cards\">\n", Card("violations", Thousands(violations)));
  if (m.load) {
    absl::StrAppend(
        &h, Card("traces sent", Thousands(m.load->traces_sent)),
        Card("achieved rate", ShortNumber(m.load->achieved_traces_per_second) + " traces/s"));
  }
  if (m.readback) {
    absl::StrAppend(
        &h, Card("traces found", PercentText(static_cast<double>(m.readback->found),
                                             static_cast<double>(m.readback->traces_expected))));
    absl::StrAppend(&h,
                    Card("queryable p99", m.readback->time_until_queryable_measured
                                              ? HumanMillis(m.readback->time_until_queryable.p99)
                                              : std::string("not measured")));
  }
  absl::StrAppend(&h, Card("exit code", std::to_string(m.exit_code)), "</div>\n");

  if (m.load) {
    const LoadSection& l = *m.load;
    Series intended{"intended traces/s", "#9aa5b1", {}, true};
    Series achieved{"achieved traces/s", "#4c78a8", {}, false};
    Series errors{"errored spans/s", "#c62828", {}, false};
    bool any_errors = false;
    for (const LoadPoint& p : l.timeline) {
      intended.values.push_back(p.intended_traces_per_second);
      achieved.values.push_back(p.achieved_traces_per_second);
      errors.values.push_back(p.seconds > 0 ? static_cast<double>(p.spans_errors) / p.seconds : 0);
      any_errors |= p.spans_errors > 0;
    }
    std::vector<Series> series = {achieved};
    if (!l.closed_loop) series.insert(series.begin(), intended);
    if (any_errors) series.push_back(errors);
    absl::StrAppend(&h, "<section id=\"load\"><h2>Load: intended vs achieved rate</h2>\n",
                    LineChart("Intended vs achieved rate over time", "seconds since start",
                              "traces per second", series, 1120, 300),
                    "<p class=\"muted\">", E(l.load), " · ", Thousands(l.traces_sent), " of ",
                    Thousands(l.traces_scheduled), " traces, ", Thousands(l.spans_sent),
                    " spans sent in ", absl::StrFormat("%.1f", l.elapsed_seconds), " s · achieved ",
                    ShortNumber(l.achieved_spans_per_second), " spans/s",
                    l.interrupted ? " · interrupted" : "", "</p></section>\n");
  }

  if (!m.endpoints.empty() || m.readback) {
    absl::StrAppend(&h, "<section id=\"delivery\"><h2>Delivery</h2>\n");
    std::vector<StackedRow> rows;
    for (const EndpointDelivery& e : m.endpoints) {
      rows.push_back({e.endpoint,
                      {{"acknowledged", static_cast<double>(e.spans_acknowledged), "#2e7d32", ""},
                       {"rejected", static_cast<double>(e.spans_rejected), "#d69e2e", ""},
                       {"failed", static_cast<double>(e.spans_failed), "#c62828", ""},
                       {"not sent", static_cast<double>(e.spans_not_sent), "#9aa5b1", ""}}});
    }
    if (!rows.empty()) {
      absl::StrAppend(&h, "<h3>Spans by outcome</h3>\n",
                      StackedBars("Spans by outcome per endpoint", rows, 1120));
      absl::StrAppend(&h,
                      "<table><tr><th>Endpoint</th><th class=\"n\">Acknowledged</th>"
                      "<th class=\"n\">Rejected</th><th class=\"n\">Failed</th>"
                      "<th class=\"n\">Not sent</th><th class=\"n\">Requests</th>"
                      "<th class=\"n\">Bytes</th><th>Latency</th></tr>\n");
      for (const EndpointDelivery& e : m.endpoints) {
        absl::StrAppend(
            &h, "<tr><td class=\"mono\">", E(e.endpoint),
            e.reachable ? "" : " <span class=\"lvl-violation\">unreachable</span>",
            e.last_error.empty() ? "" : "<div class=\"muted\">" + E(e.last_error) + "</div>",
            "</td><td class=\"n\">", Thousands(e.spans_acknowledged), "</td><td class=\"n\">",
            Thousands(e.spans_rejected), "</td><td class=\"n\">", Thousands(e.spans_failed),
            "</td><td class=\"n\">", Thousands(e.spans_not_sent), "</td><td class=\"n\">",
            Thousands(e.requests), "</td><td class=\"n\">", Thousands(e.bytes_sent), "</td><td>",
            E(DistributionLine(e.latency)), "</td></tr>\n");
      }
      absl::StrAppend(&h, "</table>\n");
      for (const EndpointDelivery& e : m.endpoints) {
        absl::StrAppend(&h, "<h3>Export latency from intended send time: ", E(e.endpoint),
                        "</h3>\n",
                        ColumnChart("Export latency distribution " + e.endpoint,
                                    DistributionBars(e.latency, "#4c78a8"), 1120, 220));
      }
    }
    if (m.readback) {
      const ReadbackSection& r = *m.readback;
      std::vector<StackedRow> read_rows = {
          {"traces read back",
           {{"found", static_cast<double>(r.found), "#2e7d32", ""},
            {"incomplete", static_cast<double>(r.incomplete), "#d69e2e", ""},
            // Where the scenario expects sampling, absent traces are what it asks for; the
            // sampling rule judges how many.
            {m.sampling.empty() ? "not found" : "not found (sampling expected)",
             static_cast<double>(r.not_found), m.sampling.empty() ? "#c62828" : "#9aa5b1", ""},
            {"request failed", static_cast<double>(r.request_failed), "#7b8794", ""}}}};
      absl::StrAppend(&h, "<h3>Read back from the backend</h3>\n",
                      StackedBars("Traces by read-back outcome", read_rows, 1120),
                      "<p class=\"muted\">", Thousands(r.traces_expected), " traces expected · ",
                      Thousands(r.requests), " requests (", Thousands(r.failed_requests),
                      " failed)", r.backend_unreachable ? " · <b>backend unreachable</b>" : "",
                      "</p>\n");
      if (r.verify_sample) {
        absl::StrAppend(&h, "<p><b>Verified a sample:</b> ", E(r.verify_note), "</p>\n");
      }
      absl::StrAppend(&h, "<h3>Time until queryable</h3>\n");
      if (r.time_until_queryable_measured) {
        absl::StrAppend(&h,
                        ColumnChart("Time until queryable distribution",
                                    DistributionBars(r.time_until_queryable, "#72b7b2"), 1120, 220),
                        "<p class=\"muted\">", E(DistributionLine(r.time_until_queryable)),
                        " · sampled while the run went on</p>\n");
      } else {
        absl::StrAppend(&h, "<p class=\"muted\">", E(r.time_until_queryable_note), "</p>\n");
      }
    }
    absl::StrAppend(&h, "</section>\n");
  }

  // Findings.
  absl::StrAppend(&h, "<section id=\"findings\"><h2>Findings</h2>\n");
  std::vector<Bar> finding_bars;
  for (const FindingRow& f : m.findings) {
    if (f.count > 0) {
      finding_bars.push_back({f.id, static_cast<double>(f.count), LevelColor(f.level),
                              absl::StrCat(f.id, " (", f.level, "): ", Thousands(f.count))});
    }
  }
  std::stable_sort(finding_bars.begin(), finding_bars.end(),
                   [](const Bar& a, const Bar& b) { return a.value > b.value; });
  if (finding_bars.empty()) {
    absl::StrAppend(&h, "<p>No findings.</p>\n");
  } else {
    absl::StrAppend(&h, BarChart("Findings by rule", finding_bars, 1120));
  }
  for (const FindingRow& f : m.findings) {
    // Every occurrence expected by the check config: not a failure, so neither open nor red.
    const bool all_suppressed = f.count == 0 && f.suppressed > 0;
    absl::StrAppend(&h, "<details", f.level == "violation" && !all_suppressed ? " open" : "",
                    "><summary><code>", E(f.id), "</code> <span class=\"lvl-",
                    all_suppressed ? "suppressed" : E(f.level), "\">",
                    all_suppressed ? E(f.level) + ", expected (suppressed)" : E(f.level),
                    "</span> · ", Thousands(f.count),
                    f.suppressed ? " (+" + Thousands(f.suppressed) + " suppressed)" : "",
                    "</summary>\n");
    if (!f.examples.empty()) {
      absl::StrAppend(&h,
                      "<table class=\"ex\"><tr><th>Trace / span</th><th>Message</th>"
                      "<th>Expected</th><th>Actual</th></tr>\n");
      for (const FindingExample& x : f.examples) {
        absl::StrAppend(
            &h, "<tr><td class=\"mono\">", E(x.trace_id),
            x.span_id.empty() ? "" : "<br>" + E(x.span_id),
            x.span_name.empty() ? "" : "<br>" + E(x.span_name),
            x.variant.empty() ? "" : "<br><span class=\"muted\">" + E(x.variant) + "</span>",
            "</td><td>", E(x.message),
            x.attribute.empty() ? "" : " <code>" + E(x.attribute) + "</code>",
            "</td><td class=\"mono\">", E(x.expected), "</td><td class=\"mono\">", E(x.actual),
            "</td></tr>\n");
      }
      absl::StrAppend(&h, "</table>\n");
    }
    absl::StrAppend(&h, "</details>\n");
  }
  absl::StrAppend(&h, "</section>\n");

  if (!m.rules.empty()) {
    absl::StrAppend(&h,
                    "<section id=\"rules\"><h2>Rules</h2><table><tr><th>Rule</th>"
                    "<th class=\"n\">Evaluated</th><th class=\"n\">Passed</th>"
                    "<th class=\"n\">Failed</th><th>Statistics</th></tr>\n");
    for (const RuleResult& r : m.rules) {
      std::vector<std::string> stats;
      for (const auto& [k, v] : r.statistics) stats.push_back(E(k) + " = " + ShortNumber(v));
      absl::StrAppend(&h, "<tr><td><code>", E(r.rule), "</code></td><td class=\"n\">",
                      Thousands(r.evaluated), "</td><td class=\"n\">", Thousands(r.passed),
                      "</td><td class=\"n\">", Thousands(r.failed()), "</td><td class=\"mono\">",
                      absl::StrJoin(stats, "<br>"), "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table></section>\n");
  }

  if (m.semconv) {
    const SemconvSection& sc = *m.semconv;
    absl::StrAppend(&h, "<section id=\"semconv\"><h2>Semantic conventions</h2>\n");
    if (!sc.span_classes.empty()) {
      std::vector<std::string> classes;
      for (const auto& [c, n] : sc.span_classes) classes.push_back(Thousands(n) + " " + E(c));
      absl::StrAppend(&h, "<p>Spans read: ", absl::StrJoin(classes, ", "), ".</p>\n");
    }
    if (!sc.span_types.empty()) {
      auto pct = [](const std::optional<double>& v) {
        return v ? ShortNumber(*v, 3) + "%" : std::string("&mdash;");
      };
      absl::StrAppend(&h,
                      "<p>Attributes present per span type, by requirement level (each counted "
                      "on the spans its condition applies to; &mdash;: the type has none).</p>\n"
                      "<table><tr><th>Span type</th><th class=\"n\">Spans</th>"
                      "<th class=\"n\">Required</th><th class=\"n\">Conditionally required"
                      "</th><th class=\"n\">Recommended</th><th class=\"n\">Opt-in</th></tr>\n");
      for (const SpanTypeCoverage& t : sc.span_types) {
        absl::StrAppend(&h, "<tr><td><code>", E(t.span_type), "</code></td><td class=\"n\">",
                        Thousands(t.spans), "</td><td class=\"n\">", pct(t.required),
                        "</td><td class=\"n\">", pct(t.conditionally_required),
                        "</td><td class=\"n\">", pct(t.recommended), "</td><td class=\"n\">",
                        pct(t.opt_in), "</td></tr>\n");
      }
      absl::StrAppend(&h, "</table>\n");
    }
    if (!sc.unknown_attributes.empty()) {
      absl::StrAppend(&h,
                      "<h3>Attributes the conventions do not define</h3>\n<table><tr><th>Key"
                      "</th><th class=\"n\">Spans</th></tr>\n");
      for (const UnknownAttribute& u : sc.unknown_attributes) {
        absl::StrAppend(&h, "<tr><td><code>", E(u.key), "</code></td><td class=\"n\">",
                        Thousands(u.spans), "</td></tr>\n");
      }
      absl::StrAppend(&h, "</table>\n");
    }
    absl::StrAppend(&h, "</section>\n");
  }

  if (!m.groups.empty()) {
    absl::StrAppend(&h,
                    "<section id=\"groups\"><h2>Traces by variant and class</h2><table><tr>"
                    "<th>Group</th><th>Name</th><th class=\"n\">Sent</th>"
                    "<th class=\"n\">Acknowledged</th><th class=\"n\">Read</th>"
                    "<th class=\"n\">Read / acknowledged</th></tr>\n");
    for (const GroupCounts& g : m.groups) {
      absl::StrAppend(&h, "<tr><td>", E(g.group), "</td><td><code>", E(g.name),
                      "</code></td><td class=\"n\">", Thousands(g.sent), "</td><td class=\"n\">",
                      Thousands(g.acknowledged), "</td><td class=\"n\">", Thousands(g.read),
                      "</td><td class=\"n\">",
                      PercentText(static_cast<double>(g.read), static_cast<double>(g.acknowledged)),
                      "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table></section>\n");
  }

  if (!m.sampling.empty()) {
    std::vector<Interval> rows;
    for (const SamplingRow& s : m.sampling) {
      rows.push_back({s.population, s.observed, s.low, s.high, s.expected, s.passed});
    }
    absl::StrAppend(&h, "<section id=\"sampling\"><h2>Sampling: kept fraction</h2>\n",
                    IntervalChart("Sampling kept fraction with confidence interval", rows, 1120),
                    "<p class=\"muted\">Dot: observed kept fraction; bar: Wilson interval; "
                    "triangle: the fraction the scenario expects.</p><table><tr><th>Population</th>"
                    "<th class=\"n\">Expected</th><th class=\"n\">Kept / total</th>"
                    "<th class=\"n\">Observed</th><th>Interval</th><th>Result</th></tr>\n");
    for (const SamplingRow& s : m.sampling) {
      absl::StrAppend(&h, "<tr><td><code>", E(s.population), "</code></td><td class=\"n\">",
                      ShortNumber(s.expected), "</td><td class=\"n\">", Thousands(s.kept), " / ",
                      Thousands(s.total), "</td><td class=\"n\">", ShortNumber(s.observed),
                      "</td><td>[", ShortNumber(s.low), ", ", ShortNumber(s.high), "] at ",
                      ShortNumber(s.confidence * 100), "%</td><td class=\"",
                      s.passed ? "" : "lvl-violation", "\">", s.passed ? "pass" : "fail",
                      "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table></section>\n");
  }

  if (!m.thresholds.empty()) {
    absl::StrAppend(&h,
                    "<section id=\"thresholds\"><h2>Thresholds</h2>\n<table><tr><th>Threshold</th>"
                    "<th>Observed</th><th>Result</th></tr>\n");
    for (const ThresholdRow& t : m.thresholds) {
      absl::StrAppend(&h, "<tr><td><code>", E(t.threshold), "</code>",
                      t.is_default ? " <span class=\"muted\">(default)</span>" : "", "</td><td>",
                      E(t.detail), "</td><td class=\"", t.passed ? "" : "lvl-violation", "\">",
                      t.passed ? "\u2713 pass" : "\u2717 fail", "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table></section>\n");
  }

  if (!m.alerts.empty()) {
    std::vector<Timeline> rows;
    for (const AlertTimeline& a : m.alerts) {
      rows.push_back({a.name, a.pending_at.value_or(-1), a.firing_at.value_or(-1),
                      a.resolved_at.value_or(-1), a.deadline.value_or(-1), a.passed});
    }
    double end = m.load ? m.load->elapsed_seconds : 0;
    absl::StrAppend(&h, "<section id=\"alerts\"><h2>Alerts</h2>\n",
                    TimelineChart("Alert timelines", rows, end, 1120),
                    "<p class=\"muted\">Amber: pending; red: firing; dashed line: the deadline by "
                    "which the alert was expected to fire.</p><table><tr><th>Alert</th>"
                    "<th>Expected</th><th>Fired</th><th class=\"n\">Time to fire</th>"
                    "<th>Result</th></tr>\n");
    for (const AlertTimeline& a : m.alerts) {
      absl::StrAppend(
          &h, "<tr><td><code>", E(a.name), "</code></td><td>", a.expected ? "yes" : "no",
          "</td><td>", a.fired ? "yes" : "no", "</td><td class=\"n\">",
          a.time_to_fire ? absl::StrFormat("%.1f s", *a.time_to_fire) : "-", "</td><td class=\"",
          a.passed ? "" : "lvl-violation", "\">", a.passed ? "pass" : "fail", "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table></section>\n");
  }

  if (!m.failing_traces.empty()) {
    absl::StrAppend(&h,
                    "<section id=\"traces\"><h2>Failing traces: expected vs actual</h2>\n"
                    "<p class=\"legend\"><span class=\"span missing\">− missing</span>"
                    "<span class=\"span extra\">+ extra</span>"
                    "<span class=\"span changed\">~ changed</span></p>\n");
    if (m.failing_traces.size() > 1) {
      // A table of contents: ten failing traces make a long page.
      absl::StrAppend(&h, "<ol class=\"toc\">\n");
      for (const TraceComparison& t : m.failing_traces) {
        absl::StrAppend(&h, "<li><a href=\"#trace-", E(t.trace_id), "\"><code>", E(t.trace_id),
                        "</code></a>", t.variant.empty() ? "" : " · " + E(t.variant),
                        t.finding_ids.empty() ? "" : " · " + E(absl::StrJoin(t.finding_ids, ", ")),
                        "</li>\n");
      }
      absl::StrAppend(&h, "</ol>\n");
    }
    for (const TraceComparison& t : m.failing_traces) {
      absl::StrAppend(&h, "<h3 id=\"trace-", E(t.trace_id), "\"><code>", E(t.trace_id), "</code>",
                      t.variant.empty() ? "" : " · variant " + E(t.variant),
                      t.finding_ids.empty() ? "" : " · " + E(absl::StrJoin(t.finding_ids, ", ")),
                      m.failing_traces.size() > 1 ? " <a class=\"top\" href=\"#traces\">↑</a>" : "",
                      "</h3>\n", AlignedTrees(t.expected, t.actual));
    }
    absl::StrAppend(&h, "</section>\n");
  }
  absl::StrAppend(&h, "<footer>agentstorm report · schema ", m.schema_version,
                  " · generated from the same model as report.json, junit.xml and report.md"
                  "</footer>\n</main></body></html>\n");
  return h;
}

}  // namespace agentstorm::reports
