#include "checker/rules/trace_view.h"

#include "absl/strings/str_cat.h"

namespace agentstorm {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;

namespace {

template <typename Range>
std::vector<SpanRef> Collect(const Range& resource_spans) {
  std::vector<SpanRef> out;
  for (const ResourceSpans& rs : resource_spans) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans())
        out.push_back(
            SpanRef{&span, &rs.resource(), &ss.scope(), &rs.schema_url(), &ss.schema_url()});
    }
  }
  return out;
}

}  // namespace

std::vector<SpanRef> CollectSpans(const opentelemetry::proto::trace::v1::TracesData& data) {
  return Collect(data.resource_spans());
}

std::vector<SpanRef> CollectSpans(const std::vector<ResourceSpans>& resource_spans) {
  return Collect(resource_spans);
}

void IndexSentSpans(const SynthesizedTrace& expected, SpansById* out) {
  out->clear();
  out->reserve(expected.span_count);
  for (const ResourceSpans& rs : expected.resource_spans)
    for (const auto& ss : rs.scope_spans())
      for (const auto& span : ss.spans()) out->emplace(span.span_id(), &span);
}

std::string ServiceName(const opentelemetry::proto::resource::v1::Resource& resource) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "service.name") return kv.value().string_value();
  }
  return "";
}

bool IsZeroId(std::string_view id) {
  for (char c : id) {
    if (c != '\0') return false;
  }
  return true;
}

const char* ValueTypeLabel(const AnyValue& value) {
  switch (value.value_case()) {
    case AnyValue::kStringValue:
      return "string";
    case AnyValue::kIntValue:
      return "int";
    case AnyValue::kDoubleValue:
      return "double";
    case AnyValue::kBoolValue:
      return "bool";
    case AnyValue::kArrayValue:
      return "array";
    case AnyValue::kKvlistValue:
      return "kvlist";
    case AnyValue::kBytesValue:
      return "bytes";
    default:
      return "empty";
  }
}

std::string DescribeValue(const AnyValue& value, size_t max_chars) {
  switch (value.value_case()) {
    case AnyValue::kStringValue: {
      const std::string& s = value.string_value();
      if (s.size() <= max_chars) return absl::StrCat("string \"", s, "\"");
      return absl::StrCat("string \"", s.substr(0, max_chars), "...\" (", s.size(), " bytes)");
    }
    case AnyValue::kIntValue:
      return absl::StrCat("int ", value.int_value());
    case AnyValue::kDoubleValue:
      return absl::StrCat("double ", value.double_value());
    case AnyValue::kBoolValue:
      return value.bool_value() ? "bool true" : "bool false";
    case AnyValue::kArrayValue: {
      std::string out = "array [";
      int n = 0;
      for (const AnyValue& e : value.array_value().values()) {
        if (n++ > 0) absl::StrAppend(&out, ", ");
        if (n > 4) {
          absl::StrAppend(&out, "... (", value.array_value().values_size(), " values)");
          break;
        }
        absl::StrAppend(&out, DescribeValue(e, max_chars));
      }
      return out + "]";
    }
    case AnyValue::kKvlistValue:
      return absl::StrCat("kvlist (", value.kvlist_value().values_size(), " entries)");
    case AnyValue::kBytesValue:
      return absl::StrCat("bytes (", value.bytes_value().size(), ")");
    default:
      return "empty";
  }
}

}  // namespace agentstorm
