#include "checker/rules/semconv_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "checker/semconv/profile.h"
#include "checker/semconv/registry.h"
#include "semconv_test_util.h"

namespace agentstorm {
namespace {

using semconv_testing::GoodChatSpan;
using semconv_testing::Span;
using semconv_testing::SpanBuilder;
using semconv_testing::TraceOf;

semconv::SemconvModel Profile(const std::string& name) {
  auto m = semconv::LoadBundledSemconvProfile(AGENTSTORM_SOURCE_DIR, name);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : semconv::SemconvModel{};
}

std::string UpstreamDir(const std::string& sub) {
  const char* env = std::getenv("AGENTSTORM_SHARED_DIR");
  std::string shared = env && *env ? env : AGENTSTORM_SHARED_DIR;
  return shared + "/upstream/semconv/" + sub;
}

// Runs the rule over one trace made of `spans`, then Finish.
class Checked {
 public:
  Checked(semconv::SemconvModel model, const std::vector<Span>& spans)
      : rule_(std::move(model)), data_(TraceOf(spans)) {
    TraceUnderCheck trace;
    trace.trace_id = "11111111111111111111111111111111";
    trace.received = &data_;
    trace.variant = "default";
    rule_.CheckTrace(trace, &findings_);
    rule_.Finish(&findings_);
  }
  uint64_t Count(const std::string& id) const { return findings_.Count(id); }
  const Finding* First(const std::string& id) const {
    for (const FindingSummary& s : summaries_ = findings_.Summaries()) {
      if (s.id == id && !s.examples.empty()) {
        first_ = s.examples.front();
        return &first_;
      }
    }
    return nullptr;
  }
  const FindingSet& findings() const { return findings_; }
  SemconvRule& rule() { return rule_; }

 private:
  SemconvRule rule_;
  semconv_testing::TracesData data_;
  FindingSet findings_;
  mutable std::vector<FindingSummary> summaries_;
  mutable Finding first_;
};

TEST(SemconvRule, MessageContentMustFollowItsJsonSchema) {
  SpanBuilder bad = GoodChatSpan();
  bad.Str("gen_ai.input.messages", R"([{"role":"user","content":"Weather in Paris?"}])")
      .Str("gen_ai.output.messages",
           R"([{"role":"assistant","parts":[{"type":"text","content":"18C"}],)"
           R"("finish_reason":"stop"}])");
  Checked c(Profile("genai-latest"), {bad.span()});
  ASSERT_EQ(c.Count("semconv.content_schema"), 1u);
  const Finding* f = c.First("semconv.content_schema");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->level, FindingLevel::kViolation);
  EXPECT_EQ(f->attribute, "gen_ai.input.messages");
  EXPECT_NE(f->message.find("at [0]: missing required property 'parts'"), std::string::npos)
      << f->message;
  // The same content in the conventions' shape passes.
  SpanBuilder good = GoodChatSpan();
  good.Str("gen_ai.input.messages",
           R"([{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}])");
  EXPECT_EQ(Checked(Profile("genai-latest"), {good.span()}).Count("semconv.content_schema"), 0u);
}

TEST(SemconvRule, APlainTextToolResultIsAnImprovementNotAViolation) {
  SpanBuilder tool("execute_tool get_weather", Span::SPAN_KIND_INTERNAL);
  tool.Str("gen_ai.operation.name", "execute_tool")
      .Str("gen_ai.tool.name", "get_weather")
      .Str("gen_ai.tool.call.result", "18C");
  Checked c(Profile("genai-latest"), {tool.span()});
  ASSERT_EQ(c.Count("semconv.content_schema"), 1u);
  EXPECT_EQ(c.First("semconv.content_schema")->level, FindingLevel::kImprovement);
  EXPECT_NE(c.First("semconv.content_schema")->message.find("expected to be an object"),
            std::string::npos);
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 0u);
}

TEST(SemconvRule, AnErrorTypeOnASpanThatDidNotFailIsAContradiction) {
  SpanBuilder failed = GoodChatSpan();
  failed.Str("error.type", "openai.RateLimitError");
  Checked unset(Profile("genai-latest"), {failed.span()});
  ASSERT_EQ(unset.Count("semconv.contradictory_attributes"), 1u);
  const Finding* f = unset.First("semconv.contradictory_attributes");
  EXPECT_EQ(f->attribute, "error.type");
  EXPECT_NE(f->message.find("status is UNSET"), std::string::npos) << f->message;
  // With status ERROR, error.type is what the conventions ask for.
  failed.Error();
  EXPECT_EQ(
      Checked(Profile("genai-latest"), {failed.span()}).Count("semconv.contradictory_attributes"),
      0u);
}

TEST(SemconvRule, GoodChatSpanHasNoViolation) {
  Checked c(Profile("genai-latest"), {GoodChatSpan().span()});
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 0u);
  EXPECT_EQ(c.Count("semconv.required_attribute_missing"), 0u);
  EXPECT_EQ(c.Count("semconv.span_name_format"), 0u);
  auto totals = c.findings().Totals();
  EXPECT_EQ(totals["semconv"].evaluated, 1u);
  EXPECT_EQ(totals["semconv"].passed, 1u);
}

TEST(SemconvRule, RecognisesTheProviderRefinement) {
  SemconvRule rule(Profile("genai-latest"));
  const semconv::SpanType* t = rule.Classify(GoodChatSpan().span());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, "openai.inference.client");
  SpanBuilder cohere = GoodChatSpan();
  Span span = cohere.span();
  for (auto& kv : *span.mutable_attributes()) {
    if (kv.key() == "gen_ai.provider.name") kv.mutable_value()->set_string_value("cohere");
  }
  EXPECT_EQ(rule.Classify(span)->id, "gen_ai.inference.client");
}

TEST(SemconvRule, SpanWithGenAiAttributesButNoOperationNameIsReported) {
  SpanBuilder b("chat gpt-4o");
  b.Str("gen_ai.provider.name", "openai").Str("gen_ai.request.model", "gpt-4o");
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.required_attribute_missing"), 1u);
  const Finding* f = c.First("semconv.required_attribute_missing");
  EXPECT_EQ(f->attribute, "gen_ai.operation.name");
  EXPECT_EQ(f->level, FindingLevel::kViolation);
  EXPECT_EQ(f->span_name, "chat gpt-4o");
  EXPECT_EQ(f->trace_id, "11111111111111111111111111111111");
  EXPECT_EQ(f->span_id, "2222222222222222");
  EXPECT_EQ(f->variant, "default");
}

TEST(SemconvRule, MissingRequiredProviderIsReported) {
  SpanBuilder b("chat gpt-4o");
  b.Str("gen_ai.operation.name", "chat").Str("gen_ai.request.model", "gpt-4o");
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.required_attribute_missing"), 1u);
  EXPECT_EQ(c.First("semconv.required_attribute_missing")->expected, "gen_ai.provider.name");
}

TEST(SemconvRule, TokenCountSentAsStringIsATypeMismatch) {
  SpanBuilder b = GoodChatSpan();
  b.Str("gen_ai.usage.cache_read.input_tokens", "120");
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.attribute_type_mismatch"), 1u);
  const Finding* f = c.First("semconv.attribute_type_mismatch");
  EXPECT_EQ(f->attribute, "gen_ai.usage.cache_read.input_tokens");
  EXPECT_EQ(f->expected, "int");
  EXPECT_EQ(f->actual, "string \"120\"");
}

// The OpenTelemetry JS exporter sends temperature 0 and top_p 1 as intValue: the value is right.
TEST(SemconvRule, WholeNumberDoubleSentAsIntIsAnImprovementNotATypeViolation) {
  SpanBuilder b = GoodChatSpan();
  b.Int("gen_ai.request.temperature", 0).Int("gen_ai.request.top_p", 1);
  Checked c(Profile("genai-latest"), {b.span()});
  EXPECT_EQ(c.Count("semconv.attribute_type_mismatch"), 0u);
  ASSERT_EQ(c.Count("semconv.double_sent_as_int"), 2u);
  const Finding* f = c.First("semconv.double_sent_as_int");
  EXPECT_EQ(f->level, FindingLevel::kImprovement);
  EXPECT_EQ(f->expected, "double");
  EXPECT_NE(f->message.find("JavaScript SDK"), std::string::npos) << f->message;
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 0u);
  SpanBuilder s = GoodChatSpan();
  s.Str("gen_ai.request.temperature", "0.2");  // a string is still a type violation
  Checked bad(Profile("genai-latest"), {s.span()});
  EXPECT_EQ(bad.Count("semconv.attribute_type_mismatch"), 1u);
}

TEST(SemconvRule, ArrayTypesAreCheckedElementWise) {
  SpanBuilder b = GoodChatSpan();
  b.Str("gen_ai.request.stop_sequences", "END");  // string instead of string[]
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.attribute_type_mismatch"), 1u);
  EXPECT_EQ(c.First("semconv.attribute_type_mismatch")->expected, "string[]");
}

TEST(SemconvRule, GenAiSystemIsDeprecatedOnlyUnderTheLatestProfile) {
  SpanBuilder latest = GoodChatSpan();
  latest.Str("gen_ai.system", "openai");
  Checked c(Profile("genai-latest"), {latest.span()});
  ASSERT_EQ(c.Count("semconv.deprecated_attribute"), 1u);
  const Finding* f = c.First("semconv.deprecated_attribute");
  EXPECT_EQ(f->attribute, "gen_ai.system");
  EXPECT_EQ(f->expected, "gen_ai.provider.name");
  EXPECT_NE(f->message.find("use gen_ai.provider.name"), std::string::npos);

  SpanBuilder old("chat gpt-4o");
  old.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.system", "openai")
      .Str("gen_ai.request.model", "gpt-4o");
  Checked c136(Profile("genai-v1.36"), {old.span()});
  EXPECT_EQ(c136.Count("semconv.deprecated_attribute"), 0u);
  EXPECT_EQ(c136.findings().CountAtLevel(FindingLevel::kViolation), 0u);
}

TEST(SemconvRule, DeprecatedEnumValueNamesItsReplacement) {
  SpanBuilder b("chat m");
  b.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.system", "az.ai.inference")
      .Str("gen_ai.request.model", "m");
  Checked c(Profile("genai-v1.36"), {b.span()});
  ASSERT_EQ(c.Count("semconv.deprecated_attribute"), 1u);
  EXPECT_EQ(c.First("semconv.deprecated_attribute")->expected, "azure.ai.inference");
}

TEST(SemconvRule, WrongKindIsReported) {
  SpanBuilder b = GoodChatSpan();
  Span server = b.span();
  server.set_kind(Span::SPAN_KIND_SERVER);
  Checked c(Profile("genai-latest"), {server});
  ASSERT_EQ(c.Count("semconv.span_kind_mismatch"), 1u);
  EXPECT_EQ(c.First("semconv.span_kind_mismatch")->expected, "client or internal");
  EXPECT_EQ(c.First("semconv.span_kind_mismatch")->actual, "server");

  Span in_process = b.span();  // an in-process model MAY use INTERNAL
  in_process.set_kind(Span::SPAN_KIND_INTERNAL);
  Checked ok(Profile("genai-latest"), {in_process});
  EXPECT_EQ(ok.Count("semconv.span_kind_mismatch"), 0u);
}

TEST(SemconvRule, BadNameIsReportedWithTheExpectedName) {
  SpanBuilder b = GoodChatSpan();
  Span span = b.span();
  span.set_name("ChatCompletion");
  Checked c(Profile("genai-latest"), {span});
  ASSERT_EQ(c.Count("semconv.span_name_format"), 1u);
  EXPECT_EQ(c.First("semconv.span_name_format")->expected, "chat gpt-4o");
  EXPECT_EQ(c.First("semconv.span_name_format")->actual, "ChatCompletion");
}

// The expected name comes from the attributes as sent: a model name truncated on the way is the
// fidelity rule's finding, not a "wrong" span name held to the damaged value.
TEST(SemconvRule, WithALedgerTheExpectedNameComesFromWhatWasSent) {
  Span sent = GoodChatSpan().span();
  sent.set_name("chat claude-sonnet-4-5");
  for (auto& kv : *sent.mutable_attributes())
    if (kv.key() == "gen_ai.request.model")
      kv.mutable_value()->set_string_value("claude-sonnet-4-5");
  Span received = sent;
  for (auto& kv : *received.mutable_attributes())
    if (kv.key() == "gen_ai.request.model") kv.mutable_value()->set_string_value("claude-s");

  auto run = [&](bool with_ledger) {
    SemconvRule rule(Profile("genai-latest"));
    FindingSet findings;
    const auto received_data = TraceOf({received});
    SynthesizedTrace expected;
    const auto sent_data = TraceOf({sent});
    expected.resource_spans.assign(sent_data.resource_spans().begin(),
                                   sent_data.resource_spans().end());
    TraceUnderCheck trace;
    trace.trace_id = "11111111111111111111111111111111";
    trace.received = &received_data;
    trace.expected = with_ledger ? &expected : nullptr;
    rule.CheckTrace(trace, &findings);
    findings.Finish();
    std::string expected_name;
    for (const FindingSummary& f : findings.Summaries())
      if (f.id == "semconv.span_name_format" && !f.examples.empty())
        expected_name = f.examples.front().expected;
    return std::make_pair(findings.Count("semconv.span_name_format"), expected_name);
  };
  EXPECT_EQ(run(true).first, 0u);
  // Without a ledger only the received value is known: the name is held to it.
  EXPECT_EQ(run(false), std::make_pair(uint64_t{1}, std::string("chat claude-s")));
}

TEST(SemconvRule, InvokeAgentKindPicksClientOrInternalAndNameFallsBack) {
  SemconvRule rule(Profile("genai-latest"));
  SpanBuilder remote("invoke_agent planner", Span::SPAN_KIND_CLIENT);
  remote.Str("gen_ai.operation.name", "invoke_agent")
      .Str("gen_ai.provider.name", "openai")
      .Str("gen_ai.agent.name", "planner");
  EXPECT_EQ(rule.Classify(remote.span())->id, "gen_ai.invoke_agent.client");

  SpanBuilder unnamed("invoke_agent", Span::SPAN_KIND_INTERNAL);
  unnamed.Str("gen_ai.operation.name", "invoke_agent");
  EXPECT_EQ(rule.Classify(unnamed.span())->id, "gen_ai.invoke_agent.internal");
  Checked ok(Profile("genai-latest"), {unnamed.span()});
  EXPECT_EQ(ok.Count("semconv.span_name_format"), 0u);
  EXPECT_EQ(ok.findings().CountAtLevel(FindingLevel::kViolation), 0u);

  // With a name available, the bare form is no longer acceptable.
  SpanBuilder named("invoke_agent", Span::SPAN_KIND_INTERNAL);
  named.Str("gen_ai.operation.name", "invoke_agent").Str("gen_ai.agent.name", "planner");
  Checked bad(Profile("genai-latest"), {named.span()});
  ASSERT_EQ(bad.Count("semconv.span_name_format"), 1u);
  EXPECT_EQ(bad.First("semconv.span_name_format")->expected, "invoke_agent planner");
}

TEST(SemconvRule, ExecuteToolNeedsTheToolName) {
  SpanBuilder b("execute_tool", Span::SPAN_KIND_INTERNAL);
  b.Str("gen_ai.operation.name", "execute_tool");
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.required_attribute_missing"), 1u);
  EXPECT_EQ(c.First("semconv.required_attribute_missing")->attribute, "gen_ai.tool.name");

  SpanBuilder good("execute_tool web_search", Span::SPAN_KIND_INTERNAL);
  good.Str("gen_ai.operation.name", "execute_tool").Str("gen_ai.tool.name", "web_search");
  Checked ok(Profile("genai-latest"), {good.span()});
  EXPECT_EQ(ok.findings().CountAtLevel(FindingLevel::kViolation), 0u);
}

TEST(SemconvRule, ConditionsAreEvaluatedWhenTheSpanShowsThem) {
  // error.type is required on an ERROR span, and not on an OK one.
  SpanBuilder failed = GoodChatSpan();
  failed.Error();
  Checked c(Profile("genai-latest"), {failed.span(), GoodChatSpan().span()});
  const FindingSummary* cr = nullptr;
  auto summaries = c.findings().Summaries();
  for (const auto& s : summaries) {
    if (s.id == "semconv.conditionally_required_missing") cr = &s;
  }
  ASSERT_NE(cr, nullptr);
  uint64_t error_type_violations = 0;
  for (const Finding& f : cr->examples) {
    if (f.attribute == "error.type") {
      ++error_type_violations;
      EXPECT_EQ(f.level, FindingLevel::kViolation);
    }
  }
  EXPECT_EQ(error_type_violations, 1u);
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 1u);

  // server.port is required once server.address is set.
  SpanBuilder no_port("chat gpt-4o");
  no_port.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.provider.name", "cohere")
      .Str("gen_ai.request.model", "gpt-4o")
      .Str("server.address", "api.cohere.com");
  Checked p(Profile("genai-latest"), {no_port.span()});
  EXPECT_EQ(p.findings().CountAtLevel(FindingLevel::kViolation), 1u);
  ASSERT_EQ(p.Count("semconv.conditionally_required_missing"), 1u);
  EXPECT_EQ(p.First("semconv.conditionally_required_missing")->attribute, "server.port");
  EXPECT_EQ(p.First("semconv.conditionally_required_missing")->level, FindingLevel::kViolation);
}

TEST(SemconvRule, ProseConditionsAreCoverageNotPerSpanFindings) {
  // gen_ai.request.seed is required "if the request includes a seed": no span can show that,
  // so its absence is counted in a per-type coverage figure, never a finding per span.
  Checked c(Profile("genai-latest"), {GoodChatSpan().span(), GoodChatSpan().span()});
  EXPECT_EQ(c.Count("semconv.conditionally_required_missing"), 0u);
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 0u);
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kImprovement), 0u);
  ASSERT_EQ(c.Count("semconv.conditionally_required_coverage"), 1u);
  const Finding* f = c.First("semconv.conditionally_required_coverage");
  EXPECT_EQ(f->level, FindingLevel::kInformation);
  EXPECT_NE(f->message.find("openai.inference.client"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("over 2 spans"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("conditionally required"), std::string::npos) << f->message;
  auto stats = c.findings().Statistics()["semconv"];
  ASSERT_EQ(stats.count("conditionally_required_coverage.openai.inference.client"), 1u);
  const double without_seed = stats["conditionally_required_coverage.openai.inference.client"];
  EXPECT_LT(without_seed, 100.0);

  // Sending the seed raises the figure, and still no per-span finding either way.
  SpanBuilder seeded = GoodChatSpan();
  seeded.Int("gen_ai.request.seed", 42);
  Checked s(Profile("genai-latest"), {seeded.span(), seeded.span()});
  EXPECT_EQ(s.Count("semconv.conditionally_required_missing"), 0u);
  auto seeded_stats = s.findings().Statistics()["semconv"];
  EXPECT_GT(seeded_stats["conditionally_required_coverage.openai.inference.client"], without_seed);
}

// "gen_ai.request.stream: conditionally required if and only if the request is streaming; if
// unset, the request is assumed to be non-streaming": a span with a time to first chunk was
// streamed, so it must say so, and must not say the opposite.
TEST(SemconvRule, AStreamedResponseMustCarryTheStreamFlag) {
  SpanBuilder unflagged = GoodChatSpan();
  unflagged.Double("gen_ai.response.time_to_first_chunk", 0.21);
  Checked c(Profile("genai-latest"), {unflagged.span()});
  ASSERT_EQ(c.Count("semconv.conditionally_required_missing"), 1u);
  const Finding* f = c.First("semconv.conditionally_required_missing");
  EXPECT_EQ(f->attribute, "gen_ai.request.stream");
  EXPECT_NE(f->message.find("the request was streamed (gen_ai.response.time_to_first_chunk is "
                            "set"),
            std::string::npos)
      << f->message;

  SpanBuilder contradicted = unflagged;
  contradicted.Bool("gen_ai.request.stream", false);
  Checked x(Profile("genai-latest"), {contradicted.span()});
  EXPECT_EQ(x.Count("semconv.conditionally_required_missing"), 0u);
  ASSERT_EQ(x.Count("semconv.contradictory_attributes"), 1u);
  EXPECT_EQ(x.First("semconv.contradictory_attributes")->attribute, "gen_ai.request.stream");

  SpanBuilder flagged = unflagged;
  flagged.Bool("gen_ai.request.stream", true);
  Checked ok(Profile("genai-latest"), {flagged.span(), GoodChatSpan().span()});
  EXPECT_EQ(ok.findings().CountAtLevel(FindingLevel::kViolation), 0u);
}

// A recommended attribute whose condition the span shows not to hold is not missing from it:
// the time to first chunk counts on streamed requests only.
TEST(SemconvRule, CoverageCountsAnAttributeOnlyWhereItsConditionApplies) {
  auto coverage = [](const Checked& c) {
    return c.findings().Statistics()["semconv"]["recommended_coverage.openai.inference.client"];
  };
  SpanBuilder streamed = GoodChatSpan();
  streamed.Bool("gen_ai.request.stream", true);  // streamed, its first chunk not timed
  Checked unstreamed(Profile("genai-latest"), {GoodChatSpan().span(), GoodChatSpan().span()});
  Checked s(Profile("genai-latest"), {streamed.span(), GoodChatSpan().span()});
  const semconv::SpanType* t = s.rule().model().FindSpanType("openai.inference.client");
  ASSERT_NE(t, nullptr);
  double always = 0;  // recommended attributes that apply to every span here
  for (const auto& a : t->attributes)
    always += a.level == semconv::RequirementLevel::kRecommended &&
              a.condition.kind != semconv::Condition::Kind::kStreaming;
  // The same attributes present; the streamed span adds one that applies (and is absent).
  ASSERT_GT(coverage(unstreamed), 0);
  EXPECT_NEAR(coverage(unstreamed) * 2 * always, coverage(s) * (2 * always + 1), 1e-6);
  // The same with the upstream registry, whose prose the registry loader reads the same way.
  if (std::filesystem::is_directory(UpstreamDir("model/gen-ai"))) {
    auto model = semconv::LoadSemconvRegistry(UpstreamDir("model"));
    ASSERT_TRUE(model.ok()) << model.status();
    Checked r(*std::move(model), {streamed.span(), GoodChatSpan().span()});
    EXPECT_EQ(coverage(r), coverage(s));
  }
}

TEST(SemconvRule, AnUndefinedKeyInTheConventionsNamespaceIsReported) {
  SpanBuilder b = GoodChatSpan();
  b.Double("gen_ai.request.temprature", 0.2)             // misspelt
      .Int("gen_ai.usage.cache_write.input_tokens", 10)  // defined upstream later
      .Str("openai.request.sevice_tier", "auto")         // the refinement's own namespace
      .Str("app.gen_ai.note", "x")                       // not a namespace the conventions own
      .Str("gen_ai.prompt.name", "greeting");            // defined
  Checked c(Profile("genai-latest"), {b.span(), b.span()});
  ASSERT_EQ(c.Count("semconv.unknown_attribute"), 6u);
  std::map<std::string, FindingLevel> levels;
  for (const FindingSummary& s : c.findings().Summaries())
    if (s.id == "semconv.unknown_attribute")
      for (const Finding& f : s.examples) levels[f.attribute] = f.level;
  EXPECT_EQ(levels, (std::map<std::string, FindingLevel>{
                        {"gen_ai.request.temprature", FindingLevel::kViolation},
                        {"gen_ai.usage.cache_write.input_tokens", FindingLevel::kInformation},
                        {"openai.request.sevice_tier", FindingLevel::kViolation}}));
  auto stats = c.findings().Statistics()["semconv"];
  EXPECT_EQ(stats["unknown_attribute.gen_ai.request.temprature"], 2);
  EXPECT_EQ(stats.count("unknown_attribute.app.gen_ai.note"), 0u);
  const Finding* newer = nullptr;
  for (const FindingSummary& s : c.findings().Summaries())
    for (const Finding& f : s.examples)
      if (f.attribute == "gen_ai.usage.cache_write.input_tokens") newer = &f;
  ASSERT_NE(newer, nullptr);
  EXPECT_NE(newer->message.find("#440"), std::string::npos) << newer->message;

  // v1.36 defined no MCP conventions: mcp.* is not its namespace; gen_ai.* is.
  SpanBuilder old("chat gpt-4o");
  old.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.system", "openai")
      .Str("gen_ai.request.model", "gpt-4o")
      .Str("mcp.session.id", "s")
      .Str("gen_ai.request.temprature", "0.2");
  Checked v(Profile("genai-v1.36"), {old.span()});
  ASSERT_EQ(v.Count("semconv.unknown_attribute"), 1u);
  EXPECT_EQ(v.First("semconv.unknown_attribute")->attribute, "gen_ai.request.temprature");
}

// Undefined keys come from whatever was sent: their statistics stay bounded (100 keys, the rest
// counted together), however many distinct keys a hostile stream invents.
TEST(SemconvRule, UndefinedKeyStatisticsAreBounded) {
  SpanBuilder b = GoodChatSpan();
  for (int i = 0; i < 150; ++i) b.Int("gen_ai.invented_" + std::to_string(i), i);
  Checked c(Profile("genai-latest"), {b.span()});
  EXPECT_EQ(c.Count("semconv.unknown_attribute"), 150u);  // every finding is counted
  auto stats = c.findings().Statistics()["semconv"];
  size_t keys = 0;
  for (const auto& [name, value] : stats)
    if (name.rfind("unknown_attribute.", 0) == 0) ++keys;
  EXPECT_EQ(keys, 101u);
  EXPECT_EQ(stats["unknown_attribute.(other keys)"], 50);
}

TEST(SemconvRule, UnknownValueOfAnOpenEnumIsInformation) {
  SpanBuilder b = GoodChatSpan();
  b.Str("gen_ai.output.type", "hologram");
  Checked c(Profile("genai-latest"), {b.span()});
  ASSERT_EQ(c.Count("semconv.unknown_enum_value"), 1u);
  EXPECT_EQ(c.First("semconv.unknown_enum_value")->level, FindingLevel::kInformation);
  EXPECT_EQ(c.First("semconv.unknown_enum_value")->actual, "hologram");
}

// error.type is an open enum whose one member is the `_OTHER` fallback: the conventions ask for
// an exception's class name or a provider's code, so "openai.RateLimitError" (the official
// Python instrumentation's) and "429" are no finding, under either profile.
TEST(SemconvRule, ErrorTypeTakesFreeFormValues) {
  for (const char* profile : {"genai-latest", "genai-v1.36"}) {
    for (const char* value : {"openai.RateLimitError", "429", "_OTHER", "timeout"}) {
      SpanBuilder b = GoodChatSpan();
      b.Str("error.type", value);
      Checked c(Profile(profile), {b.span()});
      EXPECT_EQ(c.Count("semconv.unknown_enum_value"), 0u) << profile << " " << value;
    }
  }
}

TEST(SemconvRule, UnknownValueOfAClosedEnumIsAViolation) {
  auto model = semconv::ParseSemconvProfile(R"(
attributes:
  gen_ai.operation.name: {type: string, enum: [chat]}
  gen_ai.output.type: {type: string, enum: [text, json], closed: true}
span_types:
  - id: chat
    operations: [chat]
    kind: client
    required: [gen_ai.operation.name]
    recommended: [gen_ai.output.type]
)",
                                            "closed");
  ASSERT_TRUE(model.ok()) << model.status();
  SpanBuilder b("chat");
  b.Str("gen_ai.operation.name", "chat").Str("gen_ai.output.type", "xml");
  Checked c(*model, {b.span()});
  ASSERT_EQ(c.Count("semconv.unknown_enum_value"), 1u);
  EXPECT_EQ(c.First("semconv.unknown_enum_value")->level, FindingLevel::kViolation);
  EXPECT_EQ(c.First("semconv.unknown_enum_value")->expected, "text|json");
}

TEST(SemconvRule, AttributesAndValuesRemovedWithoutAReplacementSaySo) {
  auto model = semconv::ParseSemconvProfile(R"(
attributes:
  gen_ai.operation.name: {type: string, enum: [chat]}
  gen_ai.output.type:
    type: string
    enum: [text]
    deprecated_values: {speech: ~}
  gen_ai.openai.request.seed: {type: int, deprecated: {note: "gone in v1.30"}}
span_types:
  - id: chat
    operations: [chat]
    kind: client
    required: [gen_ai.operation.name]
)",
                                            "removed");
  ASSERT_TRUE(model.ok()) << model.status();
  SpanBuilder b("chat");
  b.Str("gen_ai.operation.name", "chat")
      .Int("gen_ai.openai.request.seed", 7)
      .Str("gen_ai.output.type", "speech");
  Checked c(*model, {b.span()});
  ASSERT_EQ(c.Count("semconv.deprecated_attribute"), 2u);
  auto summaries = c.findings().Summaries();
  std::map<std::string, Finding> by_attribute;
  for (const auto& s : summaries) {
    for (const Finding& f : s.examples) by_attribute[f.attribute] = f;
  }
  const Finding& attribute = by_attribute["gen_ai.openai.request.seed"];
  EXPECT_EQ(attribute.message,
            "gen_ai.openai.request.seed is deprecated and has no replacement (gone in v1.30)");
  EXPECT_EQ(attribute.expected, "(attribute removed)");
  const Finding& value = by_attribute["gen_ai.output.type"];
  EXPECT_EQ(value.message, "gen_ai.output.type value \"speech\" is deprecated");
  EXPECT_EQ(value.actual, "speech");
  EXPECT_EQ(c.findings().Totals()["semconv"].failed(), 1u);
}

TEST(SemconvRule, ATemplateAttributeIsPresentThroughAnyOfItsKeys) {
  auto model = semconv::ParseSemconvProfile(R"(
attributes:
  gen_ai.operation.name: {type: string, enum: [chat]}
  gen_ai.request.header: template[string[]]
span_types:
  - id: chat
    operations: [chat]
    kind: client
    required: [gen_ai.operation.name, gen_ai.request.header]
)",
                                            "template");
  ASSERT_TRUE(model.ok()) << model.status();
  SpanBuilder with("chat");
  with.Str("gen_ai.operation.name", "chat").Strings("gen_ai.request.header.x-request-id", {"1"});
  EXPECT_EQ(Checked(*model, {with.span()}).Count("semconv.required_attribute_missing"), 0u);
  SpanBuilder prefix_only("chat");  // "gen_ai.request.headers" is another attribute
  prefix_only.Str("gen_ai.operation.name", "chat").Strings("gen_ai.request.headers", {"1"});
  Checked without(*model, {prefix_only.span()});
  ASSERT_EQ(without.Count("semconv.required_attribute_missing"), 1u);
  EXPECT_EQ(without.First("semconv.required_attribute_missing")->attribute,
            "gen_ai.request.header");
}

TEST(SemconvRule, AFindingOnASpanWithoutATraceIdTakesTheTracesId) {
  Span span = GoodChatSpan().span();
  span.clear_trace_id();
  span.set_name("ChatCompletion");
  Checked c(Profile("genai-latest"), {span});
  ASSERT_EQ(c.Count("semconv.span_name_format"), 1u);
  EXPECT_EQ(c.First("semconv.span_name_format")->trace_id, "11111111111111111111111111111111");
}

TEST(SemconvRule, CoverageAddsUpOverEveryTraceChecked) {
  SemconvRule rule(Profile("genai-latest"));
  semconv_testing::TracesData one = TraceOf({GoodChatSpan().span()});
  semconv_testing::TracesData two = TraceOf({GoodChatSpan().span(), GoodChatSpan().span()});
  FindingSet findings;
  for (const auto* data : {&one, &two}) {
    TraceUnderCheck trace;
    trace.trace_id = "11111111111111111111111111111111";
    trace.received = data;
    rule.CheckTrace(trace, &findings);
  }
  rule.Finish(&findings);
  EXPECT_EQ(findings.Statistics()["semconv"]["spans.openai.inference.client"], 3);
  EXPECT_EQ(findings.Count("semconv.recommended_coverage"), 1u);  // one per type, not per trace
  EXPECT_EQ(findings.Totals()["semconv"].evaluated, 3u);
}

TEST(SemconvRule, RecommendedCoverageIsAStatisticPerSpanType) {
  SpanBuilder sparse("chat m");
  sparse.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.provider.name", "cohere")
      .Str("gen_ai.request.model", "m");
  SpanBuilder rich = sparse;
  rich.Str("server.address", "api.cohere.com").Int("server.port", 443);
  Checked c(Profile("genai-latest"), {sparse.span(), rich.span()});
  auto stats = c.findings().Statistics()["semconv"];
  ASSERT_TRUE(stats.count("recommended_coverage.gen_ai.inference.client"));
  double pct = stats["recommended_coverage.gen_ai.inference.client"];
  // One recommended attribute (server.address) present in one of two spans; the time to first
  // chunk, recommended only for a streamed request, counts on neither (neither streamed).
  const semconv::SpanType* t = c.rule().model().FindSpanType("gen_ai.inference.client");
  size_t recommended = 0, streaming_only = 0;
  for (const auto& a : t->attributes) {
    if (a.level != semconv::RequirementLevel::kRecommended) continue;
    ++recommended;
    streaming_only += a.condition.kind == semconv::Condition::Kind::kStreaming;
  }
  EXPECT_EQ(streaming_only, 1u);
  EXPECT_NEAR(pct, 100.0 / (2 * (recommended - streaming_only)), 1e-9);
  EXPECT_EQ(stats["spans.gen_ai.inference.client"], 2);
  ASSERT_EQ(c.Count("semconv.recommended_coverage"), 1u);
  EXPECT_EQ(c.First("semconv.recommended_coverage")->level, FindingLevel::kInformation);
}

TEST(SemconvRule, McpToolCallIsCheckedAsAnMcpSpan) {
  SemconvRule rule(Profile("genai-latest"));
  SpanBuilder call("tools/call get_weather", Span::SPAN_KIND_CLIENT);
  call.Str("mcp.method.name", "tools/call")
      .Str("gen_ai.operation.name", "execute_tool")
      .Str("gen_ai.tool.name", "get_weather");
  EXPECT_EQ(rule.Classify(call.span())->id, "mcp.client");
  Checked ok(Profile("genai-latest"), {call.span()});
  EXPECT_EQ(ok.Count("semconv.span_name_format"), 0u);
  EXPECT_EQ(ok.Count("semconv.span_kind_mismatch"), 0u);

  SpanBuilder list("tools/list", Span::SPAN_KIND_SERVER);
  list.Str("mcp.method.name", "tools/list");
  EXPECT_EQ(rule.Classify(list.span())->id, "mcp.server");
  Checked ok2(Profile("genai-latest"), {list.span()});
  EXPECT_EQ(ok2.Count("semconv.span_name_format"), 0u);

  SpanBuilder wrong("mcp request", Span::SPAN_KIND_CLIENT);
  wrong.Str("mcp.method.name", "tools/list");
  Checked bad(Profile("genai-latest"), {wrong.span()});
  EXPECT_EQ(bad.Count("semconv.span_name_format"), 1u);
}

TEST(SemconvRule, NonGenAiSpansAreNotEvaluated) {
  SpanBuilder http("GET /v1/chat", Span::SPAN_KIND_SERVER);
  http.Str("http.request.method", "GET");
  Checked c(Profile("genai-latest"), {http.span()});
  EXPECT_TRUE(c.findings().Summaries().empty());
  EXPECT_EQ(c.findings().Totals()["semconv"].evaluated, 0u);
}

TEST(SemconvRule, WorksOnTheUpstreamGenAiModel) {
  if (!std::filesystem::is_directory(UpstreamDir("model/gen-ai"))) {
    GTEST_SKIP() << "upstream semconv not available (set AGENTSTORM_SHARED_DIR)";
  }
  auto model = semconv::LoadSemconvRegistry(UpstreamDir("model"));
  ASSERT_TRUE(model.ok()) << model.status();
  Checked c(*model, {GoodChatSpan().span()});
  EXPECT_EQ(c.findings().CountAtLevel(FindingLevel::kViolation), 0u);
  SpanBuilder b = GoodChatSpan();
  b.Str("gen_ai.usage.output_tokens", "42");
  Checked bad(*std::move(model), {b.span()});
  EXPECT_EQ(bad.Count("semconv.attribute_type_mismatch"), 1u);
}

TEST(SemconvRule, GenAiSystemIsDeprecatedUnderCoreV1_41_1) {
  if (!std::filesystem::is_directory(UpstreamDir("core-semconv-v1.41.1"))) {
    GTEST_SKIP() << "upstream semconv not available (set AGENTSTORM_SHARED_DIR)";
  }
  auto model = semconv::LoadSemconvRegistry(UpstreamDir("core-semconv-v1.41.1"));
  ASSERT_TRUE(model.ok()) << model.status();
  SpanBuilder b = GoodChatSpan();
  b.Str("gen_ai.system", "openai");
  Checked c(*std::move(model), {b.span()});
  ASSERT_EQ(c.Count("semconv.deprecated_attribute"), 1u);
  EXPECT_EQ(c.First("semconv.deprecated_attribute")->expected, "gen_ai.provider.name");
}

// The rule recognises a span through tables built once per model (SpanTypeTable): the same type
// as a walk over the model's span types (SemconvModel::CandidatesFor, then the first candidate
// whose kinds allow the span's, then SemconvModel::RefinementFor) for every value a type matches
// on, a value none does, every kind and every provider a refinement names, in every profile.
const semconv::SpanType* ClassifyByWalk(const semconv::SemconvModel& model, const Span& span) {
  auto value_of = [&](const std::string& key) -> std::optional<std::string> {
    for (const auto& kv : span.attributes())
      if (kv.key() == key) return kv.value().string_value();
    return std::nullopt;
  };
  std::vector<const semconv::SpanType*> candidates;
  for (const std::string& key : model.MatchAttributes()) {
    if (std::optional<std::string> v = value_of(key)) {
      for (const semconv::SpanType* t : model.CandidatesFor(key, *v)) candidates.push_back(t);
    }
  }
  if (candidates.empty()) return nullptr;
  const int kind = span.kind() == 0 ? 1 : span.kind();
  const semconv::SpanType* chosen = candidates.front();
  for (const semconv::SpanType* t : candidates) {
    if (t->kinds.empty() || std::any_of(t->kinds.begin(), t->kinds.end(),
                                        [&](auto k) { return static_cast<int>(k) == kind; })) {
      chosen = t;
      break;
    }
  }
  for (const char* provider_key : {"gen_ai.provider.name", "gen_ai.system"}) {
    if (std::optional<std::string> p = value_of(provider_key)) {
      if (const semconv::SpanType* r = model.RefinementFor(chosen->id, *p)) return r;
    }
  }
  return chosen;
}

void ExpectTablesClassifyAsTheModel(const semconv::SemconvModel& model) {
  const SemconvRule rule(model);
  std::vector<std::pair<std::string, std::string>> matches;  // attribute, value
  std::vector<std::string> providers = {"", "no-such-provider"};
  for (const semconv::SpanType& t : model.span_types) {
    for (const std::string& v : t.match_values) matches.emplace_back(t.match_attribute, v);
    if (!t.match_attribute.empty()) matches.emplace_back(t.match_attribute, "no-such-value");
    if (!t.provider.empty()) providers.push_back(t.provider);
  }
  int compared = 0, refined = 0;
  for (const auto& [key, value] : matches) {
    for (int kind = 0; kind <= 5; ++kind) {
      for (const std::string& provider : providers) {
        for (const char* provider_key : {"gen_ai.provider.name", "gen_ai.system"}) {
          SpanBuilder b("span", static_cast<Span::SpanKind>(kind));
          b.Str(key, value);
          if (!provider.empty()) b.Str(provider_key, provider);
          const Span span = b.span();
          const semconv::SpanType* want = ClassifyByWalk(rule.model(), span);
          const semconv::SpanType* got = rule.Classify(span);
          EXPECT_EQ(got, want) << key << "=" << value << " kind " << kind << " " << provider_key
                               << "=" << provider << ": " << (got ? got->id : "(none)")
                               << " instead of " << (want ? want->id : "(none)");
          ++compared;
          refined += want != nullptr && !want->refines.empty();
        }
      }
    }
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(refined, 0);  // the provider refinements were reached
}

TEST(SemconvRule, RecognisesSpanTypesAsAWalkOverTheModelWould) {
  for (const char* name : {"genai-latest", "genai-v1.36"}) {
    SCOPED_TRACE(name);
    ExpectTablesClassifyAsTheModel(Profile(name));
  }
  if (!std::filesystem::is_directory(UpstreamDir("model/gen-ai"))) {
    GTEST_SKIP() << "no upstream registry at " << UpstreamDir("model")
                 << " (AGENTSTORM_SHARED_DIR): checked against the bundled profiles only";
  }
  auto model = semconv::LoadSemconvRegistry(UpstreamDir("model"));
  ASSERT_TRUE(model.ok()) << model.status();
  ExpectTablesClassifyAsTheModel(*model);
}

}  // namespace
}  // namespace agentstorm
