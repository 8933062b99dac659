// The sink's in-memory trace store: spans exactly as received, with the resource and scope
// they arrived under, indexed by trace ID, by (trace ID, span ID), by service and operation.
//
// The store keeps each accepted request's protobuf wire bytes (immutable) and a compact index
// built by the wire scanner (sink/otlp_wire.h): per span its IDs, start time and byte range.
// Nothing is parsed on the way in; a span is parsed from its bytes when a query returns it, so
// nothing is copied, re-ordered or coerced, and a query can rebuild resourceSpans as they were
// sent. A stored span costs its wire size plus about 60 bytes of index. The bytes live in a
// ByteArena (sink/byte_arena.h), copied there from the receiver's buffer when committed.
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
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/ids.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "sink/byte_arena.h"
#include "sink/otlp_wire.h"

namespace agentstorm::sink {

using ExportTraceServiceRequest =
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

struct TraceStoreOptions {
  // Most spans the store holds; a request that would cross it is refused whole.
  size_t max_spans = 1'000'000;
};

// One accepted request: its wire bytes and the scope groups its spans arrived in. Immutable
// once stored, and never freed before the store.
struct StoredBatch {
  std::string_view bytes;                  // the ExportTraceServiceRequest, as accepted
  std::vector<wire::ScannedGroup> groups;  // views into `bytes`
  absl::Time received;                     // when it was accepted
};

// One stored span and the context it arrived in. Valid for the life of the store.
struct StoredSpan {
  const StoredBatch* batch = nullptr;
  uint32_t group = 0;        // index into batch->groups
  std::string_view bytes;    // the Span message
  absl::Time received;       // when the request carrying it was accepted
  std::string_view service;  // resource attribute service.name ("" when absent)

  // The span, parsed from its bytes.
  opentelemetry::proto::trace::v1::Span Parse() const;
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
  std::string service;                                          // "" = any
  std::string operation;                                        // "" = any span name
  std::vector<std::pair<std::string, std::string>> attributes;  // span or resource attributes
  absl::Time start_min = absl::InfinitePast();                  // span start >= start_min
  absl::Time start_max = absl::InfiniteFuture();                // span start < start_max
  size_t limit = 20;  // most traces returned, newest first
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
  size_t stored_bytes = 0;  // of the stored requests
  size_t mapped_bytes = 0;  // of memory mapped for them
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
  // Maps and touches room for `bytes` of requests now, so that storing them later does not
  // fault (ByteArena::Prefault). ResourceExhausted when the system refuses the memory.
  absl::Status Prefault(size_t bytes);
  void Unreserve(size_t span_count);
  // Stores every span of the request `bytes`, whose span count was reserved by Reserve().
  // `index` is the wire scanner's index of `bytes` (ScanTraceRequest returned true). The store
  // keeps a copy of the bytes: the caller may reuse its buffer and index afterwards.
  void Commit(std::string_view bytes, const wire::ScannedRequest& index, absl::Time received);

  // Scan + Reserve() + Commit() of a serialized request. InvalidArgument when the scanner
  // declines the bytes (callers with untrusted input go through the ExportHandler instead).
  absl::Status AddEncoded(std::string_view bytes, absl::Time received = absl::Now());
  // AddEncoded() of the request's serialization.
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
  // IDs are random bytes: hashing two words and comparing with word loads beats absl::Hash
  // over the bytes and a memcmp call per probe. Not seeded: a sender that picks colliding IDs
  // on purpose only slows down its own test sink.
  struct IdHash {
    size_t operator()(const TraceId& id) const;
  };
  struct IdEq {
    bool operator()(const TraceId& a, const TraceId& b) const;
  };
  // 48 bytes per stored span; the resource, scope and receipt time live in the batch.
  struct SpanRecord {
    TraceId trace_id;
    SpanId span_id;
    uint64_t start_time_unix_nano;
    uint32_t batch;   // index into batches_
    uint32_t offset;  // of the Span message in the batch's bytes
    uint32_t length;
    uint32_t group;
  };
  // Records in fixed chunks: appending never moves or copies the ones stored.
  class SpanRecords {
   public:
    static constexpr size_t kChunk = 1 << 16;
    const SpanRecord& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
    size_t size() const { return size_; }
    void push_back(const SpanRecord& r);

   private:
    std::vector<std::unique_ptr<SpanRecord[]>> chunks_;
    size_t size_ = 0;
  };
  struct TraceEntry {
    // Indices into spans_, in order of receipt. Inline up to 8: most traces are small, and a
    // growing std::vector cost four allocations for a 7-span trace.
    absl::InlinedVector<uint32_t, 8> spans;
    // The span IDs seen, once the trace is too long to compare them one by one.
    std::unique_ptr<absl::flat_hash_set<uint64_t>> span_ids;
  };
  struct ServiceEntry {
    absl::Time first_received = absl::InfiniteFuture();
    ServiceCounts counts;
    // (span name, kind) -> first receipt. Names point into the stored requests.
    absl::flat_hash_map<std::pair<absl::string_view, int>, absl::Time> operations;
  };

  StoredSpan ToStoredSpan(const SpanRecord& r) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool SpanMatches(const SpanRecord& r, const TraceQuery& q) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Whether `trace` already holds a span with this ID (remembers it when not).
  bool SeenBefore(TraceEntry* trace, const SpanId& span_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const TraceStoreOptions options_;
  ByteArena arena_;                           // the stored requests' bytes (its own lock)
  mutable absl::Mutex mu_;                    // readers share it
  size_t reserved_ ABSL_GUARDED_BY(mu_) = 0;  // spans stored + reserved
  uint64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<const StoredBatch>> batches_ ABSL_GUARDED_BY(mu_);
  SpanRecords spans_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TraceId, TraceEntry, IdHash, IdEq> traces_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ServiceEntry, std::less<>> services_ ABSL_GUARDED_BY(mu_);
};

// Rebuilds OTLP resourceSpans from stored spans, as protobuf wire bytes (one ResourceSpans
// message each), without parsing a span: spans that arrived under the same
// ResourceSpans/ScopeSpans stay together, in the order given, with resource, scope and schema
// URLs exactly as received.
std::vector<std::string> AssembleResourceSpans(const std::vector<StoredSpan>& spans);
// The same, parsed.
opentelemetry::proto::trace::v1::TracesData AssembleTracesData(
    const std::vector<StoredSpan>& spans);

// The service.name resource attribute of `resource_spans` ("" when absent or not a string).
std::string_view ServiceNameOf(
    const opentelemetry::proto::trace::v1::ResourceSpans& resource_spans);

}  // namespace agentstorm::sink
