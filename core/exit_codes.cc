#include "core/exit_codes.h"

namespace agentstorm {

bool IsUnreachableStatus(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

ExitCode ExitCodeForStatus(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  return IsUnreachableStatus(status) ? kExitUnreachable : kExitUsage;
}

}  // namespace agentstorm
