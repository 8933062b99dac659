#include "sink/span_metrics.h"

#include <optional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/sink/test_requests.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::trace::v1::Span;
using testing::AddResource;
using testing::AddSpan;
using testing::ExportTraceServiceRequest;
using testing::ResourceSpans;

void Attr(Span* s, const std::string& key, const std::string& v) {
  auto* kv = s->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(v);
}
void Attr(Span* s, const std::string& key, int64_t v) {
  auto* kv = s->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(v);
}
void AttrD(Span* s, const std::string& key, double v) {
  auto* kv = s->add_attributes();
  kv->set_key(key);
  kv->mutable_value()->set_double_value(v);
}

// The value of the sample whose name and labels are exactly `series`, if rendered.
std::optional<std::string> Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return line.substr(series.size() + 1);
  }
  return std::nullopt;
}

std::string Render(const SpanMetrics& m) {
  std::string out;
  m.RenderPrometheus(&out);
  return out;
}

Span* Chat(ResourceSpans* rs, uint8_t trace, uint8_t id, int parent, int64_t in, int64_t out) {
  Span* s = AddSpan(rs, trace, id, parent, "chat gpt-4o");
  s->set_kind(Span::SPAN_KIND_CLIENT);
  Attr(s, "gen_ai.operation.name", "chat");
  Attr(s, "gen_ai.request.model", "gpt-4o");
  Attr(s, "gen_ai.usage.input_tokens", in);
  Attr(s, "gen_ai.usage.output_tokens", out);
  return s;
}

Span* Agent(ResourceSpans* rs, uint8_t trace, uint8_t id, int parent, const std::string& name) {
  Span* s = AddSpan(rs, trace, id, parent, "invoke_agent " + name);
  Attr(s, "gen_ai.operation.name", "invoke_agent");
  Attr(s, "gen_ai.agent.name", name);
  return s;
}

Span* Tool(ResourceSpans* rs, uint8_t trace, uint8_t id, int parent, const std::string& tool) {
  Span* s = AddSpan(rs, trace, id, parent, "execute_tool " + tool);
  Attr(s, "gen_ai.operation.name", "execute_tool");
  Attr(s, "gen_ai.tool.name", tool);
  return s;
}

TEST(SpanMetrics, CountsCallsAndDurationsByServiceSpanOperationAndStatus) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = AddResource(&req, "billing-app");
  Span* ok = Chat(rs, 1, 2, 1, 10, 5);
  ok->set_end_time_unix_nano(ok->start_time_unix_nano() + 2'000'000'000);  // 2 s
  Span* failed = Chat(rs, 1, 3, 1, 10, 5);
  failed->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  SpanMetrics m;
  m.Observe(req, absl::FromUnixSeconds(1000));
  const std::string text = Render(m);

  const std::string labels =
      R"(service_name="billing-app",span_name="chat gpt-4o",gen_ai_operation_name="chat")";
  EXPECT_EQ(Sample(text, "agentstorm_span_calls_total{" + labels + R"(,status_code="unset"})"),
            "1");
  EXPECT_EQ(Sample(text, "agentstorm_span_calls_total{" + labels + R"(,status_code="error"})"),
            "1");
  const std::string h =
      "agentstorm_span_duration_seconds_bucket{" + labels + R"(,status_code="unset",)";
  EXPECT_EQ(Sample(text, h + R"(le="1"})"), "0");
  EXPECT_EQ(Sample(text, h + R"(le="2.5"})"), "1");
  EXPECT_EQ(Sample(text, h + R"(le="+Inf"})"), "1");
  EXPECT_EQ(
      Sample(text, "agentstorm_span_duration_seconds_sum{" + labels + R"(,status_code="unset"})"),
      "2");
  EXPECT_NE(text.find("# TYPE agentstorm_span_duration_seconds histogram"), std::string::npos);
}

TEST(SpanMetrics, CountsTokensOfInferenceSpansButNotTheAgentsSums) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = AddResource(&req, "app");
  Span* agent = Agent(rs, 1, 1, -1, "helper");
  Attr(agent, "gen_ai.usage.input_tokens", 300);  // the sum of its chats: not counted again
  Chat(rs, 1, 2, 1, 100, 7);
  Chat(rs, 1, 3, 1, 200, 8);
  SpanMetrics m;
  m.Observe(req, absl::FromUnixSeconds(1000));
  const std::string text = Render(m);
  const std::string base =
      R"(agentstorm_gen_ai_tokens_total{service_name="app",gen_ai_operation_name="chat",gen_ai_request_model="gpt-4o",)";
  EXPECT_EQ(Sample(text, base + R"(gen_ai_token_type="input"})"), "300");
  EXPECT_EQ(Sample(text, base + R"(gen_ai_token_type="output"})"), "15");
}

TEST(SpanMetrics, AgentIterationsAreTheDirectInferenceChildrenOfEachInvokeAgent) {
  SpanMetrics m;
  {  // Children in an earlier request than their agent, as SDKs export on span end.
    ExportTraceServiceRequest req;
    ResourceSpans* rs = AddResource(&req, "devbot");
    for (uint8_t i = 0; i < 12; ++i) Chat(rs, 1, static_cast<uint8_t>(10 + i), 1, 1, 1);
    Tool(rs, 1, 30, 1, "read_file");  // not a model turn
    m.Observe(req, absl::FromUnixSeconds(1000));
  }
  {  // Agent first, children after it in the same request; a nested agent's chats are its own.
    ExportTraceServiceRequest req;
    ResourceSpans* rs = AddResource(&req, "devbot");
    Agent(rs, 1, 1, -1, "coding_agent");
    Agent(rs, 2, 1, -1, "coding_agent");
    Chat(rs, 2, 2, 1, 1, 1);
    Chat(rs, 2, 3, 1, 1, 1);
    Agent(rs, 2, 4, 1, "reviewer");
    Chat(rs, 2, 5, 4, 1, 1);
    Span* remote = Agent(rs, 3, 1, -1, "coding_agent");
    remote->set_kind(Span::SPAN_KIND_CLIENT);  // the caller's side of a remote call: not a run
    m.Observe(req, absl::FromUnixSeconds(1001));
  }
  const std::string text = Render(m);
  const std::string coding = R"(service_name="devbot",gen_ai_agent_name="coding_agent")";
  EXPECT_EQ(Sample(text, "agentstorm_gen_ai_agent_iterations_count{" + coding + "}"), "2");
  EXPECT_EQ(Sample(text, "agentstorm_gen_ai_agent_iterations_sum{" + coding + "}"),
            "14");  // 12 + 2
  EXPECT_EQ(Sample(text, "agentstorm_gen_ai_agent_iterations_bucket{" + coding + R"(,le="8"})"),
            "1");
  EXPECT_EQ(Sample(text, "agentstorm_gen_ai_agent_iterations_bucket{" + coding + R"(,le="15"})"),
            "2");
  const std::string reviewer = R"(service_name="devbot",gen_ai_agent_name="reviewer")";
  EXPECT_EQ(Sample(text, "agentstorm_gen_ai_agent_iterations_sum{" + reviewer + "}"), "1");
}

TEST(SpanMetrics, ForgetsPendingTurnsWhoseAgentNeverArrives) {
  SpanMetrics m(SpanMetricsOptions{.max_pending_parents = 1000, .pending_ttl = absl::Seconds(10)});
  ExportTraceServiceRequest early;
  Chat(AddResource(&early, "app"), 1, 2, 1, 1, 1);
  m.Observe(early, absl::FromUnixSeconds(1000));
  ExportTraceServiceRequest filler;
  Chat(AddResource(&filler, "app"), 9, 2, 1, 1, 1);
  m.Observe(filler, absl::FromUnixSeconds(1011));  // first rotation: the count is now old
  m.Observe(filler, absl::FromUnixSeconds(1022));  // second rotation: forgotten
  ExportTraceServiceRequest late;
  Agent(AddResource(&late, "app"), 1, 1, -1, "a");
  m.Observe(late, absl::FromUnixSeconds(1023));
  EXPECT_EQ(
      Sample(Render(m),
             R"(agentstorm_gen_ai_agent_iterations_sum{service_name="app",gen_ai_agent_name="a"})"),
      "0");
}

TEST(SpanMetrics, CountsToolCallOutcomesByTool) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = AddResource(&req, "billing-app");
  Tool(rs, 1, 2, 1, "charge_card");
  Attr(Tool(rs, 1, 3, 1, "charge_card"), "error.type", "PaymentsUnavailable");
  Tool(rs, 1, 4, 1, "charge_card")
      ->mutable_status()
      ->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  Tool(rs, 1, 5, 1, "get_invoice");
  SpanMetrics m;
  m.Observe(req, absl::FromUnixSeconds(1000));
  const std::string text = Render(m);
  const std::string base =
      R"(agentstorm_gen_ai_tool_calls_total{service_name="billing-app",gen_ai_tool_name=)";
  EXPECT_EQ(Sample(text, base + R"("charge_card",outcome="ok"})"), "1");
  EXPECT_EQ(Sample(text, base + R"("charge_card",outcome="error"})"), "2");
  EXPECT_EQ(Sample(text, base + R"("get_invoice",outcome="ok"})"), "1");
  EXPECT_EQ(Sample(text, base + R"("get_invoice",outcome="error"})"), std::nullopt);
}

TEST(SpanMetrics, ContextWindowUtilizationAtNinetyPercentStaysInTheLe09Bucket) {
  ExportTraceServiceRequest req;
  ResourceSpans* rs = AddResource(&req, "summarizer-app");
  AttrD(Chat(rs, 1, 2, 1, 1, 1), "agentstorm.context_window.utilization", 0.9);
  AttrD(Chat(rs, 1, 3, 1, 1, 1), "agentstorm.context_window.utilization", 1.25);
  Chat(rs, 1, 4, 1, 1, 1);  // no window known: not observed
  SpanMetrics m;
  m.Observe(req, absl::FromUnixSeconds(1000));
  const std::string text = Render(m);
  const std::string base =
      R"(agentstorm_gen_ai_context_window_utilization_bucket{service_name="summarizer-app",gen_ai_request_model="gpt-4o",)";
  EXPECT_EQ(Sample(text, base + R"(le="0.8"})"), "0");
  EXPECT_EQ(Sample(text, base + R"(le="0.9"})"), "1");
  EXPECT_EQ(Sample(text, base + R"(le="1.25"})"), "2");
  EXPECT_EQ(Sample(text, base + R"(le="+Inf"})"), "2");
}

TEST(SpanMetrics, LastSpanTimestampIsTheLatestReceiptPerService) {
  SpanMetrics m;
  ExportTraceServiceRequest a;
  AddSpan(AddResource(&a, "a"), 1, 1);
  ExportTraceServiceRequest b;
  AddSpan(AddResource(&b, "b"), 2, 1);
  m.Observe(a, absl::FromUnixMillis(1'700'000'000'250));
  m.Observe(b, absl::FromUnixSeconds(1'700'000'100));
  m.Observe(a,
            absl::FromUnixSeconds(1'600'000'000));  // older clock reading: the gauge keeps the max
  const std::string text = Render(m);
  EXPECT_EQ(Sample(text, R"(agentstorm_last_span_timestamp_seconds{service_name="a"})"),
            "1700000000.250");
  EXPECT_EQ(Sample(text, R"(agentstorm_last_span_timestamp_seconds{service_name="b"})"),
            "1700000100.000");
}

TEST(SpanMetrics, EscapesLabelValues) {
  ExportTraceServiceRequest req;
  AddSpan(AddResource(&req, "we\"ird\\svc\n"), 1, 1, -1, "op");
  SpanMetrics m;
  m.Observe(req, absl::FromUnixSeconds(1000));
  EXPECT_NE(Render(m).find(R"(service_name="we\"ird\\svc\n")"), std::string::npos);
}

}  // namespace
}  // namespace agentstorm::sink
