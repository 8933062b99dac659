// A fixed report model with every section filled, for the writer tests and goldens. It carries
// secrets on purpose (in the backend, an endpoint, an error and a finding) so every test of a
// rendered report can check they are gone.
#pragma once

#include <string>

#include "reports/report_model.h"

namespace agentstorm::reports::testing {

inline constexpr const char* kSecrets[] = {"s3cr3t-token", "hunter2", "sk-live-abcdef123456",
                                           "dXNlcjpwYXNz"};

inline ReportModel FixedReportModel() {
  ReportModel m;
  m.run.tool_version = "0.1.0";
  m.run.command = "run";
  m.run.mode = "ledger";
  m.run.scenario = "nightly-conformance";
  m.run.scenario_path = "scenarios/nightly-conformance.yaml";
  m.run.semconv_model = "genai-latest";
  m.run.seed = 42;
  m.run.run_id = "5eed0f2a9c1b7d4e";
  m.run.shards = 2;
  m.run.start_unix_nano = 1714564800000000000ull;  // 2024-05-01T12:00:00Z
  m.run.end_unix_nano = 1714564812500000000ull;
  m.run.command_seconds = 4.25;  // a check long after the run: not end - start
  m.run.backend = "tempo://admin:hunter2@tempo.example:3200?token=s3cr3t-token&tenant=team-a";
  m.run.endpoints = {"grpc://127.0.0.1:4317",
                     "https://otlp.example/v1/traces?api_key=sk-live-abcdef123456"};
  m.run.variants = {"smoke/default", "tool-failures/flaky"};
  m.exit_code = 1;

  LoadSection load;
  load.load = "warmup 20->100/s 3s, steady 100/s 4s, incident 100/s 3s";
  load.elapsed_seconds = 10.0;
  load.traces_scheduled = 900;
  load.traces_sent = 880;
  load.spans_scheduled = 10800;
  load.spans_sent = 10560;
  load.intended_traces_per_second = 90;
  load.achieved_traces_per_second = 88;
  load.achieved_spans_per_second = 1056;
  const double intended[] = {20, 47, 73, 100, 100, 100, 100, 100, 100, 100};
  const uint64_t sent[] = {20, 46, 72, 99, 101, 100, 96, 80, 85, 100};
  for (uint32_t i = 0; i < 10; ++i) {
    LoadPoint p;
    p.second = i;
    p.intended_traces_per_second = intended[i];
    p.traces_sent = sent[i];
    p.achieved_traces_per_second = static_cast<double>(sent[i]);
    p.spans_sent = sent[i] * 12;
    p.spans_acknowledged = sent[i] * 12 - (i >= 7 ? 30 : 0);
    p.spans_errors = i >= 7 ? 30 : 0;
    p.latency_p50_ms = 2.5 + i * 0.1;
    p.latency_p99_ms = i >= 7 ? 80 : 12;
    load.timeline.push_back(p);
  }
  m.load = load;

  EndpointDelivery grpc;
  grpc.endpoint = "grpc://127.0.0.1:4317";
  grpc.spans_acknowledged = 10470;
  grpc.spans_rejected = 60;
  grpc.spans_failed = 30;
  grpc.spans_not_sent = 240;
  grpc.traces_acknowledged = 872;
  grpc.traces_rejected = 5;
  grpc.traces_failed = 3;
  grpc.traces_not_sent = 20;
  grpc.bytes_sent = 8123456;
  grpc.requests = 912;
  grpc.last_error = "UNAVAILABLE: connection reset (Authorization: Bearer s3cr3t-token)";
  grpc.latency = {900,
                  0.8,
                  6.1,
                  3.2,
                  9.5,
                  41.0,
                  79.0,
                  95.0,
                  {{0, 1, 10},
                   {1, 2, 120},
                   {2, 5, 560},
                   {5, 10, 140},
                   {10, 20, 40},
                   {20, 50, 20},
                   {50, 100, 10}}};
  m.endpoints.push_back(grpc);
  EndpointDelivery http = grpc;
  http.endpoint = "https://otlp.example/v1/traces?api_key=sk-live-abcdef123456";
  http.spans_acknowledged = 10800;
  http.spans_rejected = http.spans_failed = http.spans_not_sent = 0;
  http.last_error = "";
  m.endpoints.push_back(http);

  ReadbackSection r;
  r.traces_expected = 880;
  r.found = 861;
  r.incomplete = 6;
  r.not_found = 13;
  r.requests = 1922;
  r.failed_requests = 4;
  r.spans_expected = 10470;
  r.spans_read = 10301;
  r.time_until_queryable = {
      867,
      150,
      900,
      800,
      1800,
      2600,
      3000,
      3100,
      {{0, 200, 5}, {200, 500, 120}, {500, 1000, 420}, {1000, 2000, 280}, {2000, 5000, 42}}};
  r.time_until_queryable_measured = true;
  r.time_until_queryable_sampled = 867;
  r.time_until_queryable_note =
      "p50 800.0ms  p90 1800.0ms  p99 2600.0ms (867 traces sampled while the run went on)";
  m.readback = r;

  FindingRow orphan;
  orphan.id = "hierarchy.orphan_span";
  orphan.level = "violation";
  orphan.count = 7;
  orphan.count_by_variant = {{"smoke/default", 2}, {"tool-failures/flaky", 5}};
  orphan.examples.push_back({"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
                             "execute_tool web_search", "", "tool-failures/flaky",
                             "parent span 53995c3f42cd8ad8 is not in the trace",
                             "parent 53995c3f42cd8ad8", "(absent)"});
  orphan.examples.push_back(
      {"5cf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8", "chat gpt-4o", "", "smoke/default",
       "parent span 63995c3f42cd8ad9 is not in the trace", "parent 63995c3f42cd8ad9", ""});
  m.findings.push_back(orphan);
  FindingRow deprecated;
  deprecated.id = "semconv.deprecated_attribute";
  deprecated.level = "improvement";
  deprecated.count = 120;
  deprecated.suppressed = 3;
  deprecated.examples.push_back({"6df92f3577b34da6a3ce929d0e0e4738", "20f067aa0ba902b9",
                                 "chat gpt-4o", "gen_ai.system", "smoke/default",
                                 "gen_ai.system is deprecated: use gen_ai.provider.name",
                                 "gen_ai.provider.name", "gen_ai.system=\"openai\""});
  m.findings.push_back(deprecated);
  FindingRow missing;
  missing.id = "semconv.required_attribute_missing";
  missing.level = "violation";
  missing.count = 3;
  missing.examples.push_back({"7ef92f3577b34da6a3ce929d0e0e4739", "30f067aa0ba902ba",
                              "chat <gpt-4o> & \"friends\"", "gen_ai.operation.name", "",
                              "required attribute missing; header was api_key=sk-live-abcdef123456",
                              "gen_ai.operation.name", ""});
  m.findings.push_back(missing);

  m.rules.push_back({"hierarchy", 867, 860, {}});
  m.rules.push_back({"redaction", 867, 867, {}});
  m.rules.push_back({"semconv",
                     10301,
                     10178,
                     {{"recommended_coverage.chat", 72.5}, {"required_coverage.chat", 99.97}}});
  SemconvSection semconv;
  semconv.span_types.push_back({"openai.inference.client", 200, 100.0, 40.0, 72.5, std::nullopt});
  semconv.span_types.push_back(
      {"gen_ai.execute_tool.internal", 120, 99.2, std::nullopt, 66.7, 0.0});
  semconv.unknown_attributes.push_back({"gen_ai.request.temprature", 3});
  semconv.unknown_attributes.push_back({"gen_ai.usage.token=s3cr3t-token", 1});  // scrubbed
  semconv.span_classes = {{"GenAI conventions", 320}, {"OpenInference", 6}};
  m.semconv = semconv;

  m.groups.push_back({"variant", "smoke/default", 600, 590, 585});
  m.groups.push_back({"variant", "tool-failures/flaky", 300, 290, 282});
  m.groups.push_back({"class", "error", 90, 88, 88});
  m.groups.push_back({"class", "normal", 810, 792, 779});

  m.sampling.push_back({"tail.errors", 1.0, 88, 88, 1.0, 0.926, 1.0, 0.999, true});
  m.sampling.push_back({"tail.rest", 0.1, 101, 792, 0.1275, 0.0927, 0.1729, 0.999, true});
  m.thresholds.push_back({"spans_not_acknowledged: count==0", "spans_not_acknowledged", true, true,
                          77, "77 of 800 spans (9.62%)", false});
  m.thresholds.push_back({"export_latency: p(99)<250ms", "export_latency", false, true, 12.4,
                          "p(99) 12.4ms over 800 samples", true});

  AlertTimeline fired;
  fired.name = "HighToolErrorRate";
  fired.expected = true;
  fired.fired = true;
  fired.pending_at = 7.2;
  fired.firing_at = 8.4;
  fired.time_to_fire = 1.4;
  fired.deadline = 9.0;
  m.alerts.push_back(fired);
  AlertTimeline silent;
  silent.name = "TraceLossHigh";
  silent.expected = true;
  silent.fired = false;
  silent.deadline = 10.0;
  silent.passed = false;
  m.alerts.push_back(silent);

  TraceComparison t;
  t.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  t.variant = "tool-failures/flaky";
  t.finding_ids = {"hierarchy.orphan_span"};
  t.expected = {
      {"a1",
       "",
       "invoke_agent research_agent",
       "internal",
       "unset",
       "research-app",
       0,
       {{"gen_ai.agent.name", "research_agent"}, {"gen_ai.operation.name", "invoke_agent"}},
       TreeSpan::Mark::kSame,
       {}},
      {"b2",
       "a1",
       "chat gpt-4o",
       "client",
       "unset",
       "research-app",
       1,
       {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "gpt-4o"}},
       TreeSpan::Mark::kSame,
       {}},
      {"c3",
       "a1",
       "execute_tool web_search",
       "internal",
       "error",
       "research-app",
       1,
       {{"error.type", "timeout"}, {"gen_ai.tool.name", "web_search"}},
       TreeSpan::Mark::kSame,
       {}},
  };
  t.actual = {
      {"a1",
       "",
       "invoke_agent research_agent",
       "internal",
       "unset",
       "research-app",
       0,
       {{"gen_ai.agent.name", "research_agent"}, {"gen_ai.operation.name", "invoke_agent"}},
       TreeSpan::Mark::kSame,
       {}},
      {"b2",
       "a1",
       "chat gpt-4o",
       "internal",
       "unset",
       "research-app",
       1,
       {{"gen_ai.operation.name", "chat"}, {"gen_ai.request.model", "gpt-4o"}},
       TreeSpan::Mark::kSame,
       {}},
      {"d4",
       "ff",
       "retry web_search",
       "internal",
       "unset",
       "research-app",
       0,
       {},
       TreeSpan::Mark::kSame,
       {}},
  };
  MarkDifferences(&t);
  m.failing_traces.push_back(t);
  return m;
}

}  // namespace agentstorm::reports::testing
