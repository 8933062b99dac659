// A flat view of the spans of one trace, as received (TracesData) or as sent
// (SynthesizedTrace::resource_spans), with the resource and scope each span belongs to.
// Shared by the hierarchy and fidelity rules; views point into the trace, which must outlive them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// Spans by span ID, the first of each ID; the keys view the spans' IDs.
using SpansById =
    absl::flat_hash_map<std::string_view, const opentelemetry::proto::trace::v1::Span*>;

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
