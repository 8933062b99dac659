// The contract between the load engine and an OTLP exporter. The engine (and its scheduler)
// decides when to send; an exporter only sends, retries per OTLP, and reports one outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace agentstorm {

// One export request, already encoded as a serialized ExportTraceServiceRequest (protobuf).
// Exporters for http/json transcode it. Shared by every endpoint of a multi-endpoint run.
struct EncodedBatch {
  std::string payload;  // serialized ExportTraceServiceRequest
  uint32_t span_count = 0;
  std::vector<uint64_t> trace_indices;  // traces whose spans are all in this batch
  std::chrono::steady_clock::time_point intended_send_time{};
};

// How a batch ended. Every span of the batch lands in exactly one bucket:
// acknowledged + rejected + failed + not_sent == span_count.
struct ExportResult {
  enum class Outcome { kAcknowledged, kPartiallyRejected, kFailed, kNotSent };
  Outcome outcome = Outcome::kNotSent;
  uint32_t acknowledged_spans = 0;
  uint32_t rejected_spans = 0;  // partial_success.rejected_spans
  uint32_t failed_spans = 0;    // non-retryable error, or retries exhausted
  uint32_t not_sent_spans = 0;  // shutdown before the batch could be sent
  int attempts = 0;
  // Requests put on the wire: the attempts, and what the transport's library sent again on its
  // own (libcurl's re-send on a fresh connection), which a server counts too.
  int requests = 0;
  std::chrono::nanoseconds latency{0};  // first attempt start to final answer
  bool endpoint_unreachable = false;    // connection refused / DNS / TLS handshake failed
  std::string error;                    // last error message, for the summary
  uint64_t bytes_sent = 0;
};

using ExportCallback = std::function<void(const ExportResult&)>;

class Exporter {
 public:
  virtual ~Exporter() = default;
  // Starts sending `batch`; `done` runs exactly once, possibly on another thread.
  // REQUIRES: Shutdown() has not been called.
  virtual void Export(std::shared_ptr<const EncodedBatch> batch, ExportCallback done) = 0;
  // Stops accepting batches, waits up to `grace` for in-flight ones, then completes the rest
  // as kNotSent. Every callback has run when it returns.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;
  // Requests currently in flight (for backpressure).
  virtual int InFlight() const = 0;
  // Human-readable endpoint for summaries (secrets removed).
  virtual std::string Describe() const = 0;
};

}  // namespace agentstorm
