// A backend's answer nested absurdly deep (a hostile or broken backend, or a file of one) is an
// error from every reader, never a crash: `agentstorm check` once died with SIGSEGV on one
// deeply nested attribute (checker/readers/json_values.h kMaxJsonNesting, core/otlp_json.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "checker/readers/file_reader.h"
#include "checker/readers/jaeger_legacy_reader.h"
#include "checker/readers/jaeger_v3_reader.h"
#include "checker/readers/json_values.h"
#include "checker/readers/tempo_reader.h"

namespace agentstorm::readers {
namespace {

std::string Nested(int depth, const std::string& leaf) {
  return std::string(depth, '[') + leaf + std::string(depth, ']');
}

// 200,000 levels: past any stack when walked recursively, within the sink's 16 MiB.
constexpr int kDeep = 200000;

TEST(HostileJson, EveryReaderRefusesNestingPastTheLimitWithAnError) {
  TracesData out;
  const std::string span =
      R"({"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708",)"
      R"("attributes":[{"key":"k","value":{"stringValue":"x"}}],"x":)" +
      Nested(kDeep, "1") + "}";
  const std::string otlp = R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + span + "]}]}]}";

  absl::Status v3 = DecodeJaegerV3Body(R"({"result":)" + otlp + "}", &out);
  EXPECT_FALSE(v3.ok());
  EXPECT_NE(v3.message().find("nested deeper than 512"), std::string::npos) << v3;

  absl::Status legacy = DecodeJaegerLegacyBody(
      R"({"data":[{"traceID":"0102030405060708090a0b0c0d0e0f10","spans":[],"processes":{},)"
      R"("x":)" +
          Nested(kDeep, "1") + "}]}",
      &out);
  EXPECT_FALSE(legacy.ok());
  EXPECT_NE(legacy.message().find("nested deeper than 512"), std::string::npos) << legacy;

  bool partial = false;
  absl::Status tempo = DecodeTempoTraceBody(R"({"batches":)" + Nested(kDeep, "") + "}",
                                            "application/json", false, &out, &partial);
  EXPECT_FALSE(tempo.ok());
  EXPECT_NE(tempo.message().find("nested deeper than 512"), std::string::npos) << tempo;

  auto search = DecodeTempoSearchBody(R"({"traces":)" + Nested(kDeep, "") + "}");
  EXPECT_FALSE(search.ok());

  const std::string path =
      (std::filesystem::temp_directory_path() / "agentstorm-hostile-json.jsonl").string();
  { std::ofstream(path) << otlp << "\n"; }
  auto file = FileReader::Open(path);
  std::filesystem::remove(path);
  EXPECT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("nested deeper than 512"), std::string::npos)
      << file.status();
}

TEST(HostileJson, DeepButLegalOtlpStillReads) {
  // 30 levels of arrayValue: 60 JSON objects and 60 arrays deep, within both limits.
  std::string value;
  for (int i = 0; i < 30; ++i) value += R"({"arrayValue":{"values":[)";
  value += R"({"intValue":"7"})";
  for (int i = 0; i < 30; ++i) value += "]}}";
  const std::string body =
      R"({"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)"
      R"("0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[{"key":"k",)"
      R"("value":)" +
      value + "}]}]}]}]}}";
  TracesData out;
  absl::Status s = DecodeJaegerV3Body(body, &out);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(out.resource_spans_size(), 1);
  EXPECT_EQ(ParseBoundedJson(Nested(512, "")).ok(), true);
  EXPECT_EQ(ParseBoundedJson(Nested(513, "")).ok(), false);
}

}  // namespace
}  // namespace agentstorm::readers
