#include "checker/rules/redaction_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "semconv_test_util.h"

namespace agentstorm {
namespace {

using semconv_testing::GoodChatSpan;
using semconv_testing::Span;
using semconv_testing::SpanBuilder;
using semconv_testing::TraceOf;

FindingSet* RunRedaction(const std::vector<Span>& spans, FindingSet* findings,
                         RedactionRuleOptions options = {}) {
  semconv_testing::TracesData data = TraceOf(spans);
  TraceUnderCheck trace;
  trace.trace_id = "11111111111111111111111111111111";
  trace.received = &data;
  RedactionRule rule(std::move(options));
  rule.CheckTrace(trace, findings);
  rule.Finish(findings);
  return findings;
}

// The check config's redaction section: keys with wildcards, and patterns looked for in every
// string value (span and event attributes, string arrays), the value never copied.
TEST(RedactionRule, ConfiguredKeysAndPatterns) {
  RedactionRuleOptions options;
  options.content_attributes.clear();
  options.content_prefixes.clear();
  options.content_events.clear();
  options.keys = {"customer.*"};
  options.patterns = {"[a-z.]+@example\\.com", "sk-[A-Za-z0-9]{20,}"};
  SpanBuilder chat = GoodChatSpan();
  chat.Str("customer.id", "c-42")
      .Str("app.note", "mail ann@example.com today")
      .Strings("app.tags", {"x", "key sk-abcdefghijklmnopqrstuv"})
      .Str("gen_ai.input.messages", "no secret here")  // not listed: content is not looked for
      .Event("log", "detail", "from bob@example.com");
  SpanBuilder clean = GoodChatSpan();
  clean.Str("app.note", "mail ann at example dot com");
  FindingSet findings;
  RunRedaction({chat.span(), clean.span()}, &findings, options);
  EXPECT_EQ(findings.Count("redaction.content_present"), 1u);
  ASSERT_EQ(findings.Count("redaction.pattern_matched"), 3u);
  std::vector<std::string> keys;
  for (const FindingSummary& s : findings.Summaries()) {
    for (const Finding& f : s.examples) {
      if (s.id == "redaction.content_present") EXPECT_EQ(f.attribute, "customer.id");
      if (s.id != "redaction.pattern_matched") continue;
      keys.push_back(f.attribute);
      for (const std::string& secret : {"ann@", "bob@", "sk-abc"}) {
        EXPECT_EQ(f.message.find(secret), std::string::npos) << f.message;
        EXPECT_EQ(f.actual.find(secret), std::string::npos) << f.actual;
      }
    }
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"app.note", "app.tags", "detail"}));
  EXPECT_EQ(findings.Totals()["redaction"].evaluated, 2u);
  EXPECT_EQ(findings.Totals()["redaction"].passed, 1u);
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

TEST(RedactionRule, AFindingNamesTheSpanAndTheKeyButNeverTheValue) {
  SpanBuilder tool("execute_tool search", Span::SPAN_KIND_INTERNAL);
  tool.Str("gen_ai.tool.call.result", "card 4111 1111 1111 1111");
  semconv_testing::TracesData data = TraceOf({tool.span()});
  TraceUnderCheck trace;
  trace.trace_id = "abababababababababababababababab";  // the span's own ID wins
  trace.received = &data;
  trace.variant = "pii";
  RedactionRule rule;
  FindingSet findings;
  rule.CheckTrace(trace, &findings);
  ASSERT_EQ(findings.Count("redaction.content_present"), 1u);
  const Finding f = findings.Summaries()[0].examples[0];
  EXPECT_EQ(f.trace_id, "11111111111111111111111111111111");
  EXPECT_EQ(f.span_id, "2222222222222222");
  EXPECT_EQ(f.span_name, "execute_tool search");
  EXPECT_EQ(f.attribute, "gen_ai.tool.call.result");
  EXPECT_EQ(f.expected, "absent");
  EXPECT_EQ(f.variant, "pii");
  EXPECT_EQ(f.message,
            "content must be stripped, but span attribute gen_ai.tool.call.result reached the "
            "backend");
  for (const std::string& field : {f.message, f.expected, f.actual, f.attribute}) {
    EXPECT_EQ(field.find("4111"), std::string::npos) << field;
  }
}

TEST(RedactionRule, ASpanWithoutATraceIdIsReportedUnderTheTrace) {
  SpanBuilder with_content = GoodChatSpan();
  with_content.Str("gen_ai.output.messages", "[]");
  Span span = with_content.span();
  span.clear_trace_id();
  semconv_testing::TracesData data = TraceOf({span});
  TraceUnderCheck trace;
  trace.trace_id = "abababababababababababababababab";
  trace.received = &data;
  RedactionRule rule;
  FindingSet findings;
  rule.CheckTrace(trace, &findings);
  ASSERT_EQ(findings.Count("redaction.content_present"), 1u);
  EXPECT_EQ(findings.Summaries()[0].examples[0].trace_id, trace.trace_id);
}

TEST(RedactionRule, AContentEventIsOneFindingWhateverItCarries) {
  SpanBuilder chat = GoodChatSpan();
  chat.Event("gen_ai.choice", "gen_ai.completion", "the answer");
  FindingSet findings;
  RunRedaction({chat.span()}, &findings);
  ASSERT_EQ(findings.Count("redaction.content_present"), 1u);
  const Finding f = findings.Summaries()[0].examples[0];
  EXPECT_EQ(f.actual, "gen_ai.choice");
  EXPECT_EQ(f.message,
            "content must be stripped, but content event gen_ai.choice reached the backend");
}

TEST(RedactionRule, TheConfiguredKeysReplaceTheDefaults) {
  RedactionRuleOptions options;
  options.content_attributes = {"user.email"};
  options.content_events = {"audit.record"};
  SpanBuilder chat = GoodChatSpan();
  chat.Str("user.email", "a@example.com")
      .Str("gen_ai.input.messages", "[]")  // not listed any more
      .Event("audit.record")
      .Event("gen_ai.user.message")
      .Event("exception", "user.email", "a@example.com");
  semconv_testing::TracesData data = TraceOf({chat.span()});
  TraceUnderCheck trace;
  trace.trace_id = "11111111111111111111111111111111";
  trace.received = &data;
  RedactionRule rule(options);
  FindingSet findings;
  rule.CheckTrace(trace, &findings);
  EXPECT_EQ(findings.Count("redaction.content_present"), 3u);
  const auto summaries = findings.Summaries();  // by value: keep it alive for the loop
  ASSERT_FALSE(summaries.empty());
  std::vector<std::string> actual;
  for (const Finding& f : summaries[0].examples) actual.push_back(f.actual);
  EXPECT_EQ(actual, (std::vector<std::string>{"user.email", "audit.record", "user.email"}));
}

// Prompts and answers under the other conventions an LLM span may follow: OpenInference,
// OpenLLMetry's indexed attributes, the Vercel AI SDK. These reached the backend unreported. An
// indexed message list is one finding per span (not one per field of every message), and the
// registry's gen_ai.prompt.name (a name, not content) is none.
TEST(RedactionRule, ContentUnderOtherConventionsIsFound) {
  SpanBuilder oi("ChatCompletion", Span::SPAN_KIND_INTERNAL);
  oi.Str("openinference.span.kind", "LLM")
      .Str("llm.model_name", "gpt-4o")
      .Str("input.value", "{\"messages\": [\"secret\"]}")
      .Str("llm.input_messages.0.message.role", "user")
      .Str("llm.input_messages.0.message.content", "secret")
      .Str("llm.input_messages.1.message.content", "secret too");
  SpanBuilder ll("openai.chat");
  ll.Str("llm.request.type", "chat")
      .Str("gen_ai.prompt.0.role", "user")
      .Str("gen_ai.prompt.0.content", "secret")
      .Str("gen_ai.completion.0.content", "answer")
      .Str("gen_ai.prompt.name", "greeting");  // a registry attribute, not content
  SpanBuilder ai("ai.generateText");
  ai.Str("ai.prompt.messages", "[]").Str("ai.response.text", "answer").Str("ai.model.id", "m");
  std::vector<std::string> actual;
  for (const Span& span : {oi.span(), ll.span(), ai.span()}) {
    FindingSet findings;
    RunRedaction({span}, &findings);
    for (const FindingSummary& s : findings.Summaries())
      for (const Finding& f : s.examples) actual.push_back(f.actual);
  }
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, (std::vector<std::string>{"ai.prompt.messages", "ai.response.text",
                                              "gen_ai.completion.0.content", "gen_ai.prompt.0.role",
                                              "input.value", "llm.input_messages.0.message.role"}));
}

TEST(RedactionRule, EverySpanOfEveryResourceAndScopeIsChecked) {
  SpanBuilder leaky = GoodChatSpan();
  leaky.Str("gen_ai.system_instructions", "be brief");
  semconv_testing::TracesData data;
  auto* first = data.add_resource_spans();
  *first->add_scope_spans()->add_spans() = GoodChatSpan().span();
  *first->add_scope_spans()->add_spans() = leaky.span();
  *data.add_resource_spans()->add_scope_spans()->add_spans() = leaky.span();
  TraceUnderCheck trace;
  trace.trace_id = "11111111111111111111111111111111";
  trace.received = &data;
  RedactionRule rule;
  FindingSet findings;
  rule.CheckTrace(trace, &findings);
  EXPECT_EQ(findings.Count("redaction.content_present"), 2u);
  EXPECT_EQ(findings.Totals()["redaction"].evaluated, 3u);
  EXPECT_EQ(findings.Totals()["redaction"].passed, 1u);
}

}  // namespace
}  // namespace agentstorm
