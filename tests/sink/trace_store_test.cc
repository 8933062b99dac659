#include "sink/trace_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "tests/sink/test_requests.h"

namespace agentstorm::sink {
namespace {

using testing::AddResource;
using testing::AddSpan;
using testing::MakeRequest;
using testing::SpanIdBytes;
using testing::TraceIdBytes;

TraceId Tid(uint8_t n) {
  TraceId id{};
  const std::string b = TraceIdBytes(n);
  std::copy(b.begin(), b.end(), id.begin());
  return id;
}
SpanId Sid(uint8_t n) {
  SpanId id{};
  const std::string b = SpanIdBytes(n);
  std::copy(b.begin(), b.end(), id.begin());
  return id;
}

std::shared_ptr<const ExportTraceServiceRequest> Shared(ExportTraceServiceRequest r) {
  return std::make_shared<const ExportTraceServiceRequest>(std::move(r));
}

TEST(TraceStore, IndexesSpansByTraceAndSpanId) {
  TraceStore store({});
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 2, 3))).ok());
  EXPECT_EQ(store.span_count(), 6u);
  EXPECT_EQ(store.GetTrace(Tid(1)).size(), 3u);
  EXPECT_EQ(store.GetTrace(Tid(2)).size(), 3u);
  EXPECT_TRUE(store.GetTrace(Tid(9)).empty());
  std::vector<StoredSpan> span = store.FindSpan(Tid(2), Sid(3));
  ASSERT_EQ(span.size(), 1u);
  EXPECT_EQ(span[0].Parse().name(), "child");
  EXPECT_EQ(span[0].service, "svc");
}

TEST(TraceStore, RefusesWholeRequestThatDoesNotFitAndKeepsWhatItHas) {
  TraceStore store({.max_spans = 5});
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 4))).ok());
  absl::Status full = store.Add(Shared(MakeRequest("svc", 1, 2, /*first_trace=*/7)));
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_EQ(store.span_count(), 4u);
  EXPECT_TRUE(store.GetTrace(Tid(7)).empty()) << "nothing of a refused request is stored";
  EXPECT_EQ(store.GetTrace(Tid(1)).size(), 4u) << "nothing acknowledged is dropped";
  EXPECT_EQ(store.Stats().rejected_spans, 2u);
  EXPECT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 1, 8))).ok()) << "one span still fits";
}

TEST(TraceStore, ReservationHoldsCapacityUntilUnreserved) {
  TraceStore store({.max_spans = 3});
  ASSERT_TRUE(store.Reserve(3).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(store.Reserve(1)));
  store.Unreserve(3);
  EXPECT_TRUE(store.Reserve(1).ok());
}

TEST(TraceStore, KeepsAndCountsDuplicates) {
  TraceStore store({});
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 2))).ok());
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 2))).ok());
  EXPECT_EQ(store.GetTrace(Tid(1)).size(), 4u);
  EXPECT_EQ(store.FindSpan(Tid(1), Sid(2)).size(), 2u);
  TraceStoreStats stats = store.Stats();
  EXPECT_EQ(stats.duplicate_spans, 2u);
  EXPECT_EQ(stats.by_service["svc"].duplicates, 2u);
  EXPECT_EQ(stats.by_service["svc"].stored, 4u);
  EXPECT_EQ(stats.traces, 1u);
}

// Long traces (a runaway loop) find their duplicates through a set instead of comparing with
// every span; the counts are the same either way, however the copies arrive.
TEST(TraceStore, CountsDuplicatesOfLongTraces) {
  TraceStore store({});
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 40))).ok());
  EXPECT_EQ(store.Stats().duplicate_spans, 0u) << "40 distinct spans are not duplicates";
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 40))).ok());
  ASSERT_TRUE(store.Add(Shared(MakeRequest("svc", 1, 3))).ok());
  EXPECT_EQ(store.Stats().duplicate_spans, 43u);
  EXPECT_EQ(store.GetTrace(Tid(1)).size(), 83u);
  EXPECT_EQ(store.FindSpan(Tid(1), Sid(3)).size(), 3u);
  EXPECT_EQ(store.FindSpan(Tid(1), Sid(40)).size(), 2u);
}

TEST(TraceStore, RebuildsResourceSpansExactlyAsReceived) {
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "svc");
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  auto* extra = rs->mutable_resource()->add_attributes();
  extra->set_key("host.name");
  extra->mutable_value()->set_int_value(7);  // deliberately not a string: must stay an int
  rs->mutable_scope_spans(0)->mutable_scope()->set_version("1.2.3");
  auto* span = AddSpan(rs, 1, 1);
  for (const char* key : {"z", "a", "m"}) {
    auto* kv = span->add_attributes();
    kv->set_key(key);
    kv->mutable_value()->set_string_value(std::string("v-") + key);
  }
  // A second resource for the same trace.
  auto* rs2 = AddResource(&request, "other");
  AddSpan(rs2, 1, 2, 1);

  TraceStore store({});
  ASSERT_TRUE(store.Add(Shared(request)).ok());
  auto data = AssembleTracesData(store.GetTrace(Tid(1)));
  ASSERT_EQ(data.resource_spans_size(), 2);
  EXPECT_EQ(data.resource_spans(0).SerializeAsString(),
            request.resource_spans(0).SerializeAsString());
  EXPECT_EQ(data.resource_spans(1).SerializeAsString(),
            request.resource_spans(1).SerializeAsString());
}

TEST(TraceStore, KeepsItsOwnCopyOfTheRequestBytes) {
  // Receivers decode every request into the same per-thread buffer: once committed, what the
  // store shows must not depend on that buffer any more.
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "planner");
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  rs->mutable_scope_spans(0)->mutable_scope()->set_version("1.2.3");
  rs->mutable_scope_spans(0)->set_schema_url("https://example.com/scope");
  auto* span = AddSpan(rs, 1, 1, -1, "invoke_agent");
  auto* kv = span->add_attributes();
  kv->set_key("gen_ai.agent.name");
  kv->mutable_value()->set_string_value("support");
  std::string buffer = request.SerializeAsString();
  wire::ScannedRequest index;
  ASSERT_TRUE(wire::ScanTraceRequest(buffer, &index));
  TraceStore store({});
  ASSERT_TRUE(store.Reserve(index.spans.size()).ok());
  store.Commit(buffer, index, absl::Now());
  std::fill(buffer.begin(), buffer.end(), '\x55');
  index.clear();

  EXPECT_EQ(store.Services(), (std::vector<std::string>{"planner"}));
  std::vector<Operation> ops = store.Operations("planner");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].name, "invoke_agent");
  TraceQuery q;
  q.service = "planner";
  q.operation = "invoke_agent";
  q.attributes = {{"gen_ai.agent.name", "support"}, {"service.name", "planner"}};
  EXPECT_EQ(store.FindTraces(q), (std::vector<TraceId>{Tid(1)}));
  std::vector<StoredSpan> spans = store.GetTrace(Tid(1));
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].service, "planner");
  opentelemetry::proto::trace::v1::TracesData data = AssembleTracesData(spans);
  ASSERT_EQ(data.resource_spans_size(), 1);
  EXPECT_EQ(data.resource_spans(0).SerializeAsString(),
            request.resource_spans(0).SerializeAsString());
  EXPECT_EQ(store.Stats().stored_bytes, request.ByteSizeLong());
}

TEST(TraceStore, ListsServicesAndOperations) {
  TraceStore store({});
  ExportTraceServiceRequest request;
  auto* a = AddResource(&request, "planner");
  AddSpan(a, 1, 1, -1, "invoke_agent")
      ->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  AddSpan(a, 1, 2, 1, "chat gpt-4o")
      ->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  AddSpan(a, 1, 3, 1, "chat gpt-4o")
      ->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  auto* b = AddResource(&request, "retriever");
  AddSpan(b, 1, 4, 1, "search");
  ASSERT_TRUE(store.Add(Shared(request)).ok());

  EXPECT_EQ(store.Services(), (std::vector<std::string>{"planner", "retriever"}));
  std::vector<Operation> ops = store.Operations("planner");
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].name, "chat gpt-4o");
  EXPECT_EQ(ops[0].kind, opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(ops[1].name, "invoke_agent");
  EXPECT_EQ(
      store.Operations("planner", opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER).size(),
      1u);
  EXPECT_TRUE(store.Operations("nobody").empty());
}

TEST(TraceStore, FindsTracesByServiceOperationAttributesAndTime) {
  TraceStore store({});
  const uint64_t t0 = 1'700'000'000'000'000'000ULL;
  ExportTraceServiceRequest request;
  auto* a = AddResource(&request, "planner");
  auto* s1 = AddSpan(a, 1, 1, -1, "invoke_agent", t0);
  auto* kv = s1->add_attributes();
  kv->set_key("gen_ai.request.max_tokens");
  kv->mutable_value()->set_int_value(512);
  AddSpan(a, 2, 1, -1, "invoke_agent", t0 + 10'000'000'000ULL);
  auto* b = AddResource(&request, "retriever");
  AddSpan(b, 3, 1, -1, "search", t0 + 5'000'000'000ULL);
  ASSERT_TRUE(store.Add(Shared(request)).ok());

  TraceQuery q;
  q.service = "planner";
  EXPECT_EQ(store.FindTraces(q), (std::vector<TraceId>{Tid(2), Tid(1)})) << "newest first";
  q.limit = 1;
  EXPECT_EQ(store.FindTraces(q), (std::vector<TraceId>{Tid(2)}));
  q.limit = 20;
  q.attributes = {{"gen_ai.request.max_tokens", "512"}};
  EXPECT_EQ(store.FindTraces(q), (std::vector<TraceId>{Tid(1)}));
  q.attributes.clear();
  q.start_min = absl::FromUnixNanos(t0 + 1);
  EXPECT_EQ(store.FindTraces(q), (std::vector<TraceId>{Tid(2)}));
  q.start_max = absl::FromUnixNanos(t0 + 10'000'000'000ULL);
  EXPECT_TRUE(store.FindTraces(q).empty()) << "start_time_max is exclusive";
  TraceQuery by_op;
  by_op.operation = "search";
  EXPECT_EQ(store.FindTraces(by_op), (std::vector<TraceId>{Tid(3)}));
}

TEST(TraceStore, HidesSpansReceivedAfterTheVisibilityCutoff) {
  TraceStore store({});
  const absl::Time t = absl::FromUnixSeconds(1'000);
  ASSERT_TRUE(store.Add(Shared(MakeRequest("early", 1, 1, 1)), t).ok());
  ASSERT_TRUE(store.Add(Shared(MakeRequest("late", 1, 1, 2)), t + absl::Seconds(5)).ok());
  EXPECT_EQ(store.GetTrace(Tid(2), t + absl::Seconds(1)).size(), 0u);
  EXPECT_EQ(store.GetTrace(Tid(2), t + absl::Seconds(5)).size(), 1u);
  EXPECT_EQ(store.Services(t + absl::Seconds(1)), std::vector<std::string>{"early"});
  EXPECT_EQ(store.FindTraces({}, t + absl::Seconds(1)), std::vector<TraceId>{Tid(1)});
  EXPECT_EQ(store.GetTrace(Tid(1))[0].received, t);
}

TEST(TraceStore, ConcurrentWritersAndReadersLoseNothing) {
  TraceStore store({});
  constexpr int kThreads = 4, kRequests = 50;
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&store, w] {
      for (int i = 0; i < kRequests; ++i) {
        auto r =
            MakeRequest("svc" + std::to_string(w), 1, 2, static_cast<uint8_t>(w * kRequests + i));
        ASSERT_TRUE(store.Add(Shared(std::move(r))).ok());
        (void)store.FindTraces({});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store.span_count(), size_t{kThreads * kRequests * 2});
  EXPECT_EQ(store.Stats().traces, uint64_t{kThreads * kRequests});
}

}  // namespace
}  // namespace agentstorm::sink
