#include "synth/encoder_tables.h"

#include <string_view>

#include "synth/otlp_wire_format.h"

namespace agentstorm {

const char* ScopeSchemaUrl(bool latest) {
  return latest ? "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev"
                : "https://opentelemetry.io/schemas/1.36.0";
}

void EncodeResource(const Service& svc, CounterRng* rng, protowire::Buffer* out) {
  using wire::kTagResourceAttr;
  wire::PutStringAttr(out, kTagResourceAttr, "service.name", svc.name);
  if (!svc.version.empty())
    wire::PutStringAttr(out, kTagResourceAttr, "service.version", svc.version);
  if (!svc.environment.empty())
    wire::PutStringAttr(out, kTagResourceAttr, "deployment.environment.name", svc.environment);
  wire::PutStringAttr(out, kTagResourceAttr, "telemetry.sdk.name", "agentstorm");
  std::string scratch;
  std::vector<std::string_view> views;
  for (const ExtraAttribute& a : svc.attributes) {
    switch (a.type) {
      case ExtraAttribute::Type::kString:
        wire::PutStringAttr(out, kTagResourceAttr, a.key, a.string_value);
        break;
      case ExtraAttribute::Type::kInt:
        wire::PutIntAttr(out, kTagResourceAttr, a.key, a.int_value);
        break;
      case ExtraAttribute::Type::kDouble:
        wire::PutDoubleAttr(out, kTagResourceAttr, a.key, a.double_value);
        break;
      case ExtraAttribute::Type::kBool:
        wire::PutBoolAttr(out, kTagResourceAttr, a.key, a.bool_value);
        break;
      case ExtraAttribute::Type::kStringArray:
        views.assign(a.strings.begin(), a.strings.end());
        wire::PutStringArrayAttr(out, kTagResourceAttr, a.key, views.data(), views.size());
        break;
      case ExtraAttribute::Type::kPool:
        scratch.assign(a.string_value);
        scratch.append(std::to_string(rng->NextInt(0, a.int_value - 1)));
        wire::PutStringAttr(out, kTagResourceAttr, a.key, scratch);
        break;
    }
  }
}

EncoderTables::EncoderTables(const Scenario& scenario) {
  for (const ScenarioPart& part : scenario.parts) {
    auto& row = resource_.emplace_back();
    auto& pooled = pooled_.emplace_back();
    for (const Service& svc : part.services) {
      bool is_pooled = false;
      for (const ExtraAttribute& a : svc.attributes)
        is_pooled |= a.type == ExtraAttribute::Type::kPool;
      pooled.push_back(is_pooled);
      protowire::Buffer b;
      if (!is_pooled) EncodeResource(svc, nullptr, &b);
      row.emplace_back(b.view());
    }
  }
  // InstrumentationScope{name: "agentstorm"} as ScopeSpans.scope (field 1).
  scope_.assign(
      "\x0A\x0C\x0A\x0A"
      "agentstorm",
      14);
  auto schema = [](bool latest) {
    std::string s(1, '\x1A');  // ScopeSpans.schema_url (field 3)
    const std::string_view url = ScopeSchemaUrl(latest);
    char len[10];
    s.append(len, protowire::PutVarint(len, url.size()) - len);
    s.append(url);
    return s;
  };
  schema_latest_ = schema(true);
  schema_v136_ = schema(false);
}

}  // namespace agentstorm
