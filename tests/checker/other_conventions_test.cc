// LLM spans under another convention are named (semconv.other_convention) with what the GenAI
// conventions expect instead, and every span read is counted by class; until this, three of
// five spans of an OpenInference app passed with no finding and no statistic.
#include "checker/rules/other_conventions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checker/rules/semconv_rule.h"
#include "checker/semconv/profile.h"
#include "semconv_test_util.h"

namespace agentstorm {
namespace {

using semconv_testing::GoodChatSpan;
using semconv_testing::Span;
using semconv_testing::SpanBuilder;
using semconv_testing::TraceOf;

struct Judged {
  FindingSet findings;
  explicit Judged(const std::vector<Span>& spans) : Judged(TraceOf(spans)) {}
  explicit Judged(const semconv_testing::TracesData& data) {
    auto model = semconv::LoadBundledSemconvProfile(AGENTSTORM_SOURCE_DIR, "genai-latest");
    EXPECT_TRUE(model.ok());
    SemconvRule rule(*std::move(model));
    TraceUnderCheck trace;
    trace.trace_id = "11111111111111111111111111111111";
    trace.received = &data;
    rule.CheckTrace(trace, &findings);
    rule.Finish(&findings);
  }
  std::vector<Finding> Examples(const std::string& id) const {
    for (const FindingSummary& s : findings.Summaries())
      if (s.id == id) return s.examples;
    return {};
  }
  double Statistic(const std::string& name) const {
    const auto stats = findings.Statistics();
    const auto rule = stats.find("semconv");
    if (rule == stats.end()) return -1;
    const auto it = rule->second.find(name);
    return it == rule->second.end() ? 0 : it->second;
  }
};

TEST(OtherConventions, OpenInferenceSpansAreNamedWithWhatGenAiExpects) {
  SpanBuilder llm("ChatCompletion", Span::SPAN_KIND_INTERNAL);
  llm.Str("openinference.span.kind", "LLM")
      .Str("llm.model_name", "gpt-4o-mini")
      .Str("llm.provider", "openai")
      .Int("llm.token_count.prompt", 12)
      .Str("input.value", "{\"messages\": []}");
  SpanBuilder tool("get_weather", Span::SPAN_KIND_INTERNAL);
  tool.Str("openinference.span.kind", "TOOL").Str("tool.name", "get_weather");
  SpanBuilder chain("RunnableSequence", Span::SPAN_KIND_INTERNAL);
  chain.Str("openinference.span.kind", "CHAIN").Str("input.value", "hi");
  Judged r({llm.span(), tool.span(), chain.span()});
  const std::vector<Finding> found = r.Examples("semconv.other_convention");
  ASSERT_EQ(found.size(), 2u);  // the CHAIN has no GenAI span type: counted, not reported
  EXPECT_EQ(found[0].level, FindingLevel::kViolation);
  EXPECT_EQ(found[0].span_name, "ChatCompletion");
  EXPECT_NE(found[0].message.find("OpenInference (openinference.span.kind = LLM, llm.model_name"),
            std::string::npos)
      << found[0].message;
  EXPECT_NE(found[0].expected.find("gen_ai.operation.name \"chat\""), std::string::npos);
  EXPECT_NE(found[1].expected.find("execute_tool"), std::string::npos);
  EXPECT_EQ(r.Statistic("span_classes.OpenInference"), 3);
  EXPECT_EQ(r.findings.Totals()["semconv"].evaluated, 2u);
  const std::vector<Finding> classes = r.Examples("semconv.span_classes");
  ASSERT_EQ(classes.size(), 1u);
  EXPECT_EQ(classes[0].message, "3 spans read: 3 OpenInference");
}

TEST(OtherConventions, OpenLlmetryAndVercelAreRecognised) {
  SpanBuilder legacy("openai.chat");
  legacy.Str("llm.request.type", "chat")
      .Str("gen_ai.prompt.0.content", "hi")
      .Str("gen_ai.prompt.0.role", "user");
  SpanBuilder workflow("joke.workflow", Span::SPAN_KIND_INTERNAL);
  workflow.Str("traceloop.span.kind", "workflow");
  SpanBuilder vercel("ai.generateText.doGenerate");
  vercel.Str("ai.operationId", "ai.generateText.doGenerate").Str("ai.model.id", "gpt-4o");
  SpanBuilder outer("ai.generateText", Span::SPAN_KIND_INTERNAL);
  outer.Str("operation.name", "ai.generateText").Str("ai.model.id", "gpt-4o");
  Judged r({legacy.span(), workflow.span(), vercel.span(), outer.span(), GoodChatSpan().span()});
  const std::vector<Finding> found = r.Examples("semconv.other_convention");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].span_name, "openai.chat");
  EXPECT_EQ(found[0].actual.rfind("OpenLLMetry: llm.request.type = chat", 0), 0u)
      << found[0].actual;
  EXPECT_EQ(found[1].span_name, "ai.generateText.doGenerate");
  EXPECT_EQ(found[1].actual.rfind("Vercel AI SDK: ai.operationId = ai.generateText.doGenerate", 0),
            0u)
      << found[1].actual;
  // The legacy span's gen_ai.prompt.* keys are OpenLLMetry's, not a GenAI span missing its
  // operation name.
  EXPECT_EQ(r.findings.Count("semconv.required_attribute_missing"), 0u);
  // Nor keys the GenAI conventions do not define: they are OpenLLMetry's, that finding says so.
  EXPECT_EQ(r.findings.Count("semconv.unknown_attribute"), 0u);
  EXPECT_EQ(r.Statistic("span_classes.GenAI conventions"), 1);
  EXPECT_EQ(r.Statistic("span_classes.OpenLLMetry"), 2);
  EXPECT_EQ(r.Statistic("span_classes.Vercel AI SDK"), 2);
}

TEST(OtherConventions, AProviderCallIsAFindingOnlyWithNoGenAiSpanInItsTrace) {
  SpanBuilder http("POST");
  http.Str("http.request.method", "POST").Str("server.address", "api.openai.com");
  Judged alone({http.span()});
  const std::vector<Finding> found = alone.Examples("semconv.other_convention");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("a CLIENT span to api.openai.com"), std::string::npos);
  EXPECT_NE(found[0].expected.find("a GenAI span for the call"), std::string::npos);
  EXPECT_EQ(alone.Statistic("span_classes.provider API call"), 1);
  // Beneath a GenAI chat span it is the call's transport: no finding, counted as no convention.
  Judged covered({GoodChatSpan().span(), http.span()});
  EXPECT_EQ(covered.findings.Count("semconv.other_convention"), 0u);
  EXPECT_EQ(covered.Statistic("span_classes.no LLM convention"), 1);
  EXPECT_EQ(covered.findings.Count("semconv.span_classes"), 0u);  // all GenAI or none
  // The host from a URL when no server.address says it.
  SpanBuilder by_url("POST");
  by_url.Str("url.full", "https://api.anthropic.com:443/v1/messages?beta=true");
  const auto anthropic = RecognizeOtherConvention(by_url.span());
  ASSERT_TRUE(anthropic.has_value());
  EXPECT_EQ(anthropic->seen, "a CLIENT span to api.anthropic.com with no gen_ai.* attribute");
  // Another host: nothing.
  SpanBuilder other("GET");
  other.Str("server.address", "example.com");
  EXPECT_FALSE(RecognizeOtherConvention(other.span()).has_value());
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

// A chat span of `model` with `input_tokens` (GoodChatSpan's attributes are fixed: a key added
// again would be a second attribute).
SpanBuilder Chat(const std::string& model, int64_t input_tokens) {
  SpanBuilder b("chat " + model);
  b.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.provider.name", "anthropic")
      .Str("gen_ai.request.model", model)
      .Int("gen_ai.usage.input_tokens", input_tokens);
  return b;
}

// gen_ai.usage.input_tokens includes cached tokens: 38 with 2048 read from the cache is
// impossible (the provider's own input_tokens recorded as is); 2630 with 2629 is right.
TEST(TokenArithmetic, InputTokensCannotBeFewerThanTheCachedTokensTheyInclude) {
  SpanBuilder wrong = Chat("claude-sonnet-4-5", 38);
  wrong.Int("gen_ai.usage.cache_read.input_tokens", 2048);
  Judged bad({wrong.span()});
  const std::vector<Finding> found = bad.Examples("semconv.token_arithmetic");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].level, FindingLevel::kViolation);
  EXPECT_EQ(found[0].expected, ">= 2048");
  EXPECT_EQ(found[0].actual, "38");
  SpanBuilder right = Chat("claude-sonnet-4-5", 2630);
  right.Int("gen_ai.usage.cache_read.input_tokens", 2629)
      .Int("gen_ai.usage.cache_write.input_tokens", 0);
  EXPECT_EQ(Judged({right.span()}).findings.Count("semconv.token_arithmetic"), 0u);
}

// One model call, two nested inference spans (anthropic 2.17's own tracing around the official
// instrumentation's span, as the conformance matrix found): reported on the inner one.
TEST(DuplicateInstrumentation, NestedInferenceSpansOfOneModelAreOneCallTwice) {
  SpanBuilder outer = GoodChatSpan();
  outer.span_ref().set_span_id(std::string(8, '\x01'));
  SpanBuilder inner = GoodChatSpan();
  inner.span_ref().set_span_id(std::string(8, '\x02'));
  inner.span_ref().set_parent_span_id(std::string(8, '\x01'));
  Judged twice({outer.span(), inner.span()});
  const std::vector<Finding> found = twice.Examples("semconv.duplicate_instrumentation");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].span_id, "0202020202020202");
  EXPECT_NE(found[0].message.find("counted twice"), std::string::npos);
  // Another model beneath (a router) is another call; a chat span under an agent span is the
  // conventions' own nesting.
  SpanBuilder other = Chat("another-model", 10);
  other.span_ref().set_span_id(std::string(8, '\x02'));
  other.span_ref().set_parent_span_id(std::string(8, '\x01'));
  EXPECT_EQ(
      Judged({outer.span(), other.span()}).findings.Count("semconv.duplicate_instrumentation"), 0u);
  SpanBuilder agent("invoke_agent planner", Span::SPAN_KIND_INTERNAL);
  agent.Str("gen_ai.operation.name", "invoke_agent").Str("gen_ai.provider.name", "openai");
  agent.span_ref().set_span_id(std::string(8, '\x01'));
  EXPECT_EQ(
      Judged({agent.span(), inner.span()}).findings.Count("semconv.duplicate_instrumentation"), 0u);
}

// An instrumentation that does not make its span the current one leaves the provider SDK's own
// span beside it, not inside (OpenLLMetry's Anthropic instrumentation with anthropic 2.17, as
// the conformance matrix found): two inference spans of one model under one parent, from two
// scopes, at the same time, are one call twice. One scope's parallel calls, or two scopes'
// calls one after the other, are not.
TEST(DuplicateInstrumentation, SiblingInferenceSpansOfTwoScopesAtOnceAreOneCallTwice) {
  auto span = [](char id, uint64_t start, uint64_t end) {
    SpanBuilder b = GoodChatSpan();
    b.span_ref().set_span_id(std::string(8, id));
    b.span_ref().set_parent_span_id(std::string(8, '\x09'));
    b.span_ref().set_start_time_unix_nano(start);
    b.span_ref().set_end_time_unix_nano(end);
    return b.span();
  };
  auto trace = [](const std::vector<std::pair<std::string, Span>>& spans) {
    semconv_testing::TracesData data;
    auto* rs = data.add_resource_spans();
    for (const auto& [scope, s] : spans) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name(scope);
      *ss->add_spans() = s;
    }
    return data;
  };
  Judged twice(trace({{"opentelemetry.instrumentation.anthropic", span('\x01', 100, 900)},
                      {"com.anthropic.sdk.python", span('\x02', 110, 880)}}));
  const std::vector<Finding> found = twice.Examples("semconv.duplicate_instrumentation");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].span_id, "0202020202020202");
  EXPECT_NE(found[0].message.find("beside"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("com.anthropic.sdk.python"), std::string::npos);
  Judged parallel(trace({{"lib", span('\x01', 100, 900)}, {"lib", span('\x02', 110, 880)}}));
  EXPECT_EQ(parallel.findings.Count("semconv.duplicate_instrumentation"), 0u);
  Judged sequential(trace({{"a", span('\x01', 100, 500)}, {"b", span('\x02', 600, 900)}}));
  EXPECT_EQ(sequential.findings.Count("semconv.duplicate_instrumentation"), 0u);
}

}  // namespace
}  // namespace agentstorm
