#include "sink/trace_store.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::ScopeSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

template <typename Id>
Id IdFromBytes(const std::string& bytes) {
  Id id{};
  std::memcpy(id.data(), bytes.data(), std::min(bytes.size(), id.size()));
  return id;
}

uint64_t Word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// A 64x64->128 multiply fold: cheap, and mixes every input bit into the low bits that the
// hash table uses for its probe position.
size_t Mix(uint64_t a, uint64_t b) {
  const unsigned __int128 m = static_cast<unsigned __int128>(a ^ 0x9e3779b97f4a7c15ull) *
                              (b ^ 0xc2b2ae3d27d4eb4full);
  return static_cast<size_t>(static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64));
}

absl::Time StartTime(const Span& span) {
  return absl::FromUnixNanos(static_cast<int64_t>(span.start_time_unix_nano()));
}

// Attribute values as the query API's filters write them.
bool ValueEquals(const AnyValue& v, std::string_view want) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return v.string_value() == want;
    case AnyValue::kIntValue:
      return absl::StrCat(v.int_value()) == want;
    case AnyValue::kBoolValue:
      return (v.bool_value() ? "true" : "false") == want;
    case AnyValue::kDoubleValue:
      return absl::StrCat(v.double_value()) == want;
    default:
      return false;
  }
}

bool HasAttribute(const google::protobuf::RepeatedPtrField<KeyValue>& attrs, std::string_view key,
                  std::string_view value) {
  for (const KeyValue& kv : attrs) {
    if (kv.key() == key && ValueEquals(kv.value(), value)) return true;
  }
  return false;
}

}  // namespace

std::string_view ServiceNameOf(const ResourceSpans& resource_spans) {
  for (const KeyValue& kv : resource_spans.resource().attributes()) {
    if (kv.key() == "service.name" && kv.value().value_case() == AnyValue::kStringValue) {
      return kv.value().string_value();
    }
  }
  return {};
}

size_t TraceStore::IdHash::operator()(const TraceId& id) const {
  return Mix(Word(id.data()), Word(id.data() + 8));
}
size_t TraceStore::IdHash::operator()(const SpanKey& k) const {
  return Mix(Word(k.trace_id.data()) ^ Word(k.span_id.data()), Word(k.trace_id.data() + 8));
}
bool TraceStore::IdEq::operator()(const TraceId& a, const TraceId& b) const {
  return Word(a.data()) == Word(b.data()) && Word(a.data() + 8) == Word(b.data() + 8);
}
bool TraceStore::IdEq::operator()(const SpanKey& a, const SpanKey& b) const {
  return (*this)(a.trace_id, b.trace_id) && Word(a.span_id.data()) == Word(b.span_id.data());
}

TraceStore::TraceStore(TraceStoreOptions options) : options_(options) {}

absl::Status TraceStore::Reserve(size_t span_count) {
  std::unique_lock lock(mu_);
  if (span_count > options_.max_spans - std::min(reserved_, options_.max_spans)) {
    rejected_ += span_count;
    return absl::ResourceExhaustedError(absl::StrCat(
        "sink store is full: ", reserved_, " of ", options_.max_spans, " spans used, request has ",
        span_count, " (raise --max-spans)"));
  }
  reserved_ += span_count;
  return absl::OkStatus();
}

void TraceStore::Unreserve(size_t span_count) {
  std::unique_lock lock(mu_);
  reserved_ -= std::min(reserved_, span_count);
}

void TraceStore::Commit(std::shared_ptr<const ExportTraceServiceRequest> request,
                        absl::Time received) {
  std::unique_lock lock(mu_);
  // Senders batch whole traces, so consecutive spans mostly share a trace: the last entry is
  // reused without a lookup (a pointer into traces_ stays valid until the next insertion,
  // which replaces it).
  TraceEntry* last_trace = nullptr;
  TraceId last_trace_id{};
  for (const ResourceSpans& rs : request->resource_spans()) {
    const std::string_view service_name = ServiceNameOf(rs);
    auto service_it = services_.find(service_name);
    if (service_it == services_.end()) {
      service_it = services_.emplace(std::string(service_name), ServiceEntry{}).first;
    }
    ServiceEntry& service = service_it->second;
    service.first_received = std::min(service.first_received, received);
    // Operations already recorded for this service in this request: a handful of names
    // repeat for every trace, and comparing with them is cheaper than hashing the name.
    std::vector<std::pair<absl::string_view, int>> seen_ops;
    for (const ScopeSpans& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        const auto index = static_cast<uint32_t>(spans_.size());
        spans_.push_back(StoredSpan{&span, &rs, &ss, received, service_it->first});
        const SpanKey key{IdFromBytes<TraceId>(span.trace_id()), IdFromBytes<SpanId>(span.span_id())};
        if (last_trace == nullptr || !IdEq()(last_trace_id, key.trace_id)) {
          last_trace = &traces_[key.trace_id];
          last_trace_id = key.trace_id;
        }
        last_trace->spans.push_back(index);
        auto [it, inserted] = first_copy_.try_emplace(key, index);
        ++service.counts.stored;
        if (!inserted) {
          extra_copies_[key].push_back(index);
          ++duplicates_;
          ++service.counts.duplicates;
        }
        const std::pair<absl::string_view, int> op(span.name(), static_cast<int>(span.kind()));
        if (std::find(seen_ops.begin(), seen_ops.end(), op) == seen_ops.end()) {
          service.operations.try_emplace(op, received);
          if (seen_ops.size() < 64) seen_ops.push_back(op);
        }
      }
    }
  }
  requests_.push_back(std::move(request));
}

absl::Status TraceStore::Add(std::shared_ptr<const ExportTraceServiceRequest> request,
                             absl::Time received) {
  size_t count = 0;
  for (const ResourceSpans& rs : request->resource_spans()) {
    for (const ScopeSpans& ss : rs.scope_spans()) count += ss.spans_size();
  }
  if (absl::Status s = Reserve(count); !s.ok()) return s;
  Commit(std::move(request), received);
  return absl::OkStatus();
}

std::vector<StoredSpan> TraceStore::GetTrace(const TraceId& id, absl::Time visible_at) const {
  std::shared_lock lock(mu_);
  std::vector<StoredSpan> out;
  auto it = traces_.find(id);
  if (it == traces_.end()) return out;
  out.reserve(it->second.spans.size());
  for (uint32_t i : it->second.spans) {
    if (spans_[i].received <= visible_at) out.push_back(spans_[i]);
  }
  return out;
}

std::vector<StoredSpan> TraceStore::FindSpan(const TraceId& trace_id, const SpanId& span_id) const {
  std::shared_lock lock(mu_);
  std::vector<StoredSpan> out;
  const SpanKey key{trace_id, span_id};
  auto it = first_copy_.find(key);
  if (it == first_copy_.end()) return out;
  out.push_back(spans_[it->second]);
  if (auto extra = extra_copies_.find(key); extra != extra_copies_.end()) {
    for (uint32_t i : extra->second) out.push_back(spans_[i]);
  }
  return out;
}

bool TraceStore::SpanMatches(const StoredSpan& s, const TraceQuery& q) const {
  if (!q.service.empty() && s.service != q.service) return false;
  if (!q.operation.empty() && s.span->name() != q.operation) return false;
  const absl::Time start = StartTime(*s.span);
  if (start < q.start_min || start >= q.start_max) return false;
  for (const auto& [key, value] : q.attributes) {
    if (!HasAttribute(s.span->attributes(), key, value) &&
        !HasAttribute(s.resource_spans->resource().attributes(), key, value)) {
      return false;
    }
  }
  return true;
}

std::vector<TraceId> TraceStore::FindTraces(const TraceQuery& query, absl::Time visible_at) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<absl::Time, TraceId>> found;
  for (const auto& [id, entry] : traces_) {
    bool matched = false;
    absl::Time latest = absl::InfinitePast();
    for (uint32_t i : entry.spans) {
      const StoredSpan& s = spans_[i];
      if (s.received > visible_at) continue;
      latest = std::max(latest, StartTime(*s.span));
      if (!matched && SpanMatches(s, query)) matched = true;
    }
    if (matched) found.emplace_back(latest, id);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (found.size() > query.limit) found.resize(query.limit);
  std::vector<TraceId> ids;
  ids.reserve(found.size());
  for (const auto& f : found) ids.push_back(f.second);
  return ids;
}

std::vector<std::string> TraceStore::Services(absl::Time visible_at) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : services_) {
    if (entry.first_received <= visible_at) out.push_back(name);
  }
  return out;
}

std::vector<Operation> TraceStore::Operations(std::string_view service,
                                              std::optional<Span::SpanKind> kind,
                                              absl::Time visible_at) const {
  std::shared_lock lock(mu_);
  std::vector<Operation> out;
  auto it = services_.find(service);
  if (it == services_.end()) return out;
  for (const auto& [op, first] : it->second.operations) {
    if (first > visible_at) continue;
    if (kind && op.second != *kind) continue;
    out.push_back(Operation{std::string(op.first), static_cast<Span::SpanKind>(op.second)});
  }
  std::sort(out.begin(), out.end());
  return out;
}

TraceStoreStats TraceStore::Stats() const {
  std::shared_lock lock(mu_);
  TraceStoreStats stats;
  stats.stored_spans = spans_.size();
  stats.duplicate_spans = duplicates_;
  stats.rejected_spans = rejected_;
  stats.traces = traces_.size();
  stats.requests = requests_.size();
  stats.max_spans = options_.max_spans;
  for (const auto& [name, entry] : services_) stats.by_service[name] = entry.counts;
  return stats;
}

size_t TraceStore::span_count() const {
  std::shared_lock lock(mu_);
  return spans_.size();
}

TracesData AssembleTracesData(const std::vector<StoredSpan>& spans) {
  TracesData out;
  // Spans stay grouped under the ResourceSpans/ScopeSpans they arrived in, even when a trace
  // arrived over several requests interleaved with others.
  absl::flat_hash_map<const ResourceSpans*, ResourceSpans*> resources;
  absl::flat_hash_map<const ScopeSpans*, ScopeSpans*> scopes;
  for (const StoredSpan& s : spans) {
    ResourceSpans*& rs_out = resources[s.resource_spans];
    if (rs_out == nullptr) {
      rs_out = out.add_resource_spans();
      if (s.resource_spans->has_resource()) *rs_out->mutable_resource() = s.resource_spans->resource();
      rs_out->set_schema_url(s.resource_spans->schema_url());
    }
    ScopeSpans*& ss_out = scopes[s.scope_spans];
    if (ss_out == nullptr) {
      ss_out = rs_out->add_scope_spans();
      if (s.scope_spans->has_scope()) *ss_out->mutable_scope() = s.scope_spans->scope();
      ss_out->set_schema_url(s.scope_spans->schema_url());
    }
    *ss_out->add_spans() = *s.span;
  }
  return out;
}

}  // namespace agentstorm::sink
