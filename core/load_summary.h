// What a load run did, per endpoint and over time: the data behind the final summary (text and
// `--summary-json`) and, later, the reports. Every span of the run ends in exactly one of
// acknowledged / rejected / failed / not sent, for each endpoint.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/histogram.h"

namespace agentstorm {

struct EndpointStats {
  std::string endpoint;
  uint64_t spans_acknowledged = 0;
  uint64_t spans_rejected = 0;  // partial_success.rejected_spans
  uint64_t spans_failed = 0;    // non-retryable, or retries exhausted
  uint64_t spans_not_sent = 0;  // the run stopped before they were sent
  // Traces by their ledger outcome (DeliveryOutcome): acknowledged, rejected, failed, not sent.
  uint64_t traces_acknowledged = 0, traces_rejected = 0, traces_failed = 0, traces_not_sent = 0;
  uint64_t batches = 0;   // handed to the exporter
  uint64_t attempts = 0;  // requests put on the wire, retries included
  uint64_t bytes_sent = 0;
  uint64_t connection_failures = 0;  // results that never got an answer from the server
  bool reached = false;              // some request got an answer from the server
  std::string last_error;
  Histogram latency_from_intended;  // ns: answer - intended send time (no coordinated omission)
  Histogram latency_from_send;      // ns: answer - handed to the exporter

  uint64_t spans_accounted() const {
    return spans_acknowledged + spans_rejected + spans_failed + spans_not_sent;
  }
  // Could not be reached at all: no answer ever, and connections failed.
  bool unreachable() const { return !reached && connection_failures > 0; }
};

// One second of the run (by wall time since the start).
struct SecondSample {
  double seconds = 1;           // the bucket's width: 1, less for the run's last partial second
  double traces_intended = -1;  // this shard's intended arrivals in the bucket (-1: closed loop)
  uint64_t traces_sent = 0;
  uint64_t spans_sent = 0;
  uint64_t spans_acknowledged = 0;  // summed over endpoints
  uint64_t spans_errors = 0;        // rejected + failed, summed over endpoints
  uint64_t latency_p50_ns = 0;      // from intended time, answers in this second
  uint64_t latency_p99_ns = 0;
  uint64_t lag_p99_ns = 0;  // scheduling lag of batches sent in this second
};

struct LoadSummary {
  std::string load;          // DescribeLoadProfile
  bool closed_loop = false;  // --rate max
  uint32_t shard_index = 0, shard_count = 1;
  std::string run_id;  // FormatRunId: what `--run-id` takes to send the same IDs again
  uint64_t seed = 0;
  uint64_t run_start_unix_nano = 0;
  double planned_seconds = 0;  // the schedule's length (0 when only --traces bounds it)
  double elapsed_seconds = 0;  // start to the last batch handed to the exporters
  double total_seconds = 0;    // start to the end of the flush
  bool interrupted = false;    // SIGINT / SIGTERM / Stop()
  bool deadline_hit = false;   // some traces could not be sent before the run ended

  uint64_t traces_scheduled = 0;  // this shard's traces in the run
  uint64_t spans_scheduled = 0;
  uint64_t traces_sent = 0;  // handed to every endpoint
  uint64_t spans_sent = 0;
  uint64_t batches = 0;
  double intended_traces_per_second = 0;
  double achieved_traces_per_second = 0;
  double achieved_spans_per_second = 0;
  Histogram scheduling_lag;  // ns: batch handed to the exporters - intended send time

  std::vector<EndpointStats> endpoints;
  std::vector<SecondSample> timeline;

  bool AnyEndpointUnreachable() const;
  // Every endpoint accounts for exactly spans_scheduled spans.
  bool AccountingAddsUp() const;
};

// The final summary for humans: totals, rates, lag, then one block per endpoint.
std::string FormatSummaryText(const LoadSummary& summary);
// The same as JSON (`--summary-json`); latencies in milliseconds.
nlohmann::json SummaryToJson(const LoadSummary& summary);

// "1.23k", "45.6M" for progress lines.
std::string HumanCount(double value);
// "850us", "12.3ms", "1.20s".
std::string HumanNanos(uint64_t nanos);

}  // namespace agentstorm
