#include "generator/load_engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using namespace std::chrono_literals;

// Trace i has 1 + i % 5 spans (mean 3), or `big_spans` when i is a multiple of `big_every`.
class FakeSource : public TraceSource {
 public:
  uint64_t big_every = 0;
  uint32_t big_spans = 0;

  static uint32_t SpansOf(uint64_t i) { return 1 + i % 5; }
  uint32_t Spans(uint64_t i) const {
    return big_every != 0 && i % big_every == 0 ? big_spans : SpansOf(i);
  }
  void Synthesize(uint64_t index, int phase, SynthesizedTrace* out) const override {
    out->index = index;
    out->trace_id = {};
    for (int b = 0; b < 8; ++b) out->trace_id[8 + b] = static_cast<uint8_t>(index >> (8 * (7 - b)));
    out->trace_id[0] = 0xA5;
    out->span_count = Spans(index);
    out->variant = static_cast<uint16_t>(index % 3);
    out->expected_class = index % 7 == 0 ? TraceClass::kError : TraceClass::kNormal;
    out->start_unix_nano = 1000 + index;
    out->end_unix_nano = 2000 + index;
    out->faults = index % 7 == 0 ? 1 : 0;
    out->resource_spans.resize(1);
    auto& rs = out->resource_spans[0];
    rs.Clear();
    rs.mutable_resource()->add_attributes()->set_key("service.name");
    auto* spans = rs.add_scope_spans();
    for (uint32_t s = 0; s < out->span_count; ++s) {
      auto* span = spans->add_spans();
      span->set_trace_id(std::string(reinterpret_cast<const char*>(out->trace_id.data()), 16));
      span->set_span_id(std::string(8, static_cast<char>(s + 1)));
      span->set_name("span");
    }
  }
  double MeanSpansPerTrace() const override { return 3; }
};

// Checks every batch against the contract (whole traces, payload decodes, counts match) and
// answers according to `Answer`.
class FakeExporter : public Exporter {
 public:
  enum class Mode { kAckAll, kRejectTenth, kFailUnreachable, kHang, kSlow };
  explicit FakeExporter(Mode mode, std::chrono::milliseconds delay = 0ms)
      : mode_(mode), delay_(delay) {
    if (mode_ == Mode::kSlow) timer_ = std::thread([this] { TimerLoop(); });
  }
  ~FakeExporter() override { StopTimer(); }

  void Export(std::shared_ptr<const EncodedBatch> batch, ExportCallback done) override {
    ExportTraceServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(batch->payload));
    uint32_t spans = 0;
    std::set<std::string> ids;
    for (const auto& rs : req.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& sp : ss.spans()) {
          ++spans;
          ids.insert(sp.trace_id());
        }
    EXPECT_EQ(spans, batch->span_count);
    EXPECT_EQ(ids.size(), batch->trace_indices.size());
    {
      std::lock_guard<std::mutex> l(mu_);
      EXPECT_FALSE(shut_down_) << "Export after Shutdown";
      ++in_flight_;
      batches_.push_back({batch->span_count, batch->trace_indices, batch->payload.size()});
      for (uint64_t i : batch->trace_indices)
        EXPECT_TRUE(seen_.insert(i).second) << "trace " << i << " twice";
    }
    ExportResult r;
    r.attempts = 1;
    r.bytes_sent = batch->payload.size();
    switch (mode_) {
      case Mode::kAckAll:
        r.outcome = ExportResult::Outcome::kAcknowledged;
        r.acknowledged_spans = batch->span_count;
        break;
      case Mode::kRejectTenth:
        r.rejected_spans = batch->span_count / 10;
        r.acknowledged_spans = batch->span_count - r.rejected_spans;
        r.outcome = r.rejected_spans ? ExportResult::Outcome::kPartiallyRejected
                                     : ExportResult::Outcome::kAcknowledged;
        break;
      case Mode::kFailUnreachable:
        r.outcome = ExportResult::Outcome::kFailed;
        r.failed_spans = batch->span_count;
        r.endpoint_unreachable = true;
        r.bytes_sent = 0;
        r.error = "connection refused";
        break;
      case Mode::kHang:
      case Mode::kSlow: {
        std::lock_guard<std::mutex> l(mu_);
        pending_.push_back({Clock::now() + delay_, batch, std::move(done)});
        cv_.notify_all();
        return;
      }
    }
    Finish(r, done);
  }

  void Shutdown(std::chrono::milliseconds grace) override {
    std::unique_lock<std::mutex> l(mu_);
    shut_down_ = true;
    cv_.wait_for(l, grace, [&] { return pending_.empty(); });
    auto left = std::move(pending_);
    pending_.clear();
    l.unlock();
    for (auto& p : left) {
      ExportResult r;
      r.outcome = ExportResult::Outcome::kNotSent;
      r.not_sent_spans = p.batch->span_count;
      Finish(r, p.done);
    }
    StopTimer();
  }
  int InFlight() const override {
    std::lock_guard<std::mutex> l(mu_);
    return in_flight_;
  }
  std::string Describe() const override { return "fake"; }

  struct BatchSeen {
    uint32_t spans;
    std::vector<uint64_t> traces;
    size_t bytes;
  };
  std::vector<BatchSeen> batches() const {
    std::lock_guard<std::mutex> l(mu_);
    return batches_;
  }
  int max_in_flight_seen() const { return max_in_flight_seen_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Clock::time_point due;
    std::shared_ptr<const EncodedBatch> batch;
    ExportCallback done;
  };
  void Finish(const ExportResult& r, const ExportCallback& done) {
    {
      std::lock_guard<std::mutex> l(mu_);
      max_in_flight_seen_ = std::max(max_in_flight_seen_, in_flight_);
      --in_flight_;
    }
    done(r);
  }
  void TimerLoop() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_timer_) {
      if (pending_.empty()) {
        cv_.wait(l);
        continue;
      }
      if (Clock::now() < pending_.front().due) {
        cv_.wait_until(l, pending_.front().due);
        continue;
      }
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      cv_.notify_all();
      l.unlock();
      ExportResult r;
      r.outcome = ExportResult::Outcome::kAcknowledged;
      r.acknowledged_spans = p.batch->span_count;
      r.attempts = 1;
      Finish(r, p.done);
      l.lock();
    }
  }
  void StopTimer() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_timer_ = true;
    }
    cv_.notify_all();
    if (timer_.joinable()) timer_.join();
  }

  Mode mode_;
  std::chrono::milliseconds delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  std::vector<BatchSeen> batches_;
  std::set<uint64_t> seen_;
  int in_flight_ = 0;
  int max_in_flight_seen_ = 0;
  bool shut_down_ = false;
  bool stop_timer_ = false;
  std::thread timer_;
};

RatePhase Constant(double rate, double seconds) {
  RatePhase p;
  p.start_rate = p.end_rate = rate;
  p.duration_seconds = seconds;
  return p;
}

LoadOptions Options(double rate, double seconds) {
  LoadOptions o;
  o.profile.phases.push_back(Constant(rate, seconds));
  o.threads = 2;
  o.batch_spans = 20;
  o.batch_linger = 20ms;
  o.grace = 500ms;
  o.progress = ProgressMode::kQuiet;
  return o;
}

uint64_t SpansOfFirst(uint64_t n, const FakeSource& src) {
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) total += src.Spans(i);
  return total;
}

void ExpectBooksBalance(const LoadSummary& s) {
  EXPECT_TRUE(s.AccountingAddsUp()) << FormatSummaryText(s);
  for (const EndpointStats& e : s.endpoints) EXPECT_EQ(e.spans_accounted(), s.spans_scheduled);
}

class LoadEngineTest : public ::testing::Test {
 protected:
  std::string LedgerPath() {
    return (std::filesystem::temp_directory_path() /
            ("load_engine_test_" + std::to_string(::getpid()) + ".ledger"))
        .string();
  }
  void TearDown() override { std::filesystem::remove(LedgerPath()); }
};

TEST_F(LoadEngineTest, AcknowledgedRunAccountsEverySpanAndWritesTheLedger) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LedgerHeader header;
  header.endpoints = {"fake"};
  auto ledger = LedgerWriter::Create(LedgerPath(), header);
  ASSERT_TRUE(ledger.ok());
  LoadOptions o = Options(400, 0.5);
  o.ledger = ledger->get();
  const uint64_t before = static_cast<uint64_t>(absl::GetCurrentTimeNanos());
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  const uint64_t after = static_cast<uint64_t>(absl::GetCurrentTimeNanos());
  ASSERT_TRUE((*ledger)->Close().ok());

  EXPECT_EQ(s.traces_scheduled, 200u);
  EXPECT_EQ(s.spans_scheduled, SpansOfFirst(200, src));
  EXPECT_EQ(s.traces_sent, 200u);
  EXPECT_EQ(s.spans_sent, s.spans_scheduled);
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled);
  EXPECT_EQ(s.endpoints[0].traces_acknowledged, 200u);
  EXPECT_TRUE(s.endpoints[0].reached);
  EXPECT_FALSE(s.AnyEndpointUnreachable());
  EXPECT_EQ(s.endpoints[0].latency_from_intended.count(), s.batches);
  EXPECT_EQ(s.scheduling_lag.count(), s.batches);
  EXPECT_DOUBLE_EQ(s.intended_traces_per_second, 400);
  ExpectBooksBalance(s);

  auto read = ReadLedgers({LedgerPath()});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->complete());
  ASSERT_EQ(read->records.size(), 200u);
  for (uint64_t i = 0; i < 200; ++i) {
    const LedgerRecord& r = read->records[i];
    EXPECT_EQ(r.index, i);
    EXPECT_EQ(r.span_count, src.Spans(i));
    EXPECT_EQ(r.variant, i % 3);
    EXPECT_EQ(r.start_unix_nano, 1000 + i);
    // Wall clock of the answer, not the synthetic start: the checker's time-until-queryable base.
    EXPECT_GE(r.answered_unix_nano, before);
    EXPECT_LE(r.answered_unix_nano, after);
    EXPECT_EQ(r.phase, 0);
    EXPECT_EQ(r.outcome(0), DeliveryOutcome::kAcknowledged);
  }
}

TEST_F(LoadEngineTest, BatchesHoldWholeTracesWithinTheSpanLimit) {
  FakeSource src;
  src.big_every = 50;
  src.big_spans = 45;  // larger than the limit on its own
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o = Options(1000, 0.3);
  o.batch_spans = 20;
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  ExpectBooksBalance(s);
  std::set<uint64_t> traces;
  for (const auto& b : ack.batches()) {
    if (b.spans > 20) {
      ASSERT_EQ(b.traces.size(), 1u) << "an oversized trace travels alone";
      EXPECT_EQ(b.traces[0] % 50, 0u);
    }
    traces.insert(b.traces.begin(), b.traces.end());
  }
  EXPECT_EQ(traces.size(), s.traces_scheduled);
}

TEST_F(LoadEngineTest, BatchesRespectTheByteLimit) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o = Options(1000, 0.2);
  o.batch_spans = 1000;
  o.max_batch_bytes = 400;
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  ExpectBooksBalance(s);
  for (const auto& b : ack.batches())
    if (b.traces.size() > 1) EXPECT_LE(b.bytes, 400u);
}

TEST_F(LoadEngineTest, EveryEndpointGetsTheSameStreamAndItsOwnBooks) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll), partial(FakeExporter::Mode::kRejectTenth);
  LoadOptions o = Options(500, 0.4);
  o.batch_spans = 40;
  LoadSummary s = LoadEngine(o, src, {&ack, &partial}).Run();
  ExpectBooksBalance(s);
  ASSERT_EQ(s.endpoints.size(), 2u);
  auto a = ack.batches(), p = partial.batches();
  std::set<uint64_t> ta, tp;
  for (const auto& b : a) ta.insert(b.traces.begin(), b.traces.end());
  for (const auto& b : p) tp.insert(b.traces.begin(), b.traces.end());
  EXPECT_EQ(ta, tp);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled);
  EXPECT_GT(s.endpoints[1].spans_rejected, 0u);
  EXPECT_EQ(s.endpoints[1].spans_acknowledged + s.endpoints[1].spans_rejected, s.spans_scheduled);
  EXPECT_GT(s.endpoints[1].traces_rejected, 0u);
}

TEST_F(LoadEngineTest, EndpointThatNeverAnswersIsUnreachable) {
  FakeSource src;
  FakeExporter down(FakeExporter::Mode::kFailUnreachable), ack(FakeExporter::Mode::kAckAll);
  LoadSummary s = LoadEngine(Options(200, 0.2), src, {&ack, &down}).Run();
  ExpectBooksBalance(s);
  EXPECT_TRUE(s.AnyEndpointUnreachable());
  EXPECT_FALSE(s.endpoints[0].unreachable());
  EXPECT_TRUE(s.endpoints[1].unreachable());
  EXPECT_EQ(s.endpoints[1].spans_failed, s.spans_scheduled);
  EXPECT_EQ(s.endpoints[1].last_error, "connection refused");
  EXPECT_EQ(s.endpoints[1].latency_from_send.count(), 0u);
}

TEST_F(LoadEngineTest, HangingEndpointEndsAsNotSentAfterTheGracePeriod) {
  FakeSource src;
  FakeExporter hang(FakeExporter::Mode::kHang);
  LoadOptions o = Options(200, 0.3);
  o.max_in_flight = 2;
  o.grace = 200ms;
  LoadSummary s = LoadEngine(o, src, {&hang}).Run();
  ExpectBooksBalance(s);
  EXPECT_GT(s.traces_scheduled, 0u);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, 0u);
  EXPECT_EQ(s.endpoints[0].spans_not_sent, s.spans_scheduled);
  EXPECT_TRUE(s.deadline_hit);
  EXPECT_LE(hang.max_in_flight_seen(), 2);
}

TEST_F(LoadEngineTest, SlowEndpointMakesTheRunLateNotSlower) {
  FakeSource src;
  FakeExporter slow(FakeExporter::Mode::kSlow, 30ms);
  LoadOptions o = Options(300, 0.5);
  o.batch_spans = 3;  // about one trace per batch: 150 batches, at most ~33/s get through
  o.max_in_flight = 1;
  o.grace = 300ms;
  LoadSummary s = LoadEngine(o, src, {&slow}).Run();
  ExpectBooksBalance(s);
  EXPECT_EQ(s.traces_scheduled, 150u) << "the schedule does not shrink";
  EXPECT_GT(s.endpoints[0].spans_not_sent, 0u) << "what could not be sent in time is not sent";
  EXPECT_GT(s.endpoints[0].spans_acknowledged, 0u);
  EXPECT_TRUE(s.deadline_hit);
  // Latency counted from the intended time includes the wait for a slot.
  EXPECT_GT(s.endpoints[0].latency_from_intended.max(), s.endpoints[0].latency_from_send.max());
  EXPECT_GT(s.scheduling_lag.max(), 100'000'000u);
  EXPECT_LE(slow.max_in_flight_seen(), 1);
}

TEST_F(LoadEngineTest, StopEndsATraceCountRunEarlyAndTheBooksStillBalance) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o = Options(1000, 0);
  o.max_traces = 1'000'000'000;
  std::atomic<bool> stop{false};
  o.stop_flag = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  stopper.join();
  ExpectBooksBalance(s);
  EXPECT_TRUE(s.interrupted);
  EXPECT_GT(s.traces_scheduled, 0u);
  EXPECT_LT(s.traces_scheduled, 100'000u);
  EXPECT_EQ(s.endpoints[0].spans_acknowledged, s.spans_scheduled);
}

TEST_F(LoadEngineTest, MaxRateWithATraceCountSendsThemAll) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o;
  o.profile.max_rate = true;
  o.profile.phases.push_back(Constant(0, 0));
  o.max_traces = 3000;
  o.threads = 2;
  o.progress = ProgressMode::kQuiet;
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  ExpectBooksBalance(s);
  EXPECT_TRUE(s.closed_loop);
  EXPECT_EQ(s.traces_sent, 3000u);
  EXPECT_EQ(s.spans_scheduled, SpansOfFirst(3000, src));
  EXPECT_GT(s.achieved_traces_per_second, 0);
}

TEST_F(LoadEngineTest, ShardSendsOnlyItsIndices) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o = Options(2000, 0);
  o.max_traces = 100;
  o.shard = ShardSpec{1, 4};
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  ExpectBooksBalance(s);
  EXPECT_EQ(s.traces_scheduled, 25u);
  for (const auto& b : ack.batches())
    for (uint64_t i : b.traces) EXPECT_EQ(i % 4, 1u);
}

TEST_F(LoadEngineTest, TimelineCarriesEachSecondsIntendedRateAndNoEmptyTail) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  LoadOptions o = Options(50, 2);
  o.profile.phases.push_back(Constant(200, 1));  // a step: 50/s for 2 s, then 200/s
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  ExpectBooksBalance(s);
  ASSERT_GE(s.timeline.size(), 3u);
  EXPECT_NEAR(s.timeline[0].traces_intended, 50, 1e-6);
  EXPECT_NEAR(s.timeline[1].traces_intended, 50, 1e-6);
  EXPECT_NEAR(s.timeline[2].traces_intended, 200, 1e-6);
  double intended = 0;
  for (const SecondSample& t : s.timeline) intended += t.traces_intended;
  EXPECT_NEAR(intended, 300, 1e-6);  // nothing intended after the schedule's end
  const SecondSample& last = s.timeline.back();
  EXPECT_GT(last.seconds, 0);
  EXPECT_LE(last.seconds, 1);
  EXPECT_GT(last.traces_sent + last.spans_acknowledged + last.spans_errors, 0u)
      << "an empty last bucket reads as the rate falling to zero";
  const nlohmann::json j = SummaryToJson(s);
  EXPECT_NEAR(j["timeline"][2]["intended_traces_per_second"].get<double>(), 200, 1e-6);
  EXPECT_NEAR(j["timeline"][0]["intended_traces_per_second"].get<double>(), 50, 1e-6);

  LoadOptions m = Options(0, 0);
  m.profile.max_rate = true;
  m.profile.phases = {Constant(0, 0)};
  m.max_traces = 40;
  FakeExporter ack2(FakeExporter::Mode::kAckAll);
  LoadSummary closed = LoadEngine(m, src, {&ack2}).Run();
  for (const SecondSample& t : closed.timeline) EXPECT_LT(t.traces_intended, 0);
  const nlohmann::json cj = SummaryToJson(closed);
  EXPECT_FALSE(cj["timeline"][0].contains("intended_traces_per_second"));
}

TEST_F(LoadEngineTest, PlainProgressLinesAndSummaryRendering) {
  FakeSource src;
  FakeExporter ack(FakeExporter::Mode::kAckAll);
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  LoadOptions o = Options(100, 1.2);
  o.progress = ProgressMode::kLines;
  o.lines_interval = 500ms;
  o.progress_out = out;
  LoadSummary s = LoadEngine(o, src, {&ack}).Run();
  std::fclose(out);
  std::string progress(buf, len);
  std::free(buf);
  EXPECT_NE(progress.find("traces/s"), std::string::npos) << progress;
  EXPECT_NE(progress.find("/1s"), std::string::npos) << progress;
  EXPECT_GE(s.timeline.size(), 1u);
  uint64_t sent = 0;
  for (const auto& t : s.timeline) sent += t.traces_sent;
  EXPECT_EQ(sent, s.traces_sent);

  const std::string text = FormatSummaryText(s);
  EXPECT_NE(text.find("acknowledged 360"), std::string::npos) << text;
  const nlohmann::json j = SummaryToJson(s);
  EXPECT_EQ(j["traces"]["scheduled"], 120);
  EXPECT_EQ(j["endpoints"][0]["spans"]["acknowledged"], s.spans_scheduled);
  EXPECT_TRUE(j["accounting_adds_up"].get<bool>());
  EXPECT_EQ(j["timeline"].size(), s.timeline.size());
}

}  // namespace
}  // namespace agentstorm
