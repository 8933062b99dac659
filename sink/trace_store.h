// The sink's in-memory trace store: spans exactly as received, with the resource and scope
// they arrived under, indexed by trace ID, by (trace ID, span ID), by service and operation.
//
// The store keeps each accepted ExportTraceServiceRequest whole (shared, immutable) and
// indexes pointers into it, so nothing is copied, re-ordered or coerced on the way in, and a
// query can rebuild resourceSpans as they were sent.
//
// Capacity is counted in spans. A request that does not fit is refused as a whole and nothing
// already stored is ever evicted: what the sink acknowledged, it can always show again.
// Duplicates (a second span with the same trace ID and span ID) are stored and counted.
//
// Thread-safe: any number of concurrent writers and readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/ids.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm::sink {

using ExportTraceServiceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

struct TraceStoreOptions {
  // Most spans the store holds; a request that would cross it is refused whole.
  size_t max_spans = 1'000'000;
};

// One stored span and the context it arrived in. The pointers stay valid for the life of the
// store (nothing is ever removed).
struct StoredSpan {
  const opentelemetry::proto::trace::v1::Span* span = nullptr;
  const opentelemetry::proto::trace::v1::ResourceSpans* resource_spans = nullptr;
  const opentelemetry::proto::trace::v1::ScopeSpans* scope_spans = nullptr;
  absl::Time received;     // when the request carrying it was accepted
  std::string_view service;  // resource attribute service.name ("" when absent)
};

struct Operation {
  std::string name;
  opentelemetry::proto::trace::v1::Span::SpanKind kind{};
  friend bool operator<(const Operation& a, const Operation& b) {
    return std::tie(a.name, a.kind) < std::tie(b.name, b.kind);
  }
  friend bool operator==(const Operation& a, const Operation& b) {
    return a.name == b.name && a.kind == b.kind;
  }
};

// What FindTraces looks for. A trace matches when one of its visible spans matches every set
// field. Attribute values compare as text (string as is, int decimal, bool true/false).
struct TraceQuery {
  std::string service;                          // "" = any
  std::string operation;                        // "" = any span name
  std::vector<std::pair<std::string, std::string>> attributes;  // span or resource attributes
  absl::Time start_min = absl::InfinitePast();  // span start >= start_min
  absl::Time start_max = absl::InfiniteFuture();  // span start < start_max
  size_t limit = 20;                            // most traces returned, newest first
};

struct ServiceCounts {
  uint64_t stored = 0;
  uint64_t duplicates = 0;
};

struct TraceStoreStats {
  uint64_t stored_spans = 0;
  uint64_t duplicate_spans = 0;
  uint64_t rejected_spans = 0;  // refused because the store was full
  uint64_t traces = 0;
  uint64_t requests = 0;
  size_t max_spans = 0;
  std::map<std::string, ServiceCounts> by_service;
};

class TraceStore {
 public:
  explicit TraceStore(TraceStoreOptions options);
  TraceStore(const TraceStore&) = delete;
  TraceStore& operator=(const TraceStore&) = delete;

  // Reserves room for `span_count` spans. ResourceExhausted when they do not fit (counted as
  // rejected). On success the caller must call exactly one of Commit() or Unreserve().
  absl::Status Reserve(size_t span_count);
  void Unreserve(size_t span_count);
  // Stores every span of `request`, whose span count was reserved by Reserve().
  // REQUIRES: every span has a 16-byte trace ID and an 8-byte span ID.
  void Commit(std::shared_ptr<const ExportTraceServiceRequest> request, absl::Time received);

  // Reserve() + Commit() of all spans of `request`.
  absl::Status Add(std::shared_ptr<const ExportTraceServiceRequest> request,
                   absl::Time received = absl::Now());

  // Spans of a trace received at or before `visible_at`, in order of receipt (empty if none).
  std::vector<StoredSpan> GetTrace(const TraceId& id,
                                   absl::Time visible_at = absl::InfiniteFuture()) const;
  // Every stored copy of one span (more than one when duplicated).
  std::vector<StoredSpan> FindSpan(const TraceId& trace_id, const SpanId& span_id) const;
  // IDs of traces matching `query`, considering only spans received at or before `visible_at`.
  // Newest first (by latest span start).
  std::vector<TraceId> FindTraces(const TraceQuery& query,
                                  absl::Time visible_at = absl::InfiniteFuture()) const;
  // Service names with a visible span, sorted.
  std::vector<std::string> Services(absl::Time visible_at = absl::InfiniteFuture()) const;
  // Operations (span name + kind) of `service`, sorted; `kind` filters when set.
  std::vector<Operation> Operations(
      std::string_view service,
      std::optional<opentelemetry::proto::trace::v1::Span::SpanKind> kind = std::nullopt,
      absl::Time visible_at = absl::InfiniteFuture()) const;

  TraceStoreStats Stats() const;
  size_t span_count() const;

 private:
  struct SpanKey {
    TraceId trace_id;
    SpanId span_id;
  };
  // IDs are random bytes: hashing two words and comparing with word loads beats absl::Hash
  // over the bytes and a memcmp call per probe (both were on the profile of Commit). Not
  // seeded: a sender that picks colliding IDs on purpose only slows down its own test sink.
  struct IdHash {
    size_t operator()(const TraceId& id) const;
    size_t operator()(const SpanKey& k) const;
  };
  struct IdEq {
    bool operator()(const TraceId& a, const TraceId& b) const;
    bool operator()(const SpanKey& a, const SpanKey& b) const;
  };
  struct TraceEntry {
    // Indices into spans_, in order of receipt. Inline up to 8: most traces are small, and a
    // growing std::vector cost four allocations for a 7-span trace.
    absl::InlinedVector<uint32_t, 8> spans;
  };
  struct ServiceEntry {
    absl::Time first_received = absl::InfiniteFuture();
    ServiceCounts counts;
    // (span name, kind) -> first receipt. Names point into the stored requests.
    absl::flat_hash_map<std::pair<absl::string_view, int>, absl::Time> operations;
  };

  bool SpanMatches(const StoredSpan& s, const TraceQuery& q) const;

  const TraceStoreOptions options_;
  mutable std::shared_mutex mu_;
  size_t reserved_ = 0;  // spans stored + reserved
  uint64_t rejected_ = 0;
  uint64_t duplicates_ = 0;
  std::vector<std::shared_ptr<const ExportTraceServiceRequest>> requests_;
  std::vector<StoredSpan> spans_;
  absl::flat_hash_map<TraceId, TraceEntry, IdHash, IdEq> traces_;
  // -> index of the first copy in spans_
  absl::flat_hash_map<SpanKey, uint32_t, IdHash, IdEq> first_copy_;
  absl::flat_hash_map<SpanKey, std::vector<uint32_t>, IdHash, IdEq> extra_copies_;
  std::map<std::string, ServiceEntry, std::less<>> services_;
};

// Rebuilds OTLP resourceSpans from stored spans: spans that arrived under the same
// ResourceSpans/ScopeSpans stay together, in the order given, with resource, scope and
// schema URLs exactly as received.
opentelemetry::proto::trace::v1::TracesData AssembleTracesData(const std::vector<StoredSpan>& spans);

// The service.name resource attribute of `resource_spans` ("" when absent or not a string).
std::string_view ServiceNameOf(const opentelemetry::proto::trace::v1::ResourceSpans& resource_spans);

}  // namespace agentstorm::sink
