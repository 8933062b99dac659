// Partial ledgers never pass: a shard not given and a ledger without its end marker are
// violations that name what is missing (checker/check_guards.h, ApplyLedgerGuards), checked
// end to end (generate into an in-process sink, then RunCheck) and on a hand-built Ledger.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "checker/check_guards.h"
#include "checker/check_pipeline.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

std::string SmokePath() {
  return (fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / "smoke.yaml").string();
}

std::string MessageOf(const CheckResult& r, const std::string& id) {
  for (const FindingSummary& s : r.findings.Summaries())
    if (s.id == id && !s.examples.empty()) return s.examples.front().message;
  return "";
}

TEST(LedgerGuards, OneShardOfTwoIsAViolationNamingTheMissingShard) {
  E2e e = GenerateAndCheck(SmokePath(), 40, {}, absl::Seconds(3), {},
                           "--shard 0/2 --run-id guards-test");
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.Count("check.ledger_shard_missing"), 1u) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"check.ledger_shard_missing"}) << e.Summary();
  EXPECT_EQ(e.result->exit_code, kExitViolation);
  const std::string message = MessageOf(*e.result, "check.ledger_shard_missing");
  EXPECT_NE(message.find("shard 1 of 2"), std::string::npos) << message;
}

TEST(LedgerGuards, ALedgerCutShortIsAViolationWithWhatWasRead) {
  E2e e = GenerateAndCheck(SmokePath(), 30, {});
  ASSERT_TRUE(e.result);
  ASSERT_EQ(e.ViolationIds(), std::set<std::string>{}) << e.Summary();

  // The end marker gone, as after kill -9 between the last record and Close().
  const uintmax_t size = fs::file_size(e.ledger);
  fs::resize_file(e.ledger, size - kLedgerRecordSize);
  auto without_marker = CheckAgain(e, {e.ledger});
  ASSERT_TRUE(without_marker);
  EXPECT_EQ(without_marker->findings.Count("check.ledger_truncated"), 1u)
      << FormatCheckSummary(*without_marker);
  EXPECT_EQ(without_marker->exit_code, kExitViolation);
  EXPECT_NE(MessageOf(*without_marker, "check.ledger_truncated").find("30 trace record(s) read"),
            std::string::npos);

  // A torn last record: 29 records read and the torn bytes named.
  fs::resize_file(e.ledger, size - kLedgerRecordSize - 10);
  auto torn = CheckAgain(e, {e.ledger});
  ASSERT_TRUE(torn);
  const std::string message = MessageOf(*torn, "check.ledger_truncated");
  EXPECT_NE(message.find("29 trace record(s) read, 54 damaged byte(s)"), std::string::npos)
      << message;
  EXPECT_EQ(torn->exit_code, kExitViolation);
}

TEST(LedgerGuards, ACompleteLedgerAddsNothing) {
  Ledger ledger;
  ledger.header.shard = ShardSpec{0, 3};
  for (uint32_t i = 0; i < 3; ++i) {
    LedgerFileInfo f;
    f.path = "shard-" + std::to_string(i);
    f.header.shard = ShardSpec{i, 3};
    f.complete = true;
    ledger.files.push_back(f);
  }
  CheckResult r{FindingSetOptions{}};
  ApplyLedgerGuards(ledger, &r);
  r.findings.Finish();
  EXPECT_FALSE(r.findings.HasViolations());

  ledger.files.erase(ledger.files.begin() + 1);
  ledger.files.back().complete = false;
  CheckResult partial{FindingSetOptions{}};
  ApplyLedgerGuards(ledger, &partial);
  partial.findings.Finish();
  EXPECT_EQ(partial.findings.Count("check.ledger_shard_missing"), 1u);
  EXPECT_EQ(partial.findings.Count("check.ledger_truncated"), 1u);
  EXPECT_NE(MessageOf(partial, "check.ledger_truncated").find("shard-2"), std::string::npos);
}

}  // namespace
}  // namespace agentstorm
