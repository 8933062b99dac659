// Reading the expected traces back from an eventually consistent backend.
//
// A backend shows a trace some time after it was acknowledged, and may show it growing span by
// span. The poller asks for every expected trace, many at once (`concurrency` requests in
// flight, each about every trace then due, up to the reader's MaxBatch(); a reader that batches
// only located traces gets the others one by one), and asks again with
// exponential backoff until the trace has settled:
//   - its span count was the same for `stable_polls` consecutive reads, and is at least the
//     expected count when that is known; or
//   - its span count equals the expected count for `stable_polls_at_expected` consecutive
//     reads (default 1: a trace that is exactly as long as sent is done at once).
// A backend that flags a read as partial (Tempo v2) never settles it early.
//
// Re-polling stops `wait` after Run() starts (--wait); a trace never polled by then still gets
// one read. Then every trace ends in exactly one outcome (trace_reader.h):
//   kFound          settled, or seen with at least the expected span count at the deadline
//   kIncomplete     seen, but with fewer spans than expected at the deadline
//   kNotFound       every answer said "no such trace"
//   kRequestFailed  no request about it succeeded (last_error says why)
// When no request has succeeded at all by the deadline, or the last `unreachable_abort_after`
// requests in a row failed as unreachable after it, the rest are ended as kRequestFailed at
// once and PollSummary::backend_unreachable is set (the CLI exits with code 3).
//
// Time until queryable is measured per trace from its `sent_at` to the first read that
// returned it (an upper bound; its resolution is the backoff) and summarised in a histogram.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "checker/readers/trace_reader.h"
#include "core/histogram.h"

namespace agentstorm::readers {

struct ExpectedTrace {
  ExpectedTrace() = default;
  explicit ExpectedTrace(const TraceId& trace_id) : id(trace_id) {}
  ExpectedTrace(const TraceId& trace_id, int64_t spans, absl::Time sent = absl::InfinitePast())
      : id(trace_id), expected_spans(spans), sent_at(sent) {}

  TraceId id{};
  int64_t expected_spans = -1;                // -1 = unknown (ledger-less mode)
  absl::Time sent_at = absl::InfinitePast();  // acknowledged at; InfinitePast = unknown
  // Where a search finds it (TraceLookup): its root span's service, which must outlive Run(),
  // and start; empty / 0 = unknown.
  std::string_view service;
  uint64_t start_unix_nano = 0;
};

struct PollerOptions {
  absl::Duration wait = absl::Seconds(30);
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  double backoff_multiplier = 2.0;
  int stable_polls = 3;              // K
  int stable_polls_at_expected = 1;  // consecutive reads at exactly the expected count
  int concurrency = 16;              // requests in flight
  int unreachable_abort_after = 200;
  bool keep_data = true;  // false: PolledTrace::trace.data (and .wire) is left empty
};

struct PolledTrace {
  TraceId id{};
  TraceOutcome outcome = TraceOutcome::kNotFound;
  int64_t expected_spans = -1;
  FetchedTrace trace;       // the last successful read that found the trace
  int polls = 0;            // requests made about this trace
  int failed_polls = 0;     // of which failed
  absl::Status last_error;  // of the last failed request; OK when none failed
  std::optional<absl::Duration> time_until_queryable;  // when sent_at was known and it was seen
};

struct PollSummary {
  uint64_t found = 0;
  uint64_t not_found = 0;
  uint64_t incomplete = 0;
  uint64_t request_failed = 0;
  uint64_t requests = 0;              // reads asked of the reader: one per trace, or per batch
  uint64_t failed_requests = 0;       // of which answered nothing
  bool backend_unreachable = false;   // nothing could be read (see above): exit code 3
  absl::Status first_error;           // the first failed request's error (OK when none)
  Histogram time_until_queryable_us;  // microseconds, one value per trace seen with sent_at
  absl::Duration elapsed;
};

class Poller {
 public:
  // `reader` must outlive the poller and be thread-safe (every TraceReader is).
  Poller(TraceReader* reader, PollerOptions options);

  // Polls `traces` as described above. `on_result` runs exactly once per trace, in the order
  // traces end, from the poller's threads but never two at a time; it may be empty.
  // Duplicate IDs in `traces` are polled once each, as given.
  PollSummary Run(const std::vector<ExpectedTrace>& traces,
                  const std::function<void(PolledTrace&&)>& on_result);

 private:
  TraceReader* const reader_;
  const PollerOptions options_;
};

}  // namespace agentstorm::readers
