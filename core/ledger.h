// The ledger (DESIGN.md, "Ledger"; byte layout in docs/ledger.md): what `generate` meant to send
// and what each endpoint made of it, read back by `check`.
//
// A header (run facts) followed by one fixed-size 64-byte record per trace, appended in the order
// traces finish (not index order). Every record carries a CRC-32, so a file cut short by a crash
// is read up to its last whole record; a clean close appends an end marker.
// Ledgers of the shards of one run combine: same scenario hash, seed, run ID, shard count and
// endpoints, distinct shard indexes.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/ids.h"
#include "core/shard.h"
#include "core/synthesized_trace.h"

namespace agentstorm {

// What one endpoint made of one trace. Ordered from best to worst.
enum class DeliveryOutcome : uint8_t {
  kNone = 0,          // no such endpoint
  kAcknowledged = 1,  // the whole batch was accepted
  kRejected = 2,  // its batch was partially rejected (partial_success): some spans may be missing
  kFailed = 3,    // non-retryable error or retries exhausted
  kNotSent = 4,   // the run stopped (deadline, signal) before it was sent
};
const char* DeliveryOutcomeName(DeliveryOutcome outcome);

inline constexpr int kLedgerMaxEndpoints = 16;
inline constexpr size_t kLedgerRecordSize = 64;
inline constexpr uint32_t kLedgerVersion = 3;  // versions 1 (no run ID) and 2 are still read

struct LedgerHeader {
  uint32_t version = kLedgerVersion;
  uint64_t scenario_hash = 0;  // Scenario::SourceHash()
  uint64_t seed = 0;
  uint64_t run_id = 0;  // core/run_id.h; 0 in version 1 ledgers, whose IDs had no run ID
  ShardSpec shard;
  uint64_t run_start_unix_nano = 0;
  std::string semconv_profile;
  std::string scenario_path;
  std::string load;                    // DescribeLoadProfile, for humans
  std::vector<std::string> endpoints;  // at most kLedgerMaxEndpoints, secrets removed
  // Resource and span attributes given outside the scenario (scenario/attribute_overrides.h,
  // EncodeAttributeOverrides); "" when none, and in version 1 and 2 ledgers.
  std::string attribute_overrides;
};

struct LedgerRecord {
  uint64_t index = 0;  // global trace index
  TraceId trace_id{};
  uint64_t start_unix_nano = 0;     // the trace's start on the synthetic clock
  uint64_t answered_unix_nano = 0;  // wall clock when the last endpoint answered for it (0: never)
  uint32_t span_count = 0;
  uint16_t faults = 0;  // FaultBit() set of the faults that took effect
  uint16_t variant = 0;
  TraceClass expected_class = TraceClass::kNormal;
  int16_t phase = -1;  // load phase the trace was sent in (-1: none)
  // Delivery outcome per endpoint (header order), 4 bits each as on disk: a checker holds one
  // record per trace of a run, so the record stays within 64 bytes.
  uint64_t outcome_bits = 0;

  DeliveryOutcome outcome(size_t endpoint) const {
    return static_cast<DeliveryOutcome>((outcome_bits >> (4 * endpoint)) & 0xF);
  }
  // REQUIRES: endpoint < kLedgerMaxEndpoints.
  void set_outcome(size_t endpoint, DeliveryOutcome o) {
    outcome_bits &= ~(uint64_t{0xF} << (4 * endpoint));
    outcome_bits |= uint64_t{static_cast<uint8_t>(o) & 0xFu} << (4 * endpoint);
  }
  // The worst outcome over the first `endpoints` endpoints.
  DeliveryOutcome Worst(size_t endpoints) const;
};
static_assert(sizeof(LedgerRecord) <= kLedgerRecordSize, "a checker keeps one record per trace");

// Appends to a new ledger file. Thread-safe.
class LedgerWriter {
 public:
  // Creates (truncates) `path` and writes the header.
  // InvalidArgument when the header has more than kLedgerMaxEndpoints endpoints.
  static absl::StatusOr<std::unique_ptr<LedgerWriter>> Create(const std::string& path,
                                                              const LedgerHeader& header);
  ~LedgerWriter();  // closes without the end marker when Close() was not called

  absl::Status Append(const LedgerRecord& record) ABSL_LOCKS_EXCLUDED(mu_);
  // Pushes buffered records to the operating system (call periodically: a crash loses at most
  // what was appended since).
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(mu_);
  // Appends the end marker and closes. REQUIRES: no Append() after it.
  absl::Status Close() ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t records() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  LedgerWriter(std::FILE* file, std::string path);
  mutable absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_);
  const std::string path_;
  uint64_t records_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

struct LedgerFileInfo {
  std::string path;
  LedgerHeader header;
  uint64_t records = 0;
  bool complete = false;       // the end marker was found
  uint64_t ignored_bytes = 0;  // a torn or damaged tail, not read
};

struct Ledger {
  LedgerHeader header;  // the first file's header, with shard = {0, shard count}
  std::vector<LedgerFileInfo> files;
  std::vector<LedgerRecord> records;  // every file's records, by global index

  bool complete() const;  // every file was closed cleanly and every shard is present
  std::vector<uint32_t> MissingShards() const;
};

// Reads and combines the ledgers of one run (one file, or one per shard).
// NotFound / DataLoss (bad magic, damaged header) / FailedPrecondition (files of different runs,
// the same shard twice) with the offending path in the message.
absl::StatusOr<Ledger> ReadLedgers(const std::vector<std::string>& paths);

// Encoding of one record (exposed for tests and tools).
void EncodeLedgerRecord(const LedgerRecord& record, uint8_t out[kLedgerRecordSize]);
// False when the CRC does not match.
bool DecodeLedgerRecord(const uint8_t in[kLedgerRecordSize], LedgerRecord* record);

}  // namespace agentstorm
