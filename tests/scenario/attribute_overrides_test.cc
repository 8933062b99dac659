#include "scenario/attribute_overrides.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentstorm {
namespace {

using Type = ExtraAttribute::Type;

TEST(AttributeOverrides, FlagValuesAreTypedAsInAScenarioFile) {
  auto i = ParseAttributeFlag("tier=3", "--span-attr");
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->type, Type::kInt);
  EXPECT_EQ(i->int_value, 3);
  auto q = ParseAttributeFlag("label=\"42\"", "--span-attr");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->type, Type::kString);
  EXPECT_EQ(q->string_value, "42");
  auto d = ParseAttributeFlag("ratio=0.5", "--span-attr");
  EXPECT_EQ(d->type, Type::kDouble);
  auto b = ParseAttributeFlag("canary=true", "--span-attr");
  EXPECT_EQ(b->type, Type::kBool);
  auto s = ParseAttributeFlag("url=http://x/?a=b", "--span-attr");
  EXPECT_EQ(s->type, Type::kString);
  EXPECT_EQ(s->string_value, "http://x/?a=b");
  auto bad = ParseAttributeFlag("novalue", "--span-attr");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("--span-attr novalue: expected KEY=VALUE"),
            std::string::npos)
      << bad.status();
  EXPECT_FALSE(ParseAttributeFlag("=x", "--resource-attr").ok());
}

TEST(AttributeOverrides, EnvironmentIsPercentDecodedAndFollowsTheSdkPrecedence) {
  auto o = CollectAttributeOverrides("service.name=from-attrs, team=blue%2Cgreen ,k=a%3Db",
                                     "from-service-name", {"team=red"}, {"tier=3"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->resource.size(), 3u);
  EXPECT_EQ(o->resource[0].key, "service.name");
  EXPECT_EQ(o->resource[0].string_value, "from-service-name");  // OTEL_SERVICE_NAME wins
  EXPECT_EQ(o->resource[1].string_value, "red");                // then the flag
  EXPECT_EQ(o->resource[2].string_value, "a=b");
  ASSERT_EQ(o->span.size(), 1u);
  auto bad = CollectAttributeOverrides("team", nullptr, {}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("OTEL_RESOURCE_ATTRIBUTES"),
            std::string::npos);
  EXPECT_FALSE(CollectAttributeOverrides("team=%zz", nullptr, {}, {}).ok());
  EXPECT_TRUE(CollectAttributeOverrides(nullptr, "", {}, {})->empty());
}

Scenario TwoServices() {
  Scenario s;
  ScenarioPart part;
  part.services.push_back({"research-app", "1.0.0", "staging", {}});
  part.services.push_back({"search-tool", "2.0.0", "staging", {}});
  ExtraAttribute team;
  team.key = "team";
  team.string_value = "red";
  part.services[1].attributes.push_back(team);
  part.span_attributes.push_back(team);
  s.parts.push_back(part);
  return s;
}

TEST(AttributeOverrides, ApplyRenamesTheFirstServiceAndSetsTheRestOnce) {
  auto o = CollectAttributeOverrides("service.name=checkout,deployment.environment.name=prod",
                                     nullptr, {"team=blue"}, {"team=blue", "tier=3"});
  ASSERT_TRUE(o.ok());
  Scenario s = TwoServices();
  ApplyAttributeOverrides(*o, &s);
  ApplyAttributeOverrides(*o, &s);  // idempotent: the check applies them again
  const ScenarioPart& p = s.parts[0];
  EXPECT_EQ(p.services[0].name, "checkout");
  EXPECT_EQ(p.services[1].name, "search-tool");
  EXPECT_EQ(p.services[0].environment, "prod");
  EXPECT_EQ(p.services[1].environment, "prod");
  ASSERT_EQ(p.services[0].attributes.size(), 1u);
  ASSERT_EQ(p.services[1].attributes.size(), 1u);  // replaced, not added twice
  EXPECT_EQ(p.services[1].attributes[0].string_value, "blue");
  ASSERT_EQ(p.span_attributes.size(), 2u);
  EXPECT_EQ(p.span_attributes[0].string_value, "blue");
  EXPECT_EQ(p.span_attributes[1].int_value, 3);
}

TEST(AttributeOverrides, LedgerTextRoundTripsEveryTypeAndAwkwardCharacters) {
  auto o = CollectAttributeOverrides("note=tab%09and%0Anewline", nullptr, {"n=\"7\""},
                                     {"i=-4", "d=0.1", "b=false", "s=a b\\c"});
  ASSERT_TRUE(o.ok());
  const std::string text = EncodeAttributeOverrides(*o);
  auto back = DecodeAttributeOverrides(text);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_EQ(EncodeAttributeOverrides(*back), text);
  ASSERT_EQ(back->resource.size(), 2u);
  EXPECT_EQ(back->resource[0].string_value, "tab\tand\nnewline");
  EXPECT_EQ(back->resource[1].type, Type::kString);
  EXPECT_EQ(back->resource[1].string_value, "7");
  ASSERT_EQ(back->span.size(), 4u);
  EXPECT_EQ(back->span[0].int_value, -4);
  EXPECT_DOUBLE_EQ(back->span[1].double_value, 0.1);
  EXPECT_EQ(back->span[2].type, Type::kBool);
  EXPECT_EQ(back->span[3].string_value, "a b\\c");
  EXPECT_EQ(EncodeAttributeOverrides(AttributeOverrides{}), "");
  EXPECT_FALSE(DecodeAttributeOverrides("resource int k\tnot-a-number\n").ok());
  EXPECT_FALSE(DecodeAttributeOverrides("elsewhere string k\tv\n").ok());
  EXPECT_FALSE(DecodeAttributeOverrides("resource string k\n").ok());
}

}  // namespace
}  // namespace agentstorm
