#include "core/synthesized_trace.h"

#include <cstring>

#include "core/proto_wire.h"

namespace agentstorm {
namespace {

constexpr char kTagResourceSpans = 0x0A;  // ExportTraceServiceRequest.resource_spans, LEN

}  // namespace

void AppendResourceSpans(const opentelemetry::proto::trace::v1::ResourceSpans& rs,
                         std::string* out) {
  const size_t n = rs.ByteSizeLong();
  char head[11];
  head[0] = kTagResourceSpans;
  const size_t h = static_cast<size_t>(protowire::PutVarint(head + 1, n) - head);
  const size_t old = out->size();
  out->resize(old + h + n);
  std::memcpy(out->data() + old, head, h);
  rs.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data() + old + h));
}

void TraceSource::SynthesizeEncoded(uint64_t index, int phase, SynthesizedTrace* meta,
                                    std::string* out) const {
  Synthesize(index, phase, meta);
  for (const auto& rs : meta->resource_spans) AppendResourceSpans(rs, out);
}

}  // namespace agentstorm
