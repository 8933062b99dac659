// --wait bounds the whole check (checker/check_pipeline.h): a backend that accepts connections
// and never answers is exit 3 once --wait (plus its grace) is spent, not after a fixed 30 s
// per-request timeout.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "checker/check_pipeline.h"
#include "core/exit_codes.h"

namespace agentstorm {
namespace {

// A loopback port whose kernel completes connections (listen backlog) but nobody reads.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 128), 0);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CheckWait, ABackendThatNeverAnswersIsUnreachableOnceTheWaitIsSpent) {
  SilentListener silent;
  CheckOptions co;
  co.source_dir = AGENTSTORM_SOURCE_DIR;
  co.backend_url = "jaeger://127.0.0.1:" + std::to_string(silent.port());
  co.trace_ids = {"4bf92f3577b34da6a3ce929d0e0e4736", "5bf92f3577b34da6a3ce929d0e0e4736"};
  co.wait = absl::Seconds(2);
  co.concurrency = 2;
  co.quiet = true;
  const absl::Time start = absl::Now();
  auto result = RunCheck(co);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)->exit_code, kExitUnreachable) << FormatCheckSummary(**result);
  // --wait 2s plus its 1 s grace; the old fixed request timeout took 30 s. Generous on purpose.
  EXPECT_LT(took, absl::Seconds(12)) << took;
  EXPECT_GE(took, absl::Seconds(2)) << took;
  EXPECT_NE(FormatCheckSummary(**result).find("UNREACHABLE"), std::string::npos);
}

}  // namespace
}  // namespace agentstorm
