// The pipeline's own counts beside a capacity probe (generator/pipeline_counts.h): a
// collector's Prometheus text, scraped before and after a probe until it settles.
#include "generator/pipeline_counts.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace agentstorm {
namespace {

// A collector v0.161 scrape with these counts (two transports, one exporter).
std::string Metrics(double accepted, double refused, double exported, double send_failed = 0) {
  std::string text = absl::StrFormat(
      "# TYPE otelcol_receiver_accepted_spans counter\n"
      "otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"grpc\"} %g\n"
      "otelcol_receiver_accepted_spans{receiver=\"otlp\",transport=\"http\"} 0\n"
      "otelcol_receiver_refused_spans{receiver=\"otlp\",transport=\"grpc\"} %g\n"
      "otelcol_receiver_failed_spans{receiver=\"otlp\",transport=\"grpc\"} 0\n"
      "otelcol_exporter_sent_spans{exporter=\"otlp/jaeger\",server_port=\"4317\"} %g\n"
      "otelcol_exporter_queue_size{exporter=\"otlp/jaeger\"} 3\n",
      accepted, refused, exported);
  if (send_failed > 0)
    text += absl::StrFormat("otelcol_exporter_send_failed_spans{exporter=\"otlp/jaeger\"} %g\n",
                            send_failed);
  return text;
}

// Scrapes answered in order; the last one repeats.
PipelineScrapeFn Script(std::deque<absl::StatusOr<std::string>>* answers) {
  return [answers]() -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> a = answers->front();
    if (answers->size() > 1) answers->pop_front();
    return a;
  };
}

CapacityProbeFn AllAcknowledged(uint64_t spans) {
  return [spans](double rate) {
    CapacityProbe p;
    p.spans_scheduled = p.spans_acknowledged = spans;
    p.achieved_spans_per_second = rate;
    return p;
  };
}

CapacityOptions Options() {
  CapacityOptions o;
  o.slo_p99_seconds = 1;
  return o;
}

TEST(PipelineCounts, ReadsACollectorsOwnCountersAndRefusesOtherMetrics) {
  auto c = CollectorCounts(Metrics(420, 7, 400, 13));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->accepted, 420);
  EXPECT_EQ(c->refused, 7);
  EXPECT_EQ(c->exported, 400);
  EXPECT_EQ(c->export_failed, 13);
  // A collector that has received nothing yet has no receiver counters: all 0.
  auto fresh = CollectorCounts("otelcol_process_uptime 1.2\n");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->accepted, 0);
  auto sink = CollectorCounts("agentstorm_sink_spans_stored_total{service=\"a\"} 5\n");
  EXPECT_EQ(sink.status().code(), absl::StatusCode::kNotFound) << sink.status();
  EXPECT_EQ(CollectorCounts("not metrics {").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PipelineCounts, TheDifferenceOverTheProbeOnceTheExporterHasCaughtUp) {
  // Before: 100 in and out. After the probe the batch processor still holds 300 spans, then
  // sends them.
  std::deque<absl::StatusOr<std::string>> answers = {Metrics(100, 0, 100), Metrics(600, 0, 300),
                                                     Metrics(600, 0, 450), Metrics(600, 0, 600)};
  auto probe = WithPipelineCounts(AllAcknowledged(500), Script(&answers), absl::Seconds(10),
                                  absl::Milliseconds(1));
  CapacityProbe p = probe(1000);
  p.target_spans_per_second = 1000;
  ASSERT_TRUE(p.pipeline.has_value()) << p.pipeline_error;
  EXPECT_EQ(p.pipeline->accepted, 500);
  EXPECT_EQ(p.pipeline->exported, 500) << "read before the exporter caught up";
  EXPECT_EQ(p.pipeline->refused, 0);
  EXPECT_TRUE(ProbePasses(p, Options()));
}

TEST(PipelineCounts, SpansRefusedOrFailedToExportFailTheProbeThoughAllWereAcknowledged) {
  for (const auto& [after, what] :
       {std::pair{Metrics(600, 0, 560, 40), "the pipeline failed to export 40 spans"},
        std::pair{Metrics(600, 25, 600), "the pipeline refused 25 spans"}}) {
    std::deque<absl::StatusOr<std::string>> answers = {Metrics(100, 0, 100), after};
    auto probe = WithPipelineCounts(AllAcknowledged(500), Script(&answers), absl::Seconds(10),
                                    absl::Milliseconds(1));
    CapacityProbe p = probe(1000);
    p.target_spans_per_second = 1000;
    ASSERT_TRUE(p.pipeline.has_value()) << what;
    EXPECT_FALSE(ProbePasses(p, Options())) << what;
    EXPECT_EQ(ProbeFailure(p, Options()).find(what), 0u) << ProbeFailure(p, Options());
  }
}

TEST(PipelineCounts, AProcessorThatDropsSpansSettlesBelowTheAcceptedAndPasses) {
  // A filter drops a fifth: the exporter never reaches the accepted count, nothing is refused.
  std::deque<absl::StatusOr<std::string>> answers = {Metrics(0, 0, 0), Metrics(500, 0, 400)};
  auto probe = WithPipelineCounts(AllAcknowledged(500), Script(&answers), absl::Seconds(10),
                                  absl::Milliseconds(1));
  const absl::Time start = absl::Now();
  CapacityProbe p = probe(1000);
  p.target_spans_per_second = 1000;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "settled by three unchanged scrapes";
  ASSERT_TRUE(p.pipeline.has_value());
  EXPECT_EQ(p.pipeline->exported, 400);
  EXPECT_TRUE(ProbePasses(p, Options()));
}

TEST(PipelineCounts, NoCountsNoPass) {
  std::deque<absl::StatusOr<std::string>> answers = {Metrics(0, 0, 0),
                                                     absl::UnavailableError("connection refused")};
  auto probe = WithPipelineCounts(AllAcknowledged(500), Script(&answers), absl::Seconds(10),
                                  absl::Milliseconds(1));
  CapacityProbe p = probe(1000);
  p.target_spans_per_second = 1000;
  EXPECT_FALSE(p.pipeline.has_value());
  EXPECT_NE(p.pipeline_error.find("after the probe: connection refused"), std::string::npos)
      << p.pipeline_error;
  EXPECT_FALSE(ProbePasses(p, Options()));
  const nlohmann::json j = CapacityToJson({{p}, 0, false}, Options(), "e", "s");
  EXPECT_EQ(j["probes"][0]["pipeline_error"], p.pipeline_error);
}

}  // namespace
}  // namespace agentstorm
