// The Jaeger API v3 reader and the poller against the embedded sink's own query endpoint:
// what the sink stored is what the checker reads back.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "checker/readers/poller.h"
#include "checker/readers/trace_reader.h"
#include "core/otlp_json.h"
#include "sink/query_api.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"

namespace agentstorm::readers {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr char kRequest[] = R"({"resourceSpans":[
  {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"planner"}}]},
   "scopeSpans":[{"scope":{"name":"agentstorm","version":"0.1.0"},"spans":[
     {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"invoke_agent planner",
      "kind":1,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000",
      "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},
                    {"key":"gen_ai.request.temperature","value":{"doubleValue":0.2}},
                    {"key":"gen_ai.request.stop_sequences","value":{"arrayValue":{"values":[{"stringValue":"END"}]}}}],
      "status":{"code":2,"message":"tool failed"}},
     {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b8","parentSpanId":"00f067aa0ba902b7",
      "name":"execute_tool search","kind":3,"startTimeUnixNano":"1700000000100000000",
      "endTimeUnixNano":"1700000000200000000",
      "events":[{"timeUnixNano":"1700000000150000000","name":"gen_ai.tool.message"}],
      "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]}]})";

class SinkReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(DecodeOtlpJson(kRequest, &sent_).ok());
    added_at_ = absl::Now();  // before the store stamps its receive time
    ASSERT_TRUE(store_.Add(std::make_shared<ExportTraceServiceRequest>(sent_)).ok());
  }
  std::unique_ptr<sink::QueryApi> StartQuery(absl::Duration delay) {
    auto api = sink::QueryApi::Start({"127.0.0.1", 0}, &store_, &metrics_, delay, 16 << 20, {});
    EXPECT_TRUE(api.ok()) << api.status();
    return std::move(*api);
  }

  ExportTraceServiceRequest sent_;
  absl::Time added_at_;
  sink::TraceStore store_{sink::TraceStoreOptions{}};
  sink::SinkMetrics metrics_;
};

TEST_F(SinkReaderTest, ReadsBackExactlyWhatTheSinkStored) {
  auto api = StartQuery(absl::ZeroDuration());
  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(api->port()));
  ASSERT_TRUE(url.ok());
  auto reader = MakeTraceReader(*url, {});
  ASSERT_TRUE(reader.ok());
  auto trace = (*reader)->GetTrace(*ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_TRUE(trace->found);
  TracesData expected;
  expected.mutable_resource_spans()->CopyFrom(sent_.resource_spans());
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(expected, *trace->data)) << diff;

  EXPECT_FALSE((*reader)->GetTrace(*ParseTraceId("1"))->found);
  auto ids = (*reader)->FindTraces(
      {"planner", absl::FromUnixSeconds(1699999999), absl::FromUnixSeconds(1700000002), 10});
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ(HexEncode((*ids)[0]), "4bf92f3577b34da6a3ce929d0e0e4736");
}

// The sink serves the reader's bulk read: the same trace as GetTrace reads, in one request with
// one it does not hold.
TEST_F(SinkReaderTest, ReadsManyTracesInOneRequest) {
  auto api = StartQuery(absl::ZeroDuration());
  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(api->port()));
  ASSERT_TRUE(url.ok());
  auto reader = MakeTraceReader(*url, {});
  ASSERT_TRUE(reader.ok());
  const TraceId id = *ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
  auto traces = (*reader)->GetTraces({*ParseTraceId("1"), id});
  ASSERT_EQ(traces.size(), 2u);
  ASSERT_TRUE(traces[0].ok()) << traces[0].status();
  ASSERT_TRUE(traces[1].ok()) << traces[1].status();
  EXPECT_FALSE(traces[0]->found);
  ASSERT_TRUE(traces[1]->found);
  EXPECT_GT((*reader)->MaxBatch(), 1u) << "the sink's bulk read was not taken";
  auto one = (*reader)->GetTrace(id);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(traces[1]->data->SerializeAsString(), one->data->SerializeAsString());
  EXPECT_EQ(traces[1]->span_count, 2u);
}

TEST_F(SinkReaderTest, PollerWaitsOutTheSinksVisibilityDelay) {
  auto api = StartQuery(absl::Milliseconds(300));
  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(api->port()));
  auto reader = MakeTraceReader(*url, {});
  ASSERT_TRUE(reader.ok());
  PollerOptions options;
  options.wait = absl::Milliseconds(1500);  // the missing trace is polled until then
  options.initial_backoff = absl::Milliseconds(20);
  // Sent when the store got it: on a loaded machine starting the query API takes a while, and
  // the visibility delay counts from the store's receive time, not from here.
  const absl::Time sent_at = added_at_;
  std::vector<PolledTrace> results;
  PollSummary summary = Poller(reader->get(), options)
                            .Run({{*ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736"), 2, sent_at},
                                  {*ParseTraceId("5"), 1, sent_at}},
                                 [&](PolledTrace&& t) { results.push_back(std::move(t)); });
  EXPECT_EQ(summary.found, 1u);
  EXPECT_EQ(summary.not_found, 1u);
  EXPECT_GE(summary.time_until_queryable_us.min(), 250000u);
  EXPECT_FALSE(summary.backend_unreachable);
  for (const PolledTrace& t : results) {
    if (t.outcome == TraceOutcome::kFound) EXPECT_GT(t.polls, 1);
  }
}

}  // namespace
}  // namespace agentstorm::readers
