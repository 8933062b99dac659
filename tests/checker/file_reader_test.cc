// The file: reader on collector file-exporter output (the spec's JSON lines), the canonical
// OTLP/JSON example, sink captures (length-prefixed protobuf) and gzip-compressed JSON.
#include "checker/readers/file_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "checker/readers/trace_reader.h"
#include "core/gzip.h"
#include "core/otlp_json.h"
#include "reader_test_support.h"
#include "sink/capture.h"

namespace agentstorm::readers {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::Span;

class TempFile {
 public:
  explicit TempFile(const std::string& contents, const std::string& suffix = "") {
    path_ = std::filesystem::temp_directory_path() /
            ("agentstorm_file_reader_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter_++) + suffix);
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

absl::StatusOr<std::unique_ptr<TraceReader>> OpenFile(const std::string& path) {
  auto url = ParseBackendUrl("file:" + path);
  if (!url.ok()) return url.status();
  return MakeTraceReader(*url, {});
}

TEST(FileReader, ReadsCollectorFileExporterJsonLines) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(lines, "otlp_file/spec_file_exporter_traces_example.jsonl");
  TempFile file(lines);
  auto reader = FileReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->stats().format, "otlp-json");
  EXPECT_EQ((*reader)->stats().records, 4u);
  EXPECT_EQ((*reader)->stats().spans, 8u);
  // That older pdata wrote empty trace IDs: every span is kept, under the all-zero ID.
  ASSERT_EQ((*reader)->trace_ids().size(), 1u);
  auto trace = (*reader)->GetTrace(TraceId{});
  ASSERT_TRUE(trace.ok());
  ASSERT_TRUE(trace->found);
  EXPECT_EQ(trace->span_count, 8u);
  ASSERT_EQ(trace->data->resource_spans_size(), 4);  // one per line, resource kept
  const auto& rs = trace->data->resource_spans(0);
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "resource-attr-val-1");
  const Span& a = rs.scope_spans(0).spans(0);
  EXPECT_EQ(a.name(), "operationA");
  EXPECT_EQ(a.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(a.status().message(), "status-cancelled");
  ASSERT_EQ(a.events_size(), 2);
  EXPECT_EQ(a.events(0).name(), "event-with-attr");
  EXPECT_EQ(a.dropped_attributes_count(), 1u);
  const Span& b = rs.scope_spans(0).spans(1);
  EXPECT_EQ(b.name(), "operationB");
  EXPECT_EQ(b.links_size(), 2);
  EXPECT_EQ(b.dropped_links_count(), 3u);
}

TEST(FileReader, ReadsPrettyPrintedOtlpJsonAndFindsByService) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "otlp_file/otlp_proto_examples_trace.json");
  TempFile file(body);
  auto reader = OpenFile(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const TraceId id = *ParseTraceId("5b8efff798038103d269b633813fc60c");
  auto trace = (*reader)->GetTrace(id);
  ASSERT_TRUE(trace.ok());
  ASSERT_TRUE(trace->found);
  const Span& span = trace->data->resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.span_id(), *HexDecode("eee19b7ec3c1b174"));
  EXPECT_EQ(span.parent_span_id(), *HexDecode("eee19b7ec3c1b173"));
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(trace->data->resource_spans(0).scope_spans(0).scope().name(), "my.library");

  auto ids = (*reader)->FindTraces(
      {"my.service", absl::FromUnixSeconds(1544712600), absl::FromUnixSeconds(1544712700), 10});
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ((*ids)[0], id);
  EXPECT_TRUE((*reader)->FindTraces({"other.service"})->empty());
  EXPECT_TRUE((*reader)
                  ->FindTraces(
                      {"my.service", absl::FromUnixSeconds(1544712700), absl::InfiniteFuture(), 10})
                  ->empty());
}

// Two requests, each holding spans of two traces; trace A also spans two services.
std::vector<ExportTraceServiceRequest> TwoInterleavedRequests() {
  const std::string first = R"({"resourceSpans":[
    {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"planner"}}]},
     "scopeSpans":[{"scope":{"name":"s1"},"spans":[
       {"traceId":"0000000000000000000000000000000a","spanId":"0000000000000001","name":"a-root"},
       {"traceId":"0000000000000000000000000000000b","spanId":"0000000000000002","name":"b-root"}]}]}]})";
  const std::string second = R"({"resourceSpans":[
    {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"tools"}}]},
     "scopeSpans":[{"scope":{"name":"s2"},"spans":[
       {"traceId":"0000000000000000000000000000000a","spanId":"0000000000000003",
        "parentSpanId":"0000000000000001","name":"a-tool"},
       {"traceId":"0000000000000000000000000000000b","spanId":"0000000000000004",
        "parentSpanId":"0000000000000002","name":"b-tool"}]}]}]})";
  std::vector<ExportTraceServiceRequest> requests(2);
  EXPECT_TRUE(DecodeOtlpJson(first, &requests[0]).ok());
  EXPECT_TRUE(DecodeOtlpJson(second, &requests[1]).ok());
  return requests;
}

void ExpectTraceA(TraceReader& reader) {
  auto trace = reader.GetTrace(*ParseTraceId("a"));
  ASSERT_TRUE(trace.ok());
  ASSERT_TRUE(trace->found);
  EXPECT_EQ(trace->span_count, 2u);
  ASSERT_EQ(trace->data->resource_spans_size(), 2);
  EXPECT_EQ(trace->data->resource_spans(0).resource().attributes(0).value().string_value(),
            "planner");
  EXPECT_EQ(trace->data->resource_spans(0).scope_spans(0).scope().name(), "s1");
  EXPECT_EQ(trace->data->resource_spans(0).scope_spans(0).spans(0).name(), "a-root");
  EXPECT_EQ(trace->data->resource_spans(1).resource().attributes(0).value().string_value(),
            "tools");
  EXPECT_EQ(trace->data->resource_spans(1).scope_spans(0).spans(0).name(), "a-tool");
  EXPECT_EQ(trace->data->resource_spans(1).scope_spans(0).spans_size(), 1);
}

TEST(FileReader, ReadsSinkCaptureAndRegroupsSpansByTrace) {
  const std::string path = TempFile("").path() + ".capture";
  {
    auto writer = sink::CaptureWriter::Open(path, /*sync=*/false);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (const auto& request : TwoInterleavedRequests())
      ASSERT_TRUE((*writer)->Append(request).ok());
    ASSERT_TRUE((*writer)->Close().ok());
  }
  auto reader = FileReader::Open(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->stats().format, "protobuf-framed");
  EXPECT_EQ((*reader)->stats().records, 2u);
  EXPECT_EQ((*reader)->stats().traces, 2u);
  ExpectTraceA(**reader);
  EXPECT_FALSE((*reader)->GetTrace(*ParseTraceId("c"))->found);
  // The planner service is in both traces; tools too; an unknown service in none.
  EXPECT_EQ((*reader)->FindTraces({"tools"})->size(), 2u);
  EXPECT_EQ(
      (*reader)->FindTraces({"tools", absl::InfinitePast(), absl::InfiniteFuture(), 1})->size(),
      1u);
}

TEST(FileReader, ReadsLengthPrefixedProtobufWrittenByHand) {
  std::string framed;
  for (const auto& request : TwoInterleavedRequests()) {
    const std::string bytes = request.SerializeAsString();
    const uint32_t n = static_cast<uint32_t>(bytes.size());
    framed += {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
               static_cast<char>(n)};
    framed += bytes;
  }
  framed += std::string("\x00\x00\x01", 3);  // a torn tail, as after a crash
  TempFile file(framed);
  auto reader = FileReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->stats().truncated_tail_bytes, 3u);
  ExpectTraceA(**reader);
}

TEST(FileReader, ReadsGzipJsonLines) {
  std::string lines;
  for (const auto& request : TwoInterleavedRequests()) lines += EncodeOtlpJson(request) + "\n";
  TempFile file(GzipCompress(lines), ".jsonl.gz");
  auto reader = FileReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->stats().records, 2u);
  ExpectTraceA(**reader);
}

TEST(FileReader, ReadsSavedJaegerV3Response) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_GetTrace.json");
  TempFile file(body);
  auto reader = FileReader::Open(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->stats().format, "jaeger-v3-json");
  EXPECT_TRUE((*reader)->GetTrace(*ParseTraceId("1"))->found);
}

TEST(FileReader, ReportsMissingAndMalformedFiles) {
  auto missing = OpenFile("/nonexistent/agentstorm/traces.jsonl");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();

  TempFile broken("{\"resourceSpans\":[]}\n{\"resourceSpans\": [ {\"scopeSpans\": 7} ]}\n");
  auto bad = FileReader::Open(broken.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("record 2"), absl::string_view::npos) << bad.status();

  TempFile unterminated("{\"resourceSpans\":[");
  EXPECT_EQ(FileReader::Open(unterminated.path()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace agentstorm::readers
