// The project's own conformance profiles (scenarios/semconv/) and their loader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "checker/semconv/profile.h"
#include "checker/semconv/registry.h"

namespace agentstorm::semconv {
namespace {

SemconvModel Bundled(const std::string& name) {
  absl::StatusOr<SemconvModel> m = LoadBundledSemconvProfile(AGENTSTORM_SOURCE_DIR, name);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : SemconvModel{};
}

std::string UpstreamDir(const std::string& sub) {
  const char* env = std::getenv("AGENTSTORM_SHARED_DIR");
  std::string shared = env && *env ? env : AGENTSTORM_SHARED_DIR;
  return shared + "/upstream/semconv/" + sub;
}

std::set<std::string> KeysAt(const SpanType& t, RequirementLevel level) {
  std::set<std::string> out;
  for (const AttributeRequirement& a : t.attributes) {
    if (a.level == level) out.insert(a.key);
  }
  return out;
}

TEST(SemconvProfile, LatestDescribesTheChatSpan) {
  SemconvModel m = Bundled("genai-latest");
  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_EQ(inference->match_attribute, "gen_ai.operation.name");
  EXPECT_EQ(inference->match_values,
            (std::vector<std::string>{"chat", "text_completion", "generate_content"}));
  EXPECT_EQ(KeysAt(*inference, RequirementLevel::kRequired),
            (std::set<std::string>{"gen_ai.operation.name", "gen_ai.provider.name"}));
  EXPECT_EQ(inference->FindAttribute("error.type")->condition.kind, Condition::Kind::kOnError);
  EXPECT_EQ(inference->FindAttribute("server.port")->condition.key, "server.address");
  EXPECT_EQ(inference->FindAttribute("gen_ai.request.model")->condition.text, "If available.");
  const AttributeDef* system = m.FindAttribute("gen_ai.system");
  ASSERT_NE(system, nullptr);
  ASSERT_TRUE(system->deprecated.has_value());
  EXPECT_EQ(system->deprecated->replacement, "gen_ai.provider.name");
  EXPECT_EQ(system->FindMember("az.ai.inference")->deprecated->replacement, "azure.ai.inference");
  EXPECT_TRUE(m.FindAttribute("gen_ai.prompt.variable.city")->is_template);
}

TEST(SemconvProfile, RefinementsInheritTheBaseAndOverride) {
  SemconvModel m = Bundled("genai-latest");
  const SpanType* openai = m.RefinementFor("gen_ai.inference.client", "openai");
  ASSERT_NE(openai, nullptr);
  EXPECT_EQ(openai->FindAttribute("gen_ai.request.model")->level, RequirementLevel::kRequired);
  EXPECT_EQ(openai->FindAttribute("gen_ai.provider.name")->level, RequirementLevel::kRequired);
  EXPECT_EQ(openai->kinds, (std::vector<SpanKind>{SpanKind::kClient, SpanKind::kInternal}));
  EXPECT_EQ(openai->name_patterns,
            std::vector<std::string>{"{gen_ai.operation.name} {gen_ai.request.model}"});
}

TEST(SemconvProfile, V1_36UsesGenAiSystem) {
  SemconvModel m = Bundled("genai-v1.36");
  const SpanType* inference = m.FindSpanType("gen_ai.inference.client");
  ASSERT_NE(inference, nullptr);
  EXPECT_EQ(KeysAt(*inference, RequirementLevel::kRequired),
            (std::set<std::string>{"gen_ai.operation.name", "gen_ai.system"}));
  EXPECT_FALSE(m.FindAttribute("gen_ai.system")->deprecated.has_value());
  EXPECT_EQ(m.FindAttribute("gen_ai.provider.name"), nullptr);
  EXPECT_EQ(m.FindAttribute("gen_ai.request.top_k")->type, ValueType::kDouble);
}

// The hand-written profiles must say what upstream says: same span types, how they are
// recognised, kinds, required attributes and attribute types.
void ExpectAgreesWithUpstream(const SemconvModel& profile, const SemconvModel& upstream) {
  for (const SpanType& t : profile.span_types) {
    SCOPED_TRACE(t.id);
    const SpanType* u = upstream.FindSpanType(t.id);
    ASSERT_NE(u, nullptr) << "upstream has no span type " << t.id;
    EXPECT_EQ(t.refines, u->refines);
    EXPECT_EQ(t.provider, u->provider);
    EXPECT_EQ(std::set<std::string>(t.match_values.begin(), t.match_values.end()),
              std::set<std::string>(u->match_values.begin(), u->match_values.end()));
    EXPECT_EQ(t.kinds, u->kinds);
    ASSERT_FALSE(t.name_patterns.empty());
    ASSERT_FALSE(u->name_patterns.empty());
    EXPECT_EQ(t.name_patterns.front(), u->name_patterns.front());
    for (RequirementLevel level :
         {RequirementLevel::kRequired, RequirementLevel::kConditionallyRequired,
          RequirementLevel::kRecommended, RequirementLevel::kOptIn}) {
      EXPECT_EQ(KeysAt(t, level), KeysAt(*u, level)) << RequirementLevelName(level);
    }
  }
  size_t upstream_types = 0;
  for (const SpanType& u : upstream.span_types) {
    if (profile.FindSpanType(u.id)) ++upstream_types;
  }
  EXPECT_EQ(upstream_types, upstream.span_types.size());
  for (const auto& [key, def] : profile.attributes) {
    const AttributeDef* u = upstream.FindAttribute(key);
    if (!u || u->type == ValueType::kUnknown) continue;  // defined in core files not loaded
    EXPECT_EQ(def.type, u->type) << key;
    EXPECT_EQ(def.is_template, u->is_template) << key;
    EXPECT_EQ(def.deprecated.has_value(), u->deprecated.has_value()) << key;
  }
}

// The rules' hash index answers every key as the model does: defined keys, keys under a
// template attribute, keys under a non-template one, unknown keys and the empty key.
TEST(SemconvProfile, TheAttributeIndexFindsWhatTheModelFinds) {
  for (const char* name : {"genai-latest"}) {  // the profile with template attributes
    SCOPED_TRACE(name);
    const SemconvModel m = Bundled(name);
    const AttributeIndex index(m);
    std::vector<std::string> keys = {"", ".", "gen_ai", "gen_ai.", "nope", "gen_ai.nope.x"};
    bool any_template = false;
    for (const auto& [key, def] : m.attributes) {
      keys.push_back(key);
      keys.push_back(key + ".suffix");
      keys.push_back(key + ".a.b");
      keys.push_back(key + "_x");   // a longer key, not under it
      keys.push_back(key + "x.y");  // nor this one
      keys.push_back(key.substr(0, key.size() - 1));
      any_template |= def.is_template;
    }
    EXPECT_TRUE(any_template) << "no template attribute: the template path is not exercised";
    size_t found = 0;
    for (const std::string& key : keys) {
      EXPECT_EQ(index.Find(key), m.FindAttribute(key)) << key;
      found += index.Find(key) != nullptr ? 1 : 0;
    }
    EXPECT_GT(found, m.attributes.size()) << "no template key was found";
  }
}

TEST(SemconvProfile, LatestAgreesWithTheGenAiRepositoryModel) {
  if (!std::filesystem::is_directory(UpstreamDir("model/gen-ai"))) {
    GTEST_SKIP() << "upstream semconv not available (set AGENTSTORM_SHARED_DIR)";
  }
  absl::StatusOr<SemconvModel> upstream = LoadSemconvRegistry(UpstreamDir("model"));
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ExpectAgreesWithUpstream(Bundled("genai-latest"), *upstream);
}

TEST(SemconvProfile, V1_36AgreesWithCoreV1_36) {
  if (!std::filesystem::is_directory(UpstreamDir("core-semconv-v1.36.0"))) {
    GTEST_SKIP() << "upstream semconv not available (set AGENTSTORM_SHARED_DIR)";
  }
  absl::StatusOr<SemconvModel> upstream = LoadSemconvRegistry(UpstreamDir("core-semconv-v1.36.0"));
  ASSERT_TRUE(upstream.ok()) << upstream.status();
  ExpectAgreesWithUpstream(Bundled("genai-v1.36"), *upstream);
}

TEST(SemconvProfile, RejectsUndefinedAttributesUnknownKindsAndKeys) {
  const char* base = R"(
attributes:
  gen_ai.operation.name: {type: string, enum: [chat]}
span_types:
  - id: t
    operations: [chat]
    kind: client
    required: [gen_ai.operation.name]
)";
  EXPECT_TRUE(ParseSemconvProfile(base, "p").ok());
  auto undefined = ParseSemconvProfile(std::string(base) + "    recommended: [gen_ai.nope]\n", "p");
  ASSERT_FALSE(undefined.ok());
  EXPECT_NE(undefined.status().message().find("gen_ai.nope"), absl::string_view::npos);
  std::string bad_kind = base;
  bad_kind.replace(bad_kind.find("kind: client"), 12, "kind: sideways");
  EXPECT_FALSE(ParseSemconvProfile(bad_kind, "p").ok());
  EXPECT_FALSE(ParseSemconvProfile(std::string(base) + "    colour: blue\n", "p").ok());
  EXPECT_FALSE(ParseSemconvProfile("attributes:\n  a.b: int\nspan_types:\n  - id: x\n", "p").ok())
      << "a span type must say how it is recognised";
  EXPECT_FALSE(ParseSemconvProfile("attributes:\n  a.b: integer\nspan_types: []\n", "p").ok());
  EXPECT_EQ(LoadSemconvProfile("/nonexistent/profile.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace agentstorm::semconv
