// Process exit codes, the command-line contract of DESIGN.md.
#pragma once

namespace agentstorm {

enum ExitCode : int {
  kExitOk = 0,           // every check passed
  kExitViolation = 1,    // a conformance finding at violation level
  kExitUsage = 2,        // usage or configuration error (bad flag, invalid scenario)
  kExitUnreachable = 3,  // a backend or endpoint could not be reached or read
};

}  // namespace agentstorm
