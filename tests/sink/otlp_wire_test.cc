#include "sink/otlp_wire.h"

#include <google/protobuf/stubs/common.h>
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "sink/request_decoder.h"
#include "sink/trace_store.h"
#include "tests/sink/test_requests.h"

namespace agentstorm::sink::wire {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;
using sink::testing::AddResource;
using sink::testing::AddSpan;

// A request using every part of the schema: two resources (one without service.name), two
// scopes, events, links, status, flags, trace state, nested arrays and maps, bytes, non-ASCII.
ExportTraceServiceRequest RichRequest() {
  ExportTraceServiceRequest r;
  auto* rs = AddResource(&r, "orchestrator-ü");
  rs->set_schema_url("https://opentelemetry.io/schemas/1.37.0");
  rs->mutable_resource()->set_dropped_attributes_count(2);
  auto* entity = rs->mutable_resource()->add_entity_refs();
  entity->set_type("service");
  entity->add_id_keys("service.name");
  rs->mutable_scope_spans(0)->mutable_scope()->set_version("1.2.3");
  rs->mutable_scope_spans(0)->set_schema_url("https://opentelemetry.io/schemas/1.36.0");
  Span* root = AddSpan(rs, 1, 1, -1, "invoke_agent planner");
  root->set_kind(Span::SPAN_KIND_SERVER);
  root->set_trace_state("vendor=a");
  root->set_flags(0x301);
  root->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  root->mutable_status()->set_message("boom ✗");
  auto* a = root->add_attributes();
  a->set_key("gen_ai.operation.name");
  a->mutable_value()->set_string_value("invoke_agent");
  auto* arr = root->add_attributes();
  arr->set_key("gen_ai.response.finish_reasons");
  arr->mutable_value()->mutable_array_value()->add_values()->set_string_value("stop");
  arr->mutable_value()
      ->mutable_array_value()
      ->add_values()
      ->mutable_array_value()
      ->add_values()
      ->set_int_value(-3);
  auto* map = root->add_attributes();
  map->set_key("m");
  auto* inner = map->mutable_value()->mutable_kvlist_value()->add_values();
  inner->set_key("k");
  inner->mutable_value()->set_double_value(0.5);
  auto* b = root->add_attributes();
  b->set_key("blob");
  b->mutable_value()->set_bytes_value(std::string("\xff\x00\x01", 3));
  auto* t = root->add_attributes();
  t->set_key("flag");
  t->mutable_value()->set_bool_value(true);
  auto* empty = root->add_attributes();
  empty->set_key("no.value");
  auto* ev = root->add_events();
  ev->set_name("gen_ai.content.prompt");
  ev->set_time_unix_nano(5);
  ev->add_attributes()->set_key("x");
  auto* link = root->add_links();
  link->set_trace_id(sink::testing::TraceIdBytes(9));
  link->set_span_id(sink::testing::SpanIdBytes(9));
  link->set_flags(1);
  AddSpan(rs, 1, 2, 1, "chat gpt-4o")->set_kind(Span::SPAN_KIND_CLIENT);
  auto* scope2 = rs->add_scope_spans();
  scope2->mutable_scope()->set_name("second");
  Span* s3 = scope2->add_spans();
  *s3 = rs->scope_spans(0).spans(1);
  s3->set_span_id(sink::testing::SpanIdBytes(3));
  rs->add_scope_spans()->mutable_scope()->set_name("no spans");
  auto* rs2 = r.add_resource_spans();  // no service.name, no resource at all
  rs2->add_scope_spans()->add_spans()->CopyFrom(rs->scope_spans(0).spans(1));
  rs2->mutable_scope_spans(0)->mutable_spans(0)->set_trace_id(sink::testing::TraceIdBytes(2));
  rs2->mutable_scope_spans(0)->mutable_spans(0)->clear_parent_span_id();
  return r;
}

// Every indexed fact equals what libprotobuf parses from the same bytes.
void ExpectIndexMatches(const std::string& bytes, const ScannedRequest& scan) {
  ExportTraceServiceRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes)) << "the scanner vouched for bytes libprotobuf refuses";
  ASSERT_TRUE(ValidateTraceRequest(parsed).ok()) << "the scanner vouched for invalid IDs";
  size_t n = 0;
  uint32_t group = 0;
  for (int r = 0; r < parsed.resource_spans_size(); ++r) {
    const auto& rs = parsed.resource_spans(r);
    for (const auto& ss : rs.scope_spans()) {
      if (ss.spans_size() == 0) continue;
      ASSERT_LT(group, scan.groups.size());
      const ScannedGroup& g = scan.groups[group];
      EXPECT_EQ(g.resource_index, static_cast<uint32_t>(r));
      EXPECT_EQ(g.service, std::string(sink::ServiceNameOf(rs)));
      EXPECT_EQ(g.has_resource, rs.has_resource());
      EXPECT_EQ(g.resource_schema_url, rs.schema_url());
      EXPECT_EQ(g.scope_schema_url, ss.schema_url());
      EXPECT_EQ(g.has_scope, ss.has_scope());
      if (g.has_scope) {
        opentelemetry::proto::common::v1::InstrumentationScope scope;
        ASSERT_TRUE(scope.ParseFromArray(g.scope.data(), static_cast<int>(g.scope.size())));
        EXPECT_EQ(scope.SerializeAsString(), ss.scope().SerializeAsString());
      }
      if (g.has_resource) {
        opentelemetry::proto::resource::v1::Resource resource;
        ASSERT_TRUE(
            resource.ParseFromArray(g.resource.data(), static_cast<int>(g.resource.size())));
        EXPECT_EQ(resource.SerializeAsString(), rs.resource().SerializeAsString());
      }
      for (const Span& span : ss.spans()) {
        ASSERT_LT(n, scan.spans.size());
        const ScannedSpan& s = scan.spans[n++];
        EXPECT_EQ(s.group, group);
        Span reparsed;
        ASSERT_TRUE(reparsed.ParseFromArray(s.bytes.data(), static_cast<int>(s.bytes.size())));
        EXPECT_EQ(reparsed.SerializeAsString(), span.SerializeAsString());
        EXPECT_EQ(s.name, span.name());
        EXPECT_EQ(std::string(s.trace_id.begin(), s.trace_id.end()), span.trace_id());
        EXPECT_EQ(std::string(s.span_id.begin(), s.span_id.end()), span.span_id());
        EXPECT_EQ(s.has_parent, !span.parent_span_id().empty());
        if (s.has_parent) {
          EXPECT_EQ(std::string(s.parent_span_id.begin(), s.parent_span_id.end()),
                    span.parent_span_id());
        }
        EXPECT_EQ(s.kind, static_cast<int32_t>(span.kind()));
        EXPECT_EQ(s.status_code, static_cast<int32_t>(span.status().code()));
        EXPECT_EQ(s.start_time_unix_nano, span.start_time_unix_nano());
        EXPECT_EQ(s.end_time_unix_nano, span.end_time_unix_nano());
        int i = 0;
        ForEachSpanAttribute(s.bytes, [&](std::string_view key, const Value& v) {
          const auto& kv = span.attributes(i++);
          EXPECT_EQ(key, kv.key());
          switch (kv.value().value_case()) {
            case AnyValue::kStringValue:
              EXPECT_EQ(v.type, Value::Type::kString);
              EXPECT_EQ(v.bytes, kv.value().string_value());
              break;
            case AnyValue::kIntValue:
              EXPECT_EQ(v.type, Value::Type::kInt);
              EXPECT_EQ(v.int_value, kv.value().int_value());
              break;
            case AnyValue::kBoolValue:
              EXPECT_EQ(v.type, Value::Type::kBool);
              EXPECT_EQ(v.bool_value, kv.value().bool_value());
              break;
            case AnyValue::kDoubleValue:
              EXPECT_EQ(v.type, Value::Type::kDouble);
              EXPECT_EQ(v.double_value, kv.value().double_value());
              break;
            case AnyValue::kBytesValue:
              EXPECT_EQ(v.type, Value::Type::kBytes);
              EXPECT_EQ(v.bytes, kv.value().bytes_value());
              break;
            case AnyValue::kArrayValue:
              EXPECT_EQ(v.type, Value::Type::kArray);
              break;
            case AnyValue::kKvlistValue:
              EXPECT_EQ(v.type, Value::Type::kKvList);
              break;
            default:
              EXPECT_EQ(v.type, Value::Type::kNone);
          }
          return true;
        });
        EXPECT_EQ(i, span.attributes_size());
      }
      ++group;
    }
  }
  EXPECT_EQ(n, scan.spans.size());
  EXPECT_EQ(group, scan.groups.size());
}

TEST(OtlpWire, IndexesEveryPartOfARichRequestAsLibprotobufParsesIt) {
  const std::string bytes = RichRequest().SerializeAsString();
  ScannedRequest scan;
  ASSERT_TRUE(ScanTraceRequest(bytes, &scan));
  EXPECT_EQ(scan.spans.size(), 4u);
  EXPECT_EQ(scan.groups.size(), 3u) << "the scope without spans is not a group";
  EXPECT_EQ(scan.groups[0].service, "orchestrator-ü");
  EXPECT_EQ(scan.groups[2].service, "");
  EXPECT_FALSE(scan.groups[2].has_resource);
  EXPECT_EQ(scan.spans[0].status_code, 2);
  ExpectIndexMatches(bytes, scan);
}

TEST(OtlpWire, SkipsUnknownFieldsOfEveryWireTypeAsLibprotobufDoes) {
  ExportTraceServiceRequest r = sink::testing::MakeRequest("svc", 1, 2);
  std::string span = r.resource_spans(0).scope_spans(0).spans(0).SerializeAsString();
  // field 100 varint, field 101 fixed64, field 102 bytes, field 103 fixed32, field 104 group
  // holding a varint, then the end of group 104.
  span += std::string("\xa0\x06\x01", 3) + std::string("\xa9\x06", 2) + std::string(8, '\x07') +
          std::string("\xb2\x06\x02hi", 5) + std::string("\xbd\x06\x01\x02\x03\x04", 6) +
          std::string("\xc3\x06\x08\x05\xc4\x06", 6) +
          // known fields with another wire type: kind (6) as bytes, an attribute (9) as a varint
          std::string("\x32\x00", 2) + std::string("\x48\x01", 2);
  Span with_unknown;
  ASSERT_TRUE(with_unknown.ParseFromString(span));
  *r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0) = with_unknown;
  const std::string bytes = r.SerializeAsString();
  ScannedRequest scan;
  ASSERT_TRUE(ScanTraceRequest(bytes, &scan));
  ExpectIndexMatches(bytes, scan);
}

TEST(OtlpWire, DeclinesWhatOnlyLibprotobufCanJudge) {
  const ExportTraceServiceRequest base = sink::testing::MakeRequest("svc", 1, 1);
  const std::string span = base.resource_spans(0).scope_spans(0).spans(0).SerializeAsString();
  auto with_span_bytes = [&](const std::string& span_bytes) {
    // resource_spans { scope_spans { spans: span_bytes } }
    auto len = [](const std::string& s) {
      std::string out;
      size_t n = s.size();
      while (n >= 0x80) {
        out += static_cast<char>((n & 0x7f) | 0x80);
        n >>= 7;
      }
      out += static_cast<char>(n);
      return out;
    };
    const std::string ss = "\x12" + len(span_bytes) + span_bytes;
    const std::string rs = "\x12" + len(ss) + ss;
    return "\x0a" + len(rs) + rs;
  };
  ScannedRequest scan;
  ASSERT_TRUE(ScanTraceRequest(with_span_bytes(span), &scan));
  struct Case {
    const char* what;
    std::string span;
    bool libprotobuf_accepts;  // parse + the sink's ID rules
  };
  const Case cases[] = {
      {"status twice (libprotobuf merges)", span + "\x7a\x02\x18\x01" + "\x7a\x02\x18\x02", true},
      {"name twice", span + std::string("\x2a\x01z", 3), true},
      {"invalid UTF-8 in a span name", span + std::string("\x2a\x01\xff", 3), false},
      {"a surrogate in UTF-8", span + std::string("\x2a\x03\xed\xa0\x80", 5), false},
      {"an unterminated varint", span + "\x50\xff", false},
      {"a length past the end", span + "\x4a\x7f", false},
      {"wire type 7", span + "\x4f", false},
      {"a lone end-group", span + "\x4c", false},
      {"field number 0", span + std::string("\x00\x01", 2), false},
      {"an unterminated group", span + "\xc3\x06\x08\x05", false},
      {"a span ID of 5 bytes",
       std::string("\x0a\x10") + std::string(16, '\x01') + "\x12\x05" + std::string(5, '\x01'),
       false},
      {"an all-zero trace ID",
       std::string("\x0a\x10") + std::string(16, '\0') + "\x12\x08" + std::string(8, '\x01'),
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string bytes = with_span_bytes(c.span);
    EXPECT_FALSE(ScanTraceRequest(bytes, &scan));
    EXPECT_TRUE(scan.spans.empty());
    ExportTraceServiceRequest parsed;
    const bool accepted = parsed.ParseFromString(bytes) && ValidateTraceRequest(parsed).ok();
    EXPECT_EQ(accepted, c.libprotobuf_accepts);
    if (accepted) {
      // The fallback's promise: libprotobuf's own re-serialization is always scannable.
      const std::string canonical = parsed.SerializeAsString();
      ASSERT_TRUE(ScanTraceRequest(canonical, &scan));
      ExpectIndexMatches(canonical, scan);
    }
  }
}

// Random damage to real requests: whenever the scanner vouches for bytes, libprotobuf accepts
// them and reads the same index; whenever libprotobuf accepts a request, its re-serialization
// is scannable. Also checks the test is not vacuous: both verdicts occur.
TEST(OtlpWire, AgreesWithLibprotobufOnRandomlyDamagedRequests) {
  const std::string seeds[] = {RichRequest().SerializeAsString(),
                               sink::testing::MakeRequest("svc", 3, 4).SerializeAsString()};
  google::protobuf::LogSilencer quiet;  // libprotobuf logs every invalid UTF-8 string it meets
  std::mt19937_64 rng(20261121);
  int vouched = 0, declined = 0, declined_but_valid = 0;
  ScannedRequest scan;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string bytes = seeds[iter % 2];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % bytes.size();
      switch (rng() % 5) {
        case 0:
          bytes[pos] = static_cast<char>(rng());
          break;  // overwrite
        case 1:
          bytes[pos] ^= static_cast<char>(1u << (rng() % 8));
          break;  // flip a bit
        case 2:
          bytes.erase(pos, 1 + rng() % 4);
          break;  // delete
        case 3:
          bytes.insert(pos, 1, static_cast<char>(rng()));
          break;  // insert
        case 4:
          bytes.resize(pos);
          break;  // truncate
      }
      if (bytes.empty()) bytes = "\x0a";
    }
    ExportTraceServiceRequest parsed;
    const bool accepted = parsed.ParseFromString(bytes) && ValidateTraceRequest(parsed).ok();
    if (ScanTraceRequest(bytes, &scan)) {
      ++vouched;
      ASSERT_TRUE(accepted) << "iteration " << iter;
      ExpectIndexMatches(bytes, scan);
      if (::testing::Test::HasFailure()) return;
    } else {
      ++declined;
      if (accepted) {
        ++declined_but_valid;
        ASSERT_TRUE(ScanTraceRequest(parsed.SerializeAsString(), &scan)) << "iteration " << iter;
      }
    }
  }
  EXPECT_GT(vouched, 1000);
  EXPECT_GT(declined, 1000);
  EXPECT_GT(declined_but_valid, 0);
}

TEST(OtlpWire, Utf8ValidationMatchesProtobufs) {
  std::mt19937_64 rng(7);
  const std::string samples[] = {"",
                                 "plain ascii text over eight bytes",
                                 "ü",
                                 "✗",
                                 "😀",
                                 std::string("\xc0\x80", 2),
                                 "\xed\xa0\x80",
                                 "\xf4\x90\x80\x80",
                                 "\xe0\x80\xaf",
                                 "\xf0\x8f\xbf\xbf",
                                 "abc\xc3",
                                 "\x80"};
  for (const std::string& s : samples) {
    EXPECT_EQ(IsValidUtf8(s), google::protobuf::internal::IsStructurallyValidUTF8(
                                  s.data(), static_cast<int>(s.size())))
        << s;
  }
  for (int i = 0; i < 200000; ++i) {
    std::string s(1 + rng() % 12, '\0');
    for (char& c : s) {
      const uint64_t r = rng();
      // Mostly bytes from the interesting ranges: lead bytes and continuations.
      c = static_cast<char>((r & 3) == 0 ? (r >> 8) & 0x7f : 0x80 | ((r >> 8) & 0x7f));
    }
    ASSERT_EQ(IsValidUtf8(s), google::protobuf::internal::IsStructurallyValidUTF8(
                                  s.data(), static_cast<int>(s.size())))
        << "case " << i;
  }
}

}  // namespace
}  // namespace agentstorm::sink::wire
