// The Tempo reader on Tempo's documented JSON shape (tempopb trace.json: "batches"), on the
// base64-ID / enum-name JSON Tempo's server writes, and on its protobuf bodies (v1 and v2).
#include "checker/readers/tempo_reader.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "checker/readers/trace_reader.h"
#include "reader_test_support.h"

namespace agentstorm::readers {
namespace {

using opentelemetry::proto::trace::v1::Span;
using testing::TestServer;

constexpr char kTraceHex[] = "5b8efff798038103d269b633813fc60c";

std::string Bytes(const std::string& hex) { return *HexDecode(hex); }

// What tempopb_v1_batches_input.json holds, checked field by field.
void ExpectSampleTrace(const TracesData& data) {
  ASSERT_EQ(data.resource_spans_size(), 1);
  const auto& rs = data.resource_spans(0);
  ASSERT_EQ(rs.resource().attributes_size(), 1);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "my.service");
  ASSERT_EQ(rs.scope_spans_size(), 1);
  const auto& ss = rs.scope_spans(0);
  EXPECT_EQ(ss.scope().name(), "my.library");
  EXPECT_EQ(ss.scope().version(), "1.0.0");
  ASSERT_EQ(ss.scope().attributes_size(), 1);
  EXPECT_EQ(ss.scope().attributes(0).value().string_value(), "some scope attribute");
  ASSERT_EQ(ss.spans_size(), 1);
  const Span& span = ss.spans(0);
  EXPECT_EQ(span.trace_id(), Bytes(kTraceHex));
  EXPECT_EQ(span.span_id(), Bytes("eee19b7ec3c1b174"));
  EXPECT_EQ(span.parent_span_id(), Bytes("eee19b7ec3c1b173"));
  EXPECT_EQ(span.name(), "I'm a server span");
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1544712660000000000u);
  EXPECT_EQ(span.end_time_unix_nano(), 1544712661000000000u);
  ASSERT_EQ(span.attributes_size(), 1);
  EXPECT_EQ(span.attributes(0).key(), "my.span.attr");
  EXPECT_EQ(span.attributes(0).value().string_value(), "some value");
}

// The sample rewritten the way Tempo's server marshals it: base64 IDs, enum names.
std::string AsTempoServerJson(const std::string& sample) {
  nlohmann::json j = nlohmann::json::parse(sample);
  auto& span = j["batches"][0]["scopeSpans"][0]["spans"][0];
  for (const char* key : {"traceId", "spanId", "parentSpanId"}) {
    span[key] = absl::Base64Escape(Bytes(span[key].get<std::string>()));
  }
  span["kind"] = "SPAN_KIND_SERVER";
  span["status"] = {{"code", "STATUS_CODE_UNSET"}};
  return j.dump();
}

TEST(TempoReader, ReadsDocumentedBatchesJson) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(sample, "tempo/tempopb_v1_batches_input.json");
  TestServer server;
  std::string accept, tenant;
  server.server().Get(R"(/api/traces/([0-9a-f]+))",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        accept = req.get_header_value("Accept");
                        tenant = req.get_header_value("X-Scope-OrgID");
                        if (req.matches[1] != kTraceHex) {
                          res.status = 404;
                          return;
                        }
                        res.set_content(sample, "application/json");
                      });
  server.Start();
  auto reader = MakeTraceReader(server.Url("tempo", "?tenant=team-a"), {});
  ASSERT_TRUE(reader.ok());
  auto trace = (*reader)->GetTrace(*ParseTraceId(kTraceHex));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(accept, "application/protobuf");
  EXPECT_EQ(tenant, "team-a");
  ASSERT_TRUE(trace->found);
  EXPECT_EQ(trace->span_count, 1u);
  ExpectSampleTrace(*trace->data);

  auto missing = (*reader)->GetTrace(*ParseTraceId("1"));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->found);
}

TEST(TempoReader, ReadsServerJsonWithBase64IdsAndEnumNames) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(sample, "tempo/tempopb_v1_batches_input.json");
  TracesData data;
  bool partial = true;
  ASSERT_TRUE(
      DecodeTempoTraceBody(AsTempoServerJson(sample), "application/json", false, &data, &partial)
          .ok());
  EXPECT_FALSE(partial);
  ExpectSampleTrace(data);
}

TEST(TempoReader, ReadsOldInstrumentationLibraryKeys) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(sample, "tempo/tempopb_v1_batches_input.json");
  nlohmann::json j = nlohmann::json::parse(sample);
  auto& batch = j["batches"][0];
  batch["instrumentationLibrarySpans"] = batch["scopeSpans"];
  batch["instrumentationLibrarySpans"][0]["instrumentationLibrary"] =
      batch["instrumentationLibrarySpans"][0]["scope"];
  batch["instrumentationLibrarySpans"][0].erase("scope");
  batch.erase("scopeSpans");
  TracesData data;
  ASSERT_TRUE(DecodeTempoTraceJson(j, &data).ok());
  ExpectSampleTrace(data);
}

TEST(TempoReader, ReadsProtobufV1AndV2) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(sample, "tempo/tempopb_v1_batches_input.json");
  TracesData expected;
  ASSERT_TRUE(DecodeTempoTraceJson(nlohmann::json::parse(sample), &expected).ok());
  const std::string trace_bytes = expected.SerializeAsString();
  // TraceByIDResponse: field 1 (Trace, length-delimited), field 3 (status) = PARTIAL.
  std::string v2 = std::string("\x0a", 1);
  for (size_t n = trace_bytes.size();; n >>= 7) {
    v2.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  v2 += trace_bytes;
  v2 += std::string("\x18\x01", 2);

  TestServer server;
  server.server().Get(R"(/api/traces/.*)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(trace_bytes, "application/protobuf");
  });
  server.server().Get(R"(/api/v2/traces/.*)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(v2, "application/protobuf");
  });
  server.Start();

  auto v1_trace = TempoReader(server.Url("tempo"), {}).GetTrace(*ParseTraceId(kTraceHex));
  ASSERT_TRUE(v1_trace.ok()) << v1_trace.status();
  ExpectSampleTrace(*v1_trace->data);
  EXPECT_FALSE(v1_trace->partial);

  auto v2_trace =
      TempoReader(server.Url("tempo", "?api=v2"), {}).GetTrace(*ParseTraceId(kTraceHex));
  ASSERT_TRUE(v2_trace.ok()) << v2_trace.status();
  ExpectSampleTrace(*v2_trace->data);
  EXPECT_TRUE(v2_trace->partial);
}

TEST(TempoReader, ReadsV2Json) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(sample, "tempo/tempopb_v1_batches_input.json");
  nlohmann::json v2;
  v2["trace"] = nlohmann::json::parse(AsTempoServerJson(sample));
  v2["trace"]["resourceSpans"] = v2["trace"]["batches"];
  v2["trace"].erase("batches");
  v2["status"] = "COMPLETE";
  TracesData data;
  bool partial = true;
  ASSERT_TRUE(DecodeTempoTraceBody(v2.dump(), "application/json", true, &data, &partial).ok());
  EXPECT_FALSE(partial);
  ExpectSampleTrace(data);
}

TEST(TempoReader, RejectsBadIdsWithTheirPath) {
  TracesData data;
  bool partial = false;
  absl::Status s = DecodeTempoTraceBody(
      R"({"batches":[{"scopeSpans":[{"spans":[{"traceId":"not-an-id","spanId":""}]}]}]})",
      "application/json", false, &data, &partial);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("traceId"), absl::string_view::npos) << s;
}

TEST(TempoReader, TraceQlSearchLeftPadsIds) {
  TestServer server;
  std::string q, limit;
  server.server().Get("/api/search", [&](const httplib::Request& req, httplib::Response& res) {
    q = req.get_param_value("q");
    limit = req.get_param_value("limit");
    res.set_content(
        R"({"traces":[{"traceID":"2f3e0cee77ae5dc9c17ade3689eb2e54","rootServiceName":"agent"},
                                  {"traceID":"c17ade3689eb2e54","rootServiceName":"agent"}],
                        "metrics":{"inspectedTraces":2}})",
        "application/json");
  });
  server.Start();
  TempoReader reader(server.Url("tempo"), {});
  auto ids = reader.FindTraces(
      {"agent \"x\"", absl::FromUnixSeconds(100), absl::FromUnixSeconds(200), 10});
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ(HexEncode((*ids)[0]), "2f3e0cee77ae5dc9c17ade3689eb2e54");
  EXPECT_EQ(HexEncode((*ids)[1]), "0000000000000000c17ade3689eb2e54");
  EXPECT_EQ(q, R"({ resource.service.name = "agent \"x\"" })");
  EXPECT_EQ(limit, "10");
}

}  // namespace
}  // namespace agentstorm::readers
