// The canary's rounds against an in-process sink: every sampled trace is checked by the rules,
// found or missing as the sink kept it, the rounds' findings and times add up, the round bound
// holds, and the Prometheus text carries them.
#include "checker/canary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "check_e2e_harness.h"
#include "core/ledger.h"

namespace agentstorm {
namespace {

struct Fed {
  E2e e2e;
  Ledger ledger;
};

// A sink with `faults` holding `traces` research-fanout traces sent with a ledger.
Fed Generate(int traces, std::vector<std::string> faults) {
  Fed f;
  f.e2e = GenerateAndCheck(std::string(AGENTSTORM_SOURCE_DIR) + "/scenarios/research-fanout.yaml",
                           traces, std::move(faults), absl::Seconds(1));
  auto ledger = ReadLedgers({f.e2e.ledger});
  EXPECT_TRUE(ledger.ok()) << ledger.status();
  if (ledger.ok()) f.ledger = std::move(*ledger);
  return f;
}

CanaryOptions Options(const E2e& e, const std::string& work_dir) {
  CanaryOptions o;
  o.check.source_dir = AGENTSTORM_SOURCE_DIR;
  o.check.backend_url = "jaeger://127.0.0.1:" + std::to_string(e.sink->query_port());
  o.check.concurrency = 4;
  o.sample_every = absl::ZeroDuration();  // every trace offered
  o.check_every = absl::Milliseconds(200);
  o.give_up = absl::Seconds(2);
  o.work_dir = work_dir;
  return o;
}

// Offers every record as answered now, spread over a few rounds.
CanaryStats Feed(Canary* canary, const Ledger& ledger) {
  canary->Start();
  int n = 0;
  for (LedgerRecord r : ledger.records) {
    r.answered_unix_nano = static_cast<uint64_t>(absl::GetCurrentTimeNanos());
    canary->Offer(r, true);
    if (++n % 10 == 0) absl::SleepFor(absl::Milliseconds(100));
  }
  canary->Stop();
  return canary->Snapshot();
}

TEST(Canary, ChecksEverySampledTraceAndFindsThemAllOnACleanSink) {
  Fed f = Generate(40, {});
  ASSERT_EQ(f.ledger.records.size(), 40u);
  const std::string dir = ::testing::TempDir();
  Canary canary(Options(f.e2e, dir), f.ledger.header);
  const CanaryStats s = Feed(&canary, f.ledger);
  EXPECT_EQ(s.written, 40u);
  EXPECT_EQ(s.sampled, 40u);
  EXPECT_EQ(s.checked, 40u);
  EXPECT_EQ(s.found, 40u) << DescribeCanaryStats(s);
  EXPECT_EQ(s.missing + s.incomplete + s.unreadable, 0u);
  EXPECT_GE(s.rounds, 2u);
  EXPECT_EQ(s.round_errors, 0u) << s.last_error;
  EXPECT_EQ(s.time_until_queryable_us.count(), 40u);
  for (const auto& [id, c] : s.findings)
    EXPECT_NE(c.level, FindingLevel::kViolation) << id << " " << c.count;
  // Every rule ran: the semconv rule's coverage findings are there.
  EXPECT_TRUE(s.findings.count("semconv.recommended_coverage")) << DescribeCanaryStats(s);
  // The round ledgers are gone.
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(entry.path().string().find("/round-"), std::string::npos) << entry.path();

  const std::string text = CanaryPrometheusText(s);
  EXPECT_NE(text.find("agentstorm_canary_traces_found_total 40\n"), std::string::npos) << text;
  EXPECT_NE(text.find("agentstorm_canary_time_until_queryable_seconds_count 40\n"),
            std::string::npos);
  EXPECT_NE(text.find("agentstorm_canary_time_until_queryable_seconds_bucket{le=\"+Inf\"} 40\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE agentstorm_canary_findings_total counter\n"), std::string::npos);
}

TEST(Canary, CountsTheTracesASinkDroppedAsMissingWithTheirFindings) {
  Fed f = Generate(60, {"drop-traces=0.3"});
  ASSERT_EQ(f.ledger.records.size(), 60u);
  const uint64_t stored = f.e2e.result->poll.found;  // what the whole check found
  ASSERT_GT(stored, 0u);
  ASSERT_LT(stored, 60u);
  Canary canary(Options(f.e2e, ::testing::TempDir()), f.ledger.header);
  const CanaryStats s = Feed(&canary, f.ledger);
  EXPECT_EQ(s.checked, 60u);
  EXPECT_EQ(s.found, stored) << DescribeCanaryStats(s);
  EXPECT_EQ(s.missing, 60u - stored);
  EXPECT_EQ(s.time_until_queryable_us.count(), stored);
  uint64_t violations = 0;
  for (const auto& [id, c] : s.findings)
    if (c.level == FindingLevel::kViolation) violations += c.count;
  EXPECT_GE(violations, 60u - stored);
  EXPECT_NE(CanaryPrometheusText(s).find("level=\"violation\"}"), std::string::npos);
}

TEST(Canary, TakesAtMostMaxPerRoundAndCountsTheRestSkipped) {
  Fed f = Generate(30, {});
  CanaryOptions o = Options(f.e2e, ::testing::TempDir());
  o.max_per_round = 5;
  o.check_every = absl::Seconds(30);  // one round, at Stop()
  Canary canary(o, f.ledger.header);
  canary.Start();
  for (LedgerRecord r : f.ledger.records) {
    r.answered_unix_nano = static_cast<uint64_t>(absl::GetCurrentTimeNanos());
    canary.Offer(r, true);
  }
  canary.Offer(f.ledger.records[0], false);  // not acknowledged: written, never sampled
  canary.Stop();
  const CanaryStats s = canary.Snapshot();
  EXPECT_EQ(s.written, 31u);
  EXPECT_EQ(s.acknowledged, 30u);
  EXPECT_EQ(s.sampled, 5u);
  EXPECT_EQ(s.skipped, 25u);
  EXPECT_EQ(s.checked, 5u);
  EXPECT_EQ(s.found, 5u);
  EXPECT_EQ(s.rounds, 1u);
  EXPECT_NE(DescribeCanaryStats(s).find("31 written (1 not acknowledged), 5 sampled"),
            std::string::npos)
      << DescribeCanaryStats(s);
}

TEST(Canary, SamplesOneTracePerInterval) {
  Fed f = Generate(20, {});
  CanaryOptions o = Options(f.e2e, ::testing::TempDir());
  o.sample_every = absl::Hours(1);
  Canary canary(o, f.ledger.header);
  const CanaryStats s = Feed(&canary, f.ledger);
  EXPECT_EQ(s.written, 20u);
  EXPECT_EQ(s.sampled, 1u);
  EXPECT_EQ(s.skipped, 0u);
  EXPECT_EQ(s.found, 1u);
}

}  // namespace
}  // namespace agentstorm
