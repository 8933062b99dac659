// A flat view of the spans of one trace, as received (TracesData) or as sent
// (SynthesizedTrace::resource_spans), with the resource and scope each span belongs to.
// Shared by the hierarchy and fidelity rules; views point into the trace, which must outlive them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "core/synthesized_trace.h"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

struct SpanRef {
  const opentelemetry::proto::trace::v1::Span* span = nullptr;
  const opentelemetry::proto::resource::v1::Resource* resource = nullptr;
  const opentelemetry::proto::common::v1::InstrumentationScope* scope = nullptr;
  const std::string* resource_schema_url = nullptr;  // ResourceSpans.schema_url
  const std::string* scope_schema_url = nullptr;     // ScopeSpans.schema_url
};

std::vector<SpanRef> CollectSpans(const opentelemetry::proto::trace::v1::TracesData& data);
std::vector<SpanRef> CollectSpans(
    const std::vector<opentelemetry::proto::trace::v1::ResourceSpans>& resource_spans);

// Hash and equality for span IDs as map keys: an 8-byte ID (every well-formed one) is hashed
// and compared as one 64-bit word, any other length as bytes (a backend may return malformed
// IDs, which the rules report). Per span, each rule looks IDs up several times.
struct SpanIdHash {
  size_t operator()(std::string_view id) const {
    if (id.size() == 8) {
      uint64_t word;
      std::memcpy(&word, id.data(), 8);
      return absl::Hash<uint64_t>{}(word);
    }
    return absl::Hash<std::string_view>{}(id);
  }
};
struct SpanIdEq {
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) return false;
    if (a.size() == 8) {
      uint64_t x, y;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return x == y;
    }
    return a == b;
  }
};
template <typename V>
using SpanIdMap = absl::flat_hash_map<std::string_view, V, SpanIdHash, SpanIdEq>;
using SpanIdSet = absl::flat_hash_set<std::string_view, SpanIdHash, SpanIdEq>;

// Spans by span ID, the first of each ID; the keys view the spans' IDs.
using SpansById = SpanIdMap<const opentelemetry::proto::trace::v1::Span*>;

// The spans sent in `expected` by span ID (`out` is cleared first).
void IndexSentSpans(const SynthesizedTrace& expected, SpansById* out);

// The service.name resource attribute ("" when absent).
std::string ServiceName(const opentelemetry::proto::resource::v1::Resource& resource);

// True for an empty or all-zero ID (no parent).
bool IsZeroId(std::string_view id);

// "string \"abc\"", "int 42", "array [string \"a\", ...]": type and value, for findings.
// Strings longer than `max_chars` are shortened with their length noted.
std::string DescribeValue(const opentelemetry::proto::common::v1::AnyValue& value,
                          size_t max_chars = 80);

// "string", "int", "double", "bool", "array", "kvlist", "bytes", "empty".
const char* ValueTypeLabel(const opentelemetry::proto::common::v1::AnyValue& value);

}  // namespace agentstorm
