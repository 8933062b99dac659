#include "checker/semconv/content_schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "checker/semconv/model.h"
#include "checker/semconv/profile.h"
#include "checker/semconv/registry.h"

namespace agentstorm::semconv {
namespace {

namespace fs = std::filesystem;
using opentelemetry::proto::common::v1::AnyValue;

std::string UpstreamDir(const std::string& sub) {
  const char* env = std::getenv("AGENTSTORM_SHARED_DIR");
  std::string shared = env && *env ? env : AGENTSTORM_SHARED_DIR;
  return shared + "/upstream/semconv/" + sub;
}

SemconvModel Bundled() {
  auto m = LoadBundledSemconvProfile(AGENTSTORM_SOURCE_DIR, "genai-latest");
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : SemconvModel{};
}

AnyValue Text(const std::string& s) {
  AnyValue v;
  v.set_string_value(s);
  return v;
}

std::string Show(const std::optional<ContentProblem>& p) {
  return p ? "at '" + p->where + "': " + p->what : "ok";
}

// Values of each schema'd attribute: the shapes instrumentations send (right and wrong), each
// with what the check must say (where, what), "ok" when it follows the schema.
struct Case {
  const char* key;
  const char* json;
  const char* want;
};
const Case kCases[] = {
    {"gen_ai.input.messages", R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])",
     "ok"},
    // A known part type with a field missing still passes: any object with a type is a part.
    {"gen_ai.input.messages", R"([{"role":"user","parts":[{"type":"text"}]}])", "ok"},
    {"gen_ai.input.messages", R"([{"role":"custom","parts":[{"type":"x-own","v":1}]}])", "ok"},
    // OpenAI's request format (content, not parts): what older instrumentations record.
    {"gen_ai.input.messages", R"([{"role":"user","content":"hi"}])",
     "at '[0]': missing required property 'parts'"},
    {"gen_ai.input.messages", R"([{"role":"user","parts":[{"content":"hi"}]}])",
     "at '[0].parts[0]': missing required property 'type'"},
    {"gen_ai.input.messages", R"([{"role":"user","parts":[{"type":5}]}])",
     "at '[0].parts[0].type': value type not permitted by 'type' constraint"},
    {"gen_ai.input.messages", R"({"role":"user","parts":[]})",
     "at '': value type not permitted by 'type' constraint"},
    {"gen_ai.input.messages", R"([{"parts":[]}, {"role":"user"}])",
     "at '[0]': missing required property 'role'"},
    {"gen_ai.output.messages",
     R"([{"role":"assistant","parts":[{"type":"text","content":"x"}],"finish_reason":"stop"}])",
     "ok"},
    {"gen_ai.output.messages", R"([{"role":"assistant","parts":[]}])",
     "at '[0]': missing required property 'finish_reason'"},
    {"gen_ai.output.messages", R"([{"role":"assistant","parts":[],"finish_reason":7}])",
     "at '[0].finish_reason': value type not permitted by 'type' constraint"},
    {"gen_ai.system_instructions", R"([{"type":"text","content":"Be brief."}])", "ok"},
    {"gen_ai.system_instructions", R"(["Be brief."])",
     "at '[0]': value type not permitted by 'type' constraint"},
    {"gen_ai.tool.definitions", R"([{"type":"function","name":"get_weather"}])", "ok"},
    {"gen_ai.tool.definitions",
     R"([{"type":"function","name":"f","parameters":{"type":"object"}}])", "ok"},
    {"gen_ai.tool.definitions", R"([{"type":"function","function":{"name":"get_weather"}}])",
     "at '[0]': missing required property 'name'"},
    {"gen_ai.tool.definitions", R"([{"name":"get_weather","input_schema":{}}])",
     "at '[0]': missing required property 'type'"},
    {"gen_ai.tool.call.arguments", R"({"city":"Paris"})", "ok"},
    {"gen_ai.tool.call.result", R"("18C")", "at '': value type not permitted by 'type' constraint"},
    {"gen_ai.retrieval.documents", R"([{"id":"doc-1","score":0.9}])", "ok"},
    {"gen_ai.retrieval.documents", R"([{"id":"doc-1","score":"high"}])",
     "at '[0].score': value type not permitted by 'type' constraint"},
    {"gen_ai.memory.records", R"([{"content":"likes tea","score":0.5}])", "ok"},
    {"gen_ai.memory.records", R"([{"id":"m1"}])", "at '[0]': missing required property 'content'"},
};

TEST(ContentSchema, TheBundledProfileJudgesEveryShape) {
  SemconvModel model = Bundled();
  for (const Case& c : kCases) {
    const AttributeDef* def = model.FindAttribute(c.key);
    ASSERT_NE(def, nullptr) << c.key;
    ASSERT_NE(def->content_schema, nullptr) << c.key << " has no schema in the profile";
    EXPECT_EQ(Show(def->content_schema->Check(Text(c.json))), c.want) << c.key << " " << c.json;
  }
}

// Parity: the upstream registry's own schemas (an anyOf over eleven part types, a draft-07
// meta-schema reference) name exactly the same problem at the same place.
TEST(ContentSchema, TheUpstreamSchemasNameTheSameProblems) {
  const std::string dir = UpstreamDir("model");
  if (!fs::is_directory(dir)) GTEST_SKIP() << "upstream semconv not available: " << dir;
  auto registry = LoadSemconvRegistry({dir, UpstreamDir("core-semconv-HEAD/model")});
  ASSERT_TRUE(registry.ok()) << registry.status();
  for (const std::string& w : registry->warnings) EXPECT_EQ(w.find("JSON schema"), w.npos) << w;
  for (const Case& c : kCases) {
    const AttributeDef* def = registry->FindAttribute(c.key);
    ASSERT_NE(def, nullptr) << c.key;
    ASSERT_NE(def->content_schema, nullptr) << c.key << " has no schema in the registry";
    EXPECT_EQ(Show(def->content_schema->Check(Text(c.json))), c.want) << c.key << " " << c.json;
  }
}

TEST(ContentSchema, StructuredValuesAreCheckedAsSent) {
  SemconvModel model = Bundled();
  const AttributeDef* def = model.FindAttribute("gen_ai.input.messages");
  ASSERT_NE(def, nullptr);
  // An SDK with structured attributes sends an array of kvlists, not JSON text.
  AnyValue v;
  auto* message = v.mutable_array_value()->add_values()->mutable_kvlist_value();
  auto* role = message->add_values();
  role->set_key("role");
  role->mutable_value()->set_string_value("user");
  EXPECT_EQ(Show(def->content_schema->Check(v)), "at '[0]': missing required property 'parts'");
  auto* parts = message->add_values();
  parts->set_key("parts");
  parts->mutable_value()->mutable_array_value();
  EXPECT_EQ(Show(def->content_schema->Check(v)), "ok");
}

TEST(ContentSchema, TextThatIsNotJsonSaysWhereItStops) {
  SemconvModel model = Bundled();
  const AttributeDef* def = model.FindAttribute("gen_ai.input.messages");
  ASSERT_NE(def, nullptr);
  // Cut short by a length limit somewhere in the pipeline.
  const std::string cut = R"([{"role":"user","parts":[{"type":"text","content":"hel)";
  EXPECT_EQ(Show(def->content_schema->Check(Text(cut))),
            "at '': the string is not JSON (" + std::to_string(cut.size()) +
                " bytes, invalid at byte " + std::to_string(cut.size() + 1) +
                ": it ends too soon, cut short?)");
  // A Python repr: fails at its first quote, not at the end.
  EXPECT_EQ(Show(def->content_schema->Check(Text("[{'role': 'user'}]"))),
            "at '': the string is not JSON (18 bytes, invalid at byte 3)");
}

TEST(ContentSchema, ABadSchemaFileIsAnError) {
  const fs::path dir = fs::temp_directory_path() / "agentstorm-content-schema-test";
  fs::create_directories(dir);
  const fs::path bad = dir / "bad.json";
  { std::ofstream(bad) << "{not json"; }
  auto loaded = ContentSchema::Load(bad.string());
  EXPECT_FALSE(loaded.ok());
  EXPECT_NE(std::string(loaded.status().message()).find("bad.json"), std::string::npos);
  EXPECT_FALSE(ContentSchema::Load((dir / "missing.json").string()).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace agentstorm::semconv
