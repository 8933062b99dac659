// BatchBuilder: one LoadEngine worker's request under construction. Whole traces, already
// encoded as `resource_spans` fields, are appended to one payload, which is therefore always a
// serialized ExportTraceServiceRequest; a trace is never split across batches.
//
// The limits (LoadOptions::batch_spans, max_batch_bytes, batch_linger):
//   - WouldOverflow(): a trace that does not fit beside what the batch holds (more spans or more
//     bytes than the limits in all) means: Take() the batch first. An empty batch takes any
//     trace, so a trace over a limit by itself is alone in its batch.
//   - Full(): the batch has reached a limit (>=): Take() it now.
//   - LingerDeadline(): a batch that is not full is sent this long after its first trace's
//     intended time; the caller compares the next trace's intended time with it.
// The builder only packs; when to send, and the intended send time, are the caller's.
// Not thread-safe: one per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/synthesized_trace.h"

namespace agentstorm {

// What the run keeps of a trace while its batch is in flight (for the ledger and the counts).
struct TraceMeta {
  uint64_t index = 0;
  TraceId trace_id{};
  uint64_t start_unix_nano = 0;
  uint32_t span_count = 0;
  uint16_t faults = 0;
  uint16_t variant = 0;
  TraceClass expected_class = TraceClass::kNormal;
  int16_t phase = -1;
};

// A batch handed over by Take().
struct Batch {
  std::string payload;  // a serialized ExportTraceServiceRequest: the traces' bytes in order
  uint32_t spans = 0;   // the traces' span counts summed
  std::vector<TraceMeta> traces;
};

class BatchBuilder {
 public:
  using nanoseconds = std::chrono::nanoseconds;

  BatchBuilder(uint32_t max_spans, uint64_t max_bytes, nanoseconds linger)
      : max_spans_(max_spans), max_bytes_(max_bytes), linger_(linger) {}

  bool empty() const { return traces_.empty(); }
  uint32_t spans() const { return spans_; }
  size_t bytes() const { return payload_.size(); }
  size_t traces() const { return traces_.size(); }
  // Intended times (offsets from the run's start) of the first and last trace added; zero while
  // empty.
  nanoseconds first_offset() const { return first_offset_; }
  nanoseconds last_offset() const { return last_offset_; }
  nanoseconds LingerDeadline() const { return first_offset_ + linger_; }

  // True when a trace of `spans` spans and `bytes` bytes would take the batch over a limit.
  // Always false on an empty batch.
  bool WouldOverflow(uint32_t spans, size_t bytes) const {
    return !empty() && (spans_ + spans > max_spans_ || payload_.size() + bytes > max_bytes_);
  }
  // Appends a whole trace, `encoded` as `resource_spans` fields, intended at `offset`.
  void Add(const TraceMeta& trace, std::string_view encoded, nanoseconds offset);
  bool Full() const { return spans_ >= max_spans_ || payload_.size() >= max_bytes_; }

  // Hands the batch over and starts an empty one (with the same limits).
  Batch Take();

 private:
  uint32_t max_spans_;
  uint64_t max_bytes_;
  nanoseconds linger_;
  std::string payload_;
  uint32_t spans_ = 0;
  std::vector<TraceMeta> traces_;
  nanoseconds first_offset_{0}, last_offset_{0};
};

}  // namespace agentstorm
