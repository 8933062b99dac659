// Small builders of OTLP export requests for the sink tests.
#pragma once

#include <cstdint>
#include <string>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm::sink::testing {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;

// 16-byte trace ID whose last byte is `n` (and first byte 0xab, so never all zero).
inline std::string TraceIdBytes(uint8_t n) {
  std::string id(16, '\0');
  id[0] = static_cast<char>(0xab);
  id[15] = static_cast<char>(n);
  return id;
}
inline std::string SpanIdBytes(uint8_t n) {
  std::string id(8, '\0');
  id[0] = static_cast<char>(0xcd);
  id[7] = static_cast<char>(n);
  return id;
}

inline ResourceSpans* AddResource(ExportTraceServiceRequest* request, const std::string& service) {
  ResourceSpans* rs = request->add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  rs->add_scope_spans()->mutable_scope()->set_name("agentstorm.test");
  return rs;
}

// Adds a span to the first scope of `rs`.
inline Span* AddSpan(ResourceSpans* rs, uint8_t trace, uint8_t span, int parent = -1,
                     const std::string& name = "op",
                     uint64_t start_ns = 1'700'000'000'000'000'000ULL) {
  Span* s = rs->mutable_scope_spans(0)->add_spans();
  s->set_trace_id(TraceIdBytes(trace));
  s->set_span_id(SpanIdBytes(span));
  if (parent >= 0) s->set_parent_span_id(SpanIdBytes(static_cast<uint8_t>(parent)));
  s->set_name(name);
  s->set_kind(Span::SPAN_KIND_INTERNAL);
  s->set_start_time_unix_nano(start_ns);
  s->set_end_time_unix_nano(start_ns + 1'000'000);
  return s;
}

// One service, `traces` traces of `spans_per_trace` spans each (span 1 is the root).
inline ExportTraceServiceRequest MakeRequest(const std::string& service, int traces,
                                             int spans_per_trace, uint8_t first_trace = 1) {
  ExportTraceServiceRequest request;
  ResourceSpans* rs = AddResource(&request, service);
  for (int t = 0; t < traces; ++t) {
    for (int s = 1; s <= spans_per_trace; ++s) {
      AddSpan(rs, static_cast<uint8_t>(first_trace + t), static_cast<uint8_t>(s), s == 1 ? -1 : 1,
              s == 1 ? "root" : "child");
    }
  }
  return request;
}

}  // namespace agentstorm::sink::testing
