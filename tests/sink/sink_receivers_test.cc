// The sink end to end in-process: both receivers, bad input on each, store limits, faults,
// the query API and the capture, through real gRPC and HTTP clients on loopback.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/capture_reader.h"
#include "core/gzip.h"
#include "core/otlp_json.h"
#include "core/proto_wire.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "sink/query_api.h"
#include "sink/sink.h"
#include "tests/sink/test_requests.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using opentelemetry::proto::collector::trace::v1::TraceService;
using opentelemetry::proto::trace::v1::TracesData;
using testing::AddResource;
using testing::AddSpan;
using ::testing::HasSubstr;
using testing::MakeRequest;

constexpr char kTraceMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

SinkOptions LoopbackOptions() {
  SinkOptions o;
  o.grpc_address = "127.0.0.1:0";
  o.http_address = "127.0.0.1:0";
  o.query_address = "127.0.0.1:0";
  o.max_request_bytes = 64 * 1024;
  return o;
}

std::string HexTraceId(uint8_t n) { return HexEncode(testing::TraceIdBytes(n)); }

class SinkTest : public ::testing::Test {
 protected:
  void StartSink(SinkOptions options = LoopbackOptions()) {
    absl::StatusOr<std::unique_ptr<Sink>> s = Sink::Start(options);
    ASSERT_TRUE(s.ok()) << s.status();
    sink_ = *std::move(s);
    channel_ = grpc::CreateChannel(sink_->grpc_address(), grpc::InsecureChannelCredentials());
    stub_ = TraceService::NewStub(channel_);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", sink_->http_port());
    query_ = std::make_unique<httplib::Client>("127.0.0.1", sink_->query_port());
  }

  grpc::Status GrpcExport(const ExportTraceServiceRequest& request,
                          ExportTraceServiceResponse* response, bool gzip = false) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    return stub_->Export(&context, request, response);
  }

  // Sends raw bytes as the Export request body, as a broken client would.
  grpc::Status GrpcExportRaw(const std::string& bytes) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, kTraceMethod, grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  httplib::Result HttpPost(const std::string& body, const std::string& content_type,
                           const std::string& path = "/v1/traces", bool gzip_header = false) {
    httplib::Headers headers;
    if (gzip_header) headers.emplace("Content-Encoding", "gzip");
    return http_->Post(path.c_str(), headers, body, content_type.c_str());
  }

  // GET on the query API; the parsed JSON body.
  nlohmann::json Query(const std::string& path, int* status = nullptr) {
    httplib::Result r = query_->Get(path.c_str());
    EXPECT_TRUE(r) << "query API did not answer " << path;
    if (!r) return {};
    if (status) *status = r->status;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  // Span count of GET /api/v3/traces/{id} (0 when 404).
  int SpansOfTrace(uint8_t trace) {
    int status = 0;
    nlohmann::json body = Query("/api/v3/traces/" + HexTraceId(trace), &status);
    if (status == 404) return 0;
    EXPECT_EQ(status, 200);
    TracesData data;
    EXPECT_TRUE(DecodeOtlpJson(body["result"], &data).ok());
    int n = 0;
    for (const auto& rs : data.resource_spans())
      for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
    return n;
  }

  std::unique_ptr<Sink> sink_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TraceService::Stub> stub_;
  std::unique_ptr<httplib::Client> http_, query_;
};

TEST_F(SinkTest, GrpcExportIsQueryableThroughJaegerApiV3) {
  StartSink();
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "planner");
  auto* root = AddSpan(rs, 1, 1, -1, "invoke_agent planner");
  root->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  auto* attr = root->add_attributes();
  attr->set_key("gen_ai.usage.input_tokens");
  attr->mutable_value()->set_int_value(1234);
  auto* child = AddSpan(rs, 1, 2, 1, "chat");
  child->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  child->add_events()->set_name("gen_ai.content.prompt");

  ExportTraceServiceResponse response;
  grpc::Status status = GrpcExport(request, &response, /*gzip=*/true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.has_partial_success());

  int code = 0;
  nlohmann::json body = Query("/api/v3/traces/" + HexTraceId(1), &code);
  ASSERT_EQ(code, 200) << body.dump();
  TracesData data;
  ASSERT_TRUE(DecodeOtlpJson(body["result"], &data).ok());
  ASSERT_EQ(data.resource_spans_size(), 1);
  EXPECT_EQ(data.resource_spans(0).SerializeAsString(),
            request.resource_spans(0).SerializeAsString())
      << "spans come back exactly as sent";
  // 64-bit integers are strings in OTLP/JSON, attributes keep their type.
  EXPECT_EQ(body["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]
                ["value"]["intValue"],
            "1234");
}

// agentstorm's own reader asks for protobuf: the same spans as the JSON answer, as TracesData
// bytes; a search answers so too; a client that does not ask gets JSON.
TEST_F(SinkTest, TheQueryApiAnswersProtobufToWhoAsksForIt) {
  StartSink();
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "planner");
  AddSpan(rs, 1, 1, -1, "invoke_agent planner");
  AddSpan(rs, 1, 2, 1, "chat");
  AddSpan(AddResource(&request, "tools"), 1, 3, 2, "execute_tool search");
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(request, &response).ok());

  const httplib::Headers protobuf = {{"Accept", "application/x-protobuf, application/json;q=0.9"}};
  httplib::Result r = query_->Get(("/api/v3/traces/" + HexTraceId(1)).c_str(), protobuf);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-protobuf");
  TracesData data;
  ASSERT_TRUE(data.ParseFromString(r->body));
  ASSERT_EQ(data.resource_spans_size(), 2);
  EXPECT_EQ(data.resource_spans(0).SerializeAsString(),
            request.resource_spans(0).SerializeAsString());
  EXPECT_EQ(data.resource_spans(1).SerializeAsString(),
            request.resource_spans(1).SerializeAsString());

  r = query_->Get(
      "/api/v3/traces?query.service_name=planner"
      "&query.start_time_min=2000-01-01T00:00:00Z"
      "&query.start_time_max=2100-01-01T00:00:00Z",
      protobuf);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  TracesData found;
  ASSERT_TRUE(found.ParseFromString(r->body));
  EXPECT_EQ(found.SerializeAsString(), data.SerializeAsString());

  r = query_->Get(("/api/v3/traces/" + HexTraceId(1)).c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  TracesData from_json;
  ASSERT_TRUE(DecodeOtlpJson(nlohmann::json::parse(r->body)["result"], &from_json).ok());
  EXPECT_EQ(from_json.SerializeAsString(), data.SerializeAsString());
  // Not found is the same 404 either way.
  r = query_->Get(("/api/v3/traces/" + HexTraceId(9)).c_str(), protobuf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

// The bulk read of agentstorm's own checker: every trace asked for, in the order asked, each a
// TracesData of its own (empty for one the sink does not hold); a malformed or overlong list is
// 400 naming the problem.
TEST_F(SinkTest, TheBulkReadAnswersEveryTraceAskedForInOrder) {
  StartSink();
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "planner");
  AddSpan(rs, 1, 1, -1, "invoke_agent planner");
  AddSpan(rs, 1, 2, 1, "chat");
  AddSpan(rs, 2, 3, -1, "invoke_agent other");
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(request, &response).ok());

  const std::string path = absl::StrCat("/agentstorm/v1/traces?ids=", HexTraceId(2), ",",
                                        HexTraceId(9), ",", HexTraceId(1));
  httplib::Result r = query_->Get(path.c_str());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-protobuf");
  std::vector<TracesData> traces;
  const char* p = r->body.data();
  const char* const end = p + r->body.size();
  while (p < end) {
    uint32_t number = 0, wire_type = 0;
    std::string_view bytes;
    p = protowire::ReadTag(p, end, &number, &wire_type);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(number, 1u);
    ASSERT_EQ(wire_type, 2u);
    p = protowire::ReadLengthDelimited(p, end, &bytes);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(traces.emplace_back().ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  }
  ASSERT_EQ(traces.size(), 3u);
  auto names = [](const TracesData& data) {
    std::vector<std::string> out;
    for (const auto& rs : data.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& span : ss.spans()) out.push_back(span.name());
    return out;
  };
  EXPECT_THAT(names(traces[0]), ::testing::ElementsAre("invoke_agent other"));
  EXPECT_TRUE(names(traces[1]).empty());
  EXPECT_THAT(names(traces[2]), ::testing::ElementsAre("invoke_agent planner", "chat"));

  r = query_->Get(absl::StrCat("/agentstorm/v1/traces?ids=", HexTraceId(1), ",xyz").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("malformed parameter ids"));
  EXPECT_THAT(r->body, HasSubstr("xyz"));
  r = query_->Get("/agentstorm/v1/traces");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("parameter ids is required"));
  std::string too_many = "/agentstorm/v1/traces?ids=1";
  for (size_t i = 0; i < kMaxBatchTraces; ++i) too_many += ",1";
  r = query_->Get(too_many.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("more than 256 traces"));
}

// Valid protobuf the wire scanner does not vouch for (a name sent twice, a status sent twice,
// which libprotobuf overwrites and merges) takes the libprotobuf path and is stored as
// libprotobuf reads it, over both receivers.
TEST_F(SinkTest, UnusualButValidEncodingsAreStoredAsLibprotobufReadsThem) {
  StartSink();
  // A length-delimited field, framed by hand.
  auto field = [](int number, const std::string& body) {
    std::string out(1, static_cast<char>(number << 3 | 2));
    size_t n = body.size();
    for (; n >= 0x80; n >>= 7) out += static_cast<char>((n & 0x7f) | 0x80);
    return out + static_cast<char>(n) + body;
  };
  // A one-span request whose span ends with name "second" (field 5 again) and two status
  // fields (15), {code: ERROR} then {message: "m"}; and the span as libprotobuf reads it.
  auto request_with_span = [&](uint8_t trace) {
    ExportTraceServiceRequest request;
    auto* rs = AddResource(&request, "svc");
    const std::string span_bytes = AddSpan(rs, trace, 1, -1, "first")->SerializeAsString() +
                                   field(5, "second") + field(15, std::string("\x18\x02", 2)) +
                                   field(15, "\x12\x01m");
    opentelemetry::proto::trace::v1::Span as_parsed;
    EXPECT_TRUE(as_parsed.ParseFromString(span_bytes));
    const std::string scope_spans =
        field(1, rs->scope_spans(0).scope().SerializeAsString()) + field(2, span_bytes);
    const std::string resource_spans =
        field(1, rs->resource().SerializeAsString()) + field(2, scope_spans);
    return std::make_pair(field(1, resource_spans), as_parsed);
  };
  const auto [grpc_bytes, want] = request_with_span(1);
  EXPECT_EQ(want.name(), "second");
  EXPECT_EQ(want.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(want.status().message(), "m");
  ASSERT_TRUE(GrpcExportRaw(grpc_bytes).ok());
  const auto [http_bytes, unused] = request_with_span(2);
  ASSERT_EQ(HttpPost(http_bytes, "application/x-protobuf")->status, 200);
  for (uint8_t trace : {1, 2}) {
    TraceId id{};
    const std::string id_bytes = testing::TraceIdBytes(trace);
    std::copy(id_bytes.begin(), id_bytes.end(), id.begin());
    std::vector<StoredSpan> stored = sink_->store().GetTrace(id);
    ASSERT_EQ(stored.size(), 1u);
    opentelemetry::proto::trace::v1::Span got = stored[0].Parse();
    got.set_trace_id(want.trace_id());  // the two requests differ only in their trace ID
    EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
    EXPECT_EQ(got.name(), "second");
  }
  // The index reads it the same way: the operation is the last name sent.
  TraceQuery by_name;
  by_name.operation = "second";
  EXPECT_EQ(sink_->store().FindTraces(by_name).size(), 2u);
  by_name.operation = "first";
  EXPECT_TRUE(sink_->store().FindTraces(by_name).empty());
  std::vector<Operation> ops = sink_->store().Operations("svc");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].name, "second");
}

TEST_F(SinkTest, HttpProtobufAndGzipJsonExportsAreAnsweredInTheirEncoding) {
  StartSink();
  httplib::Result pb =
      HttpPost(MakeRequest("svc", 1, 3).SerializeAsString(), "application/x-protobuf");
  ASSERT_TRUE(pb);
  EXPECT_EQ(pb->status, 200);
  EXPECT_EQ(pb->get_header_value("Content-Type"), "application/x-protobuf");
  ExportTraceServiceResponse response;
  EXPECT_TRUE(response.ParseFromString(pb->body));

  const std::string json = EncodeOtlpJson(MakeRequest("svc", 1, 2, /*first_trace=*/2));
  httplib::Result js =
      HttpPost(GzipCompress(json), "application/json", "/v1/traces", /*gzip=*/true);
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200) << js->body;
  EXPECT_EQ(js->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(js->body, "{}");

  EXPECT_EQ(SpansOfTrace(1), 3);
  EXPECT_EQ(SpansOfTrace(2), 2);
  EXPECT_EQ(sink_->metrics().requests("http", "traces", "ok"), 2u);
}

// An OTLP/JSON request whose one span has an attribute of `depth` nested arrayValues.
std::string DeeplyNestedJsonSpan(int depth) {
  std::string value = R"({"stringValue":"leaf"})";
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += R"({"arrayValue":{"values":[)";
    close += "]}}";
  }
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10",)"
         R"("spanId":"0102030405060708","name":"deep","attributes":[{"key":"k","value":)" +
         open + value + close + "}]}]}]}]}";
}

TEST_F(SinkTest, HttpBadInputGetsTheRightStatusAndLosesNothing) {
  StartSink();
  ASSERT_EQ(
      HttpPost(MakeRequest("svc", 1, 4).SerializeAsString(), "application/x-protobuf")->status,
      200);
  const std::string valid = MakeRequest("svc", 3, 3, 5).SerializeAsString();

  struct Case {
    const char* what;
    std::string body;
    std::string content_type;
    bool gzip;
    int want_status;
    const char* want_message;
  };
  const std::vector<Case> cases = {
      {"garbage bytes", std::string("\xff\xff\xff\xff\x0f garbage", 14), "application/x-protobuf",
       false, 400, "not a valid protobuf"},
      {"truncated protobuf", valid.substr(0, valid.size() / 2), "application/x-protobuf", false,
       400, "not a valid protobuf"},
      {"invalid JSON", R"({"resourceSpans":[{)", "application/json", false, 400, "JSON"},
      {"JSON number out of range", R"({"resourceSpans":[],"x":1e999999})", "application/json",
       false, 400, "JSON"},
      {"JSON with a bad trace ID",
       R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"0102030405060708"}]}]}]})",
       "application/json", false, 400, "traceId"},
      {"span ID of the wrong length",
       [] {
         auto r = MakeRequest("svc", 1, 1, 9);
         r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_span_id("abc");
         return r.SerializeAsString();
       }(),
       "application/x-protobuf", false, 400, "spanId: must be 8 bytes, got 3"},
      {"corrupt gzip", "definitely not gzip", "application/x-protobuf", true, 400, "gzip"},
      {"wrong content type", valid, "text/plain", false, 415, "Content-Type"},
      {"oversize body", std::string(100 * 1024, 'x'), "application/x-protobuf", false, 413, ""},
      {"gzip bomb", GzipCompress(std::string(1 << 20, '\0')), "application/x-protobuf", true, 413,
       "exceeds"},
      // An attribute value nested 2000 deep (56 KB): the decoder recursed once per level, so a
      // deeper one within the real 16 MiB limit killed the sink.
      {"JSON attribute nested 2000 deep", DeeplyNestedJsonSpan(2000), "application/json", false,
       400, "nested deeper than 100"},
      // Invalid UTF-8 in a JSON string is bad input (400), not a server error: the error
      // message that quotes it must still serialize.
      {"JSON with invalid UTF-8",
       "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xff\xfe\"}]}]}]}",
       "application/json", false, 400, "invalid JSON"},
      // Unknown fields are ignored, however deep: the parser and the tree it builds do not
      // recurse either.
      {"JSON unknown field nested 30000 deep",
       R"({"resourceSpans":[],"x":)" + std::string(30000, '[') + std::string(30000, ']') + "}",
       "application/json", false, 200, ""},
  };
  for (const Case& c : cases) {
    httplib::Result r = HttpPost(c.body, c.content_type, "/v1/traces", c.gzip);
    ASSERT_TRUE(r) << c.what << ": no answer";
    EXPECT_EQ(r->status, c.want_status) << c.what << ": " << r->body;
    if (c.want_status == 400 && c.content_type == "application/x-protobuf") {
      google::rpc::Status status;
      ASSERT_TRUE(status.ParseFromString(r->body)) << c.what << ": 400 body is a google.rpc.Status";
      EXPECT_EQ(status.code(), 3) << c.what;
      EXPECT_THAT(status.message(), HasSubstr(c.want_message)) << c.what;
    } else if (c.want_status == 400) {
      nlohmann::json status = nlohmann::json::parse(r->body);
      EXPECT_THAT(status["message"].get<std::string>(), HasSubstr(c.want_message)) << c.what;
    }
    // A fresh connection each time: an oversize body may leave the old one unusable.
    http_ = std::make_unique<httplib::Client>("127.0.0.1", sink_->http_port());
  }
  EXPECT_EQ(SpansOfTrace(1), 4) << "the sink still serves what it stored before";
  EXPECT_EQ(sink_->store().span_count(), 4u) << "nothing of a bad request was stored";
  ASSERT_EQ(HttpPost(valid, "application/x-protobuf")->status, 200) << "and still accepts exports";
  EXPECT_EQ(SpansOfTrace(5), 3);
}

TEST_F(SinkTest, GrpcBadInputGetsTheRightStatusAndLosesNothing) {
  StartSink();
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(MakeRequest("svc", 1, 4), &response).ok());
  const std::string valid = MakeRequest("svc", 1, 3, 5).SerializeAsString();

  grpc::Status garbage = GrpcExportRaw(std::string("\xff\xff\xff\xff\x0f garbage", 14));
  EXPECT_EQ(garbage.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(garbage.error_message(), HasSubstr("not a valid protobuf"));

  grpc::Status truncated = GrpcExportRaw(valid.substr(0, valid.size() - 5));
  EXPECT_EQ(truncated.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto bad_id = MakeRequest("svc", 1, 1, 9);
  bad_id.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_trace_id("short");
  grpc::Status wrong_length = GrpcExport(bad_id, &response);
  EXPECT_EQ(wrong_length.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(wrong_length.error_message(), HasSubstr("traceId: must be 16 bytes, got 5"));

  grpc::Status oversize = GrpcExportRaw(std::string(100 * 1024, 'x'));
  EXPECT_EQ(oversize.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  EXPECT_EQ(SpansOfTrace(1), 4) << "the sink still serves what it stored before";
  EXPECT_EQ(sink_->store().span_count(), 4u);
  ASSERT_TRUE(GrpcExportRaw(valid).ok()) << "and still accepts exports";
  EXPECT_EQ(SpansOfTrace(5), 3);
}

TEST_F(SinkTest, FullStoreAnswersResourceExhaustedWithRetryInfoAnd429) {
  SinkOptions options = LoopbackOptions();
  options.max_spans = 5;
  StartSink(options);
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(MakeRequest("svc", 1, 4), &response).ok());

  grpc::Status full = GrpcExport(MakeRequest("svc", 1, 2, 2), &response);
  ASSERT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(full.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 1);

  httplib::Result r =
      HttpPost(MakeRequest("svc", 1, 2, 3).SerializeAsString(), "application/x-protobuf");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");

  EXPECT_EQ(SpansOfTrace(1), 4) << "acknowledged spans are never dropped";
  EXPECT_EQ(SpansOfTrace(2), 0);
  EXPECT_EQ(sink_->metrics().rejected_spans(), 4u);
}

TEST_F(SinkTest, UnavailableAndThrottleFaultsRefuseExportsForTheirWindow) {
  SinkOptions options = LoopbackOptions();
  options.faults = {"unavailable=60s"};
  StartSink(options);
  ExportTraceServiceResponse response;
  EXPECT_EQ(GrpcExport(MakeRequest("svc", 1, 1), &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(
      HttpPost(MakeRequest("svc", 1, 1).SerializeAsString(), "application/x-protobuf")->status,
      503);
  EXPECT_EQ(sink_->store().span_count(), 0u);

  sink_.reset();
  options.faults = {"throttle=60s"};
  StartSink(options);
  grpc::Status throttled = GrpcExport(MakeRequest("svc", 1, 1), &response);
  ASSERT_EQ(throttled.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(throttled.error_details()));
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details_size() == 1 && details.details(0).UnpackTo(&retry));
  httplib::Result r = HttpPost(MakeRequest("svc", 1, 1).SerializeAsString(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");

  sink_.reset();
  options.faults = {"throttle=0s"};
  StartSink(options);
  EXPECT_TRUE(GrpcExport(MakeRequest("svc", 1, 1), &response).ok())
      << "a zero window refuses nothing";
}

TEST_F(SinkTest, PartialRejectAnswersPartialSuccessAndStoresTheRest) {
  SinkOptions options = LoopbackOptions();
  options.faults = {"partial-reject=0.5"};
  options.fault_seed = 3;
  StartSink(options);
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(MakeRequest("svc", 50, 2), &response).ok());
  ASSERT_TRUE(response.has_partial_success());
  const int64_t rejected = response.partial_success().rejected_spans();
  EXPECT_GT(rejected, 20);
  EXPECT_LT(rejected, 80);
  EXPECT_THAT(response.partial_success().error_message(), HasSubstr("partial-reject"));
  EXPECT_EQ(sink_->store().span_count(), 100u - static_cast<uint64_t>(rejected));

  httplib::Result r = HttpPost(EncodeOtlpJson(MakeRequest("svc", 50, 2, 100)), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  ExportTraceServiceResponse http_response;
  ASSERT_TRUE(DecodeOtlpJson(r->body, &http_response).ok()) << r->body;
  EXPECT_GT(http_response.partial_success().rejected_spans(), 0);
}

TEST_F(SinkTest, DelayVisibilityHidesSpansUntilTheDelayHasPassed) {
  SinkOptions options = LoopbackOptions();
  options.faults = {"delay-visibility=400ms"};
  StartSink(options);
  ExportTraceServiceResponse response;
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(GrpcExport(MakeRequest("svc", 1, 2), &response).ok());
  const int right_away = SpansOfTrace(1);
  if (std::chrono::steady_clock::now() - sent < std::chrono::milliseconds(350)) {
    EXPECT_EQ(right_away, 0) << "visible before the delay";
  }
  int later = 0;
  for (int i = 0; i < 50 && later == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    later = SpansOfTrace(1);
  }
  EXPECT_EQ(later, 2);
  EXPECT_GE(std::chrono::steady_clock::now() - sent, std::chrono::milliseconds(400));
}

TEST_F(SinkTest, QueryApiAnswersLikeJaegerApiV3) {
  StartSink();
  ExportTraceServiceRequest request;
  auto* rs = AddResource(&request, "planner");
  auto* root = AddSpan(rs, 1, 1, -1, "invoke_agent", 1'700'000'000'000'000'000ULL);
  root->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  auto* kv = root->add_attributes();
  kv->set_key("gen_ai.operation.name");
  kv->mutable_value()->set_string_value("invoke_agent");
  AddSpan(rs, 1, 2, 1, "chat", 1'700'000'000'100'000'000ULL)
      ->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  AddSpan(AddResource(&request, "retriever"), 2, 1, -1, "search", 1'700'000'100'000'000'000ULL);
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(request, &response).ok());

  EXPECT_EQ(Query("/api/v3/services"),
            nlohmann::json::parse(R"({"services":["planner","retriever"]})"));
  EXPECT_EQ(Query("/api/v3/operations?service=planner"),
            nlohmann::json::parse(R"({"operations":[{"name":"chat","spanKind":"client"},
                                                     {"name":"invoke_agent","spanKind":"server"}]})"));
  EXPECT_EQ(
      Query("/api/v3/operations?service=planner&spanKind=server"),
      nlohmann::json::parse(R"({"operations":[{"name":"invoke_agent","spanKind":"server"}]})"));

  // snake_case, as Jaeger's gateway reads them, and camelCase as its OpenAPI spells them.
  for (const char* q :
       {"/api/v3/traces?query.service_name=planner&query.start_time_min=2023-11-14T22:00:00Z"
        "&query.start_time_max=2023-11-14T23:00:00Z&query.num_traces=10",
        "/api/v3/traces?query.serviceName=planner&query.startTimeMin=2023-11-14T22:00:00.000000000Z"
        "&query.startTimeMax=2023-11-14T23:00:00%2B00:00&query.searchDepth=10",
        "/api/v3/"
        "traces?query.service_name=planner&query.attributes=%7B%22gen_ai.operation.name%22%3A%"
        "22invoke_agent%22%7D"}) {
    int code = 0;
    nlohmann::json body = Query(q, &code);
    ASSERT_EQ(code, 200) << q << " " << body.dump();
    TracesData data;
    ASSERT_TRUE(DecodeOtlpJson(body["result"], &data).ok());
    ASSERT_EQ(data.resource_spans_size(), 1) << q;
    EXPECT_EQ(data.resource_spans(0).scope_spans(0).spans_size(), 2) << q << ": the whole trace";
  }

  int code = 0;
  EXPECT_EQ(
      Query("/api/v3/traces?query.service_name=planner&query.start_time_min=2030-01-01T00:00:00Z",
            &code),
      nlohmann::json::parse(R"({"error":{"httpCode":404,"message":"No traces found"}})"));
  EXPECT_EQ(code, 404);
  EXPECT_EQ(Query("/api/v3/traces/" + HexTraceId(77), &code),
            nlohmann::json::parse(R"({"error":{"httpCode":404,"message":"trace not found"}})"));
  EXPECT_EQ(code, 404);
  Query("/api/v3/traces/not-hex", &code);
  EXPECT_EQ(code, 400);
  Query("/api/v3/traces?query.start_time_min=yesterday", &code);
  EXPECT_EQ(code, 400);
  // Bytes that are not UTF-8 in a trace ID or a parameter: the answer quoting them still
  // serializes (it was HTTP 500 with an empty body).
  Query("/api/v3/traces/0102030405060708090a0b0c0d0e0f1%FF", &code);
  EXPECT_EQ(code, 400);
  Query("/api/v3/traces?query.start_time_min=%FF%FE", &code);
  EXPECT_EQ(code, 400);
  EXPECT_EQ(Query("/healthz", &code)["status"], "ok");
}

// One unbounded search once built a 218 MB answer for 112 MB stored and took the sink from 0.9
// to 3.4 GB: an answer holds at most --max-query-bytes of spans, beyond which it is 413 saying
// what to do, and the sink keeps answering.
TEST_F(SinkTest, AQueryAnswerPastItsByteBudgetIs413AndTheSinkStaysUp) {
  SinkOptions options = LoopbackOptions();
  options.max_query_bytes = 4000;
  StartSink(options);
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(MakeRequest("planner", 40, 3), &response).ok());  // 40 traces, 3 spans
  int code = 0;
  EXPECT_EQ(Query("/api/v3/traces/" + HexTraceId(1), &code)["result"]["resourceSpans"].size(), 1u);
  EXPECT_EQ(code, 200) << "one trace fits";
  const std::string all =
      "/api/v3/traces?query.start_time_min=2000-01-01T00:00:00Z&query.num_traces=2147483647";
  nlohmann::json refused = Query(all, &code);
  EXPECT_EQ(code, 413);
  EXPECT_THAT(refused["error"]["message"].get<std::string>(),
              HasSubstr("more than this sink answers at once (--max-query-bytes 4000): narrow "
                        "the time window or ask for fewer traces"));
  Query("/api/v3/traces?query.start_time_min=2000-01-01T00:00:00Z&query.num_traces=2", &code);
  EXPECT_EQ(code, 200) << "a search within the budget";
  EXPECT_EQ(SpansOfTrace(40), 3) << "and the sink still answers";
}

TEST_F(SinkTest, MetricsEndpointCountsSpansRequestsAndDataPoints) {
  StartSink();
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(MakeRequest("planner", 2, 3), &response).ok());
  ASSERT_TRUE(GrpcExport(MakeRequest("planner", 1, 1), &response).ok());  // a duplicate span
  ASSERT_EQ(HttpPost("junk", "application/x-protobuf")->status, 400);

  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest metrics;
  auto* m = metrics.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("gen_ai.client.token.usage");
  for (int i = 0; i < 3; ++i) m->mutable_sum()->add_data_points()->set_as_int(i);
  ASSERT_EQ(HttpPost(metrics.SerializeAsString(), "application/x-protobuf", "/v1/metrics")->status,
            200);

  httplib::Result r = query_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_spans_received_total{service=\"planner\"} 7\n"));
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_spans_stored_total{service=\"planner\"} 7\n"));
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_spans_duplicate_total{service=\"planner\"} 1\n"));
  EXPECT_THAT(
      r->body,
      HasSubstr(
          "agentstorm_sink_requests_total{receiver=\"grpc\",signal=\"traces\",result=\"ok\"} 2\n"));
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_requests_total{receiver=\"http\",signal="
                                 "\"traces\",result=\"invalid\"} 1\n"));
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_metric_data_points_received_total 3\n"));
  const size_t stored_bytes =
      MakeRequest("planner", 2, 3).ByteSizeLong() + MakeRequest("planner", 1, 1).ByteSizeLong();
  EXPECT_THAT(r->body, HasSubstr(absl::StrCat("agentstorm_sink_store_bytes ", stored_bytes, "\n")));
  EXPECT_THAT(r->body, HasSubstr("agentstorm_sink_store_mapped_bytes 67108864\n"))
      << "one 64 MiB block of the arena";
}

TEST_F(SinkTest, CaptureHoldsWhatWasStoredAfterFaults) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / ("sink-capture-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(path);
  SinkOptions options = LoopbackOptions();
  options.capture_path = path;
  options.capture_sync = true;
  options.faults = {"strip-attribute=secret"};
  StartSink(options);
  ExportTraceServiceRequest request = MakeRequest("svc", 1, 2);
  auto* kv =
      request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->add_attributes();
  kv->set_key("secret");
  ExportTraceServiceResponse response;
  ASSERT_TRUE(GrpcExport(request, &response).ok());
  ASSERT_EQ(HttpPost("junk", "application/x-protobuf")->status, 400);
  ASSERT_TRUE(sink_->Shutdown().ok());

  absl::StatusOr<CaptureContents> capture = ReadCapture(path);
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_EQ(capture->requests.size(), 1u) << "only accepted requests are captured";
  EXPECT_EQ(capture->requests[0].SerializeAsString(), MakeRequest("svc", 1, 2).SerializeAsString());
  std::filesystem::remove(path);
}

TEST(SinkStart, BusyPortIsUnavailableAndBadAddressIsInvalid) {
  SinkOptions first = LoopbackOptions();
  absl::StatusOr<std::unique_ptr<Sink>> a = Sink::Start(first);
  ASSERT_TRUE(a.ok()) << a.status();
  SinkOptions second = LoopbackOptions();
  second.http_address = (*a)->http_address();
  absl::StatusOr<std::unique_ptr<Sink>> b = Sink::Start(second);
  EXPECT_TRUE(absl::IsUnavailable(b.status())) << b.status();
  second = LoopbackOptions();
  second.grpc_address = (*a)->grpc_address();
  b = Sink::Start(second);
  EXPECT_TRUE(absl::IsUnavailable(b.status())) << b.status();

  second = LoopbackOptions();
  second.query_address = "localhost";
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start(second).status()));
  second = LoopbackOptions();
  second.faults = {"drop-spans=2"};
  EXPECT_TRUE(absl::IsInvalidArgument(Sink::Start(second).status()));
}

TEST(SinkStart, ListenersCanBeTurnedOff) {
  SinkOptions options = LoopbackOptions();
  options.grpc_address = "";
  absl::StatusOr<std::unique_ptr<Sink>> s = Sink::Start(options);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->grpc_port(), 0);
  EXPECT_GT((*s)->http_port(), 0);
  EXPECT_EQ((*s)->grpc_address(), "");
}

}  // namespace
}  // namespace agentstorm::sink
