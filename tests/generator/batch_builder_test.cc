// BatchBuilder's contract: whole traces in order, limits checked before and after each trace,
// a trace over a limit alone in its batch, Take() handing everything over.
#include "generator/batch_builder.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "synth/otlp_wire_format.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::ResourceSpans;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TraceMeta Meta(uint64_t index, uint32_t spans) {
  TraceMeta m;
  m.index = index;
  m.span_count = spans;
  return m;
}

// A trace as the engine stages it: `spans` spans under one ResourceSpans, encoded.
std::string EncodedTrace(uint64_t index, uint32_t spans) {
  ResourceSpans rs;
  auto* ss = rs.add_scope_spans();
  for (uint32_t i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_name("trace " + std::to_string(index));
    s->set_trace_id(std::string(16, static_cast<char>(index + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
  }
  std::string out;
  AppendResourceSpans(rs, &out);
  return out;
}

TEST(BatchBuilder, PacksWholeTracesInOrderIntoOneRequest) {
  BatchBuilder b(/*max_spans=*/100, /*max_bytes=*/1 << 20, milliseconds(100));
  EXPECT_TRUE(b.empty());
  std::string want;
  for (uint64_t i = 0; i < 4; ++i) {
    const std::string t = EncodedTrace(i, static_cast<uint32_t>(i + 1));
    b.Add(Meta(i, static_cast<uint32_t>(i + 1)), t, nanoseconds(1000 * (i + 1)));
    want += t;
  }
  EXPECT_FALSE(b.empty());
  EXPECT_EQ(b.spans(), 1u + 2 + 3 + 4);
  EXPECT_EQ(b.traces(), 4u);
  EXPECT_EQ(b.bytes(), want.size());
  EXPECT_EQ(b.first_offset(), nanoseconds(1000));
  EXPECT_EQ(b.last_offset(), nanoseconds(4000));
  EXPECT_FALSE(b.Full());

  const Batch batch = b.Take();
  EXPECT_EQ(batch.payload, want);
  EXPECT_EQ(batch.spans, 10u);
  ASSERT_EQ(batch.traces.size(), 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(batch.traces[i].index, i);
    EXPECT_EQ(batch.traces[i].span_count, i + 1);
  }
  // The payload is one request whose spans are the batch's span count, trace by trace.
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(batch.payload));
  ASSERT_EQ(req.resource_spans_size(), 4);
  uint32_t spans = 0;
  for (int i = 0; i < 4; ++i) {
    const auto& ss = req.resource_spans(i).scope_spans(0);
    EXPECT_EQ(ss.spans_size(), i + 1);
    EXPECT_EQ(ss.spans(0).name(), "trace " + std::to_string(i));
    spans += ss.spans_size();
  }
  EXPECT_EQ(spans, batch.spans);
}

TEST(BatchBuilder, TraceThatWouldExceedTheSpanLimitGoesToTheNextBatch) {
  BatchBuilder b(/*max_spans=*/10, /*max_bytes=*/1 << 20, milliseconds(100));
  b.Add(Meta(0, 6), EncodedTrace(0, 6), nanoseconds(1));
  EXPECT_FALSE(b.Full());
  EXPECT_FALSE(b.WouldOverflow(4, 0));  // 6 + 4 = the limit: fits
  EXPECT_TRUE(b.WouldOverflow(5, 0));   // 6 + 5 > 10
  b.Add(Meta(1, 4), EncodedTrace(1, 4), nanoseconds(2));
  EXPECT_TRUE(b.Full());  // at the limit: send now
  EXPECT_EQ(b.Take().spans, 10u);
}

TEST(BatchBuilder, TraceThatWouldExceedTheByteLimitGoesToTheNextBatch) {
  const std::string t = EncodedTrace(0, 3);
  BatchBuilder b(/*max_spans=*/1000, /*max_bytes=*/2 * t.size(), milliseconds(100));
  b.Add(Meta(0, 3), t, nanoseconds(1));
  EXPECT_FALSE(b.Full());
  EXPECT_FALSE(b.WouldOverflow(3, t.size()));  // exactly the limit: fits
  EXPECT_TRUE(b.WouldOverflow(3, t.size() + 1));
  b.Add(Meta(1, 3), t, nanoseconds(2));
  EXPECT_TRUE(b.Full());
  EXPECT_EQ(b.Take().payload.size(), 2 * t.size());
}

TEST(BatchBuilder, EmptyBatchTakesATraceOverTheLimitsWhichIsThenAloneAndFull) {
  BatchBuilder b(/*max_spans=*/10, /*max_bytes=*/64, milliseconds(100));
  const std::string big = EncodedTrace(0, 50);
  ASSERT_GT(big.size(), 64u);
  EXPECT_FALSE(b.WouldOverflow(50, big.size()));
  b.Add(Meta(0, 50), big, nanoseconds(5));
  EXPECT_TRUE(b.Full());
  EXPECT_TRUE(b.WouldOverflow(1, 0));  // nothing joins it
  const Batch batch = b.Take();
  EXPECT_EQ(batch.spans, 50u);
  EXPECT_EQ(batch.traces.size(), 1u);
}

TEST(BatchBuilder, LingerDeadlineFollowsTheFirstTrace) {
  BatchBuilder b(/*max_spans=*/100, /*max_bytes=*/1 << 20, milliseconds(100));
  b.Add(Meta(0, 1), EncodedTrace(0, 1), milliseconds(30));
  EXPECT_EQ(b.LingerDeadline(), milliseconds(130));
  b.Add(Meta(1, 1), EncodedTrace(1, 1), milliseconds(120));
  EXPECT_EQ(b.LingerDeadline(), milliseconds(130));  // later traces do not extend it
  EXPECT_EQ(b.last_offset(), milliseconds(120));
}

TEST(BatchBuilder, TakeStartsAnEmptyBatchWithTheSameLimits) {
  BatchBuilder b(/*max_spans=*/4, /*max_bytes=*/1 << 20, milliseconds(100));
  b.Add(Meta(0, 4), EncodedTrace(0, 4), milliseconds(10));
  ASSERT_TRUE(b.Full());
  b.Take();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.spans(), 0u);
  EXPECT_EQ(b.bytes(), 0u);
  EXPECT_EQ(b.traces(), 0u);
  EXPECT_FALSE(b.Full());
  b.Add(Meta(1, 3), EncodedTrace(1, 3), milliseconds(500));
  EXPECT_EQ(b.first_offset(), milliseconds(500));
  EXPECT_EQ(b.LingerDeadline(), milliseconds(600));
  EXPECT_TRUE(b.WouldOverflow(2, 0));
  const Batch batch = b.Take();
  EXPECT_EQ(batch.spans, 3u);
  ASSERT_EQ(batch.traces.size(), 1u);
  EXPECT_EQ(batch.traces[0].index, 1u);
}

}  // namespace
}  // namespace agentstorm
