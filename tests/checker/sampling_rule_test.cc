#include "checker/rules/sampling_rule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trace_test_util.h"

namespace agentstorm {
namespace {

using trace_testing::MakeSpan;
using trace_testing::RuleRun;
using trace_testing::Span;
using trace_testing::Status;
using trace_testing::TraceCase;
using trace_testing::WithLedger;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;

struct Shape {
  bool error = false;
  uint64_t duration_ns = 10 * kMs;
};

// A trace of two spans (the chat span fails when `error`), sent and acknowledged; it arrived
// whole when `kept`, not at all otherwise.
TraceCase Trace(bool kept, Shape shape = {}) {
  std::vector<Span> sent = {MakeSpan(1, 0, "invoke_agent planner", 0, shape.duration_ns),
                            MakeSpan(2, 1, "chat gpt-4o", kMs, 2 * kMs)};
  if (shape.error) sent[1].mutable_status()->set_code(Status::STATUS_CODE_ERROR);
  return WithLedger(sent, kept ? sent : std::vector<Span>{});
}

// `kept` kept and `dropped` dropped traces of one shape, appended to `out`.
void Add(std::vector<TraceCase>* out, int kept, int dropped, Shape shape = {}) {
  for (int i = 0; i < kept; ++i) out->push_back(Trace(true, shape));
  for (int i = 0; i < dropped; ++i) out->push_back(Trace(false, shape));
}

SamplingExpectation Head(double probability) {
  SamplingExpectation x;
  x.mode = SamplingExpectation::Mode::kHead;
  x.probability = probability;
  return x;
}

SamplingExpectation Tail(double probability, bool keep_errors, double keep_slower_than = 0) {
  SamplingExpectation x;
  x.mode = SamplingExpectation::Mode::kTail;
  x.probability = probability;
  x.keep_errors = keep_errors;
  x.keep_slower_than_seconds = keep_slower_than;
  return x;
}

TEST(Wilson, IsSymmetricAndCoversTheEdges) {
  const WilsonInterval half = Wilson(50, 100, 0.95);
  EXPECT_NEAR(half.low, 0.40383, 1e-5);
  EXPECT_NEAR(half.high, 0.59617, 1e-5);
  const WilsonInterval none = Wilson(0, 10, 0.95);
  EXPECT_NEAR(none.low, 0.0, 1e-9);
  EXPECT_NEAR(none.high, 0.27754, 1e-5);
  const WilsonInterval all = Wilson(10, 10, 0.95);
  EXPECT_NEAR(all.low, 1 - 0.27754, 1e-5);
  EXPECT_NEAR(all.high, 1.0, 1e-9);
  const WilsonInterval empty = Wilson(0, 0, 0.95);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 1);
}

TEST(SamplingRule, HeadRateInsideTheIntervalPasses) {
  std::vector<TraceCase> traces;
  Add(&traces, 50, 50);
  SamplingRule rule(Head(0.5), 0.999);
  RuleRun run(rule, traces);
  EXPECT_TRUE(run.Ids().empty());
  ASSERT_EQ(rule.populations().size(), 1u);
  const SamplingRule::Population p = rule.populations()[0];
  EXPECT_EQ(p.name, "head");
  EXPECT_EQ(p.kept, 50u);
  EXPECT_EQ(p.total, 100u);
  EXPECT_TRUE(p.passed);
  EXPECT_LT(p.interval.low, 0.5);
  EXPECT_GT(p.interval.high, 0.5);
  EXPECT_EQ(run.Statistic("sampling", "head.kept").value_or(-1), 50);
  EXPECT_EQ(run.Statistic("sampling", "head.total").value_or(-1), 100);
  EXPECT_EQ(run.Statistic("sampling", "head.observed").value_or(-1), 0.5);
  EXPECT_EQ(run.Statistic("sampling", "head.expected").value_or(-1), 0.5);
  EXPECT_EQ(run.Statistic("sampling", "confidence").value_or(-1), 0.999);
  EXPECT_FALSE(run.Statistic("sampling", "tail_errors.total").has_value());
  // Every trace, and the population, passed.
  EXPECT_EQ(run.Totals("sampling").evaluated, 101u);
  EXPECT_EQ(run.Totals("sampling").passed, 101u);
}

TEST(SamplingRule, HeadRateOutsideTheIntervalIsOneRunLevelViolation) {
  std::vector<TraceCase> traces;
  Add(&traces, 20, 80);
  SamplingRule rule(Head(0.5), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"sampling.rate_out_of_bounds"});
  const Finding f = run.Only("sampling.rate_out_of_bounds");
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_EQ(f.trace_id, "");
  EXPECT_EQ(f.expected, "0.5");
  EXPECT_EQ(f.actual.rfind("0.2000 in [", 0), 0u) << f.actual;
  EXPECT_NE(f.message.find("kept 20 of 100 traces"), std::string::npos) << f.message;
  EXPECT_FALSE(rule.populations()[0].passed);
  EXPECT_EQ(run.Totals("sampling").failed(), 1u);  // the population; each trace was whole
}

TEST(SamplingRule, KeepingTooManyIsAsWrongAsKeepingTooFew) {
  std::vector<TraceCase> traces;
  Add(&traces, 100, 0);
  SamplingRule rule(Head(0.1), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Count("sampling.rate_out_of_bounds"), 1u);
}

TEST(SamplingRule, TheConfidenceWidensTheInterval) {
  // 40 of 100 against 0.5: inside the 99.9% interval, just outside the 95% one ([0.309, 0.498]).
  std::vector<TraceCase> traces;
  Add(&traces, 40, 60);
  SamplingRule loose(Head(0.5), 0.999);
  EXPECT_EQ(RuleRun(loose, traces).Count("sampling.rate_out_of_bounds"), 0u);
  SamplingRule tight(Head(0.5), 0.95);
  EXPECT_EQ(RuleRun(tight, traces).Count("sampling.rate_out_of_bounds"), 1u);
}

TEST(SamplingRule, OnlyAcknowledgedTracesFromALedgerCount) {
  std::vector<TraceCase> traces;
  Add(&traces, 50, 50);
  for (int i = 0; i < 30; ++i) {
    TraceCase lost = Trace(false);
    lost.acknowledged = false;  // never delivered: the pipeline had no chance to keep it
    traces.push_back(lost);
    TraceCase live = Trace(false);
    live.expected.reset();  // no ledger: nothing to compare with
    traces.push_back(live);
  }
  SamplingRule rule(Head(0.5), 0.999);
  RuleRun run(rule, traces);
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(rule.populations()[0].total, 100u);
  EXPECT_EQ(run.Totals("sampling").evaluated, 101u);
}

TEST(SamplingRule, NoTracesIsNoEvidenceAgainstTheRate) {
  SamplingRule rule(Head(0.5), 0.999);
  RuleRun run(rule, {});
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_TRUE(rule.populations()[0].passed);
  EXPECT_EQ(rule.populations()[0].total, 0u);
}

TEST(SamplingRule, AKeptTraceMustBeWhole) {
  std::vector<TraceCase> traces;
  Add(&traces, 49, 50);
  TraceCase partial = Trace(true);
  partial.received.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()->RemoveLast();
  traces.push_back(partial);
  SamplingRule rule(Head(0.5), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"sampling.partial_trace"});
  const Finding f = run.Only("sampling.partial_trace");
  EXPECT_EQ(f.trace_id, trace_testing::TraceHex());
  EXPECT_EQ(f.variant, "default");
  EXPECT_EQ(f.expected, "2 spans");
  EXPECT_EQ(f.actual, "1 spans");
  EXPECT_EQ(rule.populations()[0].kept, 50u);  // a partial trace was still kept
  EXPECT_EQ(run.Totals("sampling").failed(), 1u);
}

TEST(SamplingRule, TailSamplingMustKeepEveryErrorTrace) {
  std::vector<TraceCase> traces;
  Add(&traces, 10, 90);                      // the rest, at 0.1
  Add(&traces, 9, 1, Shape{.error = true});  // one error trace dropped
  SamplingRule rule(Tail(0.1, /*keep_errors=*/true), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"sampling.error_trace_dropped"});
  EXPECT_EQ(run.Only("sampling.error_trace_dropped").trace_id, trace_testing::TraceHex());
  EXPECT_EQ(run.Statistic("sampling", "tail_errors.kept").value_or(-1), 9);
  EXPECT_EQ(run.Statistic("sampling", "tail_errors.total").value_or(-1), 10);
  // Error traces are not part of the population sampled at the rate.
  ASSERT_EQ(rule.populations().size(), 1u);
  EXPECT_EQ(rule.populations()[0].name, "tail_rest");
  EXPECT_EQ(rule.populations()[0].total, 100u);
  EXPECT_TRUE(rule.populations()[0].passed);
}

TEST(SamplingRule, TailSamplingWithoutKeepErrorsSamplesErrorTracesAtTheRate) {
  std::vector<TraceCase> traces;
  Add(&traces, 10, 80);
  Add(&traces, 0, 10, Shape{.error = true});
  SamplingRule rule(Tail(0.1, /*keep_errors=*/false), 0.999);
  RuleRun run(rule, traces);
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(rule.populations()[0].total, 100u);
}

TEST(SamplingRule, HeadSamplingIgnoresTheTailRules) {
  std::vector<TraceCase> traces;
  Add(&traces, 50, 40);
  Add(&traces, 0, 10, Shape{.error = true, .duration_ns = 10 * kSecond});
  SamplingExpectation x = Head(0.5);
  x.keep_errors = true;
  x.keep_slower_than_seconds = 1;
  SamplingRule rule(x, 0.999);
  RuleRun run(rule, traces);
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(rule.populations()[0].total, 100u);
}

TEST(SamplingRule, TailSamplingMustKeepEveryTraceSlowerThanTheThreshold) {
  std::vector<TraceCase> traces;
  Add(&traces, 10, 90);
  Add(&traces, 4, 1, Shape{.duration_ns = 3 * kSecond});   // one slow trace dropped
  Add(&traces, 0, 10, Shape{.duration_ns = 2 * kSecond});  // exactly 2s is not slower
  SamplingRule rule(Tail(0.1, /*keep_errors=*/false, /*keep_slower_than=*/2), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"sampling.slow_trace_dropped"});
  EXPECT_EQ(run.Only("sampling.slow_trace_dropped").message,
            "trace of 3.000s (slower than 2s) was not kept");
  EXPECT_EQ(run.Statistic("sampling", "tail_slow.kept").value_or(-1), 4);
  EXPECT_EQ(run.Statistic("sampling", "tail_slow.total").value_or(-1), 5);
  EXPECT_EQ(rule.populations()[0].total, 110u);
  EXPECT_EQ(rule.populations()[0].kept, 10u);
  EXPECT_TRUE(rule.populations()[0].passed);  // 10 of 110 against 0.1
}

TEST(SamplingRule, ASlowErrorTraceIsJudgedAsAnErrorTrace) {
  std::vector<TraceCase> traces;
  Add(&traces, 0, 1, Shape{.error = true, .duration_ns = 5 * kSecond});
  SamplingRule rule(Tail(0.1, /*keep_errors=*/true, /*keep_slower_than=*/1), 0.999);
  RuleRun run(rule, traces);
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"sampling.error_trace_dropped"});
  EXPECT_EQ(run.Statistic("sampling", "tail_slow.total").value_or(-1), 0);
}

}  // namespace
}  // namespace agentstorm
