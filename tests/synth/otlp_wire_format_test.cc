// OTLP KeyValue attributes as the templated encoder writes them.
#include "synth/otlp_wire_format.h"

#include <gtest/gtest.h>

namespace agentstorm {
namespace {

TEST(WireBuffer, KeepsCapacityAcrossClear) {
  protowire::Buffer b;
  wire::PutStringAttr(&b, wire::kTagSpanAttr, "gen_ai.operation.name", "chat");
  const char* data = b.data();
  b.Clear();
  wire::PutStringAttr(&b, wire::kTagSpanAttr, "gen_ai.operation.name", "chat");
  EXPECT_EQ(b.data(), data);
  // tag, KeyValue length, key field, AnyValue field {string_value}
  EXPECT_EQ(b.view(), std::string_view("\x4A\x1F\x0A\x15gen_ai.operation.name\x12\x06\x0A\x04"
                                       "chat",
                                       33));
}

}  // namespace
}  // namespace agentstorm
