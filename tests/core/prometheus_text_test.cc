// The Prometheus text format as a collector and the sink serve it (core/prometheus_text.h).
#include "core/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace agentstorm {
namespace {

// The shape of an OpenTelemetry Collector v0.161 scrape (its own telemetry): no _total suffix,
// several label sets of one counter, histograms and gauges around them.
constexpr char kCollector[] =
    R"(# HELP otelcol_receiver_accepted_spans Number of spans successfully pushed into the pipeline.
# TYPE otelcol_receiver_accepted_spans counter
otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 400
otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 20
otelcol_receiver_refused_spans{receiver="otlp",transport="grpc"} 7
otelcol_exporter_sent_spans{exporter="otlp/jaeger",server_address="127.0.0.1",server_port="35565"} 413
otelcol_exporter_queue_capacity{data_type="traces",exporter="otlp/jaeger"} 1000
otelcol_exporter_enqueue_size_bucket{exporter="otlp/jaeger",le="+Inf"} 1

)";

TEST(PrometheusText, SumsACounterOverItsLabelSetsOrThoseThatMatch) {
  auto samples = ParsePrometheusText(kCollector);
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 6u);
  EXPECT_EQ(SumSamples(*samples, "otelcol_receiver_accepted_spans"), 420);
  EXPECT_EQ(SumSamples(*samples, "otelcol_receiver_accepted_spans", {{"transport", "grpc"}}), 400);
  EXPECT_EQ(SumSamples(*samples, "otelcol_receiver_refused_spans"), 7);
  EXPECT_EQ(SumSamples(*samples, "otelcol_exporter_send_failed_spans"), 0) << "absent is 0";
  EXPECT_EQ(SumSamples(*samples, "otelcol_exporter_sent_spans", {{"exporter", "otlp/jaeger"}}),
            413);
  EXPECT_EQ((*samples)[5].labels.at("le"), "+Inf");
  EXPECT_EQ((*samples)[5].value, 1);
}

TEST(PrometheusText, ReadsTheTotalSuffixEscapesTimestampsAndSpecialValues) {
  auto samples = ParsePrometheusText(
      "agentstorm_sink_spans_stored_total{service=\"a \\\"b\\\" \\\\ c\\n\"} 12 1700000000000\n"
      "up 1\n"
      "g{x=\"1\",} +Inf\n"
      "h -Inf\n"
      "n NaN\n");
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 5u);
  EXPECT_EQ((*samples)[0].labels.at("service"), "a \"b\" \\ c\n");
  EXPECT_EQ(SumSamples(*samples, "agentstorm_sink_spans_stored"), 12);
  EXPECT_EQ((*samples)[1].value, 1);
  EXPECT_TRUE(std::isinf((*samples)[2].value) && (*samples)[2].value > 0);
  EXPECT_TRUE(std::isinf((*samples)[3].value) && (*samples)[3].value < 0);
  EXPECT_TRUE(std::isnan((*samples)[4].value));
}

TEST(PrometheusText, ABrokenLineIsAnErrorNamingItsNumber) {
  for (const char* text : {"ok 1\nbroken{a=\"x\" 2\n", "ok 1\n{a=\"x\"} 2\n", "ok 1\nm{a} 2\n",
                           "ok 1\nm abc\n", "ok 1\nm\n", "ok 1\nm 1 2 3\n"}) {
    auto samples = ParsePrometheusText(text);
    ASSERT_FALSE(samples.ok()) << text;
    EXPECT_NE(samples.status().message().find("metrics line 2"), std::string::npos)
        << samples.status();
  }
}

}  // namespace
}  // namespace agentstorm
