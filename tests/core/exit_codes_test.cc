#include "core/exit_codes.h"

#include <gtest/gtest.h>

#include "absl/status/status.h"

namespace agentstorm {
namespace {

TEST(ExitCodeForStatus, OkIsZero) { EXPECT_EQ(ExitCodeForStatus(absl::OkStatus()), kExitOk); }

TEST(ExitCodeForStatus, UnreachablePeerIsThree) {
  EXPECT_EQ(ExitCodeForStatus(absl::UnavailableError("connection refused")), kExitUnreachable);
  EXPECT_EQ(ExitCodeForStatus(absl::DeadlineExceededError("timed out")), kExitUnreachable);
}

TEST(ExitCodeForStatus, EveryOtherErrorIsUsage) {
  for (const absl::Status& s :
       {absl::InvalidArgumentError("bad flag"), absl::NotFoundError("no such file"),
        absl::FailedPreconditionError("scenario changed"),
        absl::ResourceExhaustedError("cannot map"), absl::InternalError("x"),
        absl::DataLossError("truncated"), absl::PermissionDeniedError("denied"),
        absl::UnknownError("?")}) {
    EXPECT_EQ(ExitCodeForStatus(s), kExitUsage) << s;
  }
}

TEST(ExitCodeForStatus, NeverReportsAViolation) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status s(static_cast<absl::StatusCode>(code), "x");
    EXPECT_NE(ExitCodeForStatus(s), kExitViolation) << s;
  }
}

TEST(IsUnreachableStatus, OnlyUnavailableAndDeadlineExceeded) {
  for (int code = 0; code <= 16; ++code) {
    const auto c = static_cast<absl::StatusCode>(code);
    EXPECT_EQ(IsUnreachableStatus(absl::Status(c, "x")),
              c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded)
        << code;
  }
}

}  // namespace
}  // namespace agentstorm
