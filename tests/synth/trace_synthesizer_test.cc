// TraceSynthesizer: determinism, sharding, structure, semconv shape per profile, fault effects.
#include "synth/trace_synthesizer.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>

#include "core/shard.h"
#include "google/protobuf/util/message_differencer.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "scenario/scenario_loader.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

std::shared_ptr<const Scenario> Bundled(const std::string& name) {
  auto sc =
      LoadScenario((fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string());
  EXPECT_TRUE(sc.ok()) << sc.status();
  return sc.ok() ? *sc : nullptr;
}

std::shared_ptr<const Scenario> Inline(const std::string& yaml) {
  std::vector<ScenarioDiagnostic> errors;
  std::unique_ptr<Scenario> sc = LoadScenarioText(yaml, "inline.yaml", &errors);
  std::string all;
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_NE(sc, nullptr) << all;
  return std::shared_ptr<const Scenario>(std::move(sc));
}

// One agent with a chat, a tool and a tool loop; faults added per test.
std::string AgentScenario(const std::string& extra, const std::string& semconv = "latest") {
  return "description: test\nsemconv: " + semconv +
         "\nservices: {app: {version: '1'}}\n"
         "models:\n  gpt-4o: {provider: openai, server: api.openai.com:443, context_window: 10000,"
         " input_tokens: 1000, output_tokens: 100, latency: 500ms}\n"
         "tools:\n  search: {latency: 100ms}\n"
         "agents:\n  helper:\n    model: gpt-4o\n    steps:\n      - chat\n      - tool: search\n"
         "      - tool_loop: {tools: [search], iterations: 2, max_iterations: 4}\n" +
         extra;
}

struct FlatSpan {
  const Span* span;
  std::string service;
};

std::vector<FlatSpan> Flatten(const SynthesizedTrace& t) {
  std::vector<FlatSpan> out;
  for (const auto& rs : t.resource_spans) {
    std::string service;
    for (const auto& kv : rs.resource().attributes())
      if (kv.key() == "service.name") service = kv.value().string_value();
    for (const auto& ss : rs.scope_spans())
      for (const auto& sp : ss.spans()) out.push_back({&sp, service});
  }
  return out;
}

const AnyValue* Attr(const Span& s, const std::string& key) {
  for (const auto& kv : s.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

std::string Serialize(const SynthesizedTrace& t) {
  std::string out(reinterpret_cast<const char*>(t.trace_id.data()), 16);
  for (const auto& rs : t.resource_spans) out += rs.SerializeAsString();
  return out;
}

std::vector<const Span*> Named(const SynthesizedTrace& t, const std::string& prefix) {
  std::vector<const Span*> out;
  for (const auto& f : Flatten(t))
    if (f.span->name().rfind(prefix, 0) == 0) out.push_back(f.span);
  return out;
}

// ---------------------------------------------------------------- determinism and sharding

TEST(TraceSynthesizer, SameSeedGivesIdenticalBytesEvenIntoReusedBuffers) {
  auto sc = Bundled("research-fanout");
  SynthesizerOptions opt;
  opt.seed = 99;
  TraceSynthesizer a(sc, opt), b(sc, opt);
  SynthesizedTrace reused;
  for (uint64_t i = 0; i < 50; ++i) {
    SynthesizedTrace fresh;
    a.Synthesize(i, -1, &fresh);
    b.Synthesize(i, -1, &reused);  // previous contents must not leak into the next trace
    ASSERT_EQ(Serialize(fresh), Serialize(reused)) << "trace " << i;
    EXPECT_EQ(fresh.span_count, reused.span_count);
  }
}

// The reference path reuses a cleared trace's attributes (keys and values) for the next trace on
// the thread, whatever scenario that is. Checked against the templated encoding, which shares no
// buffer with it: a fresh reference trace would draw on the same thread's pool of attributes.
TEST(TraceSynthesizer, ReusedBuffersAcrossScenariosMatchTheTemplatedEncoding) {
  std::vector<std::unique_ptr<TraceSynthesizer>> synths;
  for (const char* name : {"smoke", "research-fanout", "rag-pipeline", "mcp-tools",
                           "broken-instrumentation", "nightly-conformance"}) {
    SynthesizerOptions opt;
    opt.seed = 7;
    synths.push_back(std::make_unique<TraceSynthesizer>(Bundled(name), opt));
  }
  SynthesizedTrace reused, meta;
  std::string templated;
  for (uint64_t i = 0; i < 12; ++i) {
    for (size_t s = 0; s < synths.size(); ++s) {
      synths[s]->Synthesize(i, -1, &reused);
      templated.clear();
      synths[s]->SynthesizeEncoded(i, -1, &meta, &templated);
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest want, got;
      ASSERT_TRUE(want.ParseFromString(templated));
      for (const auto& rs : reused.resource_spans) {
        if (rs.scope_spans_size() > 0 && rs.scope_spans(0).spans_size() > 0)
          *got.add_resource_spans() = rs;
      }
      ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equals(want, got))
          << "scenario " << s << ", trace " << i << "\nwant " << want.ShortDebugString()
          << "\ngot  " << got.ShortDebugString();
    }
  }
}

// Without the shape estimate (the checker's rebuilder) the traces are the same; only the
// estimate is missing.
TEST(TraceSynthesizer, WithoutTheShapeEstimateTheTracesAreTheSame) {
  auto sc = Bundled("research-fanout");
  SynthesizerOptions with, without;
  with.seed = without.seed = 5;
  without.estimate_shapes = false;
  TraceSynthesizer a(sc, with), b(sc, without);
  EXPECT_GT(a.MeanSpansPerTrace(), 1);
  EXPECT_EQ(a.shapes().size(), sc->variants.size());
  EXPECT_EQ(b.MeanSpansPerTrace(), 0);
  EXPECT_TRUE(b.shapes().empty());
  for (uint64_t i = 0; i < 20; ++i) {
    SynthesizedTrace x, y;
    a.Synthesize(i, -1, &x);
    b.Synthesize(i, -1, &y);
    ASSERT_EQ(Serialize(x), Serialize(y)) << "trace " << i;
  }
}

TEST(TraceSynthesizer, DifferentSeedsGiveDifferentTraces) {
  auto sc = Bundled("smoke");
  SynthesizerOptions o1, o2;
  o1.seed = 1;
  o2.seed = 2;
  TraceSynthesizer a(sc, o1), b(sc, o2);
  SynthesizedTrace x, y;
  a.Synthesize(0, -1, &x);
  b.Synthesize(0, -1, &y);
  EXPECT_NE(x.trace_id, y.trace_id);
  EXPECT_NE(Serialize(x), Serialize(y));
}

// The run ID changes every identifier and nothing else: names, times, attributes and the tree
// are those of the seed. Run ID 0 is the ID scheme of ledger version 1.
TEST(TraceSynthesizer, ARunIdChangesEveryIdAndNothingElse) {
  auto sc = Bundled("research-fanout");
  SynthesizerOptions legacy, o1, o2;
  legacy.seed = o1.seed = o2.seed = 5;
  o1.run_id = 0x1111;
  o2.run_id = 0x2222;
  TraceSynthesizer s0(sc, legacy), s1(sc, o1), s2(sc, o2);
  std::set<std::string> span_ids;
  size_t spans = 0;
  for (uint64_t i = 0; i < 40; ++i) {
    SynthesizedTrace t0, t1, t2;
    s0.Synthesize(i, -1, &t0);
    s1.Synthesize(i, -1, &t1);
    s2.Synthesize(i, -1, &t2);
    EXPECT_NE(t1.trace_id, t0.trace_id);
    EXPECT_NE(t1.trace_id, t2.trace_id);
    EXPECT_EQ(t1.trace_id, s1.TraceIdOf(i));
    const auto f0 = Flatten(t0), f1 = Flatten(t1), f2 = Flatten(t2);
    ASSERT_EQ(f0.size(), f1.size());
    ASSERT_EQ(f1.size(), f2.size());
    std::map<std::string, std::string> parent_of_1, parent_of_2;  // mapped through position
    std::map<std::string, size_t> pos1, pos2;
    for (size_t k = 0; k < f1.size(); ++k) {
      pos1[f1[k].span->span_id()] = k;
      pos2[f2[k].span->span_id()] = k;
    }
    for (size_t k = 0; k < f1.size(); ++k) {
      const Span &a = *f0[k].span, &b = *f1[k].span, &c = *f2[k].span;
      EXPECT_NE(a.span_id(), b.span_id());
      EXPECT_NE(b.span_id(), c.span_id());
      EXPECT_EQ(a.name(), b.name());
      EXPECT_EQ(a.start_time_unix_nano(), b.start_time_unix_nano());
      EXPECT_EQ(a.end_time_unix_nano(), b.end_time_unix_nano());
      EXPECT_EQ(a.attributes_size(), b.attributes_size());
      EXPECT_EQ(b.trace_id(), std::string(reinterpret_cast<const char*>(t1.trace_id.data()), 16));
      // The same tree: a span's parent sits at the same position in both runs.
      const bool root1 = b.parent_span_id().empty(), root2 = c.parent_span_id().empty();
      ASSERT_EQ(root1, root2);
      if (!root1 && pos1.count(b.parent_span_id()) && pos2.count(c.parent_span_id()))
        EXPECT_EQ(pos1[b.parent_span_id()], pos2[c.parent_span_id()]);
      span_ids.insert(b.span_id());
      span_ids.insert(c.span_id());
      spans += 2;
    }
  }
  EXPECT_EQ(span_ids.size(), spans) << "no span ID shared between two runs";
  // Run ID 0 keeps the IDs runs had before run IDs, so a version-1 ledger still rebuilds: the
  // trace ID of (seed 5, index 0) as the scheme of ledger version 1 computes it.
  EXPECT_EQ(HexEncode(s0.TraceIdOf(0)), "58c3e1eef95266303491513f40d50f32");
}

TEST(TraceSynthesizer, ShardsAreDisjointAndTheirUnionIsTheUnshardedRun) {
  auto sc = Bundled("nightly-conformance");
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  const uint64_t total = 200;
  std::map<std::string, std::string> unsharded;  // trace id -> bytes
  SynthesizedTrace t;
  for (uint64_t i = 0; i < total; ++i) {
    synth.Synthesize(i, -1, &t);
    unsharded[HexEncode(t.trace_id)] = Serialize(t);
  }
  ASSERT_EQ(unsharded.size(), total) << "trace IDs must be unique";
  std::map<std::string, std::string> sharded;
  for (uint32_t s = 0; s < 3; ++s) {
    // Each shard is its own process in real runs: a fresh synthesizer.
    TraceSynthesizer shard_synth(sc, SynthesizerOptions{});
    const ShardSpec shard{s, 3};
    for (uint64_t local = 0; local < shard.LocalCount(total); ++local) {
      shard_synth.Synthesize(shard.GlobalIndex(local), -1, &t);
      EXPECT_TRUE(sharded.emplace(HexEncode(t.trace_id), Serialize(t)).second) << "overlap";
    }
  }
  EXPECT_EQ(sharded, unsharded);
}

TEST(TraceSynthesizer, TraceIdsAreNonZeroAndDistinct) {
  TraceSynthesizer synth(Bundled("smoke"), SynthesizerOptions{});
  std::set<TraceId> ids;
  for (uint64_t i = 0; i < 10000; ++i) {
    const TraceId id = synth.TraceIdOf(i);
    EXPECT_NE(id, TraceId{});
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(TraceSynthesizer, VariantMixFollowsTheWeights) {
  auto sc = Bundled("tool-failures");  // 85 / 10 / 5
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  std::vector<int> counts(sc->variants.size());
  for (uint64_t i = 0; i < 20000; ++i) ++counts[synth.VariantOf(i)];
  EXPECT_NEAR(counts[0] / 20000.0, 0.85, 0.015);
  EXPECT_NEAR(counts[1] / 20000.0, 0.10, 0.01);
  EXPECT_NEAR(counts[2] / 20000.0, 0.05, 0.01);
}

// ---------------------------------------------------------------- structure

// Every span but the root has its parent in the trace and lies within it in time.
void ExpectWellFormed(const SynthesizedTrace& t) {
  const auto spans = Flatten(t);
  std::map<std::string, const Span*> by_id;
  for (const auto& f : spans) by_id[f.span->span_id()] = f.span;
  ASSERT_EQ(by_id.size(), spans.size()) << "span IDs unique";
  int roots = 0;
  for (const auto& f : spans) {
    const Span& s = *f.span;
    EXPECT_EQ(s.trace_id(), std::string(reinterpret_cast<const char*>(t.trace_id.data()), 16));
    EXPECT_LE(s.start_time_unix_nano(), s.end_time_unix_nano()) << s.name();
    if (s.parent_span_id().empty()) {
      ++roots;
      EXPECT_EQ(s.start_time_unix_nano(), t.start_unix_nano);
      EXPECT_EQ(s.end_time_unix_nano(), t.end_unix_nano);
      continue;
    }
    auto it = by_id.find(s.parent_span_id());
    ASSERT_NE(it, by_id.end()) << s.name() << " has a missing parent";
    EXPECT_GE(s.start_time_unix_nano(), it->second->start_time_unix_nano()) << s.name();
    EXPECT_LE(s.end_time_unix_nano(), it->second->end_time_unix_nano()) << s.name();
  }
  EXPECT_EQ(roots, 1);
  EXPECT_EQ(t.span_count, spans.size());
}

TEST(TraceSynthesizer, EveryBundledScenarioYieldsWellFormedTraces) {
  for (const char* name : {"smoke", "research-fanout", "tool-failures", "runaway-loop",
                           "context-overflow", "rag-pipeline", "mcp-tools"}) {
    SCOPED_TRACE(name);
    TraceSynthesizer synth(Bundled(name), SynthesizerOptions{});
    SynthesizedTrace t;
    for (uint64_t i = 0; i < 100; ++i) {
      synth.Synthesize(i, -1, &t);
      ExpectWellFormed(t);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(TraceSynthesizer, RemoteSubagentHasClientSpanAndOwnResourceInTheSameTrace) {
  TraceSynthesizer synth(Bundled("research-fanout"), SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(3, -1, &t);
  ASSERT_EQ(t.resource_spans.size(), 2u);
  const auto spans = Flatten(t);
  const Span* client = nullptr;
  const Span* callee = nullptr;
  for (const auto& f : spans) {
    if (f.span->name() != "invoke_agent fact_checker") continue;
    if (f.span->kind() == Span::SPAN_KIND_CLIENT) {
      client = f.span;
      EXPECT_EQ(f.service, "research-app");
    } else {
      callee = f.span;
      EXPECT_EQ(f.service, "factcheck-svc");
      EXPECT_EQ(f.span->kind(), Span::SPAN_KIND_INTERNAL);
    }
  }
  ASSERT_NE(client, nullptr);
  ASSERT_NE(callee, nullptr);
  EXPECT_EQ(callee->parent_span_id(), client->span_id());
  EXPECT_EQ(Attr(*client, "server.address")->string_value(), "factcheck.internal");
  EXPECT_EQ(Attr(*client, "server.port")->int_value(), 8443);
  EXPECT_EQ(Attr(*client, "gen_ai.provider.name")->string_value(), "openai");
  EXPECT_EQ(Attr(*callee, "gen_ai.provider.name"), nullptr)
      << "internal agent spans carry no provider";
  // The callee's chats belong to the callee's resource.
  for (const auto& f : spans)
    if (f.span->parent_span_id() == callee->span_id()) EXPECT_EQ(f.service, "factcheck-svc");
}

TEST(TraceSynthesizer, ParallelFanOutOverlapsAndSequentialIsOrdered) {
  for (const char* mode : {"parallel", "sequential"}) {
    SCOPED_TRACE(mode);
    auto sc = Inline(
        std::string(
            "description: d\nservices: {app: {}}\nmodels: {m: {provider: openai, latency: 1s}}\n"
            "agents:\n  boss: {model: m, steps: [{fan_out: {mode: ") +
        mode +
        ", agents: [alpha, beta, gamma]}}]}\n  alpha: {model: m, steps: [chat]}\n"
        "  beta: {model: m, steps: [chat]}\n  gamma: {model: m, steps: [chat]}\nentry: boss\n");
    TraceSynthesizer synth(sc, SynthesizerOptions{});
    SynthesizedTrace t;
    synth.Synthesize(0, -1, &t);
    ExpectWellFormed(t);
    std::vector<const Span*> kids;
    for (const char* n : {"invoke_agent alpha", "invoke_agent beta", "invoke_agent gamma"})
      kids.push_back(Named(t, n).at(0));
    for (int i = 1; i < 3; ++i) {
      if (std::string(mode) == "parallel")
        EXPECT_LT(kids[i]->start_time_unix_nano(), kids[i - 1]->end_time_unix_nano());
      else
        EXPECT_GE(kids[i]->start_time_unix_nano(), kids[i - 1]->end_time_unix_nano());
    }
  }
}

TEST(TraceSynthesizer, TraceStartFollowsTheSyntheticClock) {
  SynthesizerOptions opt;
  opt.start_unix_nano = 1'000'000'000'000;
  opt.trace_interval_nanos = 5'000'000;
  TraceSynthesizer synth(Bundled("smoke"), opt);
  SynthesizedTrace t;
  synth.Synthesize(7, -1, &t);
  EXPECT_EQ(t.start_unix_nano, 1'000'000'000'000 + 7 * 5'000'000ULL);
  EXPECT_GT(t.end_unix_nano, t.start_unix_nano);
}

// ---------------------------------------------------------------- semconv shape per profile

TEST(SemconvShape, LatestUsesProviderNameAndTypedAttributes) {
  TraceSynthesizer synth(Inline(AgentScenario("")), SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(0, -1, &t);
  const Span* root = Named(t, "invoke_agent helper").at(0);
  EXPECT_EQ(root->kind(), Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(Attr(*root, "gen_ai.operation.name")->string_value(), "invoke_agent");
  EXPECT_EQ(Attr(*root, "gen_ai.agent.name")->string_value(), "helper");
  const auto chats = Named(t, "chat gpt-4o");
  ASSERT_EQ(chats.size(), 4u);  // one chat, two loop iterations, the loop's final answer
  for (const Span* c : chats) {
    EXPECT_EQ(c->kind(), Span::SPAN_KIND_CLIENT);
    EXPECT_EQ(Attr(*c, "gen_ai.provider.name")->string_value(), "openai");
    EXPECT_EQ(Attr(*c, "gen_ai.system"), nullptr);
    EXPECT_EQ(Attr(*c, "gen_ai.request.model")->string_value(), "gpt-4o");
    EXPECT_EQ(Attr(*c, "gen_ai.usage.input_tokens")->value_case(), AnyValue::kIntValue);
    EXPECT_EQ(Attr(*c, "gen_ai.usage.output_tokens")->value_case(), AnyValue::kIntValue);
    const AnyValue* fr = Attr(*c, "gen_ai.response.finish_reasons");
    ASSERT_NE(fr, nullptr);
    ASSERT_EQ(fr->value_case(), AnyValue::kArrayValue);
    EXPECT_EQ(fr->array_value().values(0).value_case(), AnyValue::kStringValue);
    EXPECT_EQ(Attr(*c, "server.address")->string_value(), "api.openai.com");
    EXPECT_EQ(Attr(*c, "server.port")->int_value(), 443);
  }
  EXPECT_EQ(
      Attr(*chats[1], "gen_ai.response.finish_reasons")->array_value().values(0).string_value(),
      "tool_call");
  const auto tools = Named(t, "execute_tool search");
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0]->kind(), Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(Attr(*tools[0], "gen_ai.tool.name")->string_value(), "search");
  EXPECT_EQ(Attr(*tools[0], "gen_ai.operation.name")->string_value(), "execute_tool");
}

TEST(SemconvShape, V136EmitsGenAiSystemAndDualEmitsBoth) {
  for (const char* profile : {"v1.36", "dual"}) {
    SCOPED_TRACE(profile);
    TraceSynthesizer synth(Inline(AgentScenario("", profile)), SynthesizerOptions{});
    SynthesizedTrace t;
    synth.Synthesize(0, -1, &t);
    const Span* chat = Named(t, "chat gpt-4o").at(0);
    EXPECT_EQ(Attr(*chat, "gen_ai.system")->string_value(), "openai");
    EXPECT_EQ(Attr(*chat, "gen_ai.provider.name") != nullptr, std::string(profile) == "dual");
  }
}

TEST(SemconvShape, ContentGoesToAttributesForLatestAndEventsForV136) {
  const std::string capture = "content_capture: {enabled: true, size: 5KB}\n";
  for (const char* profile : {"latest", "v1.36", "dual"}) {
    SCOPED_TRACE(profile);
    TraceSynthesizer synth(Inline(AgentScenario(capture, profile)), SynthesizerOptions{});
    SynthesizedTrace t;
    synth.Synthesize(0, -1, &t);
    const Span* chat = Named(t, "chat gpt-4o").at(0);
    const bool latest = std::string(profile) != "v1.36";
    const bool old = std::string(profile) != "latest";
    const AnyValue* in = Attr(*chat, "gen_ai.input.messages");
    EXPECT_EQ(in != nullptr, latest);
    if (in) {
      EXPECT_GE(in->string_value().size(), 5000u);
      EXPECT_EQ(in->string_value().rfind(R"([{"role":"user","parts":[{"type":"text")", 0), 0u);
    }
    EXPECT_EQ(Attr(*chat, "gen_ai.output.messages") != nullptr, latest);
    bool user_event = false, choice_event = false;
    for (const auto& ev : chat->events()) {
      user_event |= ev.name() == "gen_ai.user.message";
      choice_event |= ev.name() == "gen_ai.choice";
    }
    EXPECT_EQ(user_event, old);
    EXPECT_EQ(choice_event, old);
  }
}

TEST(SemconvShape, ContentCaptureIsOffByDefault) {
  TraceSynthesizer synth(Inline(AgentScenario("")), SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(0, -1, &t);
  for (const auto& f : Flatten(t)) {
    EXPECT_EQ(Attr(*f.span, "gen_ai.input.messages"), nullptr);
    EXPECT_EQ(f.span->events_size(), 0);
  }
}

TEST(SemconvShape, McpToolCallsHaveClientAndServerSpansInTheServersService) {
  TraceSynthesizer synth(Bundled("mcp-tools"), SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(0, -1, &t);
  ExpectWellFormed(t);
  int clients = 0, servers = 0;
  std::map<std::string, const Span*> by_id;
  for (const auto& f : Flatten(t)) by_id[f.span->span_id()] = f.span;
  for (const auto& f : Flatten(t)) {
    const AnyValue* method = Attr(*f.span, "mcp.method.name");
    if (!method) continue;
    EXPECT_EQ(method->string_value(), "tools/call");
    EXPECT_EQ(f.span->name(), "tools/call " + Attr(*f.span, "gen_ai.tool.name")->string_value());
    EXPECT_NE(Attr(*f.span, "jsonrpc.request.id"), nullptr);
    EXPECT_NE(Attr(*f.span, "mcp.session.id"), nullptr);
    if (f.span->kind() == Span::SPAN_KIND_CLIENT) {
      ++clients;
      EXPECT_EQ(f.service, "ops-agent");
      EXPECT_EQ(by_id.at(f.span->parent_span_id())->name().rfind("execute_tool ", 0), 0u);
    } else {
      ++servers;
      EXPECT_EQ(f.span->kind(), Span::SPAN_KIND_SERVER);
      EXPECT_TRUE(f.service == "mcp-github" || f.service == "mcp-postgres") << f.service;
      EXPECT_EQ(by_id.at(f.span->parent_span_id())->kind(), Span::SPAN_KIND_CLIENT);
    }
  }
  EXPECT_GT(clients, 0);
  EXPECT_EQ(clients, servers);
}

TEST(SemconvShape, RagStepsEmitEmbeddingsAndRetrievalSpans) {
  TraceSynthesizer synth(Bundled("rag-pipeline"), SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(1, -1, &t);
  ExpectWellFormed(t);
  const Span* wf = Named(t, "invoke_workflow answer_question").at(0);
  EXPECT_TRUE(wf->parent_span_id().empty());
  EXPECT_EQ(Attr(*wf, "gen_ai.workflow.name")->string_value(), "answer_question");
  const Span* emb = Named(t, "embeddings text-embedding-3-small").at(0);
  EXPECT_EQ(emb->kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(Attr(*emb, "gen_ai.embeddings.dimension.count")->int_value(), 1536);
  const Span* ret = Named(t, "retrieval kb-articles").at(0);
  EXPECT_EQ(Attr(*ret, "gen_ai.data_source.id")->string_value(), "kb-articles");
  EXPECT_EQ(Attr(*ret, "gen_ai.retrieval.top_k")->int_value(), 8);
}

// Every attribute key the synthesizer writes in a profile is defined by that profile's registry
// (or is one of the few non-GenAI keys it deliberately adds); enum values are registry members.
class SemconvRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(AGENTSTORM_SHARED_DIR) / "upstream/semconv";
    if (!fs::exists(root_ / "model/gen-ai/registry.yaml"))
      GTEST_SKIP() << "semconv model not found under " << root_ << " (AGENTSTORM_SHARED_DIR)";
  }
  // v2 files: attributes[].key; v1 files: groups[].attributes[].id. Enum members per key.
  void Load(const fs::path& file) {
    YAML::Node doc = YAML::LoadFile(file.string());
    auto take = [&](const YAML::Node& attrs, const char* id_key) {
      for (const auto& a : attrs) {
        if (!a[id_key]) continue;
        const std::string key = a[id_key].as<std::string>();
        keys_.insert(key);
        if (a["type"] && a["type"].IsMap() && a["type"]["members"])
          for (const auto& m : a["type"]["members"])
            members_[key].insert(m["value"].as<std::string>());
      }
    };
    if (doc["attributes"]) take(doc["attributes"], "key");
    if (doc["groups"])
      for (const auto& g : doc["groups"])
        if (g["attributes"]) take(g["attributes"], "id");
  }
  void CheckTraces(const std::string& yaml_extra, const std::string& profile,
                   const std::set<std::string>& allowed_extra) {
    for (const char* name : {"research-fanout", "rag-pipeline", "mcp-tools", "tool-failures"}) {
      // Re-profile the bundled scenario by loading it and overriding its part's profile.
      auto sc = LoadScenario(
          (fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (std::string(name) + ".yaml")).string());
      ASSERT_TRUE(sc.ok());
      auto copy = std::make_shared<Scenario>(**sc);
      copy->parts[0].semconv =
          profile == "latest" ? SemconvProfile::kLatest : SemconvProfile::kV136;
      copy->parts[0].content.enabled = false;
      TraceSynthesizer synth(copy, SynthesizerOptions{});
      SynthesizedTrace t;
      for (uint64_t i = 0; i < 30; ++i) {
        synth.Synthesize(i, -1, &t);
        for (const auto& f : Flatten(t))
          for (const auto& kv : f.span->attributes()) {
            const std::string& k = kv.key();
            if (allowed_extra.count(k) || k.rfind("agentstorm.", 0) == 0) continue;
            if (k.rfind("gen_ai.", 0) != 0 && k.rfind("mcp.", 0) != 0 &&
                k.rfind("server.", 0) != 0 && k != "error.type")
              continue;  // resource-ish or core keys outside the GenAI registries
            EXPECT_TRUE(keys_.count(k)) << profile << ": " << k << " not in the registry";
            auto m = members_.find(k);
            if (m != members_.end() && kv.value().value_case() == AnyValue::kStringValue &&
                k != "error.type")
              EXPECT_TRUE(m->second.count(kv.value().string_value()))
                  << profile << ": " << k << "=" << kv.value().string_value() << " not a member";
          }
      }
    }
  }
  fs::path root_;
  std::set<std::string> keys_;
  std::map<std::string, std::set<std::string>> members_;
};

TEST_F(SemconvRegistry, LatestProfileUsesOnlyRegisteredAttributesAndEnumValues) {
  Load(root_ / "model/gen-ai/registry.yaml");
  Load(root_ / "model/mcp/registry.yaml");
  Load(root_ / "model/server/registry.yaml");
  Load(root_ / "model/error/registry.yaml");
  ASSERT_TRUE(keys_.count("gen_ai.provider.name"));
  EXPECT_FALSE(keys_.count("gen_ai.system")) << "the latest registry dropped gen_ai.system";
  CheckTraces("", "latest", {});
}

TEST_F(SemconvRegistry, V136ProfileUsesOnlyAttributesOfThatRelease) {
  const fs::path v136 = root_ / "core-semconv-v1.36.0/model/gen-ai";
  if (!fs::exists(v136 / "registry.yaml")) GTEST_SKIP() << "no v1.36.0 model";
  Load(v136 / "registry.yaml");
  Load(root_ / "model/server/registry.yaml");
  Load(root_ / "model/error/registry.yaml");
  ASSERT_TRUE(keys_.count("gen_ai.system"));
  // MCP conventions are not part of the GenAI 1.36 registry: take them from the current one.
  Load(root_ / "model/mcp/registry.yaml");
  CheckTraces("", "v1.36", {});
}

// ---------------------------------------------------------------- faults

SynthesizedTrace WithFault(const std::string& faults, const std::string& semconv = "latest") {
  TraceSynthesizer synth(Inline(AgentScenario("faults: {" + faults + "}\n", semconv)),
                         SynthesizerOptions{});
  SynthesizedTrace t;
  synth.Synthesize(0, -1, &t);
  return t;
}

TEST(Faults, ToolFailureFailsTheToolWithErrorTypeStatusAndExceptionEvent) {
  const auto t = WithFault("tool_failure: {rate: 1, error_type: ToolDown}");
  EXPECT_TRUE(t.faults & FaultBit(FaultKind::kToolFailure));
  EXPECT_EQ(t.expected_class, TraceClass::kError);
  const Span* tool = Named(t, "execute_tool search").at(0);
  EXPECT_EQ(tool->status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(Attr(*tool, "error.type")->string_value(), "ToolDown");
  ASSERT_EQ(tool->events_size(), 1);
  EXPECT_EQ(tool->events(0).name(), "exception");
  // Only one tool call is hit; the agent hands the error to the model and finishes.
  EXPECT_EQ(Named(t, "invoke_agent helper").at(0)->status().code(), Status::STATUS_CODE_UNSET);
}

TEST(Faults, RunawayLoopIteratesFarPastTheCapAndNeverFinishesNormally) {
  const auto t = WithFault("runaway_loop: {rate: 1, iterations: {uniform: [25, 40]}}");
  EXPECT_TRUE(t.faults & FaultBit(FaultKind::kRunawayLoop));
  EXPECT_EQ(t.expected_class, TraceClass::kRunaway);
  const auto chats = Named(t, "chat gpt-4o");
  EXPECT_GE(chats.size(), 26u);  // the first chat plus at least 25 iterations
  for (const Span* c : chats)
    if (c != chats.front())
      EXPECT_EQ(Attr(*c, "gen_ai.response.finish_reasons")->array_value().values(0).string_value(),
                "tool_call");
  const Span* agent = Named(t, "invoke_agent helper").at(0);
  EXPECT_EQ(agent->status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(Attr(*agent, "error.type")->string_value(), "max_iterations_exceeded");
}

TEST(Faults, ContextOverflowExceedsTheWindowWithFinishLengthOrAnError) {
  auto t = WithFault("context_overflow: {rate: 1, factor: 1.5}");
  EXPECT_EQ(t.expected_class, TraceClass::kOverflow);
  const Span* chat = Named(t, "chat gpt-4o").at(0);
  EXPECT_EQ(Attr(*chat, "gen_ai.usage.input_tokens")->int_value(), 15000);
  EXPECT_EQ(Attr(*chat, "gen_ai.response.finish_reasons")->array_value().values(0).string_value(),
            "length");
  EXPECT_DOUBLE_EQ(Attr(*chat, "agentstorm.context_window.utilization")->double_value(), 1.5);

  t = WithFault("context_overflow: {rate: 1, mode: error}");
  EXPECT_EQ(t.expected_class, TraceClass::kOverflow);
  chat = Named(t, "chat gpt-4o").at(0);
  EXPECT_EQ(chat->status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(Attr(*chat, "error.type")->string_value(), "context_length_exceeded");
  EXPECT_EQ(Named(t, "chat gpt-4o").size(), 1u) << "the agent stops at the rejected request";
}

TEST(Faults, RateLimitRetriesInsideTheSpanThenSucceeds) {
  const auto healthy = WithFault("");
  const auto t = WithFault("rate_limit: {rate: 1, retries: 2, backoff: 1s}");
  EXPECT_EQ(t.expected_class, TraceClass::kNormal);
  const Span* chat = Named(t, "chat gpt-4o").at(0);
  EXPECT_EQ(chat->status().code(), Status::STATUS_CODE_UNSET);
  ASSERT_EQ(chat->events_size(), 2);
  EXPECT_EQ(chat->events(0).name(), "exception");
  EXPECT_GT(chat->end_time_unix_nano() - chat->start_time_unix_nano(), 2'000'000'000u);
  EXPECT_GT(t.end_unix_nano - t.start_unix_nano, healthy.end_unix_nano - healthy.start_unix_nano);

  const auto gave_up = WithFault("rate_limit: {rate: 1, give_up: 1}");
  EXPECT_EQ(gave_up.expected_class, TraceClass::kError);
  EXPECT_EQ(Attr(*Named(gave_up, "chat gpt-4o").at(0), "error.type")->string_value(), "429");
}

TEST(Faults, TimeoutHoldsTheSpanUntilTheDeadlineThenFails) {
  const auto t = WithFault("timeout: {rate: 1, after: 30s}");
  EXPECT_EQ(t.expected_class, TraceClass::kError);
  const Span* chat = Named(t, "chat gpt-4o").at(0);
  EXPECT_EQ(chat->end_time_unix_nano() - chat->start_time_unix_nano(), 30'000'000'000u);
  EXPECT_EQ(Attr(*chat, "error.type")->string_value(), "timeout");
}

TEST(Faults, OrphanSpanPointsAtAParentThatIsNotInTheTrace) {
  const auto t = WithFault("orphan_span: 1");
  EXPECT_TRUE(t.faults & FaultBit(FaultKind::kOrphanSpan));
  std::set<std::string> ids;
  for (const auto& f : Flatten(t)) ids.insert(f.span->span_id());
  int orphans = 0, roots = 0;
  for (const auto& f : Flatten(t)) {
    if (f.span->parent_span_id().empty())
      ++roots;
    else if (!ids.count(f.span->parent_span_id()))
      ++orphans;
  }
  EXPECT_EQ(orphans, 1);
  EXPECT_EQ(roots, 1);
  EXPECT_EQ(t.expected_class, TraceClass::kNormal) << "defects do not change the behaviour class";
}

TEST(Faults, MissingRootLeavesNoParentlessSpan) {
  const auto t = WithFault("missing_root: 1");
  EXPECT_TRUE(t.faults & FaultBit(FaultKind::kMissingRoot));
  EXPECT_TRUE(Named(t, "invoke_agent").empty());
  for (const auto& f : Flatten(t)) EXPECT_FALSE(f.span->parent_span_id().empty());
  EXPECT_EQ(t.span_count, Flatten(t).size());
}

TEST(Faults, MissingRequiredAttributeDropsOperationNameFromTheFirstChat) {
  const auto t = WithFault("missing_required_attribute: 1");
  const auto chats = Named(t, "chat gpt-4o");
  EXPECT_EQ(Attr(*chats[0], "gen_ai.operation.name"), nullptr);
  EXPECT_NE(Attr(*chats[1], "gen_ai.operation.name"), nullptr);
}

TEST(Faults, WrongSpanKindMakesTheFirstChatAServerSpan) {
  const auto t = WithFault("wrong_span_kind: 1");
  EXPECT_EQ(Named(t, "chat gpt-4o").at(0)->kind(), Span::SPAN_KIND_SERVER);
}

TEST(Faults, DeprecatedAttributeOnlyUsesGenAiSystemAndPromptTokens) {
  const auto t = WithFault("deprecated_attribute_only: 1");
  const Span* chat = Named(t, "chat gpt-4o").at(0);
  EXPECT_EQ(Attr(*chat, "gen_ai.provider.name"), nullptr);
  EXPECT_EQ(Attr(*chat, "gen_ai.system")->string_value(), "openai");
  EXPECT_NE(Attr(*chat, "gen_ai.usage.prompt_tokens"), nullptr);
  EXPECT_EQ(Attr(*chat, "gen_ai.usage.input_tokens"), nullptr);
}

TEST(Faults, BrokenInstrumentationScenarioGivesEveryTraceExactlyOneDefect) {
  TraceSynthesizer synth(Bundled("broken-instrumentation"), SynthesizerOptions{});
  SynthesizedTrace t;
  for (uint64_t i = 0; i < 100; ++i) {
    synth.Synthesize(i, -1, &t);
    EXPECT_EQ(__builtin_popcount(t.faults), 1) << i;
  }
}

TEST(Faults, PhaseOverridesReplaceTheScenarioRate) {
  auto sc = Inline(AgentScenario("faults: {tool_failure: 0}\n"));
  LoadProfile load;
  load.phases.push_back(
      {"calm", 10, 1, 1, RateUnit::kTracesPerSecond, ArrivalProcess::kConstant, {}});
  load.phases.push_back({"incident",
                         10,
                         1,
                         1,
                         RateUnit::kTracesPerSecond,
                         ArrivalProcess::kConstant,
                         {{"tool_failure", 1.0}}});
  SynthesizerOptions opt;
  opt.load = &load;
  TraceSynthesizer synth(sc, opt);
  SynthesizedTrace t;
  for (uint64_t i = 0; i < 20; ++i) {
    synth.Synthesize(i, 0, &t);
    EXPECT_EQ(t.faults, 0u);
    synth.Synthesize(i, 1, &t);
    EXPECT_TRUE(t.faults & FaultBit(FaultKind::kToolFailure));
  }
}

TEST(Faults, ConfiguredRateIsTheFractionOfTracesHit) {
  TraceSynthesizer synth(Inline(AgentScenario("faults: {tool_failure: 0.2}\n")),
                         SynthesizerOptions{});
  SynthesizedTrace t;
  int hit = 0;
  for (uint64_t i = 0; i < 5000; ++i) {
    synth.Synthesize(i, -1, &t);
    hit += (t.faults & FaultBit(FaultKind::kToolFailure)) != 0;
  }
  EXPECT_NEAR(hit / 5000.0, 0.2, 0.02);
}

TEST(Shapes, MeanAndMaxSpansBracketWhatIsSynthesized) {
  auto sc = Bundled("runaway-loop");
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  SynthesizedTrace t;
  double total = 0;
  for (uint64_t i = 0; i < 2000; ++i) {
    synth.Synthesize(i, -1, &t);
    EXPECT_LE(t.span_count, synth.shapes()[t.variant].max_spans);
    total += t.span_count;
  }
  EXPECT_NEAR(total / 2000, synth.MeanSpansPerTrace(), synth.MeanSpansPerTrace() * 0.1);
}

}  // namespace
}  // namespace agentstorm
