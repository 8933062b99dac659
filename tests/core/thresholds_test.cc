// Delivery thresholds (core/thresholds.h): the k6-style grammar, its errors, and the verdicts
// over counters, trends and values, including figures a command did not measure.
#include "core/thresholds.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/load_summary.h"

namespace agentstorm {
namespace {

Threshold Parse(const std::string& text) {
  auto t = ParseThreshold(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *t : Threshold{};
}

std::string ErrorOf(const std::string& text) {
  auto t = ParseThreshold(text);
  EXPECT_FALSE(t.ok()) << text << " parsed as " << (t.ok() ? t->text : "");
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(ParseThreshold, ReadsEachAggregateAndNormalizes) {
  Threshold t = Parse("export_latency: p(99)<250ms");
  EXPECT_EQ(t.metric, "export_latency");
  EXPECT_EQ(t.aggregate, ThresholdAggregate::kPercentile);
  EXPECT_EQ(t.percentile, 99);
  EXPECT_EQ(t.op, ThresholdOp::kLess);
  EXPECT_EQ(t.bound, 250);
  EXPECT_EQ(t.text, "export_latency: p(99)<250ms");

  EXPECT_EQ(Parse("export_latency:p(99.9) <= 2s").bound, 2000);      // a duration
  EXPECT_EQ(Parse("time_until_queryable: avg<1500").bound, 1500);    // bare number: ms
  EXPECT_EQ(Parse("time_until_queryable: max < 500us").bound, 0.5);  // sub-millisecond
  EXPECT_EQ(Parse("spans_not_acknowledged: rate<1%").bound, 0.01);   // percent
  EXPECT_EQ(Parse("spans_not_acknowledged: rate<=0.05").bound, 0.05);
  EXPECT_EQ(Parse("spans_rejected: count==0").op, ThresholdOp::kEqual);
  EXPECT_EQ(Parse("spans_rejected: count===0").op, ThresholdOp::kEqual);  // k6 spelling
  EXPECT_EQ(Parse("spans_failed: count != 3").op, ThresholdOp::kNotEqual);
  EXPECT_EQ(Parse("achieved_rate: value>=0.95").op, ThresholdOp::kGreaterEqual);
  EXPECT_EQ(Parse("export_latency: med>2").aggregate, ThresholdAggregate::kMedian);
}

TEST(ParseThreshold, RejectsWhatItCannotJudgeNamingThePart) {
  EXPECT_NE(ErrorOf("export_latency p(99)<250").find("no \":\""), std::string::npos);
  EXPECT_NE(ErrorOf("latency: p(99)<250").find("unknown metric \"latency\"; known: "),
            std::string::npos);
  EXPECT_NE(ErrorOf("export_latency: rate<0.1").find("export_latency takes p(N), med"),
            std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: p(99)<3").find("spans_lost takes count, rate"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: total<3").find("unknown aggregate \"total\""), std::string::npos);
  EXPECT_NE(ErrorOf("export_latency: p(100)<3").find("between 0 and 100"), std::string::npos);
  EXPECT_NE(ErrorOf("export_latency: p(x)<3").find("p(N)"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: count=>3").find("expected an operator"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: count<").find("no value"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: count<-1").find("whole number"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: count<1.5").find("whole number"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: rate<2").find("fraction from 0 to 1"), std::string::npos);
  EXPECT_NE(ErrorOf("spans_lost: rate<150%").find("fraction from 0 to 1"), std::string::npos);
  EXPECT_NE(ErrorOf("export_latency: p(99)<-5ms").find("export_latency"), std::string::npos);
  EXPECT_NE(ErrorOf("export_latency: p(99)<5 parsecs").find("export_latency"), std::string::npos);
  EXPECT_NE(ErrorOf("achieved_rate: value>abc").find("expected a number"), std::string::npos);
}

TEST(ParseThresholds, ReportsEveryBadExpression) {
  auto parsed = ParseThresholds({"spans_lost: count<1", "nope: count<1", "spans_lost: bad<1"});
  ASSERT_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  EXPECT_NE(message.find("\"nope"), std::string::npos) << message;
  EXPECT_NE(message.find("\"bad\""), std::string::npos) << message;
}

TEST(DefaultThresholds, FailOnAnyUnacknowledgedSpanUnlessTheUserNamesTheMetric) {
  std::vector<Threshold> d = WithDefaultThresholds({}, true);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].text, "spans_not_acknowledged: count==0");
  EXPECT_TRUE(d[0].is_default);
  EXPECT_TRUE(WithDefaultThresholds({}, false).empty());
  std::vector<Threshold> own =
      WithDefaultThresholds({Parse("spans_not_acknowledged: rate<5%")}, true);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_FALSE(own[0].is_default);
  EXPECT_EQ(WithDefaultThresholds({Parse("export_latency: p(99)<1s")}, true).size(), 2u);
}

TEST(EvaluateThresholds, CountersRatesTrendsValuesAndWhatWasNotMeasured) {
  ThresholdFigures f;
  f.SetCounter("spans_rejected", 77, 800, "spans");
  Histogram latency;
  for (uint64_t ms = 1; ms <= 100; ++ms) latency.Record(ms * 1000000);  // 1..100 ms in ns
  f.SetTrend("export_latency", latency, 1);
  Histogram queryable_us;
  queryable_us.Record(2000);  // 2 ms, in microseconds
  f.SetTrend("time_until_queryable", queryable_us, 1000);
  f.SetValue("achieved_rate", 0.9);
  f.SetNotMeasured("spans_lost", "without a ledger nothing says what was sent");

  const auto results = EvaluateThresholds(
      {Parse("spans_rejected: count==0"), Parse("spans_rejected: rate<10%"),
       Parse("spans_rejected: rate<9%"), Parse("export_latency: p(99)<150ms"),
       Parse("export_latency: p(50)<20ms"), Parse("time_until_queryable: max<=3ms"),
       Parse("achieved_rate: value>=0.95"), Parse("spans_lost: count==0"),
       Parse("traces_lost: count==0")},
      f);
  ASSERT_EQ(results.size(), 9u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_EQ(results[0].observed, 77);
  EXPECT_EQ(results[0].observed_text, "77 of 800 spans (9.62%)");
  EXPECT_TRUE(results[1].passed);   // 9.6% < 10%
  EXPECT_FALSE(results[2].passed);  // 9.6% >= 9%
  EXPECT_TRUE(results[3].passed) << results[3].observed;
  EXPECT_FALSE(results[4].passed) << results[4].observed;  // the median is about 50 ms
  EXPECT_NEAR(results[4].observed, 50, 1);
  EXPECT_TRUE(results[5].passed) << results[5].observed;  // microseconds scaled to ms
  EXPECT_NEAR(results[5].observed, 2, 0.05);
  EXPECT_FALSE(results[6].passed);
  // Not measured never passes, and says why.
  EXPECT_FALSE(results[7].passed);
  EXPECT_FALSE(results[7].measured);
  EXPECT_EQ(results[7].observed_text, "not measured: without a ledger nothing says what was sent");
  EXPECT_FALSE(results[8].passed);
  EXPECT_NE(results[8].observed_text.find("does not measure traces_lost"), std::string::npos);
  EXPECT_FALSE(AllThresholdsPassed(results));

  const std::string text = FormatThresholds(results);
  EXPECT_NE(text.find("\u2717 spans_rejected: count==0"), std::string::npos) << text;
  EXPECT_NE(text.find("\u2713 spans_rejected: rate<0.1"), std::string::npos) << text;
}

TEST(AddLoadFigures, SumsEndpointsAndSkipsTheRateOfAClosedLoopRun) {
  LoadSummary load;
  load.spans_scheduled = 400;
  load.closed_loop = true;
  EndpointStats a, b;
  a.spans_acknowledged = 400;
  b.spans_acknowledged = 300;
  b.spans_rejected = 60;
  b.spans_failed = 30;
  b.spans_not_sent = 10;
  a.latency_from_intended.Record(5000000);
  load.endpoints = {a, b};
  ThresholdFigures f;
  AddLoadFigures(load, &f);
  const auto results = EvaluateThresholds(
      {Parse("spans_not_acknowledged: count==100"), Parse("spans_not_acknowledged: rate<=12.5%"),
       Parse("spans_failed: count==30"), Parse("export_latency: max<6ms"),
       Parse("achieved_rate: value>0")},
      f);
  EXPECT_TRUE(results[0].passed) << results[0].observed_text;
  EXPECT_TRUE(results[1].passed) << results[1].observed_text;  // 100 of 800
  EXPECT_TRUE(results[2].passed);
  EXPECT_TRUE(results[3].passed);
  EXPECT_FALSE(results[4].measured);
  EXPECT_NE(results[4].observed_text.find("closed-loop"), std::string::npos);

  load.closed_loop = false;
  load.intended_traces_per_second = 100;
  load.achieved_traces_per_second = 97;
  ThresholdFigures open;
  AddLoadFigures(load, &open);
  const auto rate = EvaluateThresholds({Parse("achieved_rate: value>=0.95")}, open);
  EXPECT_TRUE(rate[0].passed) << rate[0].observed_text;
}

}  // namespace
}  // namespace agentstorm
