#include "core/otlp_json.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/ids.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {
namespace {

using google::protobuf::util::MessageDifferencer;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;
using opentelemetry::proto::trace::v1::TracesData;

std::optional<std::string> ReadSample(const std::string& relative) {
  std::ifstream in(std::string(AGENTSTORM_SHARED_DIR) + "/upstream/backend-responses/" + relative,
                   std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

#define READ_SAMPLE_OR_SKIP(var, relative)                                                \
  std::optional<std::string> var = ReadSample(relative);                                  \
  if (!var)                                                                               \
    GTEST_SKIP() << "sample " << relative << " not found under " << AGENTSTORM_SHARED_DIR \
                 << " (AGENTSTORM_SHARED_DIR)";

std::string Bytes(std::string_view hex) { return HexDecode(hex).value(); }

const AnyValue* FindAttribute(const google::protobuf::RepeatedPtrField<KeyValue>& attributes,
                              std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

// decode -> encode -> decode gives the same message, and encoding is stable.
void ExpectRoundTrip(const google::protobuf::Message& decoded) {
  const std::string encoded = EncodeOtlpJson(decoded);
  std::unique_ptr<google::protobuf::Message> again(decoded.New());
  ASSERT_TRUE(DecodeOtlpJson(encoded, again.get()).ok()) << encoded;
  EXPECT_TRUE(MessageDifferencer::Equals(decoded, *again)) << encoded;
  EXPECT_EQ(EncodeOtlpJson(*again), encoded);
}

// ---------------------------------------------------------------- real samples

TEST(OtlpJsonSamples, ProtoExampleWithUppercaseHexAndIntegerKind) {
  READ_SAMPLE_OR_SKIP(text, "otlp_file/otlp_proto_examples_trace.json");
  TracesData data;
  ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
  ASSERT_EQ(data.resource_spans_size(), 1);
  const auto& rs = data.resource_spans(0);
  const AnyValue* service = FindAttribute(rs.resource().attributes(), "service.name");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->string_value(), "my.service");
  ASSERT_EQ(rs.scope_spans_size(), 1);
  const auto& scope = rs.scope_spans(0).scope();
  EXPECT_EQ(scope.name(), "my.library");
  EXPECT_EQ(scope.version(), "1.0.0");
  ASSERT_NE(FindAttribute(scope.attributes(), "my.scope.attribute"), nullptr);
  EXPECT_EQ(FindAttribute(scope.attributes(), "my.scope.attribute")->string_value(),
            "some scope attribute");

  ASSERT_EQ(rs.scope_spans(0).spans_size(), 1);
  const Span& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), Bytes("5b8efff798038103d269b633813fc60c"));
  EXPECT_EQ(span.span_id(), Bytes("eee19b7ec3c1b174"));
  EXPECT_EQ(span.parent_span_id(), Bytes("eee19b7ec3c1b173"));
  EXPECT_EQ(span.name(), "I'm a server span");
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1544712660000000000ULL);
  EXPECT_EQ(span.end_time_unix_nano(), 1544712661000000000ULL);
  const AnyValue* attr = FindAttribute(span.attributes(), "my.span.attr");
  ASSERT_NE(attr, nullptr);
  EXPECT_EQ(attr->value_case(), AnyValue::kStringValue);
  EXPECT_EQ(attr->string_value(), "some value");
  ExpectRoundTrip(data);
}

TEST(OtlpJsonSamples, EncodesIdsLowercaseKindAsIntegerAndTimesAsStrings) {
  READ_SAMPLE_OR_SKIP(text, "otlp_file/otlp_proto_examples_trace.json");
  TracesData data;
  ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
  const nlohmann::json out = EncodeOtlpJsonValue(data);
  const nlohmann::json& span = out["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["traceId"], "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(span["spanId"], "eee19b7ec3c1b174");
  EXPECT_EQ(span["parentSpanId"], "eee19b7ec3c1b173");
  EXPECT_EQ(span["kind"], 2);
  EXPECT_EQ(span["startTimeUnixNano"], "1544712660000000000");
  EXPECT_EQ(span["endTimeUnixNano"], "1544712661000000000");
  EXPECT_EQ(EncodeOtlpJson(data).find("5B8E"), std::string::npos);
}

TEST(OtlpJsonSamples, FileExporterJsonLinesDecodeLineByLine) {
  READ_SAMPLE_OR_SKIP(text, "otlp_file/spec_file_exporter_traces_example.jsonl");
  std::istringstream lines(*text);
  std::string line;
  int traces_lines = 0;
  int metrics_lines = 0;
  std::vector<uint64_t> first_event_times;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const nlohmann::json parsed = nlohmann::json::parse(line);
    if (parsed.contains("resourceMetrics")) {
      ExportMetricsServiceRequest metrics;
      ASSERT_TRUE(DecodeOtlpJson(parsed, &metrics).ok());
      EXPECT_GT(metrics.resource_metrics_size(), 0);
      ExpectRoundTrip(metrics);
      ++metrics_lines;
      continue;
    }
    ASSERT_TRUE(parsed.contains("resourceSpans")) << "neither traces nor metrics: " << line;
    ExportTraceServiceRequest request;
    const absl::Status status = DecodeOtlpJson(line, &request);
    ASSERT_TRUE(status.ok()) << status;
    ++traces_lines;
    ASSERT_EQ(request.resource_spans_size(), 1);
    const auto& rs = request.resource_spans(0);
    EXPECT_EQ(FindAttribute(rs.resource().attributes(), "resource-attr")->string_value(),
              "resource-attr-val-1");
    ASSERT_EQ(rs.scope_spans_size(), 1);
    EXPECT_TRUE(rs.scope_spans(0).has_scope());  // "scope": {} is present, just empty
    ASSERT_EQ(rs.scope_spans(0).spans_size(), 2);

    const Span& a = rs.scope_spans(0).spans(0);
    EXPECT_EQ(a.name(), "operationA");
    EXPECT_TRUE(a.trace_id().empty());  // "" decodes to empty bytes
    EXPECT_TRUE(a.parent_span_id().empty());
    EXPECT_EQ(a.start_time_unix_nano(), 1581452772000000321ULL);
    EXPECT_EQ(a.end_time_unix_nano(), 1581452773000000789ULL);
    EXPECT_EQ(a.dropped_attributes_count(), 1u);
    EXPECT_EQ(a.dropped_events_count(), 1u);
    ASSERT_EQ(a.events_size(), 2);
    EXPECT_EQ(a.events(0).name(), "event-with-attr");
    EXPECT_EQ(a.events(0).dropped_attributes_count(), 2u);
    EXPECT_EQ(FindAttribute(a.events(0).attributes(), "span-event-attr")->string_value(),
              "span-event-attr-val");
    first_event_times.push_back(a.events(0).time_unix_nano());
    EXPECT_EQ(a.status().code(), Status::STATUS_CODE_ERROR);
    EXPECT_EQ(a.status().message(), "status-cancelled");

    // operationB's counts and start time vary from line to line: compare with the raw JSON.
    const nlohmann::json& raw_b = parsed["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
    const Span& b = rs.scope_spans(0).spans(1);
    EXPECT_EQ(b.name(), "operationB");
    EXPECT_TRUE(b.has_status());
    EXPECT_EQ(b.status().code(), Status::STATUS_CODE_UNSET);
    EXPECT_EQ(b.start_time_unix_nano(), std::stoull(raw_b["startTimeUnixNano"].get<std::string>()));
    EXPECT_EQ(b.dropped_links_count(), raw_b["droppedLinksCount"].get<uint32_t>());
    ASSERT_EQ(b.links_size(), 2);
    EXPECT_EQ(b.links(0).dropped_attributes_count(),
              raw_b["links"][0]["droppedAttributesCount"].get<uint32_t>());
    EXPECT_EQ(b.links(1).dropped_attributes_count(),
              raw_b["links"][1]["droppedAttributesCount"].get<uint32_t>());
    EXPECT_EQ(FindAttribute(b.links(0).attributes(), "span-link-attr")->string_value(),
              "span-link-attr-val");
    ExpectRoundTrip(request);
  }
  EXPECT_EQ(traces_lines + metrics_lines, 4);
  EXPECT_GE(traces_lines, 1);
  // The lines differ in their event timestamps; each must come through exactly.
  EXPECT_EQ(first_event_times,
            (std::vector<uint64_t>{1581452773000000123ULL, 1581452773000000424ULL,
                                   1581452773000000826ULL, 1581452773000010925ULL}));
}

TEST(OtlpJsonSamples, JaegerApiV3ResponsesCarryOtlpUnderResult) {
  for (const char* file : {"jaeger/apiv3_GetTrace.json", "jaeger/apiv3_FindTraces.json"}) {
    READ_SAMPLE_OR_SKIP(text, file);
    const nlohmann::json response = nlohmann::json::parse(*text);
    TracesData data;
    const absl::Status status = DecodeOtlpJson(response.at("result"), &data);
    ASSERT_TRUE(status.ok()) << file << ": " << status;
    ASSERT_EQ(data.resource_spans_size(), 1) << file;
    const Span& span = data.resource_spans(0).scope_spans(0).spans(0);
    EXPECT_EQ(span.name(), "foobar");
    EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
    EXPECT_EQ(span.status().code(), Status::STATUS_CODE_ERROR);
    EXPECT_EQ(span.trace_id(), Bytes("00000000000000000000000000000001"));
    EXPECT_EQ(span.span_id(), Bytes("0000000000000002"));
    ExpectRoundTrip(data);
  }
}

TEST(OtlpJsonSamples, JaegerIntegrationTracesKeepAttributeTypes) {
  READ_SAMPLE_OR_SKIP(text, "jaeger/integration_span_tags_trace.json");
  TracesData data;
  ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
  const Span& span = data.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), Bytes("00000000000000000000000000000001"));
  EXPECT_EQ(span.end_time_unix_nano() - span.start_time_unix_nano(), 7000u);
  const AnyValue* s = FindAttribute(span.attributes(), "sameplacetag1");
  const AnyValue* i = FindAttribute(span.attributes(), "sameplacetag2");
  const AnyValue* d = FindAttribute(span.attributes(), "sameplacetag3");
  const AnyValue* b = FindAttribute(span.attributes(), "sameplacetag4");
  const AnyValue* blob = FindAttribute(span.attributes(), "blob");
  ASSERT_TRUE(s && i && d && b && blob);
  EXPECT_EQ(s->value_case(), AnyValue::kStringValue);
  EXPECT_EQ(i->value_case(), AnyValue::kIntValue);
  EXPECT_EQ(i->int_value(), 123);
  EXPECT_EQ(d->value_case(), AnyValue::kDoubleValue);
  EXPECT_EQ(d->double_value(), 72.5);
  EXPECT_EQ(b->value_case(), AnyValue::kBoolValue);
  EXPECT_TRUE(b->bool_value());
  EXPECT_EQ(blob->value_case(), AnyValue::kBytesValue);
  EXPECT_EQ(blob->bytes_value(), std::string("\x00\x00\x30\x39", 4));  // base64 "AAAwOQ=="

  const nlohmann::json out = EncodeOtlpJsonValue(data);
  const nlohmann::json& attrs = out["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  EXPECT_EQ(attrs[1]["value"], nlohmann::json({{"intValue", "123"}}));
  EXPECT_EQ(attrs[3]["value"], nlohmann::json({{"doubleValue", 72.5}}));
  EXPECT_EQ(attrs[4]["value"], nlohmann::json({{"bytesValue", "AAAwOQ=="}}));
}

TEST(OtlpJsonSamples, JaegerIntegrationLinksScopesAndMultiServiceTraces) {
  {
    READ_SAMPLE_OR_SKIP(text, "jaeger/integration_link_attributes_trace.json");
    TracesData data;
    ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
    const Span& span = data.resource_spans(0).scope_spans(0).spans(0);
    ASSERT_EQ(span.links_size(), 3);
    EXPECT_EQ(span.links(0).trace_id(), Bytes("000000000000000000000000000000ff"));
    EXPECT_EQ(span.links(0).span_id(), Bytes("00000000000000ff"));
    EXPECT_EQ(FindAttribute(span.links(0).attributes(), "sameplacelinkattribute2")->int_value(),
              123);
    EXPECT_EQ(FindAttribute(span.links(2).attributes(), "opentracing.ref_type")->string_value(),
              "follows_from");
    ExpectRoundTrip(data);
  }
  {
    READ_SAMPLE_OR_SKIP(text, "jaeger/integration_scope_attributes_trace.json");
    TracesData data;
    ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
    const auto& scope = data.resource_spans(0).scope_spans(0).scope();
    EXPECT_EQ(scope.name(), "testing-library");
    EXPECT_EQ(scope.version(), "1.1.1");
    EXPECT_EQ(FindAttribute(scope.attributes(), "sameplacescopeattribute3")->double_value(), 72.5);
    ExpectRoundTrip(data);
  }
  {
    READ_SAMPLE_OR_SKIP(text, "jaeger/integration_example_trace.json");
    TracesData data;
    ASSERT_TRUE(DecodeOtlpJson(*text, &data).ok());
    ASSERT_EQ(data.resource_spans_size(), 3);
    const auto& last = data.resource_spans(2).scope_spans(0);
    ASSERT_EQ(last.spans_size(), 3);
    EXPECT_EQ(last.spans(1).kind(), Span::SPAN_KIND_SERVER);
    EXPECT_EQ(last.spans(2).kind(), Span::SPAN_KIND_CLIENT);
    EXPECT_EQ(last.spans(2).span_id(), Bytes("0000000000000007"));
    EXPECT_EQ(last.spans(0).events_size(), 2);
    EXPECT_EQ(last.spans(0).events(1).time_unix_nano(), 1485449191639875000ULL);
    ExpectRoundTrip(data);
  }
}

// ---------------------------------------------------------------- accepted input forms

TEST(OtlpJsonDecode, AcceptsSnakeCaseKeys) {
  TracesData data;
  const absl::Status status = DecodeOtlpJson(R"({"resource_spans":[{"scope_spans":[{"spans":[{
      "trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174",
      "parent_span_id":"EEE19B7EC3C1B173","start_time_unix_nano":"12","dropped_attributes_count":3,
      "status":{"code":1}}]}],"schema_url":"https://x"}]})",
                                             &data);
  ASSERT_TRUE(status.ok()) << status;
  const Span& span = data.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), Bytes("5b8efff798038103d269b633813fc60c"));
  EXPECT_EQ(span.parent_span_id(), Bytes("eee19b7ec3c1b173"));
  EXPECT_EQ(span.start_time_unix_nano(), 12u);
  EXPECT_EQ(span.dropped_attributes_count(), 3u);
  EXPECT_EQ(span.status().code(), Status::STATUS_CODE_OK);
  EXPECT_EQ(data.resource_spans(0).schema_url(), "https://x");
  // Output always uses lowerCamelCase.
  const std::string out = EncodeOtlpJson(data);
  EXPECT_NE(out.find("\"parentSpanId\""), std::string::npos);
  EXPECT_NE(out.find("\"schemaUrl\""), std::string::npos);
  EXPECT_EQ(out.find("parent_span_id"), std::string::npos);
}

TEST(OtlpJsonDecode, AcceptsEnumNamesAndEncodesIntegers) {
  Span span;
  ASSERT_TRUE(
      DecodeOtlpJson(R"({"kind":"SPAN_KIND_CLIENT","status":{"code":"STATUS_CODE_ERROR"}})", &span)
          .ok());
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(span.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(EncodeOtlpJsonValue(span), nlohmann::json::parse(R"({"kind":3,"status":{"code":2}})"));

  const absl::Status bad = DecodeOtlpJson(R"({"kind":"SPAN_KIND_SIDEWAYS"})", &span);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), R"(kind: unknown SpanKind value "SPAN_KIND_SIDEWAYS")");
}

TEST(OtlpJsonDecode, Accepts64BitIntegersAsNumbersOrStrings) {
  Span span;
  ASSERT_TRUE(DecodeOtlpJson(R"({"startTimeUnixNano":1544712660000000000,
      "endTimeUnixNano":"18446744073709551615",
      "attributes":[{"key":"n","value":{"intValue":-5}},
                    {"key":"s","value":{"intValue":"-9223372036854775808"}},
                    {"key":"e","value":{"intValue":1e3}}]})",
                             &span)
                  .ok());
  EXPECT_EQ(span.start_time_unix_nano(), 1544712660000000000ULL);
  EXPECT_EQ(span.end_time_unix_nano(), 18446744073709551615ULL);
  EXPECT_EQ(span.attributes(0).value().int_value(), -5);
  EXPECT_EQ(span.attributes(1).value().int_value(), INT64_MIN);
  EXPECT_EQ(span.attributes(2).value().int_value(), 1000);
  const nlohmann::json out = EncodeOtlpJsonValue(span);
  EXPECT_EQ(out["startTimeUnixNano"], "1544712660000000000");
  EXPECT_EQ(out["endTimeUnixNano"], "18446744073709551615");
  EXPECT_EQ(out["attributes"][0]["value"]["intValue"], "-5");
}

TEST(OtlpJsonDecode, IgnoresUnknownFieldsAtEveryLevel) {
  ExportTraceServiceRequest request;
  const absl::Status status = DecodeOtlpJson(R"({"future":{"a":[1,2]},"resourceSpans":[{
      "entityRefs2":[{"x":1}],"scopeSpans":[{"spans":[{"name":"n","newField":"x",
      "attributes":[{"key":"k","value":{"stringValue":"v","annotation":true}}]}]}]}]})",
                                             &request);
  ASSERT_TRUE(status.ok()) << status;
  const Span& span = request.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "n");
  EXPECT_EQ(span.attributes(0).value().string_value(), "v");
}

TEST(OtlpJsonDecode, NullMeansDefault) {
  Span span;
  ASSERT_TRUE(DecodeOtlpJson(R"({"name":null,"status":null,"attributes":null})", &span).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(span, Span()));
}

// ---------------------------------------------------------------- AnyValue and bytes

TEST(OtlpJsonAnyValue, EveryTypeRoundTripsWithItsType) {
  Span span;
  const absl::Status status = DecodeOtlpJson(R"({"attributes":[
      {"key":"s","value":{"stringValue":"text"}},
      {"key":"b","value":{"boolValue":false}},
      {"key":"i","value":{"intValue":"0"}},
      {"key":"d","value":{"doubleValue":0}},
      {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"7"},
                                                  {"doubleValue":1.5}]}}},
      {"key":"kv","value":{"kvlistValue":{"values":[{"key":"inner","value":{"boolValue":true}}]}}},
      {"key":"raw","value":{"bytesValue":"3q2+7w=="}},
      {"key":"empty","value":{}},
      {"key":"absent"}]})",
                                             &span);
  ASSERT_TRUE(status.ok()) << status;
  const auto& a = span.attributes();
  EXPECT_EQ(a[0].value().value_case(), AnyValue::kStringValue);
  EXPECT_EQ(a[1].value().value_case(), AnyValue::kBoolValue);  // false is still a bool
  EXPECT_EQ(a[2].value().value_case(), AnyValue::kIntValue);   // 0 is still an int
  EXPECT_EQ(a[3].value().value_case(), AnyValue::kDoubleValue);
  ASSERT_EQ(a[4].value().value_case(), AnyValue::kArrayValue);
  EXPECT_EQ(a[4].value().array_value().values(1).int_value(), 7);
  EXPECT_EQ(a[4].value().array_value().values(2).value_case(), AnyValue::kDoubleValue);
  EXPECT_EQ(a[5].value().kvlist_value().values(0).key(), "inner");
  EXPECT_EQ(a[6].value().bytes_value(), "\xde\xad\xbe\xef");
  EXPECT_TRUE(a[7].has_value());  // an empty AnyValue stays an empty AnyValue
  EXPECT_EQ(a[7].value().value_case(), AnyValue::VALUE_NOT_SET);
  EXPECT_FALSE(a[8].has_value());

  const nlohmann::json out = EncodeOtlpJsonValue(span)["attributes"];
  EXPECT_EQ(out[1]["value"], nlohmann::json({{"boolValue", false}}));
  EXPECT_EQ(out[2]["value"], nlohmann::json({{"intValue", "0"}}));
  EXPECT_EQ(out[3]["value"], nlohmann::json({{"doubleValue", 0.0}}));
  EXPECT_EQ(out[6]["value"], nlohmann::json({{"bytesValue", "3q2+7w=="}}));
  EXPECT_EQ(out[7]["value"], nlohmann::json::object());
  EXPECT_FALSE(out[8].contains("value"));
  ExpectRoundTrip(span);
}

TEST(OtlpJsonAnyValue, NonFiniteDoublesAreStrings) {
  Span span;
  ASSERT_TRUE(DecodeOtlpJson(R"({"attributes":[{"key":"n","value":{"doubleValue":"NaN"}},
      {"key":"p","value":{"doubleValue":"Infinity"}},{"key":"m","value":{"doubleValue":"-Infinity"}},
      {"key":"q","value":{"doubleValue":"2.25"}}]})",
                             &span)
                  .ok());
  EXPECT_TRUE(std::isnan(span.attributes(0).value().double_value()));
  EXPECT_EQ(span.attributes(1).value().double_value(), INFINITY);
  EXPECT_EQ(span.attributes(2).value().double_value(), -INFINITY);
  EXPECT_EQ(span.attributes(3).value().double_value(), 2.25);
  const nlohmann::json out = EncodeOtlpJsonValue(span)["attributes"];
  EXPECT_EQ(out[0]["value"]["doubleValue"], "NaN");
  EXPECT_EQ(out[1]["value"]["doubleValue"], "Infinity");
  EXPECT_EQ(out[2]["value"]["doubleValue"], "-Infinity");
  EXPECT_EQ(out[3]["value"]["doubleValue"], 2.25);
}

TEST(OtlpJsonEncode, OmitsProto3DefaultsButKeepsPresentMessages) {
  Span span;
  span.set_name("");
  span.set_kind(Span::SPAN_KIND_UNSPECIFIED);
  span.set_dropped_events_count(0);
  EXPECT_EQ(EncodeOtlpJson(span), "{}");
  span.mutable_status();
  EXPECT_EQ(EncodeOtlpJson(span), R"({"status":{}})");
}

TEST(OtlpJsonMetrics, ExemplarIdsAreHexAndOptionalZeroSumIsKept) {
  ExportMetricsServiceRequest request;
  const absl::Status status = DecodeOtlpJson(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
      {"name":"h","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE",
       "dataPoints":[{"count":"3","sum":0,"bucketCounts":["1",2],"explicitBounds":[0.5],
                      "exemplars":[{"traceId":"000000000000000000000000000000AB",
                                    "spanId":"00000000000000CD","asInt":"4"}]}]}},
      {"name":"g","gauge":{"dataPoints":[{"asDouble":1.25}]}}]}]}]})",
                                             &request);
  ASSERT_TRUE(status.ok()) << status;
  const auto& metric = request.resource_metrics(0).scope_metrics(0).metrics(0);
  const auto& point = metric.histogram().data_points(0);
  EXPECT_EQ(metric.histogram().aggregation_temporality(),
            opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(point.count(), 3u);
  EXPECT_TRUE(point.has_sum());
  EXPECT_FALSE(point.has_min());
  EXPECT_EQ(point.bucket_counts(1), 2u);
  EXPECT_EQ(point.exemplars(0).trace_id(), Bytes("000000000000000000000000000000ab"));
  EXPECT_EQ(point.exemplars(0).as_int(), 4);

  const nlohmann::json out = EncodeOtlpJsonValue(request);
  const nlohmann::json& dp =
      out["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]["dataPoints"][0];
  EXPECT_EQ(dp["sum"], 0.0);
  EXPECT_FALSE(dp.contains("min"));
  EXPECT_EQ(dp["bucketCounts"], nlohmann::json({"1", "2"}));
  EXPECT_EQ(dp["exemplars"][0]["traceId"], "000000000000000000000000000000ab");
  EXPECT_EQ(dp["exemplars"][0]["spanId"], "00000000000000cd");
  ExpectRoundTrip(request);
}

// ---------------------------------------------------------------- errors name the path

absl::Status DecodeTraces(std::string_view text) {
  ExportTraceServiceRequest request;
  return DecodeOtlpJson(text, &request);
}

TEST(OtlpJsonErrors, InvalidHexNamesTheSpan) {
  const absl::Status status = DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
      {"name":"a"},{"name":"b"},{"traceId":"xyz"}]}]}]})");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            R"(resourceSpans[0].scopeSpans[0].spans[2].traceId: invalid hex "xyz")");
}

TEST(OtlpJsonErrors, WrongIdLengthIsAnError) {
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"abcd"}]}]}]})")
                .message(),
            "resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex digits, got 4");
}

TEST(OtlpJsonErrors, WrongJsonTypesAreErrors) {
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"resource":"svc"}]})").message(),
            "resourceSpans[0].resource: expected object, got string");
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":{"a":1}})").message(),
            "resourceSpans: expected array, got object");
  EXPECT_EQ(
      DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}]})").message(),
      "resourceSpans[0].scopeSpans[0].spans[0].name: expected string, got number");
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
                {"attributes":[{"key":"k","value":{"boolValue":"true"}}]}]}]}]})")
                .message(),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.boolValue: expected bool, "
            "got string");
  EXPECT_EQ(DecodeTraces(R"([1,2])").message(), "(root): expected object, got array");
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[null]})").message(),
            "resourceSpans[0]: null array element");
}

TEST(OtlpJsonErrors, BadNumbersAndBase64AreErrors) {
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
                {"startTimeUnixNano":"soon"}]}]}]})")
                .message(),
            R"(resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: invalid integer "soon")");
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
                {"startTimeUnixNano":-1}]}]}]})")
                .message(),
            "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: integer -1 out of range");
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"scopeSpans":[{"spans":[
                {"droppedEventsCount":4294967296}]}]}]})")
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      DecodeTraces(R"({"resourceSpans":[{"resource":{"attributes":[
                {"key":"k","value":{"bytesValue":"!!not base64!!"}}]}}]})")
          .message(),
      R"(resourceSpans[0].resource.attributes[0].value.bytesValue: invalid base64 "!!not base64!!")");
}

TEST(OtlpJsonErrors, TwoOneofMembersAreAnError) {
  EXPECT_EQ(DecodeTraces(R"({"resourceSpans":[{"resource":{"attributes":[
                {"key":"k","value":{"intValue":"1","stringValue":"1"}}]}}]})")
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OtlpJsonErrors, OutOfRangeNumberIsAnErrorNotACrash) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest req;
  absl::Status status =
      DecodeOtlpJson(std::string_view(R"({"resourceSpans":[{"x":1e999999}]})"), &req);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(OtlpJsonErrors, InvalidJsonIsAnErrorAndClearsOutput) {
  ExportTraceServiceRequest request;
  request.add_resource_spans();
  const absl::Status status = DecodeOtlpJson(R"({"resourceSpans":[)", &request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("invalid JSON"), std::string::npos) << status;
  EXPECT_EQ(request.resource_spans_size(), 0);
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

// A request whose one attribute value nests `depth` arrayValues.
std::string NestedAttribute(int depth) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += R"({"arrayValue":{"values":[)";
    close += "]}}";
  }
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",)"
         R"("spanId":"0102030405060708","attributes":[{"key":"k","value":)" +
         open + R"({"intValue":"1"})" + close + "}]}]}]}]}";
}

// 200,000 levels (5.6 MB, within the sink's 16 MiB) overflowed the stack of a decoder that
// recursed per level; the limit is libprotobuf's own (100 nested messages), checked as the
// decoder descends, and the error names it and where.
TEST(OtlpJsonLimits, NestingDeeperThanProtobufAllowsIsAnErrorNotACrash) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  const absl::Status deep = DecodeOtlpJson(NestedAttribute(200000), &request);
  EXPECT_EQ(deep.code(), absl::StatusCode::kInvalidArgument) << deep;
  EXPECT_NE(deep.message().find("nested deeper than 100 messages"), std::string::npos) << deep;
  EXPECT_NE(deep.message().find("resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value"),
            std::string::npos)
      << deep;
  EXPECT_EQ(request.resource_spans_size(), 0) << "nothing half-decoded is left";
  // Within the limit it decodes: 30 levels.
  const absl::Status fine = DecodeOtlpJson(NestedAttribute(30), &request);
  ASSERT_TRUE(fine.ok()) << fine;
  const auto* v = &request.resource_spans(0).scope_spans(0).spans(0).attributes(0).value();
  for (int i = 0; i < 30; ++i) v = &v->array_value().values(0);
  EXPECT_EQ(v->int_value(), 1);
  // The limit is libprotobuf's: a nesting decodes from JSON exactly when libprotobuf parses the
  // same request from its wire form.
  int last_ok = -1;
  for (int depth = 40; depth <= 50; ++depth) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest built, parsed;
    const absl::Status json = DecodeOtlpJson(NestedAttribute(depth), &built);
    if (json.ok()) last_ok = depth;
    // Build the wire form by hand (the decoder may refuse it): the same nesting, one level at a
    // time from the inside out.
    opentelemetry::proto::common::v1::AnyValue value;
    value.set_int_value(1);
    for (int i = 0; i < depth; ++i) {
      opentelemetry::proto::common::v1::AnyValue outer;
      *outer.mutable_array_value()->add_values() = value;
      value = outer;
    }
    auto* kv = built.add_resource_spans()->add_scope_spans()->add_spans()->add_attributes();
    kv->set_key("k");
    *kv->mutable_value() = value;
    EXPECT_EQ(json.ok(), parsed.ParseFromString(built.SerializeAsString()))
        << "at depth " << depth << ": " << json;
  }
  EXPECT_GT(last_ok, 40) << "the limit lies inside the range tried";
  EXPECT_LT(last_ok, 50);
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

using google::protobuf::util::MessageDifferencer;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::Span;

// The transcoder's wire form of `message`'s JSON parses back to `message` and is exactly as long
// as libprotobuf's own serialization: minimal lengths, no defaults, packed numeric arrays.
void ExpectCanonicalWire(const google::protobuf::Message& message) {
  const std::string json = EncodeOtlpJson(message);
  std::string wire;
  const absl::Status status = TranscodeOtlpJson(json, message.GetDescriptor(), &wire);
  ASSERT_TRUE(status.ok()) << status << "\n" << json;
  EXPECT_EQ(wire.size(), message.ByteSizeLong()) << json;
  std::unique_ptr<google::protobuf::Message> parsed(message.New());
  ASSERT_TRUE(parsed->ParseFromString(wire)) << json;
  EXPECT_TRUE(MessageDifferencer::Equals(message, *parsed)) << json;
}

TEST(OtlpJsonTranscode, WireFormIsLibprotobufsForEveryFieldType) {
  ExportTraceServiceRequest traces;
  auto* rs = traces.add_resource_spans();
  rs->set_schema_url("https://opentelemetry.io/schemas/1.37.0");
  auto* service = rs->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("planner");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("agentstorm");
  for (int i = 0; i < 3; ++i) {
    Span* span = ss->add_spans();
    span->set_trace_id(std::string(15, '\x01') + static_cast<char>(i + 1));
    span->set_span_id(std::string(7, '\x02') + static_cast<char>(i + 1));
    if (i > 0) span->set_parent_span_id(std::string(7, '\x02') + '\x01');
    span->set_name(
        std::string(static_cast<size_t>(200 * i), 'n'));  // lengths of one and two varint bytes
    span->set_kind(Span::SPAN_KIND_CLIENT);
    span->set_flags(0x301);                                      // fixed32
    span->set_start_time_unix_nano(1767225600000000000ULL + i);  // fixed64
    span->set_dropped_attributes_count(i);
    auto add = [&](const char* key) {
      auto* kv = span->add_attributes();
      kv->set_key(key);
      return kv->mutable_value();
    };
    add("negative")->set_int_value(-5 - i);  // ten varint bytes
    add("false")->set_bool_value(false);     // a oneof member at its default: still written
    add("empty")->set_string_value("");
    add("double")->set_double_value(-0.0);
    add("bytes")->set_bytes_value(std::string("\0\xff", 2));
    auto* list = add("list")->mutable_array_value();
    for (int j = 0; j < 40 * i; ++j) list->add_values()->mutable_kvlist_value();
    auto* event = span->add_events();
    event->set_name("gen_ai.content.prompt");
    span->add_links()->set_trace_id(span->trace_id());
    span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  }
  ExpectCanonicalWire(traces);

  ExportMetricsServiceRequest metrics;
  auto* sm = metrics.add_resource_metrics()->add_scope_metrics();
  auto* histogram = sm->add_metrics()->mutable_histogram();
  auto* point = histogram->add_data_points();
  point->set_count(3);
  point->set_sum(0);  // optional: kept at zero
  for (uint64_t c : {1ULL, 0ULL, 1ULL << 40}) point->add_bucket_counts(c);  // packed fixed64
  for (double b : {0.5, 2.5}) point->add_explicit_bounds(b);                // packed double
  point->add_exemplars()->set_as_int(-4);                                   // sfixed64
  auto* exponential = sm->add_metrics()->mutable_exponential_histogram()->add_data_points();
  exponential->set_scale(-3);  // sint32
  exponential->set_zero_count(2);
  exponential->mutable_positive()->set_offset(-7);  // sint32
  for (uint64_t c : {5ULL, 300ULL}) exponential->mutable_positive()->add_bucket_counts(c);
  auto* gauge = sm->add_metrics()->mutable_gauge()->add_data_points();
  gauge->set_as_double(1.25);
  ExpectCanonicalWire(metrics);
}

TEST(OtlpJsonTranscode, EmptyArraysDefaultsAndUnknownFieldsWriteNothing) {
  std::string wire = "left over";
  const absl::Status status = TranscodeOtlpJson(
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"","histogram":{
          "dataPoints":[{"bucketCounts":[],"explicitBounds":[],"count":0,"flags":0}]}}]}],
          "unknown":[[[{"a":[1,{"b":null}]}]]],"schemaUrl":null}]})",
      ExportMetricsServiceRequest::descriptor(), &wire);
  ASSERT_TRUE(status.ok()) << status;
  ExportMetricsServiceRequest expected;
  expected.add_resource_metrics()
      ->add_scope_metrics()
      ->add_metrics()
      ->mutable_histogram()
      ->add_data_points();
  EXPECT_EQ(wire, expected.SerializeAsString());
}

TEST(OtlpJsonTranscode, AnErrorLeavesNoOutput) {
  std::string wire;
  const absl::Status status =
      TranscodeOtlpJson(R"({"resourceSpans":[{"schemaUrl":"s"},{"schemaUrl":5}]})",
                        ExportTraceServiceRequest::descriptor(), &wire);
  EXPECT_EQ(status.message(), "resourceSpans[1].schemaUrl: expected string, got number");
  EXPECT_TRUE(wire.empty());
}

// protojson refuses a field given twice; the DOM decoder before kept the last silently, and a
// wire form with both would let a reader taking the first and one taking the last disagree.
TEST(OtlpJsonDecode, AFieldGivenTwiceIsAnError) {
  ExportTraceServiceRequest request;
  EXPECT_EQ(DecodeOtlpJson(R"({"resourceSpans":[{"schemaUrl":"a","schemaUrl":"b"}]})", &request)
                .message(),
            "resourceSpans[0].schemaUrl: given twice");
  EXPECT_EQ(DecodeOtlpJson(R"({"resourceSpans":[{"schema_url":"a","schemaUrl":"b"}]})", &request)
                .message(),
            "resourceSpans[0].schemaUrl: given twice");
  EXPECT_EQ(request.resource_spans_size(), 0);
  // An unknown key may repeat: it is not read at all.
  EXPECT_TRUE(DecodeOtlpJson(R"({"x":1,"x":2,"resourceSpans":[]})", &request).ok());
}

TEST(OtlpJsonDecode, MapFieldsAreObjectsOfEntries) {
  google::protobuf::Struct value;
  ASSERT_TRUE(DecodeOtlpJson(
                  R"({"fields":{"a":{"stringValue":"x"},"b":{"numberValue":2},"c":null,
                      "d":{"structValue":{"fields":{"e":{"boolValue":true}}}}}})",
                  &value)
                  .ok());
  ASSERT_EQ(value.fields_size(), 4);
  EXPECT_EQ(value.fields().at("a").string_value(), "x");
  EXPECT_EQ(value.fields().at("b").number_value(), 2);
  EXPECT_EQ(value.fields().at("c").kind_case(), google::protobuf::Value::KIND_NOT_SET);
  EXPECT_TRUE(value.fields().at("d").struct_value().fields().at("e").bool_value());
  EXPECT_EQ(DecodeOtlpJson(R"({"fields":{"a":{"stringValue":1}}})", &value).message(),
            "fields.a.stringValue: expected string, got number");
  EXPECT_EQ(DecodeOtlpJson(R"({"fields":[]})", &value).message(),
            "fields: expected object, got array");
}

// The document overload (the checker's readers parse first, bounded) and the text one agree,
// in what they decode and in their errors.
TEST(OtlpJsonDecode, DocumentAndTextDecodeAlike) {
  for (
      const char* text : {
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",
               "spanId":"0102030405060708","name":"chat","kind":"SPAN_KIND_CLIENT",
               "attributes":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"7"},
               {"doubleValue":"NaN"},{"boolValue":false}]}}}]}]}]}]})",
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NONE"}]}]}]})",
          R"({"resourceSpans":[{"scopeSpans":[{"spans":[null]}]}]})",
          R"([{"resourceSpans":[]}])",
      }) {
    ExportTraceServiceRequest from_text, from_document;
    const absl::Status text_status = DecodeOtlpJson(text, &from_text);
    const absl::Status document_status =
        DecodeOtlpJson(nlohmann::json::parse(text), &from_document);
    EXPECT_EQ(text_status, document_status) << text;
    EXPECT_EQ(from_text.SerializeAsString(), from_document.SerializeAsString()) << text;
  }
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::Span;

// Wire bytes written by hand, for encodings libprotobuf never writes but must parse.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(int number, int wire_type) { return Varint((number << 3) | wire_type); }
std::string Len(int number, const std::string& bytes) {
  return Tag(number, 2) + Varint(bytes.size()) + bytes;
}
std::string KeyValueWire(const std::string& key, const std::string& any_value) {
  return Len(1, key) + Len(2, any_value);
}

// What the writer gives for `wire` is what the message libprotobuf parses from it encodes to.
void ExpectWireEncodesAsParsed(const std::string& wire) {
  Span parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  std::string out = "kept ";
  const absl::Status status = EncodeOtlpJsonWire(wire, Span::descriptor(), &out);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(out, "kept " + EncodeOtlpJson(parsed));
}

TEST(OtlpJsonEncodeWire, FieldsGivenMoreThanOnceEncodeAsLibprotobufParsesThem) {
  const std::string int_value = Tag(3, 0) + Varint(7);  // AnyValue.int_value = 7
  const std::string attribute = Len(9, KeyValueWire("a", int_value));
  // A repeated field's elements apart (attributes, name between them), a scalar twice (name),
  // a message twice (status: code, then message: merged), a oneof's two members in one AnyValue
  // (the last wins), a default written out (kind 0), an unknown field, a wrong wire type.
  const std::string wire = attribute + Len(5, "first") +
                           Len(9, KeyValueWire("b", Len(1, "s") + int_value)) + Len(5, "second") +
                           Len(15, Tag(3, 0) + Varint(2)) + Len(15, Len(2, "why")) + Tag(6, 0) +
                           Varint(0) + Tag(99, 0) + Varint(1) + Tag(5, 0) + Varint(3) + attribute;
  ExpectWireEncodesAsParsed(wire);
  // A oneof's message member, another member, the first again: only what follows the other.
  const std::string kvlist = Len(6, Len(1, KeyValueWire("x", int_value)));  // kvlist_value
  ExpectWireEncodesAsParsed(Len(
      9, KeyValueWire(
             "m", kvlist + Tag(3, 0) + Varint(1) + Len(6, Len(1, KeyValueWire("y", int_value))))));
  std::string out;
  ASSERT_TRUE(EncodeOtlpJsonWire(wire, Span::descriptor(), &out).ok());
  EXPECT_EQ(out, R"({"attributes":[{"key":"a","value":{"intValue":"7"}},)"
                 R"({"key":"b","value":{"intValue":"7"}},{"key":"a","value":{"intValue":"7"}}],)"
                 R"("name":"second","status":{"code":2,"message":"why"}})");
}

TEST(OtlpJsonEncodeWire, PackedAndUnpackedNumbersAndEveryScalarType) {
  opentelemetry::proto::metrics::v1::HistogramDataPoint point;
  // bucket_counts (6, fixed64) one unpacked, then two packed; explicit_bounds (7, double)
  // packed but empty; count (4) fixed64; flags (10) varint.
  std::string fixed;
  for (uint64_t v : {9ULL, 1ULL << 40}) {
    for (int i = 0; i < 8; ++i) fixed.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  const std::string wire = Tag(6, 1) + std::string("\x05\0\0\0\0\0\0\0", 8) + Len(6, fixed) +
                           Len(7, "") + Tag(4, 1) + std::string("\x03\0\0\0\0\0\0\0", 8) +
                           Tag(10, 0) + Varint(1);
  ASSERT_TRUE(point.ParseFromString(wire));
  std::string out;
  ASSERT_TRUE(EncodeOtlpJsonWire(wire, point.GetDescriptor(), &out).ok());
  EXPECT_EQ(out, EncodeOtlpJson(point));
  EXPECT_EQ(out, R"({"bucketCounts":["5","9","1099511627776"],"count":"3","flags":1})");
  // Exponential histogram: sint32 scale and offset, uint64 packed counts.
  opentelemetry::proto::metrics::v1::ExponentialHistogramDataPoint exponential;
  exponential.set_scale(-3);
  exponential.mutable_negative()->set_offset(-70000);
  exponential.mutable_negative()->add_bucket_counts(300);
  exponential.set_min(-0.5);
  const std::string bytes = exponential.SerializeAsString();
  out.clear();
  ASSERT_TRUE(EncodeOtlpJsonWire(bytes, exponential.GetDescriptor(), &out).ok());
  EXPECT_EQ(out, R"({"min":-0.5,"negative":{"bucketCounts":["300"],"offset":-70000},"scale":-3})");
}

TEST(OtlpJsonEncodeWire, InvalidUtf8IsReplacedAndMalformedBytesAreAnError) {
  std::string out;
  ASSERT_TRUE(EncodeOtlpJsonWire(Len(5, "ok \x01\"\\ \xff end"), Span::descriptor(), &out).ok());
  EXPECT_EQ(out, "{\"name\":\"ok \\u0001\\\"\\\\ \xEF\xBF\xBD end\"}");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
  // ASCII is escaped by the writer itself, exactly as nlohmann escapes it.
  std::string ascii;
  for (int c = 1; c < 0x80; ++c) ascii.push_back(static_cast<char>(c));
  out.clear();
  ASSERT_TRUE(EncodeOtlpJsonWire(Len(5, ascii), Span::descriptor(), &out).ok());
  EXPECT_EQ(out, "{\"name\":" + nlohmann::json(ascii).dump() + "}");
  out = "kept";
  const absl::Status truncated =
      EncodeOtlpJsonWire(Len(5, "name").substr(0, 4), Span::descriptor(), &out);
  EXPECT_EQ(truncated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "kept") << "nothing appended";
  // Deeper than protobuf parses: refused, not a crash.
  std::string value = Tag(3, 0) + Varint(1);
  for (int i = 0; i < 150; ++i) value = Len(5, Len(1, value));  // array_value.values[0]
  EXPECT_FALSE(EncodeOtlpJsonWire(Len(9, KeyValueWire("k", value)), Span::descriptor(), &out).ok());
}

TEST(OtlpJsonEncode, MapsAreObjectsInKeyOrder) {
  google::protobuf::Struct value;
  (*value.mutable_fields())["b"].set_number_value(2);
  (*value.mutable_fields())["a"].set_string_value("x");
  (*value.mutable_fields())[""];
  EXPECT_EQ(EncodeOtlpJson(value),
            R"({"fields":{"":{},"a":{"stringValue":"x"},"b":{"numberValue":2.0}}})");
  google::protobuf::Struct again;
  ASSERT_TRUE(DecodeOtlpJson(EncodeOtlpJson(value), &again).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(value, again));
}

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {

using opentelemetry::proto::trace::v1::TracesData;

TEST(OtlpJsonTranscodeMember, TheMemberIsDecodedAndTheRestReadPast) {
  std::string wire;
  JsonEnvelope envelope;
  ASSERT_TRUE(TranscodeOtlpJsonMember(
                  R"({"before":[[{"deep":[1,{"x":null}]}]],"result":{"resourceSpans":[
                      {"schemaUrl":"s"}]},"after":"text","n":1})",
                  "result", TracesData::descriptor(), &wire, &envelope)
                  .ok());
  EXPECT_TRUE(envelope.found);
  EXPECT_EQ(envelope.other_keys, (std::vector<std::string>{"before", "after", "n"}));
  TracesData data;
  ASSERT_TRUE(data.ParseFromString(wire));
  ASSERT_EQ(data.resource_spans_size(), 1);
  EXPECT_EQ(data.resource_spans(0).schema_url(), "s");

  // Absent or null: OK, not found, nothing written.
  for (const char* text : {R"({"error":{"httpCode":404}})", R"({"result":null})", "{}"}) {
    wire = "left over";
    ASSERT_TRUE(
        TranscodeOtlpJsonMember(text, "result", TracesData::descriptor(), &wire, &envelope).ok())
        << text;
    EXPECT_FALSE(envelope.found) << text;
    EXPECT_TRUE(wire.empty()) << text;
  }
  EXPECT_EQ(envelope.other_keys, std::vector<std::string>{});

  // Errors name the path from the envelope.
  auto error = [&](const char* text) {
    return std::string(
        TranscodeOtlpJsonMember(text, "result", TracesData::descriptor(), &wire, &envelope)
            .message());
  };
  EXPECT_EQ(error(R"({"result":{"resourceSpans":[{"schemaUrl":1}]}})"),
            "result.resourceSpans[0].schemaUrl: expected string, got number");
  EXPECT_EQ(error(R"({"result":[]})"), "result: expected object, got array");
  EXPECT_EQ(error(R"({"result":"x"})"), "result: expected object, got string");
  EXPECT_EQ(error(R"({"result":{},"result":{}})"), "result: given twice");
  EXPECT_EQ(error(R"([{"result":{}}])"), "(root): expected object, got array");
  EXPECT_TRUE(wire.empty());
}

}  // namespace
}  // namespace agentstorm
