#include "reports/report_model.h"

#include <gtest/gtest.h>

#include <numeric>

#include "checker/check_pipeline.h"
#include "core/ids.h"
#include "reports/html_writer.h"
#include "reports/json_writer.h"
#include "reports/junit_writer.h"
#include "reports/markdown_writer.h"

namespace agentstorm::reports {
namespace {

using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

TEST(DistributionFromHistogram, BucketsCoverEveryValueOnA125Series) {
  Histogram h;                                    // microseconds
  for (int i = 0; i < 100; ++i) h.Record(800);    // 0.8 ms
  for (int i = 0; i < 50; ++i) h.Record(3'000);   // 3 ms
  for (int i = 0; i < 10; ++i) h.Record(40'000);  // 40 ms
  Distribution d = DistributionFromHistogram(h, 1e-3);
  EXPECT_EQ(d.count, 160u);
  EXPECT_NEAR(d.p50, 0.8, 0.01);
  EXPECT_NEAR(d.max, 40, 0.5);
  uint64_t total = 0;
  for (const DistributionBucket& b : d.buckets) total += b.count;
  EXPECT_EQ(total, 160u);
  ASSERT_GE(d.buckets.size(), 3u);
  EXPECT_EQ(d.buckets[0].lower, 0);
  EXPECT_EQ(d.buckets[0].upper, 1);  // 1-2-5 bound at or above min
  EXPECT_EQ(d.buckets[0].count, 100u);
  for (size_t i = 1; i < d.buckets.size(); ++i) {
    EXPECT_EQ(d.buckets[i].lower, d.buckets[i - 1].upper);
  }
  EXPECT_TRUE(DistributionFromHistogram(Histogram(), 1e-3).buckets.empty());
}

TEST(AddLoadSummary, TimelineCarriesTheScheduledAndAchievedRatePerSecond) {
  LoadSummary s;
  s.intended_traces_per_second = 60;  // the run's average: never a point's intended rate
  s.traces_sent = 10;
  s.spans_sent = 50;
  s.timeline.resize(3);
  s.timeline[0].traces_intended = 15;
  s.timeline[1].traces_intended = 25;
  s.timeline[1].traces_sent = 7;
  s.timeline[1].latency_p99_ns = 3'000'000;
  s.timeline[2].seconds = 0.25;  // the last partial second
  s.timeline[2].traces_intended = 25;
  s.timeline[2].traces_sent = 20;
  ReportModel model;
  AddLoadSummary(s, &model);
  ASSERT_TRUE(model.load.has_value());
  ASSERT_EQ(model.load->timeline.size(), 3u);
  EXPECT_DOUBLE_EQ(model.load->timeline[0].intended_traces_per_second, 15);
  EXPECT_DOUBLE_EQ(model.load->timeline[1].intended_traces_per_second, 25);
  EXPECT_DOUBLE_EQ(model.load->timeline[2].intended_traces_per_second, 100);
  EXPECT_DOUBLE_EQ(model.load->timeline[1].achieved_traces_per_second, 7);
  EXPECT_DOUBLE_EQ(model.load->timeline[2].achieved_traces_per_second, 80);
  EXPECT_DOUBLE_EQ(model.load->timeline[2].seconds, 0.25);
  EXPECT_EQ(model.load->timeline[1].traces_sent, 7u);
  EXPECT_DOUBLE_EQ(model.load->timeline[1].latency_p99_ms, 3);
}

TEST(AddFindings, KeepsIdsLevelsExamplesTotalsAndStatistics) {
  FindingSet set;
  set.Add({.id = "semconv.required_attribute_missing",
           .trace_id = "ab",
           .span_id = "cd",
           .expected = "gen_ai.operation.name",
           .variant = "smoke"});
  set.Add({.id = "semconv.required_attribute_missing", .level = FindingLevel::kViolation});
  set.Add({.id = "semconv.deprecated_attribute", .level = FindingLevel::kImprovement});
  set.RecordEvaluations("semconv", 10, 8);
  set.SetStatistic("semconv", "recommended_coverage.chat", 72.5);
  ReportModel model;
  AddFindings(set, &model);
  ASSERT_EQ(model.findings.size(), 2u);
  EXPECT_EQ(model.findings[1].id, "semconv.required_attribute_missing");
  EXPECT_EQ(model.findings[1].level, "violation");
  EXPECT_EQ(model.findings[1].count, 2u);
  EXPECT_EQ(model.findings[1].examples[0].variant, "smoke");
  EXPECT_EQ(model.findings[0].level, "improvement");
  ASSERT_EQ(model.rules.size(), 1u);
  EXPECT_EQ(model.rules[0].failed(), 2u);
  EXPECT_DOUBLE_EQ(model.rules[0].statistics["recommended_coverage.chat"], 72.5);
  EXPECT_EQ(ViolationCount(model), 2u);
  EXPECT_FALSE(Passed(model));
}

// The semconv rule's statistics become the section report.json and report.html show: coverage
// per span type by requirement level, the undefined keys seen, the spans by class.
TEST(AddFindings, BuildsTheSemconvSectionFromTheRulesStatistics) {
  FindingSet set;
  set.SetStatistic("semconv", "spans.openai.inference.client", 40);
  set.SetStatistic("semconv", "required_coverage.openai.inference.client", 100);
  set.SetStatistic("semconv", "recommended_coverage.openai.inference.client", 38.1);
  set.SetStatistic("semconv", "conditionally_required_coverage.openai.inference.client", 10);
  set.SetStatistic("semconv", "spans.gen_ai.execute_tool.internal", 20);
  set.SetStatistic("semconv", "recommended_coverage.gen_ai.execute_tool.internal", 100);
  set.SetStatistic("semconv", "unknown_attribute.gen_ai.request.temprature", 3);
  set.SetStatistic("semconv", "span_classes.GenAI conventions", 60);
  ReportModel model;
  AddFindings(set, &model);
  ASSERT_TRUE(model.semconv);
  ASSERT_EQ(model.semconv->span_types.size(), 2u);
  const SpanTypeCoverage& tool = model.semconv->span_types[0];
  EXPECT_EQ(tool.span_type, "gen_ai.execute_tool.internal");
  EXPECT_EQ(tool.spans, 20u);
  EXPECT_FALSE(tool.required.has_value());
  EXPECT_DOUBLE_EQ(tool.recommended.value_or(-1), 100);
  const SpanTypeCoverage& chat = model.semconv->span_types[1];
  EXPECT_DOUBLE_EQ(chat.required.value_or(-1), 100);
  EXPECT_DOUBLE_EQ(chat.conditionally_required.value_or(-1), 10);
  EXPECT_FALSE(chat.opt_in.has_value());
  ASSERT_EQ(model.semconv->unknown_attributes.size(), 1u);
  EXPECT_EQ(model.semconv->unknown_attributes[0].key, "gen_ai.request.temprature");
  EXPECT_EQ(model.semconv->unknown_attributes[0].spans, 3u);
  EXPECT_EQ(model.semconv->span_classes.at("GenAI conventions"), 60u);

  FindingSet none;
  ReportModel empty;
  AddFindings(none, &empty);
  EXPECT_FALSE(empty.semconv);
}

// A --verify sample: every report says what it covered and the loss bound it proves, and the
// JSON report reads back with the same figures.
TEST(AddCheckResult, EveryReportStatesWhatAVerifySampleProves) {
  CheckResult c{FindingSetOptions{}};
  c.mode = "ledger";
  c.traces_expected = 500;
  c.poll.found = 500;
  c.verify.active = true;
  c.verify.seed = 42;
  c.verify.population = 5000;
  c.verify.population_acknowledged = 5000;
  c.verify.sampled = 500;
  c.verify.sampled_acknowledged = 500;
  c.verify.confidence = 0.999;
  c.verify.loss_rate_bound = 0.0137;
  c.findings.RecordEvaluations("fidelity", 500, 500);  // a suite for the JUnit properties
  ReportModel model;
  AddCheckResult(c, &model);
  ASSERT_TRUE(model.readback.has_value());
  EXPECT_TRUE(model.readback->verify_sample);
  const std::string note = model.readback->verify_note;
  EXPECT_NE(note.find("a sample of 500 of 5000 traces"), std::string::npos) << note;
  EXPECT_NE(note.find("at most 1.37% of the run's 5000 acknowledged traces were lost, at 99.9% "
                      "confidence"),
            std::string::npos)
      << note;
  EXPECT_NE(RenderMarkdownReport(model).find("**Verified a sample:** " + note), std::string::npos);
  EXPECT_NE(RenderHtmlReport(model).find("Verified a sample:"), std::string::npos);
  EXPECT_NE(RenderJunitReport(model).find("name=\"verify_loss_rate_upper_bound\" value=\"0.0137\""),
            std::string::npos);
  const std::string json = RenderJsonReport(model);
  auto back = ReportFromJson(nlohmann::json::parse(json));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->readback.has_value());
  EXPECT_TRUE(back->readback->verify_sample);
  EXPECT_EQ(back->readback->verify_population, 5000u);
  EXPECT_EQ(back->readback->verify_sampled, 500u);
  EXPECT_EQ(back->readback->verify_seed, 42u);
  EXPECT_DOUBLE_EQ(back->readback->verify_loss_rate_bound, 0.0137);
  EXPECT_EQ(back->readback->verify_note, note);
  // Without --verify nothing of it appears.
  CheckResult whole{FindingSetOptions{}};
  ReportModel all;
  AddCheckResult(whole, &all);
  EXPECT_EQ(RenderJsonReport(all).find("\"verify\""), std::string::npos);
  EXPECT_EQ(RenderMarkdownReport(all).find("Verified a sample"), std::string::npos);
}

TEST(AddCheckResult, FillsRunReadbackGroupsAndSampling) {
  CheckResult c{FindingSetOptions{}};
  c.mode = "ledger";
  c.backend = "tempo://h:3200?token=abc";
  c.scenario_name = "smoke";
  c.seed = 7;
  c.traces_expected = 10;
  c.poll.found = 9;
  c.poll.not_found = 1;
  c.queryability.measured = true;
  c.queryability.sampled = 1;
  c.queryability.time_us.Record(250'000);
  c.by_variant["default"] = {10, 10, 9};
  c.by_class["normal"] = {10, 10, 9};
  c.sampling.push_back({"tail.rest", 0.1, 12, 100, 0.12, 0.07, 0.2, 0.999, true});
  c.exit_code = 1;
  ReportModel model;
  AddCheckResult(c, &model);
  EXPECT_EQ(model.run.backend, "tempo://h:3200?token=***");
  EXPECT_EQ(model.run.variants, std::vector<std::string>{"default"});
  ASSERT_TRUE(model.readback.has_value());
  EXPECT_EQ(model.readback->traces_expected, 10u);
  EXPECT_EQ(model.readback->found, 9u);
  EXPECT_NEAR(model.readback->time_until_queryable.p50, 250, 3);
  EXPECT_TRUE(model.readback->time_until_queryable_measured);
  EXPECT_EQ(model.readback->time_until_queryable_sampled, 1u);
  EXPECT_NE(model.readback->time_until_queryable_note.find("1 trace sampled"), std::string::npos);
  // A check that did not measure it (not `run`) shows no number.
  c.queryability = QueryabilitySample{};
  ReportModel unmeasured;
  AddCheckResult(c, &unmeasured);
  EXPECT_FALSE(unmeasured.readback->time_until_queryable_measured);
  EXPECT_EQ(unmeasured.readback->time_until_queryable.count, 0u);
  EXPECT_NE(unmeasured.readback->time_until_queryable_note.find("not measured"), std::string::npos);
  ASSERT_EQ(model.groups.size(), 2u);
  EXPECT_EQ(model.groups[1].group, "class");
  ASSERT_EQ(model.sampling.size(), 1u);
  EXPECT_DOUBLE_EQ(model.sampling[0].high, 0.2);
  EXPECT_EQ(model.exit_code, 1);
}

Span* AddSpan(TracesData* data, const std::string& id, const std::string& parent,
              const std::string& name, uint64_t start, Span::SpanKind kind) {
  auto* rs =
      data->resource_spans_size() ? data->mutable_resource_spans(0) : data->add_resource_spans();
  if (rs->scope_spans_size() == 0) {
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("app");
    rs->add_scope_spans();
  }
  Span* s = rs->mutable_scope_spans(0)->add_spans();
  s->set_span_id(*HexDecode(id));
  if (!parent.empty()) s->set_parent_span_id(*HexDecode(parent));
  s->set_name(name);
  s->set_start_time_unix_nano(start);
  s->set_kind(kind);
  auto* attr = s->add_attributes();
  attr->set_key("gen_ai.operation.name");
  attr->mutable_value()->set_string_value(name.substr(0, name.find(' ')));
  auto* noise = s->add_attributes();
  noise->set_key("http.url");
  noise->mutable_value()->set_string_value("x");
  return s;
}

TEST(SpanTree, DepthFirstByStartTimeWithKeyAttributesOnlyAndOrphansAsRoots) {
  TracesData data;
  AddSpan(&data, "0000000000000003", "0000000000000001", "execute_tool b", 30,
          Span::SPAN_KIND_INTERNAL);
  AddSpan(&data, "0000000000000001", "", "invoke_agent a", 10, Span::SPAN_KIND_INTERNAL);
  AddSpan(&data, "0000000000000002", "0000000000000001", "chat m", 20, Span::SPAN_KIND_CLIENT);
  AddSpan(&data, "0000000000000009", "00000000000000ff", "chat orphan", 5, Span::SPAN_KIND_CLIENT);
  std::vector<TreeSpan> tree = SpanTreeFromResourceSpans(data.resource_spans());
  ASSERT_EQ(tree.size(), 4u);
  EXPECT_EQ(tree[0].name, "chat orphan");
  EXPECT_EQ(tree[0].depth, 0);
  EXPECT_EQ(tree[1].name, "invoke_agent a");
  EXPECT_EQ(tree[2].name, "chat m");
  EXPECT_EQ(tree[2].depth, 1);
  EXPECT_EQ(tree[2].kind, "client");
  EXPECT_EQ(tree[2].service, "app");
  EXPECT_EQ(tree[3].name, "execute_tool b");
  ASSERT_EQ(tree[2].attributes.size(), 1u);  // http.url is not a key attribute
  EXPECT_EQ(tree[2].attributes[0].first, "gen_ai.operation.name");
}

TEST(MarkDifferences, MarksMissingExtraAndChangedSpans) {
  TracesData sent, received;
  AddSpan(&sent, "0000000000000001", "", "invoke_agent a", 10, Span::SPAN_KIND_INTERNAL);
  AddSpan(&sent, "0000000000000002", "0000000000000001", "chat m", 20, Span::SPAN_KIND_CLIENT);
  AddSpan(&sent, "0000000000000003", "0000000000000001", "execute_tool t", 30,
          Span::SPAN_KIND_INTERNAL);
  AddSpan(&received, "0000000000000001", "", "invoke_agent a", 10, Span::SPAN_KIND_INTERNAL);
  AddSpan(&received, "0000000000000002", "0000000000000001", "chat m", 20,
          Span::SPAN_KIND_INTERNAL);
  AddSpan(&received, "0000000000000004", "0000000000000001", "retry x", 40,
          Span::SPAN_KIND_INTERNAL);
  TraceComparison c;
  c.expected = SpanTreeFromResourceSpans(sent.resource_spans());
  c.actual = SpanTreeFromResourceSpans(received.resource_spans());
  MarkDifferences(&c);
  EXPECT_EQ(c.expected[0].mark, TreeSpan::Mark::kSame);
  EXPECT_EQ(c.expected[1].mark, TreeSpan::Mark::kChanged);
  EXPECT_EQ(c.expected[1].differences, std::vector<std::string>{"kind"});
  EXPECT_EQ(c.actual[1].mark, TreeSpan::Mark::kChanged);
  EXPECT_EQ(c.expected[2].mark, TreeSpan::Mark::kMissing);
  EXPECT_EQ(c.actual[2].mark, TreeSpan::Mark::kExtra);
}

TEST(AddFailingTrace, KeepsOnlyTheFirstN) {
  SynthesizedTrace trace;
  trace.trace_id = *ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
  TracesData received;
  AddSpan(&received, "0000000000000001", "", "invoke_agent a", 10, Span::SPAN_KIND_INTERNAL);
  ReportModel model;
  AddFailingTrace(trace, &received, "v", {"hierarchy.orphan_span"}, 1, &model);
  AddFailingTrace(trace, nullptr, "v", {}, 1, &model);
  ASSERT_EQ(model.failing_traces.size(), 1u);
  EXPECT_EQ(model.failing_traces[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_EQ(model.failing_traces[0].actual.size(), 1u);
  EXPECT_EQ(model.failing_traces[0].actual[0].mark, TreeSpan::Mark::kExtra);
}

}  // namespace
}  // namespace agentstorm::reports
