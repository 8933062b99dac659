#include "checker/other_run.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::ScopeSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

constexpr int64_t kShiftedNanos = 1'000'000;  // a start further away than this: another run
constexpr int64_t kSameDurationNanos = 1'000;

int64_t Duration(const Span& s) {
  return static_cast<int64_t>(s.end_time_unix_nano() - s.start_time_unix_nano());
}

}  // namespace

OtherRunSpans SetAsideOtherRunSpans(const SynthesizedTrace& expected, const TracesData& received,
                                    TracesData* kept) {
  SpansById sent;
  IndexSentSpans(expected, &sent);
  return SetAsideOtherRunSpans(sent, received, kept);
}

OtherRunSpans SetAsideOtherRunSpans(const SpansById& sent, const TracesData& received,
                                    TracesData* kept) {
  OtherRunSpans other;
  auto is_other = [&](const Span& s) {
    auto it = sent.find(s.span_id());
    if (it == sent.end()) return false;
    const Span& w = *it->second;
    const int64_t shift = static_cast<int64_t>(s.start_time_unix_nano() - w.start_time_unix_nano());
    const int64_t duration_diff = Duration(s) - Duration(w);
    if (shift > -kShiftedNanos && shift < kShiftedNanos) return false;
    if (duration_diff < -kSameDurationNanos || duration_diff > kSameDurationNanos) return false;
    if (other.count == 0) other.offset_nanos = shift;
    return true;
  };
  for (const ResourceSpans& rs : received.resource_spans())
    for (const ScopeSpans& ss : rs.scope_spans())
      for (const Span& s : ss.spans()) other.count += is_other(s) ? 1 : 0;
  if (other.count == 0) return other;

  kept->Clear();
  for (const ResourceSpans& rs : received.resource_spans()) {
    ResourceSpans* out_rs = nullptr;
    for (const ScopeSpans& ss : rs.scope_spans()) {
      ScopeSpans* out_ss = nullptr;
      for (const Span& s : ss.spans()) {
        if (is_other(s)) continue;
        if (out_rs == nullptr) {
          out_rs = kept->add_resource_spans();
          *out_rs->mutable_resource() = rs.resource();
          out_rs->set_schema_url(rs.schema_url());
        }
        if (out_ss == nullptr) {
          out_ss = out_rs->add_scope_spans();
          *out_ss->mutable_scope() = ss.scope();
          out_ss->set_schema_url(ss.schema_url());
        }
        *out_ss->add_spans() = s;
      }
    }
  }
  return other;
}

}  // namespace agentstorm
