// The Jaeger readers (API v3 and legacy /api/traces) against Jaeger's own response fixtures,
// served from an in-process HTTP server.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <mutex>

#include "absl/time/time.h"
#include "checker/readers/jaeger_legacy_reader.h"
#include "checker/readers/jaeger_v3_reader.h"
#include "checker/readers/trace_reader.h"
#include "core/otlp_json.h"
#include "reader_test_support.h"

namespace agentstorm::readers {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;
using testing::ClosedPort;
using testing::TestServer;

TraceId Id(const std::string& hex) { return *ParseTraceId(hex); }
std::string SpanBytes(const std::string& hex) { return std::string(AsBytes(*ParseSpanId(hex))); }
std::string TraceBytes(const std::string& hex) { return std::string(AsBytes(*ParseTraceId(hex))); }

std::vector<const Span*> AllSpans(const TracesData& data) {
  std::vector<const Span*> spans;
  for (const auto& rs : data.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) spans.push_back(&span);
    }
  }
  return spans;
}

const AnyValue* Attribute(const Span& span, const std::string& key) {
  for (const auto& kv : span.attributes()) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

std::string ServiceOf(const opentelemetry::proto::trace::v1::ResourceSpans& rs) {
  for (const auto& kv : rs.resource().attributes()) {
    if (kv.key() == "service.name") return kv.value().string_value();
  }
  return "";
}

// ------------------------------------------------------------------------------ API v3

TEST(JaegerV3Reader, ReadsGetTraceSnapshot) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_GetTrace.json");
  TestServer server;
  std::string seen_path;
  server.server().Get(R"(/api/v3/traces/([0-9a-f]+))",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        seen_path = req.path;
                        res.set_content(body, "application/json");
                      });
  server.Start();
  auto reader = MakeTraceReader(server.Url("jaeger"), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  // API v3 answers in OTLP, but Jaeger's storage keeps no schema URL (seen with a live 2.12).
  EXPECT_FALSE((*reader)->Carries().schema_urls);
  EXPECT_TRUE((*reader)->Carries().scope_attributes);

  auto trace = (*reader)->GetTrace(Id("1"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(seen_path, "/api/v3/traces/00000000000000000000000000000001");
  EXPECT_TRUE(trace->found);
  ASSERT_EQ(trace->span_count, 1u);
  const Span& span = *AllSpans(*trace->data)[0];
  EXPECT_EQ(span.name(), "foobar");
  EXPECT_EQ(span.trace_id(), TraceBytes("00000000000000000000000000000001"));
  EXPECT_EQ(span.span_id(), SpanBytes("0000000000000002"));
  EXPECT_TRUE(span.parent_span_id().empty());
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.status().code(), Status::STATUS_CODE_ERROR);
}

// agentstorm's sink answers protobuf to a reader that offers to take it (no JSON on either
// side); a backend that ignores the offer answers JSON (the snapshot test above).
TEST(JaegerV3Reader, TakesAProtobufAnswerWhenTheBackendGivesOne) {
  TracesData sent;
  auto* span = sent.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(TraceBytes("00000000000000000000000000000001"));
  span->set_span_id(SpanBytes("0000000000000002"));
  span->set_name("chat gpt-4o");
  TestServer server;
  std::string accept;
  server.server().Get(R"(/api/v3/traces/([0-9a-f]+))", [&](const httplib::Request& req,
                                                           httplib::Response& res) {
    accept = req.get_header_value("Accept");
    res.set_content(req.path.back() == '1' ? sent.SerializeAsString() : std::string("\xff\xff\xff"),
                    "application/x-protobuf");
  });
  server.Start();
  auto reader = MakeTraceReader(server.Url("jaeger"), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto trace = (*reader)->GetTrace(Id("1"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_NE(accept.find("application/x-protobuf"), std::string::npos) << accept;
  EXPECT_NE(accept.find("application/json"), std::string::npos) << accept;
  EXPECT_TRUE(trace->found);
  ASSERT_EQ(trace->span_count, 1u);
  EXPECT_EQ(trace->data->SerializeAsString(), sent.SerializeAsString());
  // Bytes that are not a TracesData: a failed request, not a trace that is missing.
  auto broken = (*reader)->GetTrace(Id("2"));
  EXPECT_FALSE(broken.ok());
}

// The bulk read of agentstorm's sink: `repeated TracesData traces = 1`, one per ID asked.
std::string BatchAnswer(const std::vector<TracesData>& traces) {
  std::string out;
  for (const TracesData& t : traces) {
    const std::string bytes = t.SerializeAsString();
    out.push_back('\x0a');
    for (uint64_t n = bytes.size();; n >>= 7) {  // the length as a varint
      out.push_back(static_cast<char>(n < 0x80 ? n : (n & 0x7f) | 0x80));
      if (n < 0x80) break;
    }
    out += bytes;
  }
  return out;
}

TracesData OneSpan(const std::string& trace_hex, const std::string& name) {
  TracesData data;
  auto* span = data.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(TraceBytes(trace_hex));
  span->set_span_id(SpanBytes("0000000000000002"));
  span->set_name(name);
  return data;
}

// Against agentstorm's sink the reader asks for many traces in one request, and hands each back
// as GetTrace would: in the order asked, an empty one as not found.
TEST(JaegerV3Reader, ReadsManyTracesInOneRequestWhereTheBackendServesIt) {
  TestServer server;
  std::vector<std::string> asked;
  server.server().Get(
      "/agentstorm/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
        asked.push_back(req.get_param_value("ids"));
        res.set_content(BatchAnswer({OneSpan("00000000000000000000000000000003", "third"),
                                     {},
                                     OneSpan("00000000000000000000000000000001", "first")}),
                        "application/x-protobuf");
      });
  server.Start();
  auto reader = MakeTraceReader(server.Url("jaeger"), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kBulkTraces);
  const std::vector<TraceLookup> ids = {Id("3"), Id("2"), Id("1")};
  auto traces = (*reader)->GetTraces(ids);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0],
            "00000000000000000000000000000003,00000000000000000000000000000002,"
            "00000000000000000000000000000001");
  ASSERT_EQ(traces.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(traces[i].ok()) << traces[i].status();
    EXPECT_EQ(traces[i]->id, ids[i].id);
  }
  EXPECT_TRUE(traces[0]->found);
  EXPECT_EQ(AllSpans(*traces[0]->data)[0]->name(), "third");
  EXPECT_FALSE(traces[1]->found);
  EXPECT_EQ(traces[1]->span_count, 0u);
  EXPECT_TRUE(traces[2]->found);
  EXPECT_EQ(traces[2]->span_count, 1u);
  EXPECT_EQ(AllSpans(*traces[2]->data)[0]->name(), "first");

  // An answer with another number of traces than asked: every trace's read failed (DataLoss),
  // nothing is guessed, and the next batch still asks in bulk.
  auto short_answer = (*reader)->GetTraces({Id("3"), Id("2"), Id("1"), Id("4")});
  ASSERT_EQ(short_answer.size(), 4u);
  for (const auto& t : short_answer) {
    ASSERT_FALSE(t.ok());
    EXPECT_TRUE(absl::IsDataLoss(t.status())) << t.status();
    EXPECT_NE(t.status().message().find("3 traces of the 4 asked for"), std::string::npos)
        << t.status();
  }
  EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kBulkTraces);
}

// A real Jaeger has no bulk read: it answers the path with 404 (or, behind its UI, with the UI's
// page). The reader then reads one trace per request, from that batch on.
TEST(JaegerV3Reader, ReadsOneTracePerRequestWhereTheBackendHasNoBulkRead) {
  for (const bool ui_page : {false, true}) {
    SCOPED_TRACE(ui_page ? "the UI's page" : "404");
    TestServer server;
    int bulk_asked = 0, single_asked = 0;
    server.server().Get("/agentstorm/v1/traces",
                        [&](const httplib::Request&, httplib::Response& res) {
                          ++bulk_asked;
                          if (ui_page) {
                            res.set_content("<!doctype html><title>Jaeger UI</title>", "text/html");
                          } else {
                            res.status = 404;
                          }
                        });
    server.server().Get(
        R"(/api/v3/traces/([0-9a-f]+))", [&](const httplib::Request& req, httplib::Response& res) {
          ++single_asked;
          if (req.path.back() == '2') {
            res.status = 404;
            return;
          }
          res.set_content(OneSpan(req.path.substr(req.path.size() - 32), "s").SerializeAsString(),
                          "application/x-protobuf");
        });
    server.Start();
    auto reader = MakeTraceReader(server.Url("jaeger"), {});
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto traces = (*reader)->GetTraces({Id("1"), Id("2"), Id("3")});
    ASSERT_EQ(traces.size(), 3u);
    ASSERT_TRUE(traces[0].ok() && traces[1].ok() && traces[2].ok());
    EXPECT_TRUE(traces[0]->found);
    EXPECT_FALSE(traces[1]->found);
    EXPECT_TRUE(traces[2]->found);
    EXPECT_EQ(traces[2]->id, Id("3"));
    EXPECT_EQ(bulk_asked, 1);
    EXPECT_EQ(single_asked, 3);
    // Traces without a location (no service, no start) are read one per request; located ones
    // would be searched for (below).
    EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kSearchTraces);
    EXPECT_TRUE((*reader)->BatchesNeedLocations());
    (*reader)->GetTraces({Id("1"), Id("3")});
    EXPECT_EQ(bulk_asked, 1) << "asked in bulk again after the backend said it cannot";
  }
}

// An error the per-trace read would meet as well (5xx, 401) fails the batch; the reader does not
// take it for a backend without the bulk read.
TEST(JaegerV3Reader, AServerErrorOnABulkReadFailsEveryTraceOfIt) {
  TestServer server;
  server.server().Get("/agentstorm/v1/traces",
                      [&](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  server.Start();
  auto reader = MakeTraceReader(server.Url("jaeger"), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto traces = (*reader)->GetTraces({Id("1"), Id("2")});
  ASSERT_EQ(traces.size(), 2u);
  EXPECT_FALSE(traces[0].ok());
  EXPECT_FALSE(traces[1].ok());
  EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kBulkTraces);
}

// A Jaeger as its search behaves (internal/storage/v2/memory of 2.12): no bulk read by ID; a
// search by service and window answers, most recent first and at most query.num_traces of
// them, every trace with a span of that service starting in [start_time_min, start_time_max],
// all of their resource spans merged into one {"result": ...}; GET by ID as usual.
class FakeJaeger {
 public:
  // A trace of `spans` spans: the root of `service` starts at `start`, the others (of "tools")
  // one microsecond apart after it.
  void Add(const TraceId& id, const std::string& service, uint64_t start, int spans = 3) {
    Stored t;
    t.id = id;
    auto* root_rs = t.data.add_resource_spans();
    auto* attr = root_rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value(service);
    auto* tools_rs = t.data.add_resource_spans();
    attr = tools_rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("tools");
    for (int i = 0; i < spans; ++i) {
      auto* span = (i == 0 ? root_rs : tools_rs)->add_scope_spans()->add_spans();
      span->set_trace_id(std::string(AsBytes(id)));
      span->set_span_id(std::string(7, '\x01') + static_cast<char>(i + 1));
      if (i > 0) span->set_parent_span_id(std::string(7, '\x01') + '\x01');
      span->set_name(i == 0 ? "invoke_agent planner" : "execute_tool search");
      span->set_start_time_unix_nano(start + static_cast<uint64_t>(i) * 1000);
      span->set_end_time_unix_nano(start + 1'000'000);
    }
    traces_.push_back(std::move(t));
  }

  void Start() {
    server_.server().Get("/agentstorm/v1/traces",
                         [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    server_.server().Get(R"(/api/v3/traces/([0-9a-f]+))", [this](const httplib::Request& req,
                                                                 httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++by_id_;
      raw_ = raw_ && req.get_param_value("raw_traces") == "true";
      for (const Stored& t : traces_) {
        if (HexEncode(t.id) == req.matches[1].str()) {
          res.set_content("{\"result\":" + EncodeOtlpJson(t.data) + "}", "application/json");
          return;
        }
      }
      res.status = 404;
    });
    server_.server().Get(
        "/api/v3/traces", [this](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard<std::mutex> lock(mu_);
          ++searches_;
          raw_ = raw_ && req.get_param_value("query.raw_traces") == "true";
          depths_.push_back(std::stoi(req.get_param_value("query.num_traces")));
          if (refuse_with_ != 0) {
            res.status = refuse_with_;
            return;
          }
          const std::string service = req.get_param_value("query.service_name");
          absl::Time min, max;
          std::string error;
          if (!absl::ParseTime(absl::RFC3339_full, req.get_param_value("query.start_time_min"),
                               &min, &error) ||
              !absl::ParseTime(absl::RFC3339_full, req.get_param_value("query.start_time_max"),
                               &max, &error)) {
            res.status = 400;
            return;
          }
          TracesData merged;
          int n = 0;
          for (auto it = traces_.rbegin(); it != traces_.rend() && n < depths_.back(); ++it) {
            bool match = false;
            for (const auto& rs : it->data.resource_spans()) {
              if (rs.resource().attributes(0).value().string_value() != service) continue;
              for (const auto& ss : rs.scope_spans()) {
                for (const auto& span : ss.spans()) {
                  const absl::Time t =
                      absl::FromUnixNanos(static_cast<int64_t>(span.start_time_unix_nano()));
                  match = match || (t >= min && t < max);
                }
              }
            }
            if (!match) continue;
            ++n;
            for (const auto& rs : it->data.resource_spans()) *merged.add_resource_spans() = rs;
          }
          if (n == 0) {
            res.status = 404;
            res.set_content(R"({"error":{"httpCode":404,"message":"No traces found"}})",
                            "application/json");
            return;
          }
          res.set_content("{\"result\":" + EncodeOtlpJson(merged) + "}", "application/json");
        });
    server_.Start();
  }
  BackendUrl Url() const { return server_.Url("jaeger"); }
  int by_id() {
    std::lock_guard<std::mutex> lock(mu_);
    return by_id_;
  }
  int searches() {
    std::lock_guard<std::mutex> lock(mu_);
    return searches_;
  }
  std::vector<int> depths() {
    std::lock_guard<std::mutex> lock(mu_);
    return depths_;
  }
  void RefuseSearchesWith(int status) { refuse_with_ = status; }
  // Every read asked for the traces as stored (no adjusters: Jaeger 2.12 runs them on its
  // store's own objects, and two reads of one trace at once race; docs/field.md).
  bool all_raw() {
    std::lock_guard<std::mutex> lock(mu_);
    return raw_;
  }

 private:
  struct Stored {
    TraceId id{};
    TracesData data;
  };
  TestServer server_;
  std::mutex mu_;
  std::vector<Stored> traces_;
  int by_id_ = 0;
  int searches_ = 0;
  std::vector<int> depths_;
  int refuse_with_ = 0;
  bool raw_ = true;
};

TraceId Numbered(uint64_t n) {
  TraceId id{};
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<uint8_t>(n >> (8 * i));
  id[0] = 0x5a;
  return id;
}

constexpr uint64_t kT0 = 1'780'000'000'000'000'000ull;

// Against a real Jaeger the located traces of a batch are read with one search (by their root
// service and the window of their starts), each whole, none by ID.
TEST(JaegerV3Reader, ReadsLocatedTracesThroughOneSearchWhereTheBackendHasNoBulkRead) {
  FakeJaeger jaeger;
  std::vector<TraceLookup> lookups;
  for (uint64_t i = 0; i < 50; ++i) {
    jaeger.Add(Numbered(i), "planner", kT0 + i * 1'000'123);
    lookups.emplace_back(Numbered(i), "planner", kT0 + i * 1'000'123);
  }
  jaeger.Add(Numbered(999), "planner", kT0 - 5'000'000);  // before the window: not asked for
  jaeger.Start();
  auto reader = MakeTraceReader(jaeger.Url(), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto traces = (*reader)->GetTraces(lookups);
  ASSERT_EQ(traces.size(), lookups.size());
  for (size_t i = 0; i < traces.size(); ++i) {
    ASSERT_TRUE(traces[i].ok()) << traces[i].status();
    EXPECT_EQ(traces[i]->id, lookups[i].id);
    EXPECT_TRUE(traces[i]->found);
    EXPECT_EQ(traces[i]->span_count, 3u);
    EXPECT_EQ(traces[i]->data->resource_spans_size(), 2);
    for (const Span* span : AllSpans(*traces[i]->data)) {
      EXPECT_EQ(span->trace_id(), std::string(AsBytes(lookups[i].id)));
    }
  }
  EXPECT_EQ(jaeger.searches(), 1);
  EXPECT_EQ(jaeger.depths(), std::vector<int>{2 * 50 + 16});
  EXPECT_EQ(jaeger.by_id(), 0) << "a trace the search returned was read again by ID";
  EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kSearchTraces);
}

// When the window holds more traces than the search asks for (here: another run's traces of the
// same service interleaved with ours, newer ones first), the search is repeated over each half of
// the missing traces' window until every one is found.
TEST(JaegerV3Reader, PagesThroughAWindowThatHoldsMoreTracesThanOneSearchAsksFor) {
  FakeJaeger jaeger;
  std::vector<TraceLookup> lookups;
  for (uint64_t i = 0; i < 40; ++i) {
    const uint64_t start = kT0 + i * 10'000'000;
    lookups.emplace_back(Numbered(i), "planner", start);
    jaeger.Add(Numbered(i), "planner", start);
    for (uint64_t k = 1; k <= 6; ++k) jaeger.Add(Numbered(1000 + i * 10 + k), "planner", start + k);
  }
  jaeger.Start();
  auto reader = MakeTraceReader(jaeger.Url(), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto traces = (*reader)->GetTraces(lookups);
  for (size_t i = 0; i < traces.size(); ++i) {
    ASSERT_TRUE(traces[i].ok()) << traces[i].status();
    EXPECT_TRUE(traces[i]->found) << i;
  }
  EXPECT_GT(jaeger.searches(), 1);
  EXPECT_LT(jaeger.searches(), 80);
  EXPECT_EQ(jaeger.by_id(), 0);
}

// A search is not the authority: a trace it does not return (its service renamed on the way, or
// not stored at all) is read by ID, which finds the first and says the second is missing.
TEST(JaegerV3Reader, ReadsByIdWhatTheSearchDidNotReturn) {
  FakeJaeger jaeger;
  jaeger.Add(Numbered(1), "planner", kT0);
  jaeger.Add(Numbered(2), "renamed-by-the-pipeline", kT0 + 1000);
  jaeger.Start();
  auto reader = MakeTraceReader(jaeger.Url(), {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto traces = (*reader)->GetTraces({{Numbered(1), "planner", kT0},
                                      {Numbered(2), "planner", kT0 + 1000},
                                      {Numbered(3), "planner", kT0 + 2000},
                                      Numbered(1)});
  ASSERT_EQ(traces.size(), 4u);
  for (const auto& t : traces) ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(traces[0]->found);
  EXPECT_TRUE(traces[1]->found);
  EXPECT_EQ(traces[1]->span_count, 3u);
  EXPECT_FALSE(traces[2]->found);
  EXPECT_TRUE(traces[3]->found) << "a lookup without a location is read by ID";
  EXPECT_EQ(jaeger.searches(), 1);
  EXPECT_EQ(jaeger.by_id(), 3);
  EXPECT_TRUE(jaeger.all_raw()) << "a read asked Jaeger to run its adjusters";
}

// A backend that refuses the search (400) three times in a row is read by ID from then on; one
// that says the reader may not (401) fails the batch, as reading by ID would.
TEST(JaegerV3Reader, ABackendThatRefusesTheSearchIsReadById) {
  {
    FakeJaeger jaeger;
    jaeger.Add(Numbered(1), "planner", kT0);
    jaeger.RefuseSearchesWith(400);
    jaeger.Start();
    auto reader = MakeTraceReader(jaeger.Url(), {});
    ASSERT_TRUE(reader.ok()) << reader.status();
    for (int i = 1; i <= 3; ++i) {
      if (i > 1) EXPECT_EQ((*reader)->MaxBatch(), JaegerV3Reader::kSearchTraces) << i - 1;
      auto traces = (*reader)->GetTraces({{Numbered(1), "planner", kT0}});
      ASSERT_TRUE(traces[0].ok()) << traces[0].status();
      EXPECT_TRUE(traces[0]->found);
      EXPECT_EQ(jaeger.by_id(), i);
    }
    EXPECT_EQ(jaeger.searches(), 3);
    EXPECT_EQ((*reader)->MaxBatch(), 1u);
  }
  {
    FakeJaeger jaeger;
    jaeger.Add(Numbered(1), "planner", kT0);
    jaeger.RefuseSearchesWith(401);
    jaeger.Start();
    auto reader = MakeTraceReader(jaeger.Url(), {});
    ASSERT_TRUE(reader.ok()) << reader.status();
    auto traces = (*reader)->GetTraces({{Numbered(1), "planner", kT0}});
    ASSERT_FALSE(traces[0].ok());
    EXPECT_EQ(traces[0].status().code(), absl::StatusCode::kUnauthenticated) << traces[0].status();
    EXPECT_EQ(jaeger.by_id(), 0);
  }
}

// A resource whose spans belong to several traces is split between them, each keeping the
// resource and scope; Jaeger's recorded search answer gives its one trace.
TEST(JaegerV3Reader, SplitsASearchAnswerByTrace) {
  TracesData data;
  auto* rs = data.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("planner");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("agentstorm");
  for (uint64_t i : {1, 2, 1}) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(AsBytes(Numbered(i))));
    span->set_span_id(std::string(8, static_cast<char>(i)));
  }
  auto split = SplitJaegerV3Traces("{\"result\":" + EncodeOtlpJson(data) + "}");
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->size(), 2u);
  for (uint64_t i : {1, 2}) {
    TracesData one;
    ASSERT_TRUE(one.ParseFromString(split->at(Numbered(i))));
    ASSERT_EQ(one.resource_spans_size(), 1);
    EXPECT_EQ(ServiceOf(one.resource_spans(0)), "planner");
    EXPECT_EQ(one.resource_spans(0).scope_spans(0).scope().name(), "agentstorm");
    EXPECT_EQ(CountSpans(one), i == 1 ? 2u : 1u);
  }
  auto none = SplitJaegerV3Traces(R"({"error":{"httpCode":404,"message":"No traces found"}})");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(SplitJaegerV3Traces("{\"result\": 7}").ok());

  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_FindTraces.json");
  auto recorded = SplitJaegerV3Traces(body);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  ASSERT_EQ(recorded->size(), 1u);
  EXPECT_TRUE(recorded->contains(Id("1")));
}

TEST(JaegerV3Reader, MergesConcatenatedResultChunks) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_GetTrace.json");
  TracesData data;
  ASSERT_TRUE(DecodeJaegerV3Body(body + body + "\n" + body, &data).ok());
  EXPECT_EQ(data.resource_spans_size(), 3);
  EXPECT_EQ(CountSpans(data), 3u);
}

// A real Jaeger v2 (2.12, tests/field/) adds its adjusters' notes to spans as "@jaeger@warnings"
// (here: a span whose parent is not in the trace). The reader removes them: they are Jaeger's,
// not the pipeline's, and would otherwise show as fidelity.attribute_added. Nothing else goes.
TEST(JaegerV3Reader, RemovesTheWarningsJaegersQueryAdds) {
  const std::string body = R"({"result":{"resourceSpans":[{"resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"legacy-bot"}}]},"scopeSpans":[{
    "scope":{"name":"agentstorm"},"spans":[{"traceId":"655774a28c02a18366fe3ec33efee74a",
    "spanId":"00fe391347040cf6","parentSpanId":"38e120141757e5e6","name":"chat m","kind":3,
    "startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[
    {"key":"@jaeger@warnings","value":{"arrayValue":{"values":[{"stringValue":
      "parent span ID=38e120141757e5e6 is not in the trace; skipping clock skew adjustment"}]}}},
    {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
    {"key":"warnings","value":{"stringValue":"an attribute of the span's own"}}],
    "status":{}}]}]}]}})";
  TracesData data;
  ASSERT_TRUE(DecodeJaegerV3Body(body, &data).ok());
  const auto& attrs = data.resource_spans(0).scope_spans(0).spans(0).attributes();
  ASSERT_EQ(attrs.size(), 2);
  EXPECT_EQ(attrs[0].key(), "gen_ai.operation.name");
  EXPECT_EQ(attrs[1].key(), "warnings");
  // Jaeger keeps no schema URL: the reader says so, so their absence is not compared.
  EXPECT_FALSE(
      JaegerV3Reader(ParseBackendUrl("jaeger://127.0.0.1:1").value(), {}).Carries().schema_urls);
}

TEST(JaegerV3Reader, NotFoundIsNotAnError) {
  TestServer server;
  server.server().Get(R"(/api/v3/traces/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":{"httpCode":404,"message":"trace not found"}})", "text/plain");
  });
  server.Start();
  JaegerV3Reader reader(server.Url("jaeger"), {});
  auto trace = reader.GetTrace(Id("abc"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_FALSE(trace->found);
  EXPECT_EQ(trace->span_count, 0u);
}

TEST(JaegerV3Reader, BodyOfAnotherShapeIsAFailedRequestNotAMissingTrace) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(services, "jaeger/apiv3_GetServices.json");
  TestServer server;
  server.server().Get(R"(/api/v3/traces/.*)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(services, "application/json");
  });
  server.Start();
  JaegerV3Reader reader(server.Url("jaeger"), {});
  auto trace = reader.GetTrace(Id("1"));
  ASSERT_FALSE(trace.ok());
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(IsUnreachable(trace.status()));
}

TEST(JaegerV3Reader, FindTracesSendsQueryAndCollectsDistinctIds) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_FindTraces.json");
  TestServer server;
  httplib::Params params;
  server.server().Get("/api/v3/traces", [&](const httplib::Request& req, httplib::Response& res) {
    params = req.params;
    res.set_content(body + body, "application/json");  // the same trace in two chunks
  });
  server.Start();
  JaegerV3Reader reader(server.Url("jaeger"), {});
  TraceSearch search;
  search.service = "foo";
  search.start = absl::FromUnixSeconds(1700000000);
  search.end = absl::FromUnixSeconds(1700000600);
  search.limit = 20;
  auto ids = reader.FindTraces(search);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ(HexEncode((*ids)[0]), "00000000000000000000000000000001");
  EXPECT_EQ(params.find("query.service_name")->second, "foo");
  EXPECT_EQ(params.find("query.start_time_min")->second, "2023-11-14T22:13:20.000000000Z");
  EXPECT_EQ(params.find("query.start_time_max")->second, "2023-11-14T22:23:20.000000000Z");
  EXPECT_EQ(params.find("query.num_traces")->second, "20");
}

TEST(JaegerV3Reader, FindTracesWithNoMatchIsEmpty) {
  TestServer server;
  server.server().Get("/api/v3/traces", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":{"httpCode":404,"message":"No traces found"}})", "text/plain");
  });
  server.Start();
  JaegerV3Reader reader(server.Url("jaeger"), {});
  auto ids = reader.FindTraces({"foo"});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_TRUE(ids->empty());
}

TEST(JaegerV3Reader, SendsAuthAndTenantHeaders) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(body, "jaeger/apiv3_GetTrace.json");
  TestServer server;
  std::string authorization, tenant, custom;
  server.server().Get(R"(/prefix/api/v3/traces/.*)",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        authorization = req.get_header_value("Authorization");
                        tenant = req.get_header_value("X-Scope-OrgID");
                        custom = req.get_header_value("X-Api-Key");
                        res.set_content(body, "application/json");
                      });
  server.Start();
  JaegerV3Reader reader(
      server.Url("jaeger", "/prefix?token=s3cret&tenant=acme&header=X-Api-Key:k1"), {});
  ASSERT_TRUE(reader.GetTrace(Id("1")).ok());
  EXPECT_EQ(authorization, "Bearer s3cret");
  EXPECT_EQ(tenant, "acme");
  EXPECT_EQ(custom, "k1");
  EXPECT_EQ(reader.Describe().find("s3cret"), std::string::npos);
  EXPECT_EQ(reader.Describe().find("k1"), std::string::npos);
}

TEST(JaegerV3Reader, SendsBasicAuth) {
  TestServer server;
  std::string authorization;
  server.server().Get(R"(/api/v3/traces/.*)",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        authorization = req.get_header_value("Authorization");
                        res.status = 404;
                      });
  const int port = server.Start();
  auto url = ParseBackendUrl("jaeger://alice:p%40ss@127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(url.ok());
  JaegerV3Reader reader(*url, {});
  ASSERT_TRUE(reader.GetTrace(Id("1")).ok());
  EXPECT_EQ(authorization, "Basic YWxpY2U6cEBzcw==");  // alice:p@ss
}

TEST(JaegerV3Reader, UnreachableBackendIsDistinguishable) {
  auto url = ParseBackendUrl("jaeger://127.0.0.1:" + std::to_string(ClosedPort()));
  ASSERT_TRUE(url.ok());
  JaegerV3Reader reader(*url, {});
  auto trace = reader.GetTrace(Id("1"));
  ASSERT_FALSE(trace.ok());
  EXPECT_TRUE(IsUnreachable(trace.status())) << trace.status();
  auto ids = reader.FindTraces({"foo"});
  ASSERT_FALSE(ids.ok());
  EXPECT_TRUE(IsUnreachable(ids.status())) << ids.status();
}

TEST(JaegerV3Reader, ServerErrorsAreFailedRequests) {
  TestServer server;
  server.server().Get(R"(/api/v3/traces/.*)",
                      [](const httplib::Request& req, httplib::Response& res) {
                        res.status = req.path.back() == '1' ? 500 : 401;
                        res.set_content("boom", "text/plain");
                      });
  server.Start();
  JaegerV3Reader reader(server.Url("jaeger"), {});
  auto failed = reader.GetTrace(Id("1"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  auto denied = reader.GetTrace(Id("2"));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated);
}

// ------------------------------------------------------------------------------ legacy

TEST(JaegerLegacyReader, MapsUiTraceIntoOtlp) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(ui_trace, "jaeger/legacy_ui_trace_01.json");
  TestServer server;
  std::string seen_path;
  server.server().Get(
      R"(/api/traces/([0-9a-f]+))", [&](const httplib::Request& req, httplib::Response& res) {
        seen_path = req.path;
        res.set_content(
            R"({"data":[)" + ui_trace + R"(],"total":0,"limit":0,"offset":0,"errors":null})",
            "application/json");
      });
  server.Start();
  auto reader = MakeTraceReader(server.Url("jaeger-legacy"), {});
  ASSERT_TRUE(reader.ok());
  // The legacy JSON has no schema URLs or scope attributes: fidelity does not compare them.
  EXPECT_FALSE((*reader)->Carries().schema_urls);
  EXPECT_FALSE((*reader)->Carries().scope_attributes);
  auto trace = (*reader)->GetTrace(Id("1"));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(seen_path, "/api/traces/00000000000000000000000000000001");
  ASSERT_TRUE(trace->found);
  ASSERT_EQ(trace->span_count, 5u);

  // One resource per process, named by its serviceName, spans in their original order.
  ASSERT_EQ(trace->data->resource_spans_size(), 2);
  EXPECT_EQ(ServiceOf(trace->data->resource_spans(0)), "service-x");
  EXPECT_EQ(ServiceOf(trace->data->resource_spans(1)), "service-y");
  EXPECT_EQ(CountSpans(TracesData()), 0u);
  const auto spans = AllSpans(*trace->data);
  for (const Span* span : spans) {
    EXPECT_EQ(span->trace_id(), TraceBytes("00000000000000000000000000000001"));  // left-padded
    EXPECT_EQ(span->start_time_unix_nano(), 1485467191639875000u);
  }

  // Logs become events; the "event" field names the event.
  const Span& general = *spans[0];
  EXPECT_EQ(general.name(), "test-general-conversion");
  EXPECT_EQ(general.end_time_unix_nano() - general.start_time_unix_nano(), 5000u);
  ASSERT_EQ(general.events_size(), 2);
  EXPECT_EQ(general.events(0).name(), "some-event");
  EXPECT_EQ(general.events(0).attributes_size(), 0);
  EXPECT_EQ(general.events(0).time_unix_nano(), 1485467191639875000u);
  EXPECT_EQ(general.events(1).name(), "");
  ASSERT_EQ(general.events(1).attributes_size(), 1);
  EXPECT_EQ(general.events(1).attributes(0).key(), "x");
  EXPECT_EQ(general.events(1).attributes(0).value().string_value(), "y");

  // Typed tags keep their type; error=true becomes the status and is consumed.
  const Span& typed = *spans[1];
  EXPECT_EQ(typed.span_id(), SpanBytes("0000000000000002"));
  EXPECT_EQ(Attribute(typed, "peer.service")->string_value(), "service-y");
  EXPECT_EQ(Attribute(typed, "peer.ipv4")->int_value(), 23456);
  EXPECT_DOUBLE_EQ(Attribute(typed, "temperature")->double_value(), 72.5);
  EXPECT_EQ(Attribute(typed, "javascript_limit")->int_value(), 9223372036854775222);
  EXPECT_EQ(Attribute(typed, "blob")->bytes_value(), std::string("\x00\x00\x30\x39", 4));
  EXPECT_EQ(Attribute(typed, "error"), nullptr);
  EXPECT_EQ(typed.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(typed.attributes_size(), 5);

  // References: the first CHILD_OF in the trace is the parent, the others are links.
  EXPECT_EQ(spans[2]->parent_span_id(), SpanBytes("0000000000000002"));
  EXPECT_EQ(spans[2]->links_size(), 0);
  const Span& refs = *spans[3];
  EXPECT_EQ(refs.name(), "reference-test");
  EXPECT_EQ(refs.parent_span_id(), SpanBytes("0000000000000002"));
  ASSERT_EQ(refs.links_size(), 2);
  EXPECT_EQ(refs.links(0).trace_id(), TraceBytes("00000000000000ff"));
  EXPECT_EQ(refs.links(0).span_id(), SpanBytes("00000000000000ff"));
  ASSERT_EQ(refs.links(0).attributes_size(), 1);
  EXPECT_EQ(refs.links(0).attributes(0).key(), "opentracing.ref_type");
  EXPECT_EQ(refs.links(0).attributes(0).value().string_value(), "child_of");
  EXPECT_EQ(refs.links(1).span_id(), SpanBytes("0000000000000002"));
  EXPECT_EQ(refs.links(1).attributes_size(), 0);  // FOLLOWS_FROM is what an OTLP link becomes
  EXPECT_EQ(spans[4]->parent_span_id(), SpanBytes("0000000000000004"));
  EXPECT_EQ(spans[4]->end_time_unix_nano() - spans[4]->start_time_unix_nano(), 4000u);
}

TEST(JaegerLegacyReader, TransformResponseRoundTripsToTheOtlpThatWasSent) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(response, "jaeger/legacy_transform_response.json");
  AGENTSTORM_READ_RESPONSE_OR_SKIP(request, "jaeger/legacy_transform_request_otlp.json");
  TracesData sent;
  ASSERT_TRUE(DecodeOtlpJson(request, &sent).ok());
  sent.mutable_resource_spans(0)->clear_schema_url();  // Jaeger's model has no schema URL

  TracesData read;
  ASSERT_TRUE(DecodeJaegerLegacyBody(response, &read).ok());
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(sent, read)) << diff;
  // The duplicate span Jaeger returns is kept, not merged away.
  EXPECT_EQ(CountSpans(read), 2u);
}

TEST(JaegerLegacyReader, StatusAndKindTagsBecomeFields) {
  const std::string body = R"({"data":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spans":[
    {"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spanID":"e127af99e3b3e074","operationName":"op",
     "references":[],"startTime":1,"duration":2,"processID":"p1","logs":[],
     "tags":[{"key":"span.kind","type":"string","value":"client"},
             {"key":"otel.status_code","type":"string","value":"ERROR"},
             {"key":"otel.status_description","type":"string","value":"boom"},
             {"key":"w3c.tracestate","type":"string","value":"k=v"},
             {"key":"otel.library.name","type":"string","value":"lib"},
             {"key":"gen_ai.usage.input_tokens","type":"int64","value":12}]}],
    "processes":{"p1":{"serviceName":"agent","tags":[{"key":"host.name","type":"string","value":"h"}]}}}]})";
  TracesData data;
  ASSERT_TRUE(DecodeJaegerLegacyBody(body, &data).ok());
  ASSERT_EQ(CountSpans(data), 1u);
  const auto& rs = data.resource_spans(0);
  EXPECT_EQ(ServiceOf(rs), "agent");
  EXPECT_EQ(rs.resource().attributes(1).key(), "host.name");
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "lib");
  const Span& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(span.kind(), Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(span.status().code(), Status::STATUS_CODE_ERROR);
  EXPECT_EQ(span.status().message(), "boom");
  EXPECT_EQ(span.trace_state(), "k=v");
  ASSERT_EQ(span.attributes_size(), 1);
  EXPECT_EQ(span.attributes(0).value().int_value(), 12);
  EXPECT_EQ(span.end_time_unix_nano(), 3000u);
}

// A real Jaeger v2 (2.12, tests/field/) serves an array attribute through the legacy API as its
// JSON in a string tag (its span model has no arrays): read back as the array it was, when it is
// an array of one scalar type; any other string stays a string. Times are whole microseconds,
// which the reader says (Carries), so fidelity allows for them.
TEST(JaegerLegacyReader, ArraysJaegerStoredAsJsonStringsAreArraysAgain) {
  const std::string body = R"({"data":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spans":[
    {"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spanID":"e127af99e3b3e074","operationName":"op",
     "references":[],"startTime":1,"duration":2,"processID":"p1","logs":[],
     "tags":[{"key":"gen_ai.response.finish_reasons","type":"string","value":"[\"stop\",\"length\"]"},
             {"key":"ints","type":"string","value":"[1,2]"},
             {"key":"empty","type":"string","value":"[]"},
             {"key":"mixed","type":"string","value":"[1,\"a\"]"},
             {"key":"text","type":"string","value":"[not json]"}]}],
    "processes":{"p1":{"serviceName":"agent","tags":[]}}}]})";
  TracesData data;
  ASSERT_TRUE(DecodeJaegerLegacyBody(body, &data).ok());
  const Span& span = data.resource_spans(0).scope_spans(0).spans(0);
  ASSERT_EQ(span.attributes_size(), 5);
  const auto& reasons = span.attributes(0).value();
  ASSERT_TRUE(reasons.has_array_value());
  ASSERT_EQ(reasons.array_value().values_size(), 2);
  EXPECT_EQ(reasons.array_value().values(0).string_value(), "stop");
  EXPECT_EQ(reasons.array_value().values(1).string_value(), "length");
  ASSERT_TRUE(span.attributes(1).value().has_array_value());
  EXPECT_EQ(span.attributes(1).value().array_value().values(1).int_value(), 2);
  ASSERT_TRUE(span.attributes(2).value().has_array_value());
  EXPECT_EQ(span.attributes(2).value().array_value().values_size(), 0);
  EXPECT_EQ(span.attributes(3).value().string_value(), "[1,\"a\"]");
  EXPECT_EQ(span.attributes(4).value().string_value(), "[not json]");
  EXPECT_EQ(JaegerLegacyReader(ParseBackendUrl("jaeger-legacy://127.0.0.1:1").value(), {})
                .Carries()
                .time_resolution_nanos,
            1000u);
}

TEST(JaegerLegacyReader, NotFoundAndMalformed) {
  TracesData data;
  EXPECT_TRUE(absl::IsNotFound(DecodeJaegerLegacyBody(
      R"({"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]})",
      &data)));
  EXPECT_EQ(DecodeJaegerLegacyBody("<html>", &data).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeJaegerLegacyBody(
                R"({"data":[{"spans":[{"traceID":"zz","spanID":"1","tags":[]}]}]})", &data)
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(JaegerLegacyReader, FindTracesUsesMicroseconds) {
  AGENTSTORM_READ_RESPONSE_OR_SKIP(response, "jaeger/legacy_transform_response.json");
  TestServer server;
  httplib::Params params;
  server.server().Get("/api/traces", [&](const httplib::Request& req, httplib::Response& res) {
    params = req.params;
    res.set_content(response, "application/json");
  });
  server.Start();
  JaegerLegacyReader reader(server.Url("jaeger-legacy"), {});
  TraceSearch search{"telemetrygen", absl::FromUnixSeconds(10), absl::FromUnixSeconds(20), 5};
  auto ids = reader.FindTraces(search);
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ(HexEncode((*ids)[0]), "83a9efd15c1c98a977e0711cc93ee28b");
  EXPECT_EQ(params.find("service")->second, "telemetrygen");
  EXPECT_EQ(params.find("start")->second, "10000000");
  EXPECT_EQ(params.find("end")->second, "20000000");
  EXPECT_EQ(params.find("limit")->second, "5");
}

}  // namespace
}  // namespace agentstorm::readers
