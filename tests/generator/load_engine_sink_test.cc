// The load engine end to end: real OTLP/gRPC exporters against the in-process sink, with the
// sink's faults. The books of the engine must match what the sink stored.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "export/exporter_factory.h"
#include "generator/load_engine.h"
#include "sink/sink.h"

namespace agentstorm {
namespace {

using namespace std::chrono_literals;

// Trace i: 1 + i % 4 spans in one resource.
class CountingSource : public TraceSource {
 public:
  void Synthesize(uint64_t index, int phase, SynthesizedTrace* out) const override {
    out->index = index;
    out->trace_id = {};
    out->trace_id[0] = 0x42;
    for (int b = 0; b < 8; ++b) out->trace_id[8 + b] = static_cast<uint8_t>(index >> (8 * (7 - b)));
    out->span_count = 1 + index % 4;
    out->start_unix_nano = 1'700'000'000'000'000'000ull + index * 1'000'000;
    out->end_unix_nano = out->start_unix_nano + 500'000;
    out->resource_spans.resize(1);
    auto& rs = out->resource_spans[0];
    rs.Clear();
    auto* attr = rs.mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("engine-test");
    auto* scope = rs.add_scope_spans();
    const std::string tid(reinterpret_cast<const char*>(out->trace_id.data()), 16);
    for (uint32_t s = 0; s < out->span_count; ++s) {
      auto* span = scope->add_spans();
      span->set_trace_id(tid);
      span->set_span_id(std::string(7, '\1') + static_cast<char>(s + 1));
      if (s > 0) span->set_parent_span_id(std::string(7, '\1') + '\1');
      span->set_name("op");
      span->set_start_time_unix_nano(out->start_unix_nano);
      span->set_end_time_unix_nano(out->end_unix_nano);
    }
  }
  double MeanSpansPerTrace() const override { return 2.5; }
};

std::unique_ptr<sink::Sink> StartSink(std::vector<std::string> faults = {}) {
  sink::SinkOptions o;
  o.grpc_address = "127.0.0.1:0";
  o.http_address = "";
  o.query_address = "";
  o.faults = std::move(faults);
  auto s = sink::Sink::Start(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

std::unique_ptr<Exporter> GrpcExporter(int port, std::chrono::milliseconds max_elapsed = 10s) {
  ExporterOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.protocol = OtlpProtocol::kGrpc;
  o.retry.initial_backoff = 100ms;
  o.retry.max_backoff = 500ms;
  o.retry.max_elapsed = max_elapsed;
  o.timeout = 2s;
  auto e = MakeExporter(o);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::move(*e) : nullptr;
}

LoadOptions Constant(double rate, double seconds) {
  LoadOptions o;
  RatePhase p;
  p.start_rate = p.end_rate = rate;
  p.duration_seconds = seconds;
  o.profile.phases.push_back(p);
  o.threads = 2;
  o.batch_spans = 100;
  o.grace = 5s;
  o.progress = ProgressMode::kQuiet;
  return o;
}

void ExpectStoredEqualsAcknowledged(const LoadSummary& s, sink::Sink& sink) {
  EXPECT_TRUE(s.AccountingAddsUp()) << FormatSummaryText(s);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, sink.store().Stats().stored_spans)
      << FormatSummaryText(s);
}

TEST(LoadEngineWithSink, AchievedRateIsWithinOnePercentOfTheTarget) {
  auto sink = StartSink();
  ASSERT_TRUE(sink);
  auto exporter = GrpcExporter(sink->grpc_port());
  CountingSource src;
  LoadSummary s = LoadEngine(Constant(500, 4), src, {exporter.get()}).Run();
  ExpectStoredEqualsAcknowledged(s, *sink);
  EXPECT_EQ(s.traces_scheduled, 2000u);
  const auto stats = sink->store().Stats();
  EXPECT_EQ(stats.traces, 2000u);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled);
  EXPECT_NEAR(s.achieved_traces_per_second, 500, 5) << FormatSummaryText(s);
  // What the sink received over the planned window, as a rate.
  EXPECT_NEAR(static_cast<double>(stats.traces) / 4.0, 500, 5);
}

TEST(LoadEngineWithSink, RetriesThroughAnUnavailableWindow) {
  auto sink = StartSink({"unavailable=1s"});
  ASSERT_TRUE(sink);
  auto exporter = GrpcExporter(sink->grpc_port());
  CountingSource src;
  LoadSummary s = LoadEngine(Constant(200, 2), src, {exporter.get()}).Run();
  ExpectStoredEqualsAcknowledged(s, *sink);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled) << FormatSummaryText(s);
  EXPECT_GT(s.endpoints[0].attempts, s.endpoints[0].batches);
  EXPECT_GT(s.endpoints[0].latency_from_intended.max(), 500'000'000u);
}

TEST(LoadEngineWithSink, RetriesThroughThrottling) {
  auto sink = StartSink({"throttle=1s"});
  ASSERT_TRUE(sink);
  auto exporter = GrpcExporter(sink->grpc_port());
  CountingSource src;
  LoadSummary s = LoadEngine(Constant(200, 2), src, {exporter.get()}).Run();
  ExpectStoredEqualsAcknowledged(s, *sink);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled) << FormatSummaryText(s);
  EXPECT_GT(s.endpoints[0].attempts, s.endpoints[0].batches);
}

TEST(LoadEngineWithSink, PartialRejectionsAreCountedSpanBySpan) {
  auto sink = StartSink({"partial-reject=0.1"});
  ASSERT_TRUE(sink);
  auto exporter = GrpcExporter(sink->grpc_port());
  CountingSource src;
  LoadSummary s = LoadEngine(Constant(500, 1), src, {exporter.get()}).Run();
  ExpectStoredEqualsAcknowledged(s, *sink);
  const EndpointStats& e = s.endpoints[0];
  EXPECT_EQ(e.spans_acknowledged + e.spans_rejected, s.spans_scheduled);
  EXPECT_NEAR(static_cast<double>(e.spans_rejected) / s.spans_scheduled, 0.1, 0.04);
  EXPECT_GT(e.traces_rejected, 0u);
}

TEST(LoadEngineWithSink, EndpointDownIsReportedUnreachable) {
  int port;
  {
    auto probe = StartSink();
    ASSERT_TRUE(probe);
    port = probe->grpc_port();
    (void)probe->Shutdown(absl::ZeroDuration());
  }
  auto exporter = GrpcExporter(port, 500ms);
  CountingSource src;
  LoadOptions o = Constant(50, 0.5);
  o.grace = 2s;
  LoadSummary s = LoadEngine(o, src, {exporter.get()}).Run();
  EXPECT_TRUE(s.AccountingAddsUp()) << FormatSummaryText(s);
  EXPECT_TRUE(s.AnyEndpointUnreachable()) << FormatSummaryText(s);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, 0u);
}

TEST(LoadEngineWithSink, EndpointKilledMidRunStillBalancesTheBooks) {
  auto sink = StartSink();
  ASSERT_TRUE(sink);
  auto exporter = GrpcExporter(sink->grpc_port(), 1s);
  CountingSource src;
  LoadOptions o = Constant(300, 3);
  o.batch_spans = 50;
  o.grace = 1s;
  std::thread killer([&] {
    std::this_thread::sleep_for(1200ms);
    (void)sink->Shutdown(absl::ZeroDuration());
  });
  LoadSummary s = LoadEngine(o, src, {exporter.get()}).Run();
  killer.join();
  ExpectStoredEqualsAcknowledged(s, *sink);
  const EndpointStats& e = s.endpoints[0];
  EXPECT_GT(e.spans_acknowledged, 0u);
  EXPECT_LT(e.spans_acknowledged, s.spans_scheduled);
  EXPECT_FALSE(e.unreachable()) << "it was reached before it died";
}

TEST(LoadEngineWithSink, TwoSinksReceiveTheSameStream) {
  auto a = StartSink(), b = StartSink();
  ASSERT_TRUE(a && b);
  auto ea = GrpcExporter(a->grpc_port()), eb = GrpcExporter(b->grpc_port());
  CountingSource src;
  LoadSummary s = LoadEngine(Constant(300, 1), src, {ea.get(), eb.get()}).Run();
  EXPECT_TRUE(s.AccountingAddsUp());
  EXPECT_EQ(a->store().Stats().stored_spans, s.spans_scheduled);
  EXPECT_EQ(b->store().Stats().stored_spans, s.spans_scheduled);
}

}  // namespace
}  // namespace agentstorm
