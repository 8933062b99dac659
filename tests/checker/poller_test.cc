// The poller against a scripted reader: traces that appear late, grow then settle, never
// appear, or whose requests fail.
#include "checker/readers/poller.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

namespace agentstorm::readers {
namespace {

// Answers GetTrace from a per-trace script: one entry per poll, the last one repeated.
// An entry >= 0 is a span count; kMissing is "not found"; kFail / kDown are failed requests.
class ScriptedReader : public TraceReader {
 public:
  static constexpr int kMissing = -1, kFail = -2, kDown = -3;

  void Script(const TraceId& id, std::vector<int> answers) { scripts_[id] = std::move(answers); }
  int polls(const TraceId& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return polls_[id];
  }

  // A reader that reads in bulk still gets a trace due alone by itself: one request of one.
  absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) override {
    if (max_batch_ > 1) {
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(1);
    }
    return Answer(id);
  }
  absl::StatusOr<FetchedTrace> Answer(const TraceId& id) {
    int n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      n = polls_[id]++;
    }
    const auto& script = scripts_.at(id);
    const int answer = script[std::min<size_t>(n, script.size() - 1)];
    if (answer == kFail) return absl::InternalError("HTTP 500");
    if (answer == kDown) return absl::UnavailableError("connection refused");
    FetchedTrace trace;
    trace.id = id;
    if (answer == kMissing) return trace;
    trace.found = true;
    auto* scope = trace.data->add_resource_spans()->add_scope_spans();
    for (int i = 0; i < answer; ++i) {
      scope->add_spans()->set_trace_id(std::string(AsBytes(id)));
    }
    trace.span_count = answer;
    return trace;
  }
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch&) override {
    return std::vector<TraceId>{};
  }
  std::string Describe() const override { return "scripted"; }

  // With a batch size above 1 the reader answers many traces per request: GetTraces is one
  // request (recorded with its size), failed as a whole when `fail_batches` is set.
  void SetMaxBatch(size_t n, bool fail_batches = false) {
    max_batch_ = n;
    fail_batches_ = fail_batches;
  }
  size_t MaxBatch() const override { return max_batch_; }
  bool BatchesNeedLocations() const override { return need_locations_; }
  void SetNeedLocations() { need_locations_ = true; }
  std::vector<absl::StatusOr<FetchedTrace>> GetTraces(absl::Span<const TraceLookup> ids) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(ids.size());
      for (const TraceLookup& t : ids) {
        if (!t.Located()) unlocated_in_batches_ += ids.size() > 1 ? 1 : 0;
        if (t.Located()) located_asked_[t.id] = {std::string(t.service), t.start_unix_nano};
      }
    }
    if (fail_batches_) {
      return std::vector<absl::StatusOr<FetchedTrace>>(
          ids.size(), absl::UnavailableError("connection refused"));
    }
    std::vector<absl::StatusOr<FetchedTrace>> answers;
    answers.reserve(ids.size());
    for (const TraceLookup& t : ids) answers.push_back(Answer(t.id));
    return answers;
  }
  std::vector<size_t> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  int unlocated_in_batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return unlocated_in_batches_;
  }
  std::map<TraceId, std::pair<std::string, uint64_t>> located_asked() {
    std::lock_guard<std::mutex> lock(mu_);
    return located_asked_;
  }

 private:
  size_t max_batch_ = 1;
  bool fail_batches_ = false;
  bool need_locations_ = false;
  std::vector<size_t> batches_;
  int unlocated_in_batches_ = 0;
  std::map<TraceId, std::pair<std::string, uint64_t>> located_asked_;
  std::map<TraceId, std::vector<int>> scripts_;
  std::mutex mu_;
  std::map<TraceId, int> polls_;
};

TraceId IdOf(int n) { return *ParseTraceId(std::to_string(n)); }

PollerOptions FastOptions(absl::Duration wait = absl::Seconds(5)) {
  PollerOptions options;
  options.wait = wait;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  options.stable_polls = 3;
  options.concurrency = 4;
  return options;
}

std::map<TraceId, PolledTrace> RunAll(ScriptedReader& reader,
                                      const std::vector<ExpectedTrace>& traces,
                                      const PollerOptions& options, PollSummary* summary) {
  std::map<TraceId, PolledTrace> results;
  std::mutex mu;
  Poller poller(&reader, options);
  *summary = poller.Run(traces, [&](PolledTrace&& t) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(results.emplace(t.id, std::move(t)).second) << "reported twice";
  });
  EXPECT_EQ(results.size(), traces.size());
  return results;
}

TEST(Poller, FindsATraceThatAppearsAfterSomePolls) {
  ScriptedReader reader;
  const TraceId id = IdOf(1);
  reader.Script(id,
                {ScriptedReader::kMissing, ScriptedReader::kMissing, ScriptedReader::kMissing, 2});
  PollSummary summary;
  auto results = RunAll(reader, {{id, 2, absl::Now() - absl::Seconds(1)}}, FastOptions(), &summary);
  const PolledTrace& t = results.at(id);
  EXPECT_EQ(t.outcome, TraceOutcome::kFound);
  EXPECT_EQ(t.polls, 4);  // exactly the expected count settles it at once
  EXPECT_EQ(t.trace.span_count, 2u);
  ASSERT_TRUE(t.time_until_queryable.has_value());
  EXPECT_GE(*t.time_until_queryable, absl::Seconds(1));
  EXPECT_EQ(summary.found, 1u);
  EXPECT_EQ(summary.time_until_queryable_us.count(), 1u);
  EXPECT_GE(summary.time_until_queryable_us.min(), 990000u);
}

TEST(Poller, WaitsUntilAGrowingTraceIsStableForKPolls) {
  ScriptedReader reader;
  const TraceId id = IdOf(2);
  reader.Script(id, {1, 2, 4, 4, 4, 4, 4});
  PollSummary summary;
  auto results = RunAll(reader, {{id, -1}}, FastOptions(), &summary);
  const PolledTrace& t = results.at(id);
  EXPECT_EQ(t.outcome, TraceOutcome::kFound);
  EXPECT_EQ(t.trace.span_count, 4u);
  EXPECT_EQ(t.polls, 5);                             // 1, 2, then 4 three times
  EXPECT_FALSE(t.time_until_queryable.has_value());  // sent_at unknown
}

TEST(Poller, StableButShortOfTheExpectedCountIsIncompleteAtTheDeadline) {
  ScriptedReader reader;
  const TraceId id = IdOf(3);
  reader.Script(id, {3});
  PollSummary summary;
  auto results = RunAll(reader, {{id, 5}}, FastOptions(absl::Milliseconds(150)), &summary);
  const PolledTrace& t = results.at(id);
  EXPECT_EQ(t.outcome, TraceOutcome::kIncomplete);
  EXPECT_EQ(t.trace.span_count, 3u);
  EXPECT_GT(t.polls, 3);  // kept looking until the deadline
  EXPECT_EQ(summary.incomplete, 1u);
}

TEST(Poller, MoreSpansThanExpectedSettleAsFoundForTheRulesToJudge) {
  ScriptedReader reader;
  const TraceId id = IdOf(4);
  reader.Script(id, {6});
  PollSummary summary;
  auto results = RunAll(reader, {{id, 5}}, FastOptions(), &summary);
  EXPECT_EQ(results.at(id).outcome, TraceOutcome::kFound);
  EXPECT_EQ(results.at(id).polls, 3);
}

TEST(Poller, NeverSeenIsNotFoundAndFailuresAreKeptApart) {
  ScriptedReader reader;
  const TraceId missing = IdOf(5), failing = IdOf(6), flaky = IdOf(7);
  reader.Script(missing, {ScriptedReader::kMissing});
  reader.Script(failing, {ScriptedReader::kFail});
  reader.Script(flaky, {ScriptedReader::kFail, ScriptedReader::kFail, 1});
  PollSummary summary;
  auto results = RunAll(reader, {{missing, 1}, {failing, 1}, {flaky, 1}},
                        FastOptions(absl::Milliseconds(150)), &summary);
  EXPECT_EQ(results.at(missing).outcome, TraceOutcome::kNotFound);
  EXPECT_GT(results.at(missing).polls, 1);
  EXPECT_TRUE(results.at(missing).last_error.ok());
  EXPECT_EQ(results.at(failing).outcome, TraceOutcome::kRequestFailed);
  EXPECT_EQ(results.at(failing).last_error.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(results.at(flaky).outcome, TraceOutcome::kFound);
  EXPECT_EQ(results.at(flaky).failed_polls, 2);
  EXPECT_EQ(summary.not_found, 1u);
  EXPECT_EQ(summary.request_failed, 1u);
  EXPECT_EQ(summary.found, 1u);
  EXPECT_FALSE(summary.backend_unreachable);
  EXPECT_EQ(summary.first_error.code(), absl::StatusCode::kInternal);
}

TEST(Poller, UnreachableBackendEndsEverythingAsFailedAndSaysSo) {
  ScriptedReader reader;
  std::vector<ExpectedTrace> traces;
  for (int i = 1; i <= 20; ++i) {
    reader.Script(IdOf(i), {ScriptedReader::kDown});
    traces.push_back({IdOf(i), 1});
  }
  PollSummary summary;
  auto results = RunAll(reader, traces, FastOptions(absl::Milliseconds(100)), &summary);
  EXPECT_TRUE(summary.backend_unreachable);
  EXPECT_EQ(summary.request_failed, 20u);
  EXPECT_TRUE(IsUnreachable(summary.first_error));
  for (const auto& [id, t] : results) EXPECT_EQ(t.outcome, TraceOutcome::kRequestFailed);
}

TEST(Poller, ReadsManyTracesConcurrentlyAndReportsEachOnce) {
  ScriptedReader reader;
  std::vector<ExpectedTrace> traces;
  for (int i = 1; i <= 2000; ++i) {
    reader.Script(IdOf(i), {i % 3 == 0 ? ScriptedReader::kMissing : 1, 1});
    traces.push_back({IdOf(i), 1, absl::Now()});
  }
  PollerOptions options = FastOptions();
  options.concurrency = 16;
  options.keep_data = false;
  PollSummary summary;
  auto results = RunAll(reader, traces, options, &summary);
  EXPECT_EQ(summary.found, 2000u);
  EXPECT_EQ(summary.requests, 2000u + 666u);
  for (const auto& [id, t] : results) EXPECT_EQ(t.trace.data->resource_spans_size(), 0);
}

// A reader that reads many traces per request gets every trace then due in one request, up to
// its batch size; each trace still settles on its own answers.
TEST(Poller, AsksABulkReaderForEveryTraceDueInOneRequest) {
  ScriptedReader reader;
  reader.SetMaxBatch(50);
  std::vector<ExpectedTrace> traces;
  std::map<TraceId, int> want_polls;
  for (int i = 1; i <= 1000; ++i) {
    reader.Script(IdOf(i), {i % 4 == 0 ? ScriptedReader::kMissing : 2, 2});
    traces.push_back({IdOf(i), 2, absl::Now()});
    want_polls[IdOf(i)] = i % 4 == 0 ? 2 : 1;
  }
  PollerOptions options = FastOptions();
  options.concurrency = 4;
  PollSummary summary;
  auto results = RunAll(reader, traces, options, &summary);
  EXPECT_EQ(summary.found, 1000u);
  for (const auto& [id, t] : results) EXPECT_EQ(t.polls, want_polls.at(id));
  const std::vector<size_t> batches = reader.batches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(summary.requests, batches.size());
  size_t asked = 0;
  for (size_t b : batches) {
    EXPECT_LE(b, 50u);
    asked += b;
  }
  EXPECT_EQ(asked, 1250u);  // every trace once, the 250 missing at first twice
  EXPECT_LE(batches.size(), 40u) << "traces due together were asked for one by one";
}

// A reader that reads in bulk only by search gets the located traces in batches, with their
// service and start, and a trace without a location alone.
TEST(Poller, GivesASearchingReaderTheLocationsAndAsksForAnUnlocatedTraceAlone) {
  ScriptedReader reader;
  reader.SetMaxBatch(50);
  reader.SetNeedLocations();
  std::vector<ExpectedTrace> traces;
  for (int i = 1; i <= 300; ++i) {
    reader.Script(IdOf(i), {2});
    ExpectedTrace e{IdOf(i), 2, absl::Now()};
    if (i % 10 != 0) {
      e.service = i % 2 == 0 ? "planner" : "tools";
      e.start_unix_nano = 1000 + static_cast<uint64_t>(i);
    }
    traces.push_back(e);
  }
  PollSummary summary;
  auto results = RunAll(reader, traces, FastOptions(), &summary);
  EXPECT_EQ(summary.found, 300u);
  EXPECT_EQ(reader.unlocated_in_batches(), 0) << "a trace without a location was batched";
  const auto located = reader.located_asked();
  EXPECT_EQ(located.size(), 270u);
  EXPECT_EQ(located.at(IdOf(7)), (std::pair<std::string, uint64_t>("tools", 1007)));
  EXPECT_EQ(located.at(IdOf(8)), (std::pair<std::string, uint64_t>("planner", 1008)));
  size_t asked = 0;
  for (size_t b : reader.batches()) asked += b;
  EXPECT_EQ(asked, 300u);  // every trace once: the 270 located in batches, the 30 others alone
  EXPECT_LE(reader.batches().size(), 30u + 40u) << "located traces were asked for one by one";
  EXPECT_EQ(reader.polls(IdOf(10)), 1);
}

// A bulk request that fails fails every trace it asked about, and counts once toward the
// streak of unreachable requests.
TEST(Poller, AFailedBulkRequestFailsEveryTraceInIt) {
  ScriptedReader reader;
  reader.SetMaxBatch(10, /*fail_batches=*/true);
  std::vector<ExpectedTrace> traces;
  for (int i = 1; i <= 30; ++i) {
    reader.Script(IdOf(i), {1});
    traces.push_back({IdOf(i), 1, absl::Now()});
  }
  PollSummary summary;
  auto results = RunAll(reader, traces, FastOptions(absl::Milliseconds(200)), &summary);
  EXPECT_TRUE(summary.backend_unreachable);
  EXPECT_EQ(summary.request_failed, 30u);
  EXPECT_EQ(summary.failed_requests, summary.requests);
  EXPECT_TRUE(IsUnreachable(summary.first_error));
  for (const auto& [id, t] : results) {
    EXPECT_EQ(t.outcome, TraceOutcome::kRequestFailed);
    EXPECT_EQ(t.failed_polls, t.polls);
  }
}

// A fetched trace's spans live on an arena of their own: a copy is deep (its own arena), and a
// trace outlives the reader's answer it was parsed from.
TEST(ArenaTraces, ACopyIsDeepAndOnItsOwnArena) {
  ArenaTraces a;
  ASSERT_NE(a->GetArena(), nullptr);
  a->add_resource_spans()->add_scope_spans()->add_spans()->set_name("chat");
  ArenaTraces b = a;
  ASSERT_NE(b->GetArena(), nullptr);
  EXPECT_NE(b->GetArena(), a->GetArena());
  b->mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_name("other");
  EXPECT_EQ(a->resource_spans(0).scope_spans(0).spans(0).name(), "chat");
  ArenaTraces c;
  c = b;
  EXPECT_EQ(c->resource_spans(0).scope_spans(0).spans(0).name(), "other");
  ArenaTraces moved = std::move(c);
  EXPECT_EQ(moved->resource_spans(0).scope_spans(0).spans(0).name(), "other");
  c = ArenaTraces();
  EXPECT_EQ(c->resource_spans_size(), 0);
}

TEST(Poller, AnEmptyListEndsAtOnce) {
  ScriptedReader reader;
  PollSummary summary;
  auto results = RunAll(reader, {}, FastOptions(), &summary);
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(summary.requests, 0u);
}

}  // namespace
}  // namespace agentstorm::readers
