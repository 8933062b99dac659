// Run identity: every run gets a 64-bit run ID, mixed into every trace and span ID it sends
// (synth/trace_synthesizer.h), so two runs of one scenario and seed share content but no
// identifier, and a backend that keeps earlier runs never holds two spans under one ID. The ledger
// records it (docs/ledger.md); `--run-id` reuses one to reproduce a run's exact IDs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace agentstorm {

// A fresh random run ID (never 0: 0 is the run ID of ledgers written before run IDs existed).
uint64_t NewRunId();

// 16 lowercase hex digits, as printed by generate and run and shown in every report.
std::string FormatRunId(uint64_t run_id);

// The value of `--run-id`: 16 hex digits as printed (any case; 0000000000000000 gives the IDs of
// a version-1 ledger's run), or any other text of 1..256 printable characters, hashed into an ID,
// so the shards of one Kubernetes Job can share the Job's UID. InvalidArgument when empty, too
// long or not printable.
absl::StatusOr<uint64_t> ParseRunId(std::string_view text);

}  // namespace agentstorm
