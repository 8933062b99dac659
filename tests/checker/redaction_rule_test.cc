#include "checker/rules/redaction_rule.h"

#include <gtest/gtest.h>

#include "semconv_test_util.h"

namespace agentstorm {
namespace {

using semconv_testing::GoodChatSpan;
using semconv_testing::Span;
using semconv_testing::SpanBuilder;
using semconv_testing::TraceOf;

FindingSet* RunRedaction(const std::vector<Span>& spans, FindingSet* findings) {
  semconv_testing::TracesData data = TraceOf(spans);
  TraceUnderCheck trace;
  trace.trace_id = "11111111111111111111111111111111";
  trace.received = &data;
  RedactionRule rule;
  rule.CheckTrace(trace, findings);
  rule.Finish(findings);
  return findings;
}

TEST(RedactionRule, CleanSpansPass) {
  FindingSet findings;
  RunRedaction({GoodChatSpan().span()}, &findings);
  EXPECT_EQ(findings.Count("redaction.content_present"), 0u);
  EXPECT_EQ(findings.Totals()["redaction"].passed, 1u);
}

TEST(RedactionRule, ContentAttributesOnSpansAreViolations) {
  SpanBuilder chat = GoodChatSpan();
  chat.Str("gen_ai.input.messages", R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])")
      .Str("gen_ai.system_instructions", "be brief");
  SpanBuilder tool("execute_tool search", Span::SPAN_KIND_INTERNAL);
  tool.Str("gen_ai.tool.call.arguments", "{\"q\":\"secret\"}");
  FindingSet findings;
  RunRedaction({chat.span(), tool.span()}, &findings);
  EXPECT_EQ(findings.Count("redaction.content_present"), 3u);
  auto s = findings.Summaries();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].level, FindingLevel::kViolation);
  EXPECT_EQ(s[0].examples[0].actual, "gen_ai.input.messages");
  // The content itself never reaches the report.
  for (const Finding& f : s[0].examples) EXPECT_EQ(f.message.find("secret"), std::string::npos);
  EXPECT_EQ(findings.Totals()["redaction"].failed(), 2u);
}

TEST(RedactionRule, ContentEventsAndEventAttributesAreViolations) {
  SpanBuilder chat = GoodChatSpan();
  chat.Event("gen_ai.content.prompt", "gen_ai.prompt", "hello")
      .Event("gen_ai.user.message")
      .Event("gen_ai.client.inference.operation.details", "gen_ai.output.messages", "[]")
      .Event("exception", "exception.type", "Timeout");
  FindingSet findings;
  RunRedaction({chat.span()}, &findings);
  EXPECT_EQ(findings.Count("redaction.content_present"), 3u);
}

}  // namespace
}  // namespace agentstorm
