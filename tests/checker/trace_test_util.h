// Hand-built traces for the hierarchy, fidelity and sampling rule tests: spans with chosen IDs,
// parents, kinds and times, grouped by service, as the backend returned them (TracesData) and as
// the ledger says they were sent (SynthesizedTrace), and a RuleRun that feeds them to one rule.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checker/finding.h"
#include "checker/rule.h"
#include "core/ids.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm::trace_testing {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;
using opentelemetry::proto::trace::v1::TracesData;

// Every span starts at kT0 plus its offset.
inline constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;

// The trace ID the spans carry (16 bytes of `fill`) and its hex form.
inline std::string TraceIdBytes(char fill = '\x01') { return std::string(16, fill); }
inline std::string TraceHex(char fill = '\x01') { return HexEncode(TraceIdBytes(fill)); }

// Span ID number `n` as 8 bytes; 0 is the all-zero ID (no parent).
inline std::string SpanIdBytes(uint8_t n) {
  std::string id(8, '\0');
  id[7] = static_cast<char>(n);
  return id;
}
inline std::string SpanHex(uint8_t n) { return HexEncode(SpanIdBytes(n)); }

// Span `id` under `parent` (0: a root), from kT0 + start_ns to kT0 + end_ns.
inline Span MakeSpan(uint8_t id, uint8_t parent, std::string name, uint64_t start_ns = 0,
                     uint64_t end_ns = 1000, Span::SpanKind kind = Span::SPAN_KIND_INTERNAL) {
  Span s;
  s.set_trace_id(TraceIdBytes());
  s.set_span_id(SpanIdBytes(id));
  if (parent != 0) s.set_parent_span_id(SpanIdBytes(parent));
  s.set_name(std::move(name));
  s.set_kind(kind);
  s.set_start_time_unix_nano(kT0 + start_ns);
  s.set_end_time_unix_nano(kT0 + end_ns);
  return s;
}

inline AnyValue* AddAttribute(google::protobuf::RepeatedPtrField<KeyValue>* attributes,
                              const std::string& key) {
  KeyValue* kv = attributes->Add();
  kv->set_key(key);
  return kv->mutable_value();
}
inline void SetString(Span* span, const std::string& key, const std::string& value) {
  AddAttribute(span->mutable_attributes(), key)->set_string_value(value);
}
inline void SetInt(Span* span, const std::string& key, int64_t value) {
  AddAttribute(span->mutable_attributes(), key)->set_int_value(value);
}

// The spans of one service: a ResourceSpans with service.name and one scope.
inline ResourceSpans Service(const std::string& service_name, const std::vector<Span>& spans) {
  ResourceSpans rs;
  AddAttribute(rs.mutable_resource()->mutable_attributes(), "service.name")
      ->set_string_value(service_name);
  auto* ss = rs.add_scope_spans();
  ss->mutable_scope()->set_name("agentstorm");
  for (const Span& s : spans) *ss->add_spans() = s;
  return rs;
}

inline TracesData Received(const std::vector<ResourceSpans>& services) {
  TracesData data;
  for (const ResourceSpans& rs : services) *data.add_resource_spans() = rs;
  return data;
}
// All spans from one service, "agent".
inline TracesData Received(const std::vector<Span>& spans) {
  return Received(std::vector<ResourceSpans>{Service("agent", spans)});
}

// The trace as sent; its duration spans its earliest start to its latest end.
inline SynthesizedTrace Sent(const std::vector<ResourceSpans>& services) {
  SynthesizedTrace t;
  t.resource_spans = services;
  const std::string id = TraceIdBytes();
  std::copy(id.begin(), id.end(), t.trace_id.begin());
  bool first = true;
  for (const ResourceSpans& rs : services) {
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& s : ss.spans()) {
        ++t.span_count;
        if (first || s.start_time_unix_nano() < t.start_unix_nano) {
          t.start_unix_nano = s.start_time_unix_nano();
        }
        if (first || s.end_time_unix_nano() > t.end_unix_nano) {
          t.end_unix_nano = s.end_time_unix_nano();
        }
        first = false;
      }
    }
  }
  return t;
}
inline SynthesizedTrace Sent(const std::vector<Span>& spans) {
  return Sent(std::vector<ResourceSpans>{Service("agent", spans)});
}

// One trace as a rule sees it: what arrived and, in ledger mode, what was sent.
struct TraceCase {
  TracesData received;
  std::optional<SynthesizedTrace> expected;  // nullopt: live mode (no ledger)
  bool acknowledged = true;
  std::string trace_id = TraceHex();
  std::optional<std::string> variant = "default";

  TraceUnderCheck View() const {
    TraceUnderCheck t;
    t.trace_id = trace_id;
    t.received = &received;
    t.expected = expected.has_value() ? &*expected : nullptr;
    t.variant = variant;
    t.acknowledged = acknowledged;
    t.found = received.resource_spans_size() > 0;
    return t;
  }
};

inline TraceCase Live(const std::vector<Span>& received) { return {Received(received)}; }
inline TraceCase WithLedger(const std::vector<Span>& sent, const std::vector<Span>& received) {
  return {Received(received), Sent(sent)};
}

// Runs `rule` over `traces` and Finish, into a FindingSet that keeps every example.
class RuleRun {
 public:
  RuleRun(Rule& rule, const std::vector<TraceCase>& traces)
      : findings_(FindingSetOptions{.examples_per_id = 100}) {
    for (const TraceCase& t : traces) rule.CheckTrace(t.View(), &findings_);
    rule.Finish(&findings_);
  }

  uint64_t Count(const std::string& id) const { return findings_.Count(id); }
  // The examples kept for `id` (empty when none).
  std::vector<Finding> Examples(const std::string& id) const {
    for (const FindingSummary& s : findings_.Summaries()) {
      if (s.id == id) return s.examples;
    }
    return {};
  }
  // The only finding with `id`; a default Finding (and a test failure) otherwise.
  Finding Only(const std::string& id) const {
    std::vector<Finding> examples = Examples(id);
    EXPECT_EQ(examples.size(), 1u) << "findings with ID " << id;
    return examples.size() == 1 ? examples.front() : Finding{};
  }
  // Every ID with an unsuppressed finding, sorted.
  std::vector<std::string> Ids() const {
    std::vector<std::string> ids;
    for (const FindingSummary& s : findings_.Summaries()) {
      if (s.count > 0) ids.push_back(s.id);
    }
    return ids;
  }
  RuleTotals Totals(const std::string& rule) const {
    auto totals = findings_.Totals();
    auto it = totals.find(rule);
    return it == totals.end() ? RuleTotals{} : it->second;
  }
  std::optional<double> Statistic(const std::string& rule, const std::string& name) const {
    auto stats = findings_.Statistics();
    auto r = stats.find(rule);
    if (r == stats.end()) return std::nullopt;
    auto s = r->second.find(name);
    if (s == r->second.end()) return std::nullopt;
    return s->second;
  }
  const FindingSet& findings() const { return findings_; }

 private:
  FindingSet findings_;
};

}  // namespace agentstorm::trace_testing
