// Time until queryable measured while the run goes on (checker/queryability_probe.h), against a
// backend whose traces become readable a set time after they were acknowledged.
#include "checker/queryability_probe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace agentstorm {
namespace {

// Trace i (its first ID byte) becomes readable, whole, at visible_at[i]; before that the backend
// answers "not found". `fail_first` requests fail outright first.
class DelayedReader : public readers::TraceReader {
 public:
  void Show(uint8_t id, absl::Time at, uint32_t spans) {
    absl::MutexLock lock(&mu_);
    visible_[id] = {at, spans};
  }
  int requests() const { return requests_.load(); }
  absl::StatusOr<readers::FetchedTrace> GetTrace(const TraceId& id) override {
    ++requests_;
    readers::FetchedTrace t;
    t.id = id;
    absl::MutexLock lock(&mu_);
    auto it = visible_.find(id[0]);
    if (it != visible_.end() && absl::Now() >= it->second.first) {
      t.found = true;
      t.span_count = it->second.second;
    }
    return t;
  }
  absl::StatusOr<std::vector<TraceId>> FindTraces(const readers::TraceSearch&) override {
    return std::vector<TraceId>{};
  }
  std::string Describe() const override { return "delayed"; }

 private:
  absl::Mutex mu_;
  std::map<uint8_t, std::pair<absl::Time, uint32_t>> visible_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> requests_{0};
};

TraceId Id(uint8_t n) {
  TraceId id{};
  id[0] = n;
  id[15] = 1;
  return id;
}

TEST(QueryabilityProbe, MeasuresFromTheAcknowledgementToTheFirstWholeRead) {
  auto reader = std::make_unique<DelayedReader>();
  DelayedReader* backend = reader.get();
  QueryabilityOptions options;
  options.every = absl::ZeroDuration();
  options.give_up_after = absl::Seconds(10);
  QueryabilityProbe probe(std::move(reader), options);
  const absl::Time acked = absl::Now();
  backend->Show(1, acked + absl::Milliseconds(300), 4);
  backend->Show(2, acked, 4);
  probe.Offer(Id(1), 4, acked);
  probe.Offer(Id(2), 4, acked + absl::Microseconds(1));
  const QueryabilitySample s = probe.Finish();
  EXPECT_TRUE(s.measured);
  EXPECT_EQ(s.sampled, 2u);
  EXPECT_EQ(s.not_queryable, 0u);
  ASSERT_EQ(s.time_us.count(), 2u);
  EXPECT_LT(s.time_us.min(), 50'000u) << "the visible one is read at once";
  // The delayed one: at least its 300 ms, at most one poll interval (100 ms) later, with slack
  // for a loaded machine.
  EXPECT_GE(s.time_us.max(), 295'000u);
  EXPECT_LT(s.time_us.max(), 1'500'000u);
  EXPECT_NE(DescribeQueryability(s).find("2 traces sampled"), std::string::npos)
      << DescribeQueryability(s);
}

TEST(QueryabilityProbe, ATraceStillIncompleteIsNotQueryableAndCountsAtTheGiveUpTime) {
  auto reader = std::make_unique<DelayedReader>();
  reader->Show(3, absl::Now(), 2);  // readable at once, but 2 of its 5 spans only
  QueryabilityOptions options;
  options.give_up_after = absl::Milliseconds(400);
  QueryabilityProbe probe(std::move(reader), options);
  probe.Offer(Id(3), 5, absl::Now());
  const QueryabilitySample s = probe.Finish();
  EXPECT_EQ(s.sampled, 1u);
  EXPECT_EQ(s.not_queryable, 1u);
  EXPECT_EQ(s.time_us.min(), 400'000u);
  EXPECT_NE(DescribeQueryability(s).find("1 not queryable within 400ms"), std::string::npos)
      << DescribeQueryability(s);
}

// Under a scenario that expects sampling, a probed trace the check found absent was dropped by
// the sampler: it leaves the sample instead of counting at the give-up time (a real tail sampler
// made every percentile read "15 s" before). One the check found, but never whole, still counts.
TEST(QueryabilityProbe, ATraceTheSamplerDroppedLeavesTheSampleAndAnIncompleteOneStays) {
  auto reader = std::make_unique<DelayedReader>();
  const absl::Time acked = absl::Now();
  reader->Show(1, acked, 3);  // queryable at once
  reader->Show(2, acked, 1);  // 1 of 3 spans: never whole
  // trace 4 is never readable: the sampler dropped it
  QueryabilityOptions options;
  options.every = absl::ZeroDuration();
  options.give_up_after = absl::Milliseconds(400);
  QueryabilityProbe probe(std::move(reader), options);
  probe.Offer(Id(1), 3, acked);
  probe.Offer(Id(2), 3, acked + absl::Microseconds(1));
  probe.Offer(Id(4), 3, acked + absl::Microseconds(2));
  QueryabilitySample s = probe.Finish();
  ASSERT_EQ(s.sampled, 3u);
  ASSERT_EQ(s.not_queryable, 2u);
  ASSERT_EQ(s.time_us.count(), 3u);
  ASSERT_EQ(s.time_us.Percentile(50), 400'000u);

  SetAsideSampledOut({Id(4)}, &s);
  EXPECT_EQ(s.sampled, 2u);
  EXPECT_EQ(s.sampled_out, 1u);
  EXPECT_EQ(s.not_queryable, 1u) << "the incomplete one was kept: it still counts";
  ASSERT_EQ(s.time_us.count(), 2u);
  EXPECT_LT(s.time_us.min(), 50'000u);
  EXPECT_EQ(s.time_us.max(), 400'000u);
  const std::string text = DescribeQueryability(s);
  EXPECT_NE(text.find("2 traces sampled"), std::string::npos) << text;
  EXPECT_NE(text.find("1 not queryable within 400ms"), std::string::npos) << text;
  EXPECT_NE(text.find("1 dropped by the pipeline's sampler, left out"), std::string::npos) << text;

  // Had the sampler dropped every sampled trace: no number at all.
  QueryabilitySample all_dropped;
  all_dropped.measured = true;
  all_dropped.sampled = 1;
  all_dropped.not_queryable = 1;
  all_dropped.given_up = {Id(9)};
  SetAsideSampledOut({Id(9)}, &all_dropped);
  EXPECT_EQ(all_dropped.time_us.count(), 0u);
  EXPECT_NE(DescribeQueryability(all_dropped)
                .find("not measured (the pipeline's sampler dropped the 1 trace sampled)"),
            std::string::npos)
      << DescribeQueryability(all_dropped);
}

TEST(QueryabilityProbe, TakesTheFirstTraceOfEachIntervalUpToTheLimits) {
  auto reader = std::make_unique<DelayedReader>();
  DelayedReader* backend = reader.get();
  QueryabilityOptions options;
  options.every = absl::Seconds(1);
  options.max_samples = 3;
  options.max_outstanding = 2;
  options.give_up_after = absl::Seconds(2);
  const absl::Time t0 = absl::Now();
  for (uint8_t i = 0; i < 10; ++i) backend->Show(i, t0 + absl::Seconds(1), 1);
  QueryabilityProbe probe(std::move(reader), options);
  probe.Offer(Id(0), 1, t0);                             // taken
  probe.Offer(Id(1), 1, t0 + absl::Milliseconds(500));   // same interval: not taken
  probe.Offer(Id(2), 1, t0 + absl::Milliseconds(1000));  // taken (2 outstanding now)
  probe.Offer(Id(3), 1, t0 + absl::Milliseconds(2000));  // skipped: 2 are being polled
  const QueryabilitySample s = probe.Finish();
  EXPECT_EQ(s.sampled, 2u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.time_us.count(), 2u);
  EXPECT_NE(DescribeQueryability(s).find("1 skipped"), std::string::npos);
}

TEST(QueryabilityProbe, NothingOfferedOrNoProbeIsNotMeasuredNeverANumber) {
  QueryabilitySample none;
  EXPECT_NE(DescribeQueryability(none).find("not measured"), std::string::npos);
  QueryabilityProbe probe(std::make_unique<DelayedReader>(), QueryabilityOptions{});
  const QueryabilitySample empty = probe.Finish();
  EXPECT_TRUE(empty.measured);
  EXPECT_EQ(empty.sampled, 0u);
  EXPECT_NE(DescribeQueryability(empty).find("not measured"), std::string::npos);
}

}  // namespace
}  // namespace agentstorm
