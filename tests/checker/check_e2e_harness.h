// The end-to-end harness of the checker tests: an in-process sink (with faults), the agentstorm
// binary generating into it with a ledger, and RunCheck reading it back.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "checker/check_pipeline.h"
#include "checker/finding.h"
#include "sink/sink.h"

namespace agentstorm {

inline constexpr uint64_t kSeed = 7;

struct E2e {
  std::unique_ptr<sink::Sink> sink;
  std::string ledger;
  std::unique_ptr<CheckResult> result;
  std::shared_ptr<void> remove_ledger;  // deletes the ledger file with the last copy

  uint64_t Count(const std::string& id) const { return result->findings.Count(id); }
  // IDs with unsuppressed findings at violation level.
  std::set<std::string> ViolationIds() const {
    std::set<std::string> ids;
    for (const auto& s : result->findings.Summaries())
      if (s.count > 0 && s.level == FindingLevel::kViolation) ids.insert(s.id);
    return ids;
  }
  std::string Summary() const { return result ? FormatCheckSummary(*result) : "(no result)"; }
};

// Starts a sink with `faults`, sends `traces` traces of `scenario` to it with the agentstorm
// binary, and checks them with `finding_options` (levels, expected violations).
inline E2e GenerateAndCheck(const std::string& scenario_path, int traces,
                            std::vector<std::string> faults, absl::Duration wait = absl::Seconds(3),
                            FindingSetOptions finding_options = {},
                            const std::string& extra_generate_args = "") {
  E2e e;
  sink::SinkOptions so;
  so.grpc_address = "127.0.0.1:0";
  so.http_address = "";
  so.query_address = "127.0.0.1:0";
  so.faults = std::move(faults);
  auto started = sink::Sink::Start(so);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return e;
  e.sink = std::move(*started);
  e.ledger = (std::filesystem::temp_directory_path() /
              ("agentstorm-check-" + std::to_string(::getpid()) + "-" +
               std::to_string(reinterpret_cast<uintptr_t>(e.sink.get())) + ".ledger"))
                 .string();
  e.remove_ledger = std::shared_ptr<void>(nullptr, [path = e.ledger](void*) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  });
  const std::string cmd = std::string(AGENTSTORM_BINARY) + " generate " + scenario_path +
                          " --endpoint http://127.0.0.1:" + std::to_string(e.sink->grpc_port()) +
                          " --rate max --traces " + std::to_string(traces) + " --seed " +
                          std::to_string(kSeed) + " --ledger " + e.ledger + " " +
                          extra_generate_args + " --quiet >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;

  CheckOptions co;
  co.source_dir = AGENTSTORM_SOURCE_DIR;
  co.ledger_paths = {e.ledger};
  co.backend_url = "jaeger://127.0.0.1:" + std::to_string(e.sink->query_port());
  co.wait = wait;
  co.concurrency = 8;
  co.quiet = true;
  co.finding_options = std::move(finding_options);
  auto result = RunCheck(co);
  EXPECT_TRUE(result.ok()) << result.status();
  if (result.ok()) e.result = std::move(*result);
  return e;
}

// Checks `ledgers` against the sink `e` was generated into (a second look, other ledgers).
inline std::unique_ptr<CheckResult> CheckAgain(
    const E2e& e, const std::vector<std::string>& ledgers,
    const std::function<void(CheckOptions*)>& adjust = nullptr) {
  CheckOptions co;
  co.source_dir = AGENTSTORM_SOURCE_DIR;
  co.ledger_paths = ledgers;
  co.backend_url = "jaeger://127.0.0.1:" + std::to_string(e.sink->query_port());
  co.wait = absl::Seconds(3);
  co.concurrency = 4;
  co.quiet = true;
  if (adjust) adjust(&co);
  auto result = RunCheck(co);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? std::move(*result) : nullptr;
}

}  // namespace agentstorm
