// LoadEngine: runs a load. Worker threads take arrivals from the Scheduler (which owns the clock),
// synthesize each trace ahead of its intended time, pack whole traces into EncodedBatch requests
// with a BatchBuilder (generator/batch_builder.h: a serialized ExportTraceServiceRequest; a trace
// is split across batches never, and is alone in its batch when it exceeds a limit by itself), and
// hand every batch to EVERY exporter, so several endpoints receive the same stream.
//
// Open loop (wrk2): a slow endpoint fills its bounded in-flight window, workers wait for a slot,
// and the wait shows up as scheduling lag and as latency from the intended send time; the schedule
// itself never slows down. Traces that could not be sent by the end of the run count as not sent.
// `--rate max` is closed loop: as fast as the in-flight windows allow.
//
// End of a run: the schedule is exhausted (duration or trace count), or Stop() / the stop flag
// (SIGINT, SIGTERM). Then in-flight batches get the grace period, and whatever is left (batches
// waiting for a slot, late traces of a duration run past duration + grace, exporter queues) ends
// as not sent. For every endpoint, acknowledged + rejected + failed + not sent == spans scheduled.
//
// The ledger gets one record per trace once every endpoint has answered for it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "core/ledger.h"
#include "core/load_summary.h"
#include "core/shard.h"
#include "core/synthesized_trace.h"
#include "export/exporter.h"
#include "scenario/load_profile.h"

namespace agentstorm {

enum class ProgressMode {
  kAuto,   // a live line on a terminal, periodic lines otherwise
  kLive,   // one line rewritten in place
  kLines,  // a plain line every `lines_interval`
  kJson,   // a JSON object per second (generator/progress_line.h), for CI
  kQuiet,
};

// A trace whose batch every endpoint has answered for (LoadOptions::on_answered).
struct TraceAnswered {
  TraceId trace_id{};
  uint32_t span_count = 0;
  uint64_t answered_unix_nano = 0;  // wall clock
  bool acknowledged = false;        // every endpoint acknowledged the whole batch
  LedgerRecord record;              // what the ledger records for it (with or without a ledger)
};

struct LoadOptions {
  LoadProfile profile;
  int threads = 0;                     // worker threads; 0 = hardware concurrency
  uint32_t batch_spans = 512;          // spans per request, at most (whole traces)
  uint64_t max_batch_bytes = 4 << 20;  // encoded bytes per request, at most
  // A batch that is not full is sent this long after its first trace's intended time.
  std::chrono::milliseconds batch_linger{100};
  int max_in_flight = 16;   // batches per endpoint awaiting an answer
  uint64_t max_traces = 0;  // global trace count (0 = no limit)
  double max_seconds = 0;   // duration (<= 0: the profile's length)
  ShardSpec shard;
  uint64_t seed = 0;                      // for Poisson arrivals
  std::chrono::milliseconds grace{5000};  // flush time after the schedule ends or a stop
  uint64_t run_start_unix_nano = 0;       // reported in the summary
  ProgressMode progress = ProgressMode::kAuto;
  std::FILE* progress_out = stderr;
  std::chrono::milliseconds lines_interval{5000};
  LedgerWriter* ledger = nullptr;  // not owned; may be null
  // Polled every few milliseconds; setting it (e.g. from a signal handler) acts like Stop().
  const std::atomic<bool>* stop_flag = nullptr;
  // Called on a worker thread for every trace of the run as it joins a batch (e.g. to aggregate
  // GenAI metrics from the spans sent). Must be thread-safe; `trace` is only valid during the call.
  // When set, traces are built as libprotobuf messages for it (the reference path, several
  // times slower than the templated wire encoding used otherwise).
  std::function<void(const SynthesizedTrace&)> on_trace;
  // Called on an exporter thread for every trace when the last endpoint answered for its batch
  // (the moment the ledger records: from then on the trace may be queried), e.g. to measure
  // time until queryable while the run goes on. Must be thread-safe and quick.
  std::function<void(const TraceAnswered&)> on_answered;
};

class LoadEngine {
 public:
  // `source` and `exporters` are not owned and must outlive Run(). Run() shuts the exporters
  // down. REQUIRES: 1 <= exporters.size() <= kLedgerMaxEndpoints.
  LoadEngine(LoadOptions options, const TraceSource& source, std::vector<Exporter*> exporters);
  ~LoadEngine();
  LoadEngine(const LoadEngine&) = delete;
  LoadEngine& operator=(const LoadEngine&) = delete;

  // Runs the load to its end and returns what happened. Call once.
  LoadSummary Run();

  // Stops scheduling and flushes (thread-safe; not async-signal-safe: use stop_flag for that).
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentstorm
