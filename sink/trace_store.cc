#include "sink/trace_store.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "core/proto_wire.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

uint64_t Word(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// A 64x64->128 multiply fold: cheap, and mixes every input bit into the low bits that the
// hash table uses for its probe position.
size_t Mix(uint64_t a, uint64_t b) {
  const unsigned __int128 m =
      static_cast<unsigned __int128>(a ^ 0x9e3779b97f4a7c15ull) * (b ^ 0xc2b2ae3d27d4eb4full);
  return static_cast<size_t>(static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64));
}

// Attribute values as the query API's filters write them.
bool ValueEquals(const wire::Value& v, std::string_view want) {
  switch (v.type) {
    case wire::Value::Type::kString:
      return v.bytes == want;
    case wire::Value::Type::kInt:
      return absl::StrCat(v.int_value) == want;
    case wire::Value::Type::kBool:
      return (v.bool_value ? "true" : "false") == want;
    case wire::Value::Type::kDouble:
      return absl::StrCat(v.double_value) == want;
    default:
      return false;
  }
}

bool HasSpanAttribute(std::string_view span, std::string_view key, std::string_view value) {
  bool found = false;
  wire::ForEachSpanAttribute(span, [&](std::string_view k, const wire::Value& v) {
    found = k == key && ValueEquals(v, value);
    return !found;
  });
  return found;
}

bool HasResourceAttribute(const wire::ScannedGroup& g, std::string_view key,
                          std::string_view value) {
  bool found = false;
  wire::ForEachResourceAttribute(g.resource, [&](std::string_view k, const wire::Value& v) {
    found = k == key && ValueEquals(v, value);
    return !found;
  });
  return found;
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
bool TraceStore::IdEq::operator()(const TraceId& a, const TraceId& b) const {
  return Word(a.data()) == Word(b.data()) && Word(a.data() + 8) == Word(b.data() + 8);
}

void TraceStore::SpanRecords::push_back(const SpanRecord& r) {
  if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<SpanRecord[]>(kChunk));
  chunks_.back()[size_ % kChunk] = r;
  ++size_;
}

Span StoredSpan::Parse() const {
  Span span;
  (void)span.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  return span;
}

TraceStore::TraceStore(TraceStoreOptions options) : options_(options) {}

absl::Status TraceStore::Reserve(size_t span_count) {
  absl::WriterMutexLock lock(&mu_);
  if (span_count > options_.max_spans - std::min(reserved_, options_.max_spans)) {
    rejected_ += span_count;
    return absl::ResourceExhaustedError(
        absl::StrCat("sink store is full: ", reserved_, " of ", options_.max_spans,
                     " spans used, request has ", span_count, " (raise --max-spans)"));
  }
  reserved_ += span_count;
  return absl::OkStatus();
}

void TraceStore::Unreserve(size_t span_count) {
  absl::WriterMutexLock lock(&mu_);
  reserved_ -= std::min(reserved_, span_count);
}

bool TraceStore::SeenBefore(TraceEntry* trace, const SpanId& span_id) {
  const uint64_t id = Word(span_id.data());
  // Short traces compare with their spans (adjacent in spans_, so in cache); long ones keep
  // a set, so a runaway loop of thousands of spans stays linear.
  constexpr size_t kCompareUpTo = 16;
  if (trace->span_ids != nullptr) return !trace->span_ids->insert(id).second;
  for (uint32_t i : trace->spans) {
    if (Word(spans_[i].span_id.data()) == id) return true;
  }
  if (trace->spans.size() + 1 >= kCompareUpTo) {
    trace->span_ids = std::make_unique<absl::flat_hash_set<uint64_t>>();
    for (uint32_t i : trace->spans) trace->span_ids->insert(Word(spans_[i].span_id.data()));
    trace->span_ids->insert(id);
  }
  return false;
}

absl::Status TraceStore::Prefault(size_t bytes) { return arena_.Prefault(bytes); }

void TraceStore::Commit(std::string_view bytes, const wire::ScannedRequest& index,
                        absl::Time received) {
  // The copy is made before taking the lock; the index's views are moved onto it.
  auto batch = std::make_unique<StoredBatch>();
  batch->bytes = arena_.Copy(bytes);
  batch->received = received;
  const char* const from = bytes.data();
  const char* const base = batch->bytes.data();
  auto moved = [&](std::string_view v) {
    return v.empty() ? std::string_view() : std::string_view(base + (v.data() - from), v.size());
  };
  batch->groups = index.groups;
  for (wire::ScannedGroup& g : batch->groups) {
    g.resource = moved(g.resource);
    g.resource_schema_url = moved(g.resource_schema_url);
    g.scope = moved(g.scope);
    g.scope_schema_url = moved(g.scope_schema_url);
    g.service = moved(g.service);
  }
  absl::WriterMutexLock lock(&mu_);
  const auto batch_index = static_cast<uint32_t>(batches_.size());
  // Each group's service entry, looked up once per group.
  absl::InlinedVector<ServiceEntry*, 8> group_service(index.groups.size(), nullptr);
  for (size_t g = 0; g < index.groups.size(); ++g) {
    const std::string_view name = batch->groups[g].service;
    auto it = services_.find(name);
    if (it == services_.end()) it = services_.emplace(std::string(name), ServiceEntry{}).first;
    it->second.first_received = std::min(it->second.first_received, received);
    group_service[g] = &it->second;
  }
  // Senders batch whole traces, so consecutive spans mostly share a trace: the last entry is
  // reused without a lookup (a pointer into traces_ stays valid until the next insertion,
  // which replaces it).
  TraceEntry* last_trace = nullptr;
  TraceId last_trace_id{};
  // Operations already recorded in this request: a handful of names repeat for every trace,
  // and comparing with them is cheaper than hashing the name.
  std::vector<std::tuple<ServiceEntry*, absl::string_view, int>> seen_ops;
  for (const wire::ScannedSpan& s : index.spans) {
    const auto span_index = static_cast<uint32_t>(spans_.size());
    spans_.push_back(SpanRecord{s.trace_id, s.span_id, s.start_time_unix_nano, batch_index,
                                static_cast<uint32_t>(s.bytes.data() - from),
                                static_cast<uint32_t>(s.bytes.size()), s.group});
    if (last_trace == nullptr || !IdEq()(last_trace_id, s.trace_id)) {
      last_trace = &traces_[s.trace_id];
      last_trace_id = s.trace_id;
    }
    ServiceEntry& service = *group_service[s.group];
    ++service.counts.stored;
    if (SeenBefore(last_trace, s.span_id)) {
      ++duplicates_;
      ++service.counts.duplicates;
    }
    last_trace->spans.push_back(span_index);
    const std::string_view name = moved(s.name);  // operations_ keeps it: the stored copy
    const auto op = std::make_tuple(&service, absl::string_view(name.data(), name.size()), s.kind);
    if (std::find(seen_ops.begin(), seen_ops.end(), op) == seen_ops.end()) {
      service.operations.try_emplace(std::make_pair(std::get<1>(op), s.kind), received);
      if (seen_ops.size() < 64) seen_ops.push_back(op);
    }
  }
  batches_.push_back(std::move(batch));
}

absl::Status TraceStore::AddEncoded(std::string_view bytes, absl::Time received) {
  wire::ScannedRequest index;
  if (!wire::ScanTraceRequest(bytes, &index)) {
    return absl::InvalidArgumentError("not a trace request the sink can index");
  }
  if (absl::Status s = Reserve(index.spans.size()); !s.ok()) return s;
  Commit(bytes, index, received);
  return absl::OkStatus();
}

absl::Status TraceStore::Add(std::shared_ptr<const ExportTraceServiceRequest> request,
                             absl::Time received) {
  return AddEncoded(request->SerializeAsString(), received);
}

StoredSpan TraceStore::ToStoredSpan(const SpanRecord& r) const {
  const StoredBatch& b = *batches_[r.batch];
  return StoredSpan{&b, r.group, b.bytes.substr(r.offset, r.length), b.received,
                    b.groups[r.group].service};
}

std::vector<StoredSpan> TraceStore::GetTrace(const TraceId& id, absl::Time visible_at) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<StoredSpan> out;
  auto it = traces_.find(id);
  if (it == traces_.end()) return out;
  out.reserve(it->second.spans.size());
  for (uint32_t i : it->second.spans) {
    if (batches_[spans_[i].batch]->received <= visible_at) out.push_back(ToStoredSpan(spans_[i]));
  }
  return out;
}

std::vector<StoredSpan> TraceStore::FindSpan(const TraceId& trace_id, const SpanId& span_id) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<StoredSpan> out;
  auto it = traces_.find(trace_id);
  if (it == traces_.end()) return out;
  for (uint32_t i : it->second.spans) {
    if (Word(spans_[i].span_id.data()) == Word(span_id.data()))
      out.push_back(ToStoredSpan(spans_[i]));
  }
  return out;
}

bool TraceStore::SpanMatches(const SpanRecord& r, const TraceQuery& q) const {
  const StoredBatch& b = *batches_[r.batch];
  const wire::ScannedGroup& g = b.groups[r.group];
  if (!q.service.empty() && g.service != q.service) return false;
  const std::string_view bytes = b.bytes.substr(r.offset, r.length);
  if (!q.operation.empty() && wire::SpanName(bytes) != q.operation) return false;
  const absl::Time start = absl::FromUnixNanos(static_cast<int64_t>(r.start_time_unix_nano));
  if (start < q.start_min || start >= q.start_max) return false;
  for (const auto& [key, value] : q.attributes) {
    if (!HasSpanAttribute(bytes, key, value) && !HasResourceAttribute(g, key, value)) return false;
  }
  return true;
}

std::vector<TraceId> TraceStore::FindTraces(const TraceQuery& query, absl::Time visible_at) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::pair<absl::Time, TraceId>> found;
  for (const auto& [id, entry] : traces_) {
    bool matched = false;
    absl::Time latest = absl::InfinitePast();
    for (uint32_t i : entry.spans) {
      const SpanRecord& r = spans_[i];
      if (batches_[r.batch]->received > visible_at) continue;
      latest = std::max(latest, absl::FromUnixNanos(static_cast<int64_t>(r.start_time_unix_nano)));
      if (!matched && SpanMatches(r, query)) matched = true;
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
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : services_) {
    if (entry.first_received <= visible_at) out.push_back(name);
  }
  return out;
}

std::vector<Operation> TraceStore::Operations(std::string_view service,
                                              std::optional<Span::SpanKind> kind,
                                              absl::Time visible_at) const {
  absl::ReaderMutexLock lock(&mu_);
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
  absl::ReaderMutexLock lock(&mu_);
  TraceStoreStats stats;
  stats.stored_spans = spans_.size();
  stats.duplicate_spans = duplicates_;
  stats.rejected_spans = rejected_;
  stats.traces = traces_.size();
  stats.requests = batches_.size();
  stats.max_spans = options_.max_spans;
  stats.stored_bytes = arena_.used_bytes();
  stats.mapped_bytes = arena_.mapped_bytes();
  for (const auto& [name, entry] : services_) stats.by_service[name] = entry.counts;
  return stats;
}

size_t TraceStore::span_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return spans_.size();
}

namespace {

// A length-delimited field with a one-byte tag (fields 1-15).
void PutLen(char tag, std::string_view bytes, std::string* out) {
  char head[1 + protowire::kMaxVarintSize];
  head[0] = tag;
  out->append(head, static_cast<size_t>(protowire::PutVarint(head + 1, bytes.size()) - head));
  out->append(bytes);
}

}  // namespace

std::vector<std::string> AssembleResourceSpans(const std::vector<StoredSpan>& spans) {
  // Spans stay grouped under the ResourceSpans/ScopeSpans they arrived in, even when a trace
  // arrived over several requests interleaved with others.
  struct Scope {
    const wire::ScannedGroup* group;
    std::vector<std::string_view> spans;
  };
  struct Resource {
    const wire::ScannedGroup* group;
    std::vector<Scope> scopes;
  };
  using Key = std::pair<const StoredBatch*, uint32_t>;
  std::vector<Resource> resources;
  absl::flat_hash_map<Key, size_t> resource_at;                  // by (batch, resource index)
  absl::flat_hash_map<Key, std::pair<size_t, size_t>> scope_at;  // by (batch, group)
  for (const StoredSpan& s : spans) {
    const wire::ScannedGroup& g = s.batch->groups[s.group];
    auto [r, new_resource] = resource_at.try_emplace(Key(s.batch, g.resource_index), 0);
    if (new_resource) {
      r->second = resources.size();
      resources.push_back(Resource{&g, {}});
    }
    auto [sc, new_scope] = scope_at.try_emplace(Key(s.batch, s.group), r->second, 0);
    std::vector<Scope>& scopes = resources[r->second].scopes;
    if (new_scope) {
      sc->second.second = scopes.size();
      scopes.push_back(Scope{&g, {}});
    }
    scopes[sc->second.second].spans.push_back(s.bytes);
  }
  // ResourceSpans: resource = 1, scope_spans = 2, schema_url = 3; ScopeSpans: scope = 1,
  // spans = 2, schema_url = 3.
  std::vector<std::string> out;
  out.reserve(resources.size());
  std::string scope_bytes;
  for (const Resource& resource : resources) {
    std::string& rs = out.emplace_back();
    if (resource.group->has_resource) PutLen('\x0a', resource.group->resource, &rs);
    for (const Scope& scope : resource.scopes) {
      scope_bytes.clear();
      if (scope.group->has_scope) PutLen('\x0a', scope.group->scope, &scope_bytes);
      for (std::string_view span : scope.spans) PutLen('\x12', span, &scope_bytes);
      if (!scope.group->scope_schema_url.empty()) {
        PutLen('\x1a', scope.group->scope_schema_url, &scope_bytes);
      }
      PutLen('\x12', scope_bytes, &rs);
    }
    if (!resource.group->resource_schema_url.empty()) {
      PutLen('\x1a', resource.group->resource_schema_url, &rs);
    }
  }
  return out;
}

TracesData AssembleTracesData(const std::vector<StoredSpan>& spans) {
  TracesData out;
  for (const std::string& resource_spans : AssembleResourceSpans(spans)) {
    (void)out.add_resource_spans()->ParseFromString(resource_spans);
  }
  return out;
}

}  // namespace agentstorm::sink
