// The upstream semantic-conventions loader on the real model files in
// $AGENTSTORM_SHARED_DIR/upstream/semconv: core v1.36.0 (v1 `groups:`), core v1.41.1 (the last
// full GenAI model in core), core HEAD (only "moved" deprecation stubs) and the genai repository
// model (`file_format: definition/2`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "checker/semconv/registry.h"

namespace agentstorm::semconv {
namespace {

std::string SemconvDir() {
  const char* env = std::getenv("AGENTSTORM_SHARED_DIR");
  std::string shared = env && *env ? env : AGENTSTORM_SHARED_DIR;
  return shared + "/upstream/semconv";
}

#define REQUIRE_UPSTREAM(sub)                                                          \
  if (!std::filesystem::is_directory(SemconvDir() + "/" + sub)) {                      \
    GTEST_SKIP() << "upstream semconv not available at " << SemconvDir() << "/" << sub \
                 << " (set AGENTSTORM_SHARED_DIR)";                                    \
  }

SemconvModel Load(const std::string& sub) {
  absl::StatusOr<SemconvModel> m = LoadSemconvRegistry(SemconvDir() + "/" + sub);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : SemconvModel{};
}

std::vector<std::string> Values(const AttributeDef* def) {
  std::vector<std::string> out;
  if (def) {
    for (const EnumMember& m : def->members) out.push_back(m.value);
  }
  return out;
}

RequirementLevel LevelOf(const SpanType* t, const std::string& key) {
  const AttributeRequirement* a = t ? t->FindAttribute(key) : nullptr;
  EXPECT_NE(a, nullptr) << (t ? t->id : "null") << " lacks " << key;
  return a ? a->level : RequirementLevel::kOptIn;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(SemconvRegistry, V1_36_GenAiSystemIsCurrentAndRequiredOnInference) {
  REQUIRE_UPSTREAM("core-semconv-v1.36.0");
  SemconvModel m = Load("core-semconv-v1.36.0");
  const AttributeDef* system = m.FindAttribute("gen_ai.system");
  ASSERT_NE(system, nullptr);
  EXPECT_FALSE(system->deprecated.has_value());
  EXPECT_TRUE(Contains(Values(system), "xai"));
  EXPECT_EQ(m.FindAttribute("gen_ai.provider.name"), nullptr);

  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_EQ(LevelOf(inference, "gen_ai.system"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.operation.name"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.request.model"), RequirementLevel::kConditionallyRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.usage.input_tokens"), RequirementLevel::kRecommended);
  EXPECT_EQ(inference->match_attribute, "gen_ai.operation.name");
  EXPECT_EQ(inference->match_values,
            (std::vector<std::string>{"chat", "generate_content", "text_completion"}));
  EXPECT_EQ(inference->kinds, (std::vector<SpanKind>{SpanKind::kClient, SpanKind::kInternal}));
  EXPECT_EQ(inference->name_patterns,
            std::vector<std::string>{"{gen_ai.operation.name} {gen_ai.request.model}"});
  EXPECT_EQ(m.FindAttribute("gen_ai.request.top_k")->type, ValueType::kDouble);
}

TEST(SemconvRegistry, V1_36_OperationNamesAndExecuteTool) {
  REQUIRE_UPSTREAM("core-semconv-v1.36.0");
  SemconvModel m = Load("core-semconv-v1.36.0");
  EXPECT_EQ(Values(m.FindAttribute("gen_ai.operation.name")),
            (std::vector<std::string>{"chat", "generate_content", "text_completion", "embeddings",
                                      "create_agent", "invoke_agent", "execute_tool"}));
  const SpanType* tool = m.FindSpanType("gen_ai.execute_tool.internal");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->match_values, std::vector<std::string>{"execute_tool"});
  EXPECT_EQ(tool->kinds, std::vector<SpanKind>{SpanKind::kInternal});
  EXPECT_EQ(LevelOf(tool, "gen_ai.tool.name"), RequirementLevel::kRecommended);
  EXPECT_EQ(m.FindSpanType("gen_ai.invoke_agent.internal"), nullptr);
  EXPECT_EQ(m.FindSpanType("mcp.client"), nullptr);
}

TEST(SemconvRegistry, V1_36_DeprecationsCarryTheirReplacement) {
  REQUIRE_UPSTREAM("core-semconv-v1.36.0");
  SemconvModel m = Load("core-semconv-v1.36.0");
  const AttributeDef* prompt_tokens = m.FindAttribute("gen_ai.usage.prompt_tokens");
  ASSERT_NE(prompt_tokens, nullptr);
  ASSERT_TRUE(prompt_tokens->deprecated.has_value());
  EXPECT_EQ(prompt_tokens->deprecated->replacement, "gen_ai.usage.input_tokens");
  // Obsoleted without replacement ("Deprecated, use Event API ..." is not a replacement).
  ASSERT_TRUE(m.FindAttribute("gen_ai.prompt")->deprecated.has_value());
  EXPECT_EQ(m.FindAttribute("gen_ai.prompt")->deprecated->replacement, "");
  // Old plain-string deprecations of enum members.
  const AttributeDef* system = m.FindAttribute("gen_ai.system");
  const EnumMember* vertex = system->FindMember("vertex_ai");
  ASSERT_NE(vertex, nullptr);
  ASSERT_TRUE(vertex->deprecated.has_value());
  EXPECT_EQ(vertex->deprecated->replacement, "gcp.vertex_ai");
  EXPECT_EQ(system->FindMember("az.ai.inference")->deprecated->replacement, "azure.ai.inference");
}

TEST(SemconvRegistry, V1_36_ProviderSpansAreRefinementsOfInference) {
  REQUIRE_UPSTREAM("core-semconv-v1.36.0");
  SemconvModel m = Load("core-semconv-v1.36.0");
  const SpanType* openai = m.RefinementFor("gen_ai.inference.client", "openai");
  ASSERT_NE(openai, nullptr);
  EXPECT_EQ(openai->id, "gen_ai.openai.inference.client");
  EXPECT_EQ(LevelOf(openai, "gen_ai.request.model"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(openai, "gen_ai.system"), RequirementLevel::kRequired);  // from the base
  EXPECT_EQ(LevelOf(openai, "gen_ai.openai.request.service_tier"),
            RequirementLevel::kConditionallyRequired);
  // aws.bedrock.client says its provider only through its id.
  const SpanType* bedrock = m.RefinementFor("gen_ai.inference.client", "aws.bedrock");
  ASSERT_NE(bedrock, nullptr);
  EXPECT_EQ(LevelOf(bedrock, "aws.bedrock.guardrail.id"), RequirementLevel::kRequired);
  // The Azure span accepts the name without a model.
  const SpanType* azure = m.RefinementFor("gen_ai.inference.client", "az.ai.inference");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->name_patterns.size(), 2u);
}

TEST(SemconvRegistry, V1_41_1_RenamesSystemToProviderName) {
  REQUIRE_UPSTREAM("core-semconv-v1.41.1");
  SemconvModel m = Load("core-semconv-v1.41.1");
  const AttributeDef* system = m.FindAttribute("gen_ai.system");
  ASSERT_NE(system, nullptr);
  ASSERT_TRUE(system->deprecated.has_value());
  EXPECT_EQ(system->deprecated->reason, "renamed");
  EXPECT_EQ(system->deprecated->replacement, "gen_ai.provider.name");
  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_EQ(LevelOf(inference, "gen_ai.provider.name"), RequirementLevel::kRequired);
  EXPECT_EQ(inference->FindAttribute("gen_ai.system"), nullptr);
  EXPECT_EQ(Values(m.FindAttribute("gen_ai.operation.name")).size(), 9u);
  EXPECT_FALSE(Contains(Values(m.FindAttribute("gen_ai.operation.name")), "fetch_response"));
}

TEST(SemconvRegistry, V1_41_1_HasInProcessAgentsWorkflowsAndMcp) {
  REQUIRE_UPSTREAM("core-semconv-v1.41.1");
  SemconvModel m = Load("core-semconv-v1.41.1");
  const SpanType* internal = m.FindSpanType("gen_ai.invoke_agent.internal");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(internal->kinds, std::vector<SpanKind>{SpanKind::kInternal});
  // Still required here; the genai repository removed it from this span later (PR #289).
  EXPECT_EQ(LevelOf(internal, "gen_ai.provider.name"), RequirementLevel::kRequired);
  ASSERT_NE(m.FindSpanType("gen_ai.invoke_workflow.internal"), nullptr);
  const SpanType* mcp = m.FindSpanType("mcp.client");
  ASSERT_NE(mcp, nullptr);
  EXPECT_EQ(mcp->match_attribute, "mcp.method.name");
  EXPECT_EQ(LevelOf(mcp, "mcp.method.name"), RequirementLevel::kRequired);
  EXPECT_EQ(mcp->name_patterns,
            (std::vector<std::string>{"{mcp.method.name} {target}", "{mcp.method.name}"}));
  EXPECT_TRUE(Contains(Values(m.FindAttribute("mcp.method.name")), "tools/call"));
  // The renamed token type member shares its value with the live one; lookups get the live one.
  const EnumMember* output = m.FindAttribute("gen_ai.token.type")->FindMember("output");
  ASSERT_NE(output, nullptr);
  EXPECT_FALSE(output->deprecated.has_value());
}

TEST(SemconvRegistry, CoreHeadMarksEveryGenAiItemAsMoved) {
  REQUIRE_UPSTREAM("core-semconv-HEAD");
  SemconvModel m = Load("core-semconv-HEAD");
  const AttributeDef* system = m.FindAttribute("gen_ai.system");
  ASSERT_NE(system, nullptr);
  ASSERT_TRUE(system->deprecated.has_value());
  // reason: uncategorized; the replacement is only in the note ("Replaced by `...`").
  EXPECT_EQ(system->deprecated->replacement, "gen_ai.provider.name");
  const AttributeDef* op = m.FindAttribute("gen_ai.operation.name");
  ASSERT_NE(op, nullptr);
  ASSERT_TRUE(op->deprecated.has_value());
  EXPECT_EQ(op->deprecated->replacement, "");  // moved, not renamed
  EXPECT_NE(op->deprecated->note.find("semantic-conventions-genai"), std::string::npos);
  const AttributeDef* mcp_method = m.FindAttribute("mcp.method.name");
  ASSERT_NE(mcp_method, nullptr);
  EXPECT_TRUE(mcp_method->deprecated.has_value());
  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_TRUE(inference->deprecated.has_value());
  EXPECT_EQ(m.FindAttribute("gen_ai.usage.prompt_tokens")->deprecated->replacement,
            "gen_ai.usage.input_tokens");
}

TEST(SemconvRegistry, GenAiRepositoryModelInDefinitionV2) {
  REQUIRE_UPSTREAM("model/gen-ai");
  SemconvModel m = Load("model");
  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_EQ(inference->match_values,
            (std::vector<std::string>{"chat", "generate_content", "text_completion"}));
  EXPECT_EQ(LevelOf(inference, "gen_ai.provider.name"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.operation.name"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.request.model"), RequirementLevel::kConditionallyRequired);
  EXPECT_EQ(LevelOf(inference, "gen_ai.input.messages"), RequirementLevel::kOptIn);
  // An inline ref that only adds sampling_relevant keeps the level from its ref_group.
  const AttributeRequirement* op = inference->FindAttribute("gen_ai.operation.name");
  EXPECT_TRUE(op->sampling_relevant);
  // Conditions the checker can evaluate.
  const AttributeRequirement* port = inference->FindAttribute("server.port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->condition.kind, Condition::Kind::kIfPresent);
  EXPECT_EQ(port->condition.key, "server.address");
  EXPECT_EQ(inference->FindAttribute("error.type")->condition.kind, Condition::Kind::kOnError);
  EXPECT_EQ(m.FindAttribute("server.port")->type, ValueType::kInt);
  EXPECT_EQ(m.FindAttribute("gen_ai.request.top_k")->type, ValueType::kInt);
  EXPECT_EQ(m.FindAttribute("gen_ai.system"), nullptr);

  std::vector<std::string> ops = Values(m.FindAttribute("gen_ai.operation.name"));
  EXPECT_EQ(ops.size(), 18u);
  EXPECT_TRUE(Contains(ops, "fetch_response"));
  EXPECT_TRUE(Contains(ops, "upsert_memory"));
  EXPECT_TRUE(Contains(Values(m.FindAttribute("gen_ai.provider.name")), "moonshot_ai"));
  const AttributeDef* variable = m.FindAttribute("gen_ai.prompt.variable.user_name");
  ASSERT_NE(variable, nullptr);
  EXPECT_TRUE(variable->is_template);
  EXPECT_EQ(variable->type, ValueType::kString);
}

TEST(SemconvRegistry, GenAiRepositorySpanTypesAndRefinements) {
  REQUIRE_UPSTREAM("model/gen-ai");
  SemconvModel m = Load("model");
  const SpanType* memory = m.FindSpanType("gen_ai.memory.client");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(memory->match_values.size(), 7u);
  EXPECT_EQ(memory->kinds, (std::vector<SpanKind>{SpanKind::kClient, SpanKind::kInternal}));
  const SpanType* fetch = m.FindSpanType("gen_ai.fetch_response.client");
  ASSERT_NE(fetch, nullptr);
  EXPECT_EQ(LevelOf(fetch, "gen_ai.response.id"), RequirementLevel::kRequired);
  EXPECT_EQ(fetch->name_patterns, std::vector<std::string>{"{gen_ai.operation.name}"});
  const SpanType* internal = m.FindSpanType("gen_ai.invoke_agent.internal");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(internal->FindAttribute("gen_ai.provider.name"), nullptr);
  EXPECT_EQ(LevelOf(internal, "gen_ai.agent.name"), RequirementLevel::kConditionallyRequired);
  const SpanType* plan = m.FindSpanType("gen_ai.plan.internal");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->name_patterns, (std::vector<std::string>{"plan {gen_ai.agent.name}", "plan"}));

  const SpanType* openai = m.RefinementFor("gen_ai.inference.client", "openai");
  ASSERT_NE(openai, nullptr);
  EXPECT_EQ(openai->id, "openai.inference.client");
  EXPECT_EQ(LevelOf(openai, "gen_ai.request.model"), RequirementLevel::kRequired);
  EXPECT_EQ(LevelOf(openai, "gen_ai.provider.name"), RequirementLevel::kRequired);  // inherited
  EXPECT_EQ(LevelOf(openai, "openai.api.type"), RequirementLevel::kRecommended);
  const SpanType* anthropic = m.RefinementFor("gen_ai.inference.client", "anthropic");
  ASSERT_NE(anthropic, nullptr);
  EXPECT_EQ(LevelOf(anthropic, "gen_ai.request.top_k"), RequirementLevel::kRecommended);
  const SpanType* bedrock = m.RefinementFor("gen_ai.inference.client", "aws.bedrock");
  ASSERT_NE(bedrock, nullptr);
  EXPECT_EQ(LevelOf(bedrock, "aws.bedrock.guardrail.id"), RequirementLevel::kRequired);
  ASSERT_NE(m.RefinementFor("gen_ai.fetch_response.client", "openai"), nullptr);

  EXPECT_TRUE(Contains(m.event_names, "gen_ai.client.inference.operation.details"));
  EXPECT_TRUE(Contains(m.metric_names, "gen_ai.client.token.usage"));
  ASSERT_NE(m.FindSpanType("mcp.server"), nullptr);
  EXPECT_EQ(m.FindSpanType("mcp.server")->kinds, std::vector<SpanKind>{SpanKind::kServer});
}

TEST(SemconvRegistry, UnresolvedRefsAreWarningsNotErrors) {
  REQUIRE_UPSTREAM("model/gen-ai");
  SemconvModel m = Load("model");
  // network.transport lives in core files that are not part of the genai model directory.
  bool warned = std::any_of(m.warnings.begin(), m.warnings.end(), [](const std::string& w) {
    return w.find("network.transport") != std::string::npos;
  });
  EXPECT_TRUE(warned);
  EXPECT_EQ(m.FindAttribute("network.transport"), nullptr);
}

TEST(SemconvRegistry, MissingDirectoryIsNotFound) {
  EXPECT_EQ(LoadSemconvRegistry("/nonexistent/semconv").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SemconvRegistry, DirectoryWithoutSpansIsRejected) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "agentstorm_semconv_empty";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "registry.yaml") << "groups:\n  - id: registry.x\n    type: attribute_group\n"
                                          "    attributes:\n      - id: x.y\n        type: int\n";
  absl::StatusOr<SemconvModel> m = LoadSemconvRegistry(dir.string());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(SemconvRegistry, MalformedYamlNamesTheFile) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "agentstorm_semconv_bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "spans.yaml") << "groups: [\n  - id: x\n";
  absl::StatusOr<SemconvModel> m = LoadSemconvRegistry(dir.string());
  ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("spans.yaml"), absl::string_view::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agentstorm::semconv
