#include "generator/batch_builder.h"

#include <algorithm>
#include <utility>

namespace agentstorm {

void BatchBuilder::Add(const TraceMeta& trace, std::string_view encoded, nanoseconds offset) {
  if (empty()) {
    first_offset_ = offset;
    payload_.reserve(std::min<uint64_t>(max_bytes_, 1 << 20));
  }
  last_offset_ = offset;
  payload_.append(encoded);
  spans_ += trace.span_count;
  traces_.push_back(trace);
}

Batch BatchBuilder::Take() {
  Batch b{std::move(payload_), spans_, std::move(traces_)};
  payload_ = std::string();
  traces_ = std::vector<TraceMeta>();
  spans_ = 0;
  first_offset_ = last_offset_ = nanoseconds{0};
  return b;
}

}  // namespace agentstorm
