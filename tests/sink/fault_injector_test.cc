#include "sink/fault_injector.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sink/request_decoder.h"
#include "tests/sink/test_requests.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using testing::AddResource;
using testing::AddSpan;
using testing::MakeRequest;

FaultInjector Injector(std::vector<std::string> specs, uint64_t seed = 42) {
  absl::StatusOr<FaultSpec> spec = ParseFaultSpecs(specs);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return FaultInjector(spec.ok() ? *spec : FaultSpec{}, seed);
}

std::set<std::string> TraceIds(const ExportTraceServiceRequest& r) {
  std::set<std::string> ids;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      for (const auto& s : ss.spans()) ids.insert(s.trace_id());
  return ids;
}

TEST(FaultSpecs, ParsesEveryFault) {
  absl::StatusOr<FaultSpec> spec = ParseFaultSpecs(
      {"drop-spans=0.1", "drop-traces=25%", "sample-traces=0.5", "strip-attribute=a",
       "strip-attribute=b", "truncate-values=8", "break-parent=1", "rewrite-service=x",
       "delay-visibility=500ms", "unavailable=2s", "throttle=1m", "partial-reject=0.3",
       "drop-error-traces=0.01"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_DOUBLE_EQ(spec->drop_spans, 0.1);
  EXPECT_DOUBLE_EQ(spec->drop_traces, 0.25);
  EXPECT_DOUBLE_EQ(*spec->sample_traces, 0.5);
  EXPECT_EQ(spec->strip_attributes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*spec->truncate_values, 8u);
  EXPECT_DOUBLE_EQ(spec->break_parent, 1.0);
  EXPECT_EQ(*spec->rewrite_service, "x");
  EXPECT_EQ(spec->delay_visibility, absl::Milliseconds(500));
  EXPECT_EQ(spec->unavailable, absl::Seconds(2));
  EXPECT_EQ(spec->throttle, absl::Minutes(1));
  EXPECT_DOUBLE_EQ(spec->partial_reject, 0.3);
  EXPECT_DOUBLE_EQ(spec->drop_error_traces, 0.01);
  EXPECT_FALSE(spec->empty());
  EXPECT_TRUE(ParseFaultSpecs({})->empty());
}

TEST(FaultSpecs, RejectsInvalidSpecsWithAMessageNamingThem) {
  for (const char* bad : {"drop-spans", "drop-spans=1.5", "drop-spans=-0.1", "drop-spans=abc",
                          "delay-visibility=2x", "delay-visibility=-1s", "truncate-values=-3",
                          "strip-attribute=", "rewrite-service=", "explode=1", "=1"}) {
    absl::StatusOr<FaultSpec> spec = ParseFaultSpecs({bad});
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(spec.status())) << bad;
    EXPECT_NE(spec.status().message().find("--fault"), absl::string_view::npos) << spec.status();
  }
  EXPECT_FALSE(ParseFaultSpecs({"drop-spans=0.1", "drop-spans=0.2"}).ok());
}

TEST(FaultSpecs, DurationsTakeTheOneDurationGrammar) {
  // core/duration.h: a bare number is seconds, segments add up.
  absl::StatusOr<FaultSpec> spec = ParseFaultSpecs({"delay-visibility=2", "unavailable=1m30s"});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->delay_visibility, absl::Seconds(2));
  EXPECT_EQ(spec->unavailable, absl::Seconds(90));
}

TEST(FaultInjector, DecisionsAreDeterministicGivenTheSeed) {
  const ExportTraceServiceRequest original = MakeRequest("svc", 100, 2);
  auto run = [&](uint64_t seed) {
    ExportTraceServiceRequest r = original;
    Injector({"drop-spans=0.3"}, seed).Apply(&r);
    return r.SerializeAsString();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(FaultInjector, DropSpansRemovesAboutTheRequestedFraction) {
  ExportTraceServiceRequest r = MakeRequest("svc", 200, 5);
  FaultEffects fx = Injector({"drop-spans=0.2"}).Apply(&r);
  EXPECT_EQ(fx.dropped_spans + CountSpans(r), 1000u);
  EXPECT_GT(fx.dropped_spans, 140u);
  EXPECT_LT(fx.dropped_spans, 260u);
}

TEST(FaultInjector, DropTracesAndSampleTracesActOnWholeTraces) {
  for (const char* spec : {"drop-traces=0.5", "sample-traces=0.5"}) {
    ExportTraceServiceRequest r = MakeRequest("svc", 200, 4);
    Injector({spec}).Apply(&r);
    std::map<std::string, int> per_trace;
    for (const auto& s : r.resource_spans(0).scope_spans(0).spans()) ++per_trace[s.trace_id()];
    for (const auto& [id, n] : per_trace)
      EXPECT_EQ(n, 4) << spec << ": a trace was cut, not dropped whole";
    EXPECT_GT(per_trace.size(), 60u) << spec;
    EXPECT_LT(per_trace.size(), 140u) << spec;
  }
}

TEST(FaultInjector, DropErrorTracesDropsOnlyWholeTracesWithAnErrorSpan) {
  // 200 traces of 4 spans; in the even ones the last span failed.
  ExportTraceServiceRequest r = MakeRequest("svc", 200, 4);
  std::set<std::string> errors;
  for (auto& s : *r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
    if (static_cast<uint8_t>(s.trace_id().back()) % 2 == 0 && s.name() == "child" &&
        s.span_id().back() == 4) {
      s.mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
      errors.insert(s.trace_id());
    }
  }
  ASSERT_EQ(errors.size(), 100u);
  FaultInjector injector = Injector({"drop-error-traces=0.5"});
  EXPECT_TRUE(injector.changes_data());
  const FaultEffects fx = injector.Apply(&r);
  std::map<std::string, int> per_trace;
  for (const auto& s : r.resource_spans(0).scope_spans(0).spans()) ++per_trace[s.trace_id()];
  size_t errors_kept = 0;
  for (const auto& [id, n] : per_trace) {
    EXPECT_EQ(n, 4) << "a trace was cut, not dropped whole";
    errors_kept += errors.count(id);
  }
  EXPECT_EQ(per_trace.size(), 200u - (100u - errors_kept)) << "only error traces are dropped";
  EXPECT_GT(errors_kept, 30u);
  EXPECT_LT(errors_kept, 70u);
  EXPECT_EQ(fx.dropped_trace_spans, (100u - errors_kept) * 4);
  // Exactly the traces whose draw is below P.
  for (const std::string& id : errors) {
    EXPECT_EQ(per_trace.count(id) == 0, injector.Draw("drop-error-traces", id, {}) < 0.5);
  }
}

TEST(FaultSpecs, ParsesTailSampleWithAndWithoutASlowThreshold) {
  absl::StatusOr<FaultSpec> plain = ParseFaultSpecs({"tail-sample=10%"});
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(plain->tail_sample);
  EXPECT_DOUBLE_EQ(plain->tail_sample->probability, 0.1);
  EXPECT_EQ(plain->tail_sample->slow, absl::InfiniteDuration());
  EXPECT_FALSE(plain->empty());
  absl::StatusOr<FaultSpec> slow = ParseFaultSpecs({"tail-sample=0.25,slow=30s"});
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_DOUBLE_EQ(slow->tail_sample->probability, 0.25);
  EXPECT_EQ(slow->tail_sample->slow, absl::Seconds(30));
  for (const char* bad :
       {"tail-sample=", "tail-sample=2", "tail-sample=0.1,", "tail-sample=0.1,fast=1s",
        "tail-sample=0.1,slow=soon", "tail-sample=0.1,slow=-1s"}) {
    absl::StatusOr<FaultSpec> spec = ParseFaultSpecs({bad});
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_NE(spec.status().message().find("--fault"), absl::string_view::npos) << spec.status();
  }
}

TEST(FaultInjector, TailSampleKeepsErrorAndSlowTracesAndAFractionOfTheRest) {
  // 240 traces of 4 spans: trace n % 3 == 0 has an ERROR child, n % 3 == 1 has a 40 s root
  // (slow), the rest are 1 ms and fine.
  ExportTraceServiceRequest r = MakeRequest("svc", 240, 4);
  std::set<std::string> errors, slow, rest;
  for (auto& s : *r.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
    const uint8_t n = static_cast<uint8_t>(s.trace_id().back());
    if (n % 3 == 0) {
      errors.insert(s.trace_id());
      if (s.span_id().back() == 3) {
        s.mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
      }
    } else if (n % 3 == 1) {
      slow.insert(s.trace_id());
      if (s.name() == "root")
        s.set_end_time_unix_nano(s.start_time_unix_nano() + 40'000'000'000ULL);
    } else {
      rest.insert(s.trace_id());
    }
  }
  FaultInjector injector = Injector({"tail-sample=0.2,slow=30s"});
  EXPECT_TRUE(injector.changes_data());
  ExportTraceServiceRequest sampled = r;
  const FaultEffects fx = injector.Apply(&sampled);
  std::map<std::string, int> per_trace;
  for (const auto& s : sampled.resource_spans(0).scope_spans(0).spans()) ++per_trace[s.trace_id()];
  for (const auto& [id, n] : per_trace) EXPECT_EQ(n, 4) << "kept traces are whole";
  for (const std::string& id : errors)
    EXPECT_EQ(per_trace.count(id), 1u) << "error traces are kept";
  for (const std::string& id : slow) EXPECT_EQ(per_trace.count(id), 1u) << "slow traces are kept";
  size_t rest_kept = 0;
  for (const std::string& id : rest) {
    const bool kept = per_trace.count(id) > 0;
    EXPECT_EQ(kept, injector.Draw("tail-sample", id, {}) < 0.2)
        << "the rest by the trace ID's draw";
    rest_kept += kept;
  }
  EXPECT_GT(rest_kept, 5u);
  EXPECT_LT(rest_kept, 35u);
  EXPECT_EQ(fx.unsampled_spans, (rest.size() - rest_kept) * 4);

  // Without slow=, the 40 s traces are part of the rest.
  ExportTraceServiceRequest no_slow_rule = r;
  FaultInjector plain = Injector({"tail-sample=0.2"});
  plain.Apply(&no_slow_rule);
  std::set<std::string> kept = TraceIds(no_slow_rule);
  for (const std::string& id : slow) {
    EXPECT_EQ(kept.count(id) > 0, plain.Draw("tail-sample", id, {}) < 0.2);
  }
  for (const std::string& id : errors) EXPECT_EQ(kept.count(id), 1u);
}

TEST(FaultInjector, SampleTracesKeepsTheSameTracesAcrossRequests) {
  // The decision depends on the trace ID only, so the halves of a trace split over two
  // requests are kept or dropped together.
  ExportTraceServiceRequest a = MakeRequest("svc", 100, 1);
  ExportTraceServiceRequest b = MakeRequest("other", 100, 1);
  FaultInjector f = Injector({"sample-traces=0.3"});
  f.Apply(&a);
  f.Apply(&b);
  EXPECT_EQ(TraceIds(a), TraceIds(b));
}

TEST(FaultInjector, DroppingEverythingLeavesNoEmptyResources) {
  ExportTraceServiceRequest r = MakeRequest("svc", 3, 3);
  Injector({"drop-traces=1"}).Apply(&r);
  EXPECT_EQ(r.resource_spans_size(), 0);
}

TEST(FaultInjector, StripsAttributeEverywhere) {
  ExportTraceServiceRequest r;
  auto* rs = AddResource(&r, "svc");
  auto* res_attr = rs->mutable_resource()->add_attributes();
  res_attr->set_key("secret");
  auto* span = AddSpan(rs, 1, 1);
  for (const char* k : {"keep", "secret", "also"}) span->add_attributes()->set_key(k);
  span->add_events()->add_attributes()->set_key("secret");
  FaultEffects fx = Injector({"strip-attribute=secret"}).Apply(&r);
  EXPECT_EQ(fx.stripped_attributes, 3u);
  const auto& s = r.resource_spans(0).scope_spans(0).spans(0);
  ASSERT_EQ(s.attributes_size(), 2);
  EXPECT_EQ(s.attributes(0).key(), "keep");
  EXPECT_EQ(s.attributes(1).key(), "also");
  EXPECT_EQ(s.events(0).attributes_size(), 0);
  EXPECT_EQ(r.resource_spans(0).resource().attributes_size(), 1);  // service.name stays
}

TEST(FaultInjector, TruncatesStringValuesWithoutSplittingUtf8) {
  ExportTraceServiceRequest r;
  auto* span = AddSpan(AddResource(&r, "svc"), 1, 1);
  auto* a = span->add_attributes();
  a->set_key("prompt");
  a->mutable_value()->set_string_value("abcdefghij");
  auto* b = span->add_attributes();
  b->set_key("utf8");
  b->mutable_value()->set_string_value("ab\xc3\xa9z");  // "abéz": é is 2 bytes at offset 2
  auto* c = span->add_attributes();
  c->set_key("n");
  c->mutable_value()->set_int_value(123456789);
  FaultEffects fx = Injector({"truncate-values=3"}).Apply(&r);
  const auto& s = r.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(s.attributes(0).value().string_value(), "abc");
  EXPECT_EQ(s.attributes(1).value().string_value(), "ab");
  EXPECT_EQ(s.attributes(2).value().int_value(), 123456789);
  EXPECT_EQ(fx.truncated_values, 2u);
}

TEST(FaultInjector, BreakParentPointsChildrenAtMissingSpans) {
  ExportTraceServiceRequest r = MakeRequest("svc", 1, 5);
  std::set<std::string> span_ids;
  for (const auto& s : r.resource_spans(0).scope_spans(0).spans()) span_ids.insert(s.span_id());
  FaultEffects fx = Injector({"break-parent=1"}).Apply(&r);
  EXPECT_EQ(fx.broken_parents, 4u);
  for (const auto& s : r.resource_spans(0).scope_spans(0).spans()) {
    if (s.name() == "root") {
      EXPECT_TRUE(s.parent_span_id().empty()) << "a root stays a root";
    } else {
      EXPECT_EQ(s.parent_span_id().size(), 8u);
      EXPECT_EQ(span_ids.count(s.parent_span_id()), 0u);
    }
  }
}

TEST(FaultInjector, RewritesServiceName) {
  ExportTraceServiceRequest r = MakeRequest("svc", 1, 1);
  Injector({"rewrite-service=impostor"}).Apply(&r);
  EXPECT_EQ(r.resource_spans(0).resource().attributes(0).value().string_value(), "impostor");
  EXPECT_EQ(r.resource_spans(0).resource().attributes_size(), 1);
}

TEST(FaultInjector, PartialRejectRemovesAndCountsSpans) {
  ExportTraceServiceRequest r = MakeRequest("svc", 100, 4);
  const uint64_t rejected = Injector({"partial-reject=0.25"}).RejectPartially(&r);
  EXPECT_EQ(rejected + CountSpans(r), 400u);
  EXPECT_GT(rejected, 60u);
  EXPECT_LT(rejected, 140u);
}

TEST(FaultInjector, AdmissionFollowsUnavailableThenThrottleWindows) {
  FaultInjector f = Injector({"unavailable=1s", "throttle=3s"});
  EXPECT_EQ(f.Admit(absl::Milliseconds(500)), FaultInjector::Admission::kUnavailable);
  EXPECT_EQ(f.Admit(absl::Seconds(2)), FaultInjector::Admission::kThrottled);
  EXPECT_EQ(f.Admit(absl::Seconds(3)), FaultInjector::Admission::kAccept);
  EXPECT_EQ(Injector({}).Admit(absl::ZeroDuration()), FaultInjector::Admission::kAccept);
}

TEST(FaultInjector, NoFaultsChangeNothing) {
  ExportTraceServiceRequest r = MakeRequest("svc", 10, 3);
  const std::string before = r.SerializeAsString();
  FaultInjector f = Injector({"delay-visibility=1s"});
  EXPECT_FALSE(f.changes_data());
  f.Apply(&r);
  EXPECT_EQ(r.SerializeAsString(), before);
}

}  // namespace
}  // namespace agentstorm::sink
