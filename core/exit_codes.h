// Process exit codes, the command-line contract of DESIGN.md, and the one mapping from an
// absl::Status to them that every command uses.
#pragma once

#include "absl/status/status.h"

namespace agentstorm {

enum ExitCode : int {
  kExitOk = 0,           // every check passed
  kExitViolation = 1,    // a conformance finding at violation level
  kExitUsage = 2,        // usage or configuration error (bad flag, invalid scenario)
  kExitUnreachable = 3,  // a backend or endpoint could not be reached or read
};

// True when `status` says a peer (backend, endpoint, listen address) could not be reached:
// Unavailable or DeadlineExceeded.
bool IsUnreachableStatus(const absl::Status& status);

// The exit code of a command that stops on `status`: kExitOk for OK, kExitUnreachable when
// IsUnreachableStatus, else kExitUsage (every other error a command returns is a usage or
// configuration problem: a bad flag or URL, an unreadable or invalid file, a changed scenario,
// not enough memory for what was asked). Never kExitViolation: findings are not errors.
ExitCode ExitCodeForStatus(const absl::Status& status);

}  // namespace agentstorm
