// Run identity: two runs of one scenario and seed share no trace ID, and a run that reused an
// earlier run's --run-id (so the backend holds both under the same IDs) has the earlier run's
// spans named and set aside (check.spans_of_another_run), not blamed on the pipeline as
// duplicates (checker/other_run.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "checker/check_pipeline.h"
#include "checker/other_run.h"
#include "core/exit_codes.h"
#include "core/ledger.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

constexpr int kTraces = 30;
constexpr uint64_t kStart = 1'760'000'000'000'000'000ULL;
constexpr uint64_t kHourNanos = 3'600'000'000'000ULL;

std::string SmokePath() {
  return (fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / "smoke.yaml").string();
}

// A second run of smoke (seed kSeed) into the sink of `e`; returns its ledger path ("" on failure).
std::string GenerateAgain(const E2e& e, const std::string& extra_args) {
  const std::string ledger = e.ledger + ".second";
  const std::string cmd = std::string(AGENTSTORM_BINARY) + " generate " + SmokePath() +
                          " --endpoint http://127.0.0.1:" + std::to_string(e.sink->grpc_port()) +
                          " --rate max --traces " + std::to_string(kTraces) + " --seed " +
                          std::to_string(kSeed) + " --ledger " + ledger + " " + extra_args +
                          " --quiet >/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return ledger;
}

std::set<TraceId> TraceIdsOf(const Ledger& ledger) {
  std::set<TraceId> ids;
  for (const LedgerRecord& r : ledger.records) ids.insert(r.trace_id);
  return ids;
}

std::string FirstMessage(const CheckResult& r, const std::string& id) {
  for (const FindingSummary& s : r.findings.Summaries())
    if (s.id == id && !s.examples.empty()) return s.examples.front().message;
  return "";
}

TEST(RunIdentity, TwoRunsOfOneSeedShareNoTraceIdAndTheSecondPasses) {
  E2e e = GenerateAndCheck(SmokePath(), kTraces, {});
  ASSERT_TRUE(e.result);
  ASSERT_EQ(e.result->exit_code, kExitOk) << e.Summary();
  const std::string second = GenerateAgain(e, "");
  std::shared_ptr<void> cleanup(nullptr, [&](void*) { fs::remove(second); });
  auto first_ledger = ReadLedgers({e.ledger});
  auto second_ledger = ReadLedgers({second});
  ASSERT_TRUE(first_ledger.ok() && second_ledger.ok());
  EXPECT_NE(first_ledger->header.run_id, second_ledger->header.run_id);
  EXPECT_NE(first_ledger->header.run_id, 0u);
  std::set<TraceId> a = TraceIdsOf(*first_ledger), b = TraceIdsOf(*second_ledger);
  ASSERT_EQ(a.size(), static_cast<size_t>(kTraces));
  ASSERT_EQ(b.size(), static_cast<size_t>(kTraces));
  for (const TraceId& id : b) EXPECT_EQ(a.count(id), 0u) << HexEncode(id);
  // The same content: the seed fixes variants and span counts.
  for (size_t i = 0; i < first_ledger->records.size(); ++i) {
    EXPECT_EQ(first_ledger->records[i].variant, second_ledger->records[i].variant);
    EXPECT_EQ(first_ledger->records[i].span_count, second_ledger->records[i].span_count);
  }
  auto r = CheckAgain(e, {second});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, kExitOk) << FormatCheckSummary(*r);
  EXPECT_EQ(r->findings.Count("check.spans_of_another_run"), 0u);
}

TEST(RunIdentity, AReusedRunIdSetsTheEarlierRunsSpansAsideInsteadOfBlamingThePipeline) {
  E2e e = GenerateAndCheck(SmokePath(), kTraces, {}, absl::Seconds(3), {},
                           "--run-id reuse-test --start-time " + std::to_string(kStart));
  ASSERT_TRUE(e.result);
  ASSERT_EQ(e.result->exit_code, kExitOk) << e.Summary();
  const std::string second =
      GenerateAgain(e, "--run-id reuse-test --start-time " + std::to_string(kStart + kHourNanos));
  std::shared_ptr<void> cleanup(nullptr, [&](void*) { fs::remove(second); });
  auto first_ledger = ReadLedgers({e.ledger});
  auto second_ledger = ReadLedgers({second});
  ASSERT_TRUE(first_ledger.ok() && second_ledger.ok());
  ASSERT_EQ(first_ledger->header.run_id, second_ledger->header.run_id);
  EXPECT_EQ(TraceIdsOf(*first_ledger), TraceIdsOf(*second_ledger));

  // Both runs are in the backend under the same IDs; each check judges its own run only.
  for (const std::string& ledger : {second, e.ledger}) {
    auto r = CheckAgain(e, {ledger});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exit_code, kExitOk) << FormatCheckSummary(*r);
    EXPECT_EQ(r->findings.Count("check.spans_of_another_run"), static_cast<uint64_t>(kTraces))
        << FormatCheckSummary(*r);
    EXPECT_EQ(r->findings.Count("fidelity.duplicate_span"), 0u);
    EXPECT_EQ(r->findings.Count("hierarchy.duplicate_span_id"), 0u);
    EXPECT_EQ(r->spans_read, r->spans_expected);
    const std::string message = FirstMessage(*r, "check.spans_of_another_run");
    EXPECT_NE(message.find(ledger == second ? "3600.000s earlier" : "3600.000s later"),
              std::string::npos)
        << message;
  }
}

// One span sent at [start, end]; the copies a backend might return.
struct OneSpan {
  SynthesizedTrace sent;
  TracesData received;

  OneSpan() {
    Span* s = sent.resource_spans.emplace_back().add_scope_spans()->add_spans();
    s->set_span_id(std::string(8, 'a'));
    s->set_start_time_unix_nano(kStart);
    s->set_end_time_unix_nano(kStart + 2'000'000'000);
    received.add_resource_spans()->add_scope_spans();
  }
  Span* Copy(int64_t start_shift, int64_t end_shift) {
    Span* c = received.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans();
    *c = sent.resource_spans[0].scope_spans(0).spans(0);
    c->set_start_time_unix_nano(kStart + start_shift);
    c->set_end_time_unix_nano(kStart + 2'000'000'000 + end_shift);
    return c;
  }
};

TEST(OtherRunSpans, OnlyACopyShiftedWholeIsAnotherRuns) {
  OneSpan t;
  t.Copy(0, 0);                            // this run's
  t.Copy(-5'000'000'000, -5'000'000'000);  // an earlier run's: shifted, same duration
  TracesData kept;
  OtherRunSpans other = SetAsideOtherRunSpans(t.sent, t.received, &kept);
  EXPECT_EQ(other.count, 1u);
  EXPECT_EQ(other.offset_nanos, -5'000'000'000);
  ASSERT_EQ(kept.resource_spans_size(), 1);
  ASSERT_EQ(kept.resource_spans(0).scope_spans(0).spans_size(), 1);
  EXPECT_EQ(kept.resource_spans(0).scope_spans(0).spans(0).start_time_unix_nano(), kStart);
}

TEST(OtherRunSpans, APipelineThatChangesTimesIsStillJudged) {
  for (auto [start_shift, end_shift] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 7'000'000'000},                 // end rewritten
           {-5'000'000'000, 0},                // start rewritten
           {900'000, 900'000},                 // shifted less than 1 ms
           {3'000'000'000, 3'000'500'000}}) {  // shifted, duration changed
    OneSpan t;
    t.Copy(start_shift, end_shift);
    TracesData kept;
    kept.add_resource_spans();  // left untouched when nothing is set aside
    EXPECT_EQ(SetAsideOtherRunSpans(t.sent, t.received, &kept).count, 0u)
        << start_shift << " " << end_shift;
    EXPECT_EQ(kept.resource_spans_size(), 1);
  }
}

}  // namespace
}  // namespace agentstorm
