#include "checker/rules/fidelity_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "trace_test_util.h"

namespace agentstorm {
namespace {

using trace_testing::AddAttribute;
using trace_testing::Live;
using trace_testing::MakeSpan;
using trace_testing::Received;
using trace_testing::RuleRun;
using trace_testing::Sent;
using trace_testing::Service;
using trace_testing::SetInt;
using trace_testing::SetString;
using trace_testing::Span;
using trace_testing::SpanHex;
using trace_testing::Status;
using trace_testing::TraceCase;
using trace_testing::WithLedger;

// invoke_agent (1) -> chat (2) with attributes, an event and a link; execute_tool (3).
std::vector<Span> Sent3() {
  Span root = MakeSpan(1, 0, "invoke_agent planner", 0, 10'000, Span::SPAN_KIND_CLIENT);
  SetString(&root, "gen_ai.operation.name", "invoke_agent");
  Span chat = MakeSpan(2, 1, "chat gpt-4o", 1'000, 5'000, Span::SPAN_KIND_CLIENT);
  SetString(&chat, "gen_ai.operation.name", "chat");
  SetString(&chat, "gen_ai.input.messages", "[{\"role\":\"user\"}]");
  SetInt(&chat, "gen_ai.usage.input_tokens", 120);
  auto* reasons = AddAttribute(chat.mutable_attributes(), "gen_ai.response.finish_reasons")
                      ->mutable_array_value();
  reasons->add_values()->set_string_value("stop");
  reasons->add_values()->set_string_value("length");
  auto* event = chat.add_events();
  event->set_name("gen_ai.client.inference.operation.details");
  event->set_time_unix_nano(trace_testing::kT0 + 4'000);
  AddAttribute(event->mutable_attributes(), "gen_ai.output.messages")->set_string_value("[]");
  auto* link = chat.add_links();
  link->set_trace_id(trace_testing::TraceIdBytes('\x05'));
  link->set_span_id(trace_testing::SpanIdBytes(7));
  AddAttribute(link->mutable_attributes(), "link.kind")->set_string_value("follows");
  Span tool = MakeSpan(3, 1, "execute_tool search", 6'000, 9'000);
  tool.mutable_status()->set_code(Status::STATUS_CODE_ERROR);
  tool.mutable_status()->set_message("timeout");
  return {root, chat, tool};
}

RuleRun Check(const std::vector<TraceCase>& traces, FidelityRuleOptions options = {}) {
  FidelityRule rule(std::move(options));
  return RuleRun(rule, traces);
}

// The one finding of a trace that arrived as `got` instead of Sent3().
Finding OnlyFinding(const std::vector<Span>& got, const std::string& id) {
  RuleRun run = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{id});
  return run.Only(id);
}

google::protobuf::RepeatedPtrField<trace_testing::KeyValue>* Attrs(Span* span) {
  return span->mutable_attributes();
}
trace_testing::AnyValue* Value(Span* span, const std::string& key) {
  for (auto& kv : *Attrs(span)) {
    if (kv.key() == key) return kv.mutable_value();
  }
  ADD_FAILURE() << "no attribute " << key;
  return AddAttribute(Attrs(span), key);
}
void Remove(Span* span, const std::string& key) {
  auto* attrs = Attrs(span);
  for (int i = 0; i < attrs->size(); ++i) {
    if (attrs->Get(i).key() == key) {
      attrs->DeleteSubrange(i, 1);
      return;
    }
  }
  ADD_FAILURE() << "no attribute " << key;
}

TEST(FidelityRule, ATraceThatArrivedAsSentPasses) {
  RuleRun run = Check({WithLedger(Sent3(), Sent3())});
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(run.Totals("fidelity").evaluated, 3u);
  EXPECT_EQ(run.Totals("fidelity").passed, 3u);
}

TEST(FidelityRule, WithoutALedgerOnlyWhatOtlpRequiresOfEverySpan) {
  std::vector<Span> got = Sent3();
  got.pop_back();  // nothing says it was sent: not missing
  RuleRun run = Check({Live(got), Live({})});
  EXPECT_TRUE(run.Ids().empty());
  EXPECT_EQ(run.Totals("fidelity").evaluated, 2u);
  EXPECT_EQ(run.Totals("fidelity").passed, 2u);

  // A user's own span with one key twice (`check --service`): OTLP requires unique keys.
  SetString(&got[1], "gen_ai.request.model", "gpt-4o");
  SetString(&got[1], "gen_ai.request.model", "gpt-4o-mini");
  RuleRun dup = Check({Live(got)});
  EXPECT_EQ(dup.Ids(), std::vector<std::string>{"fidelity.duplicate_attribute_key"});
  const Finding f = dup.Only("fidelity.duplicate_attribute_key");
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_EQ(f.attribute, "gen_ai.request.model");
  EXPECT_EQ(f.span_id, SpanHex(2));
  EXPECT_EQ(f.actual, "string \"gpt-4o\", string \"gpt-4o-mini\"");
  EXPECT_EQ(dup.Totals("fidelity").passed, 1u);
}

TEST(FidelityRule, AnAcknowledgedTraceTheBackendLacksWasLost) {
  RuleRun run = Check({WithLedger(Sent3(), {})});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.trace_missing"});
  const Finding f = run.Only("fidelity.trace_missing");
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_EQ(f.trace_id, trace_testing::TraceHex());
  EXPECT_EQ(f.expected, "3 spans");
  EXPECT_EQ(f.actual, "absent");
  EXPECT_EQ(run.Totals("fidelity").evaluated, 3u);
  EXPECT_EQ(run.Totals("fidelity").passed, 0u);
}

TEST(FidelityRule, AnUnacknowledgedTraceThatIsAbsentIsInformation) {
  TraceCase t = WithLedger(Sent3(), {});
  t.acknowledged = false;
  RuleRun run = Check({t});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.trace_never_acknowledged"});
  EXPECT_EQ(run.Only("fidelity.trace_never_acknowledged").level, FindingLevel::kInformation);
  EXPECT_FALSE(run.findings().HasViolations());
}

TEST(FidelityRule, WhenTracesMayBeDroppedAbsenceIsTheSamplingRulesCall) {
  FidelityRuleOptions sampled;
  sampled.traces_may_be_dropped = true;
  std::vector<Span> partial = Sent3();
  partial.pop_back();
  RuleRun run = Check({WithLedger(Sent3(), {}), WithLedger(Sent3(), partial)}, sampled);
  EXPECT_TRUE(run.Ids().empty());
  // The absent trace is not evaluated; the partial one's two spans that arrived are.
  EXPECT_EQ(run.Totals("fidelity").evaluated, 3u);
  EXPECT_EQ(run.Totals("fidelity").passed, 2u);
}

TEST(FidelityRule, AnAcknowledgedSpanThatIsAbsentWasLost) {
  std::vector<Span> got = Sent3();
  got.erase(got.begin() + 2);
  const Finding f = OnlyFinding(got, "fidelity.span_missing");
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_EQ(f.span_id, SpanHex(3));
  EXPECT_EQ(f.span_name, "execute_tool search");
  EXPECT_EQ(f.variant, "default");

  TraceCase unacknowledged = WithLedger(Sent3(), got);
  unacknowledged.acknowledged = false;
  RuleRun run = Check({unacknowledged});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.span_never_acknowledged"});
  EXPECT_EQ(run.Only("fidelity.span_never_acknowledged").level, FindingLevel::kInformation);
  EXPECT_EQ(run.Totals("fidelity").failed(), 1u);
}

TEST(FidelityRule, ReportsASpanThatArrivedTwice) {
  std::vector<Span> got = Sent3();
  got.push_back(got[1]);
  const Finding f = OnlyFinding(got, "fidelity.duplicate_span");
  EXPECT_EQ(f.span_id, SpanHex(2));
  EXPECT_EQ(f.expected, "1");
  EXPECT_EQ(f.actual, "2");
}

TEST(FidelityRule, ReportsAChangedNameStatusAndTime) {
  std::vector<Span> renamed = Sent3();
  renamed[1].set_name("ChatCompletion");
  const Finding name = OnlyFinding(renamed, "fidelity.name_changed");
  EXPECT_EQ(name.expected, "chat gpt-4o");
  EXPECT_EQ(name.actual, "ChatCompletion");

  std::vector<Span> status = Sent3();
  status[2].mutable_status()->set_code(Status::STATUS_CODE_OK);
  const Finding s = OnlyFinding(status, "fidelity.status_changed");
  EXPECT_EQ(s.expected, "ERROR timeout");
  EXPECT_EQ(s.actual, "OK timeout");
  std::vector<Span> message = Sent3();
  message[2].mutable_status()->set_message("");
  EXPECT_EQ(OnlyFinding(message, "fidelity.status_changed").actual, "ERROR ");

  std::vector<Span> moved = Sent3();
  moved[2].set_end_time_unix_nano(moved[2].end_time_unix_nano() + 1'001);
  const Finding t = OnlyFinding(moved, "fidelity.time_changed");
  EXPECT_EQ(t.span_id, SpanHex(3));
  std::vector<Span> early = Sent3();
  early[2].set_start_time_unix_nano(early[2].start_time_unix_nano() - 2'000);
  OnlyFinding(early, "fidelity.time_changed");
}

TEST(FidelityRule, TimesWithinAMicrosecondAreTheSame) {
  std::vector<Span> rounded = Sent3();
  rounded[1].set_start_time_unix_nano(rounded[1].start_time_unix_nano() + 1'000);
  rounded[1].set_end_time_unix_nano(rounded[1].end_time_unix_nano() - 999);
  EXPECT_TRUE(Check({WithLedger(Sent3(), rounded)}).Ids().empty());
}

// Jaeger's legacy API gives whole microseconds for the start and the duration, so the end can be
// off by almost 2 us: the tolerance follows the reader's resolution (BuildCheckRules), and is
// still a bound.
TEST(FidelityRule, TimesWithinTwiceACoarseReadersResolutionAreTheSame) {
  std::vector<Span> cut = Sent3();
  cut[1].set_start_time_unix_nano(cut[1].start_time_unix_nano() - 999);
  cut[1].set_end_time_unix_nano(cut[1].end_time_unix_nano() - 1'998);
  EXPECT_EQ(Check({WithLedger(Sent3(), cut)}).Ids(),
            std::vector<std::string>{"fidelity.time_changed"});
  FidelityRuleOptions micros;
  micros.time_tolerance_nanos = 2'000;
  EXPECT_TRUE(Check({WithLedger(Sent3(), cut)}, micros).Ids().empty());
  cut[1].set_end_time_unix_nano(cut[1].end_time_unix_nano() - 3'000);
  RuleRun late = Check({WithLedger(Sent3(), cut)}, micros);
  ASSERT_EQ(late.Ids(), std::vector<std::string>{"fidelity.time_changed"});
  EXPECT_NE(late.Only("fidelity.time_changed").message.find("more than 2us"), std::string::npos);
}

TEST(FidelityRule, ReportsADroppedAttribute) {
  std::vector<Span> got = Sent3();
  Remove(&got[1], "gen_ai.usage.input_tokens");
  const Finding f = OnlyFinding(got, "fidelity.attribute_dropped");
  EXPECT_EQ(f.attribute, "gen_ai.usage.input_tokens");
  EXPECT_EQ(f.expected, "int 120");
  EXPECT_EQ(f.actual, "absent");
}

TEST(FidelityRule, ReportsATruncatedString) {
  std::vector<Span> got = Sent3();
  Value(&got[1], "gen_ai.input.messages")->set_string_value("[{\"ro");
  const Finding f = OnlyFinding(got, "fidelity.value_truncated");
  EXPECT_EQ(f.attribute, "gen_ai.input.messages");
  EXPECT_EQ(f.actual, "string \"[{\"ro\"");
}

TEST(FidelityRule, ReportsATruncatedArrayElement) {
  std::vector<Span> got = Sent3();
  Value(&got[1], "gen_ai.response.finish_reasons")
      ->mutable_array_value()
      ->mutable_values(1)
      ->set_string_value("len");
  EXPECT_EQ(OnlyFinding(got, "fidelity.value_truncated").attribute,
            "gen_ai.response.finish_reasons");
}

TEST(FidelityRule, ReportsAChangedType) {
  std::vector<Span> got = Sent3();
  Value(&got[1], "gen_ai.usage.input_tokens")->set_string_value("120");
  const Finding f = OnlyFinding(got, "fidelity.type_changed");
  EXPECT_EQ(f.message, "type changed from int to string");
  EXPECT_EQ(f.expected, "int 120");
  EXPECT_EQ(f.actual, "string \"120\"");

  std::vector<Span> flattened = Sent3();
  Value(&flattened[1], "gen_ai.response.finish_reasons")->set_string_value("[\"stop\",\"length\"]");
  EXPECT_EQ(OnlyFinding(flattened, "fidelity.type_changed").message,
            "type changed from array to string");
}

TEST(FidelityRule, ReportsAChangedValue) {
  std::vector<Span> got = Sent3();
  Value(&got[1], "gen_ai.usage.input_tokens")->set_int_value(121);
  const Finding f = OnlyFinding(got, "fidelity.value_changed");
  EXPECT_EQ(f.expected, "int 120");
  EXPECT_EQ(f.actual, "int 121");

  std::vector<Span> shorter = Sent3();  // an element lost is a change, not a truncation
  Value(&shorter[1], "gen_ai.response.finish_reasons")
      ->mutable_array_value()
      ->mutable_values()
      ->RemoveLast();
  OnlyFinding(shorter, "fidelity.value_changed");

  std::vector<Span> longer = Sent3();  // a string that grew is not a prefix
  Value(&longer[1], "gen_ai.input.messages")->mutable_string_value()->append(" ");
  OnlyFinding(longer, "fidelity.value_changed");
}

TEST(FidelityRule, NaNArrivingAsNaNIsUnchanged) {
  std::vector<Span> sent = Sent3();
  AddAttribute(Attrs(&sent[1]), "gen_ai.request.temperature")
      ->set_double_value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(Check({WithLedger(sent, sent)}).Ids().empty());
  std::vector<Span> got = sent;
  Value(&got[1], "gen_ai.request.temperature")->set_double_value(0.5);
  RuleRun run = Check({WithLedger(sent, got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.value_changed"});
}

TEST(FidelityRule, AnAddedAttributeIsInformationAndTheSpanStillPasses) {
  std::vector<Span> got = Sent3();
  SetString(&got[2], "collector.region", "eu");
  RuleRun run = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.attribute_added"});
  const Finding f = run.Only("fidelity.attribute_added");
  EXPECT_EQ(f.level, FindingLevel::kInformation);
  EXPECT_EQ(f.attribute, "collector.region");
  EXPECT_EQ(f.actual, "string \"eu\"");
  EXPECT_EQ(run.Totals("fidelity").passed, 3u);
}

TEST(FidelityRule, RedactedAttributesAndEventsMayBeAbsent) {
  std::vector<Span> got = Sent3();
  Remove(&got[1], "gen_ai.input.messages");
  got[1].mutable_events()->Clear();
  FidelityRuleOptions redacting;
  redacting.redacted_attributes = {"gen_ai.input.messages"};
  redacting.redacted_events = {"gen_ai.client.inference.operation.details"};
  EXPECT_TRUE(Check({WithLedger(Sent3(), got)}, redacting).Ids().empty());

  // An event attribute listed may go while the event stays.
  std::vector<Span> stripped = Sent3();
  stripped[1].mutable_events(0)->mutable_attributes()->Clear();
  FidelityRuleOptions attributes_only;
  attributes_only.redacted_attributes = {"gen_ai.output.messages"};
  EXPECT_TRUE(Check({WithLedger(Sent3(), stripped)}, attributes_only).Ids().empty());
  EXPECT_EQ(Check({WithLedger(Sent3(), stripped)}).Count("fidelity.event_changed"), 1u);

  // Without the options the same losses are findings.
  RuleRun strict = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(strict.Count("fidelity.attribute_dropped"), 1u);
  EXPECT_EQ(strict.Count("fidelity.event_changed"), 1u);
}

TEST(FidelityRule, ReportsChangedEvents) {
  std::vector<Span> missing = Sent3();
  missing[1].mutable_events()->Clear();
  const Finding count = OnlyFinding(missing, "fidelity.event_changed");
  EXPECT_EQ(count.message, "number of events differs");
  EXPECT_EQ(count.expected, "1");
  EXPECT_EQ(count.actual, "0");

  std::vector<Span> renamed = Sent3();
  renamed[1].mutable_events(0)->set_name("gen_ai.choice");
  EXPECT_EQ(OnlyFinding(renamed, "fidelity.event_changed").actual, "name gen_ai.choice");

  std::vector<Span> moved = Sent3();
  moved[1].mutable_events(0)->set_time_unix_nano(trace_testing::kT0 + 6'000);  // 2us late
  EXPECT_EQ(OnlyFinding(moved, "fidelity.event_changed").actual, "time changed");

  std::vector<Span> changed = Sent3();
  changed[1].mutable_events(0)->mutable_attributes(0)->mutable_value()->set_string_value("[1]");
  const Finding attr = OnlyFinding(changed, "fidelity.event_changed");
  EXPECT_EQ(attr.actual, "gen_ai.output.messages changed");
  EXPECT_EQ(attr.attribute, "gen_ai.client.inference.operation.details");

  std::vector<Span> added = Sent3();
  AddAttribute(added[1].mutable_events(0)->mutable_attributes(), "extra")->set_int_value(1);
  EXPECT_EQ(OnlyFinding(added, "fidelity.event_changed").actual, "extra added");
}

TEST(FidelityRule, ReportsChangedLinks) {
  std::vector<Span> missing = Sent3();
  missing[1].mutable_links()->Clear();
  const Finding count = OnlyFinding(missing, "fidelity.link_changed");
  EXPECT_EQ(count.message, "number of links differs");

  std::vector<Span> retargeted = Sent3();
  retargeted[1].mutable_links(0)->set_span_id(trace_testing::SpanIdBytes(8));
  const Finding target = OnlyFinding(retargeted, "fidelity.link_changed");
  EXPECT_EQ(target.actual, "target changed");
  EXPECT_EQ(target.expected, trace_testing::TraceHex('\x05') + "/" + SpanHex(7));

  std::vector<Span> truncated = Sent3();
  truncated[1].mutable_links(0)->mutable_attributes(0)->mutable_value()->set_string_value("fol");
  EXPECT_EQ(OnlyFinding(truncated, "fidelity.link_changed").actual, "link.kind truncated");
}

TEST(FidelityRule, ReportsAResourceChangeOncePerTrace) {
  std::vector<Span> spans = Sent3();
  trace_testing::ResourceSpans sent = Service("planner", spans);
  AddAttribute(sent.mutable_resource()->mutable_attributes(), "deployment.environment")
      ->set_string_value("prod");
  trace_testing::ResourceSpans got = Service("planner-v2", spans);  // and no environment
  RuleRun run = Check({TraceCase{Received({got}), Sent({sent})}});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.resource_changed"});
  ASSERT_EQ(run.Count("fidelity.resource_changed"), 2u);  // two differences, three spans
  std::vector<Finding> f = run.Examples("fidelity.resource_changed");
  EXPECT_EQ(f[0].attribute, "deployment.environment");
  EXPECT_EQ(f[0].actual, "absent");
  EXPECT_EQ(f[0].span_id, "");
  EXPECT_EQ(f[1].attribute, "service.name");
  EXPECT_EQ(f[1].expected, "string \"planner\"");
  EXPECT_EQ(f[1].actual, "string \"planner-v2\"");
}

TEST(FidelityRule, ASpanNobodySentIsInformation) {
  std::vector<Span> got = Sent3();
  got.push_back(MakeSpan(9, 1, "collector span", 100, 200));
  RuleRun run = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.span_added"});
  const Finding f = run.Only("fidelity.span_added");
  EXPECT_EQ(f.level, FindingLevel::kInformation);
  EXPECT_EQ(f.span_id, SpanHex(9));
  EXPECT_EQ(f.actual, "collector span");
  EXPECT_EQ(run.Totals("fidelity").evaluated, 3u);  // only the spans sent count
  EXPECT_EQ(run.Totals("fidelity").passed, 3u);
}

TEST(FidelityRule, OneSpanCanFailSeveralWaysAndCountsOnce) {
  std::vector<Span> got = Sent3();
  got[1].set_name("chat");
  Remove(&got[1], "gen_ai.usage.input_tokens");
  got[1].mutable_links()->Clear();
  RuleRun run = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(run.Ids(),
            (std::vector<std::string>{"fidelity.attribute_dropped", "fidelity.link_changed",
                                      "fidelity.name_changed"}));
  EXPECT_EQ(run.Totals("fidelity").evaluated, 3u);
  EXPECT_EQ(run.Totals("fidelity").passed, 2u);
}

TEST(FidelityRule, ATraceIdWhoseUpperHalfWasZeroedIsNamedAsSuch) {
  std::vector<Span> got = Sent3();
  for (Span& span : got) {
    std::string id = span.trace_id();
    std::fill(id.begin(), id.begin() + 8, '\0');  // a backend that stores 64-bit trace IDs
    span.set_trace_id(id);
  }
  RuleRun run = Check({WithLedger(Sent3(), got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.trace_id_changed"});
  EXPECT_EQ(run.Count("fidelity.trace_id_changed"), 3u);  // every span
  const Finding f = run.Examples("fidelity.trace_id_changed").front();
  EXPECT_EQ(f.level, FindingLevel::kViolation);
  EXPECT_NE(f.message.find("upper 64 bits"), std::string::npos) << f.message;
  EXPECT_EQ(f.expected, trace_testing::TraceHex());
  EXPECT_EQ(f.actual.substr(0, 16), "0000000000000000");
  EXPECT_EQ(run.Totals("fidelity").passed, 0u);

  std::vector<Span> other = Sent3();
  other[2].set_trace_id(trace_testing::TraceIdBytes('\x09'));
  const Finding moved = OnlyFinding(other, "fidelity.trace_id_changed");
  EXPECT_NE(moved.message.find("another trace ID"), std::string::npos) << moved.message;
}

TEST(FidelityRule, AnAttributeKeyThatArrivedTwiceIsAViolationListingTheValues) {
  std::vector<Span> got = Sent3();
  SetString(&got[1], "gen_ai.request.model", "gpt-4o");
  SetString(&got[1], "gen_ai.request.model", "gpt-4o-mini");
  std::vector<Span> sent = Sent3();
  SetString(&sent[1], "gen_ai.request.model", "gpt-4o");
  RuleRun run = Check({WithLedger(sent, got)});
  EXPECT_EQ(run.Ids(), std::vector<std::string>{"fidelity.duplicate_attribute_key"});
  const Finding f = run.Only("fidelity.duplicate_attribute_key");
  EXPECT_EQ(f.attribute, "gen_ai.request.model");
  EXPECT_EQ(f.span_id, SpanHex(2));
  EXPECT_EQ(f.actual, "string \"gpt-4o\", string \"gpt-4o-mini\"");
  EXPECT_EQ(run.Totals("fidelity").passed, 2u);
}

// Repeated keys are found through a hash of each key's length and first and last 8 bytes:
// keys alike in all of those are told apart by their whole text, short keys hash whole, and a
// span with more keys than the table holds is still checked.
TEST(FidelityRule, RepeatedKeysAreFoundWhateverTheKeysLookLike) {
  auto repeated = [](const std::vector<std::string>& keys) {
    std::vector<Span> got = Sent3();
    for (const std::string& key : keys) SetString(&got[1], key, "v");
    RuleRun run = Check({Live(got)});
    std::vector<std::string> attributes;
    for (const Finding& f : run.Examples("fidelity.duplicate_attribute_key"))
      attributes.push_back(f.attribute);
    return attributes;
  };
  using Keys = std::vector<std::string>;
  // Same length, same first and last 8 bytes, different middles: no repeat.
  EXPECT_EQ(repeated({"gen_ai.x.one.y.model", "gen_ai.x.two.y.model", "gen_ai.x.six.y.model"}),
            Keys{});
  EXPECT_EQ(repeated({"gen_ai.x.one.y.model", "gen_ai.x.two.y.model", "gen_ai.x.one.y.model"}),
            Keys{"gen_ai.x.one.y.model"});
  EXPECT_EQ(repeated({"a", "b", "ab", "b"}), Keys{"b"});
  EXPECT_EQ(repeated({"", "x", ""}), Keys{""});
  Keys many;
  for (int i = 0; i < 300; ++i) many.push_back("app.key." + std::to_string(i));
  EXPECT_EQ(repeated(many), Keys{});
  many.push_back("app.key.17");
  EXPECT_EQ(repeated(many), Keys{"app.key.17"});
  many.resize(100);  // within the table
  many.push_back("app.key.99");
  EXPECT_EQ(repeated(many), Keys{"app.key.99"});
}

TEST(FidelityRule, ReportsScopeAndSchemaUrlChangesOncePerTrace) {
  std::vector<Span> spans = Sent3();
  trace_testing::ResourceSpans sent = Service("planner", spans);
  sent.set_schema_url("https://opentelemetry.io/schemas/1.37.0");
  auto* scope = sent.mutable_scope_spans(0);
  scope->set_schema_url("https://opentelemetry.io/schemas/1.37.0");
  scope->mutable_scope()->set_version("1.2.3");
  AddAttribute(scope->mutable_scope()->mutable_attributes(), "library.flavor")
      ->set_string_value("genai");

  trace_testing::ResourceSpans got = Service("planner", spans);  // no version, attributes, URLs
  got.mutable_scope_spans(0)->mutable_scope()->set_name("agentstorm-renamed");
  RuleRun run = Check({TraceCase{Received({got}), Sent({sent})}});
  EXPECT_EQ(run.Ids(),
            (std::vector<std::string>{"fidelity.schema_url_changed", "fidelity.scope_changed"}));
  ASSERT_EQ(run.Count("fidelity.scope_changed"), 3u);  // name, version, attributes; 3 spans
  std::vector<std::string> what;
  for (const Finding& f : run.Examples("fidelity.scope_changed")) what.push_back(f.attribute);
  EXPECT_EQ(what, (std::vector<std::string>{"scope attributes", "scope name", "scope version"}));
  ASSERT_EQ(run.Count("fidelity.schema_url_changed"), 2u);  // resource and scope
  const Finding url = run.Examples("fidelity.schema_url_changed").front();
  EXPECT_EQ(url.expected, "https://opentelemetry.io/schemas/1.37.0");
  EXPECT_EQ(url.actual, "(none)");

  // An API that cannot carry scope attributes or schema URLs (Jaeger legacy): not compared.
  FidelityRuleOptions legacy;
  legacy.compare_schema_urls = false;
  legacy.compare_scope_attributes = false;
  RuleRun blind = Check({TraceCase{Received({got}), Sent({sent})}}, legacy);
  EXPECT_EQ(blind.Ids(), std::vector<std::string>{"fidelity.scope_changed"});
  EXPECT_EQ(blind.Count("fidelity.scope_changed"), 2u);  // name and version only
}

}  // namespace
}  // namespace agentstorm
