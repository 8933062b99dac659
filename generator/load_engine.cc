#include "generator/load_engine.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "generator/batch_builder.h"
#include "generator/progress_line.h"
#include "generator/scheduler.h"
#include "scenario/rate_parser.h"
#include "synth/otlp_wire_format.h"

namespace agentstorm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

uint64_t Nanos(Clock::duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<nanoseconds>(d).count()));
}
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct BatchContext {
  std::shared_ptr<EncodedBatch> batch;
  std::vector<TraceMeta> traces;
  std::array<DeliveryOutcome, kLedgerMaxEndpoints> outcomes{};
  std::atomic<int> pending{0};
};

// Per-second samples: events are added to the current second, Roll() closes it.
class Timeline {
 public:
  void AddSent(uint64_t traces, uint64_t spans, uint64_t lag_ns) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    current_.traces_sent += traces;
    current_.spans_sent += spans;
    lag_.Record(lag_ns);
  }
  void AddAnswer(uint64_t acknowledged, uint64_t errors, std::optional<uint64_t> latency_ns)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    current_.spans_acknowledged += acknowledged;
    current_.spans_errors += errors;
    if (latency_ns) latency_.Record(*latency_ns);
  }
  // Closes the current bucket, `seconds` wide. A last partial bucket in which nothing happened
  // is dropped (`keep_empty` false): an empty tail would read as the rate falling to zero.
  void Roll(double seconds = 1, bool keep_empty = true) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    if (!keep_empty && current_.traces_sent == 0 && current_.spans_acknowledged == 0 &&
        current_.spans_errors == 0)
      return;
    current_.seconds = seconds;
    current_.latency_p50_ns = latency_.Percentile(50);
    current_.latency_p99_ns = latency_.Percentile(99);
    current_.lag_p99_ns = lag_.Percentile(99);
    samples_.push_back(current_);
    current_ = SecondSample{};
    latency_.Reset();
    lag_.Reset();
  }
  std::optional<SecondSample> Last() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    if (samples_.empty()) return std::nullopt;
    return samples_.back();
  }
  std::vector<SecondSample> samples() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    return samples_;
  }

 private:
  mutable absl::Mutex mu_;
  SecondSample current_ ABSL_GUARDED_BY(mu_);
  Histogram latency_ ABSL_GUARDED_BY(mu_);
  Histogram lag_ ABSL_GUARDED_BY(mu_);
  std::vector<SecondSample> samples_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

class LoadEngine::Impl {
 public:
  Impl(LoadOptions options, const TraceSource& source, std::vector<Exporter*> exporters)
      : options_(std::move(options)),
        source_(source),
        scheduler_(options_.profile,
                   SchedulerOptions{source.MeanSpansPerTrace(), options_.seed, options_.shard,
                                    options_.max_traces, options_.max_seconds}),
        closed_loop_(scheduler_.closed_loop()),
        end_seconds_(scheduler_.end_seconds()) {
    for (Exporter* e : exporters) {
      auto ep = std::make_unique<Endpoint>();
      ep->exporter = e;
      ep->stats.endpoint = e->Describe();
      endpoints_.push_back(std::move(ep));
    }
    threads_ =
        options_.threads > 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    max_in_flight_ = std::max(1, options_.max_in_flight);
  }

  LoadSummary Run();
  void Stop() { stop_requested_ = true; }

 private:
  struct Endpoint {
    Exporter* exporter = nullptr;
    absl::Mutex mu;
    absl::CondVar slot_cv;  // signalled when in_flight drops and on drain_
    int in_flight ABSL_GUARDED_BY(mu) = 0;
    EndpointStats stats ABSL_GUARDED_BY(mu);
  };

  nanoseconds NowOffset() const {
    return std::chrono::duration_cast<nanoseconds>(Clock::now() - start_);
  }
  // Sleeps until `t`; false when a stop came first.
  bool WaitUntil(Clock::time_point t) ABSL_LOCKS_EXCLUDED(wake_mu_);
  void Worker() ABSL_LOCKS_EXCLUDED(sched_mu_);
  void Flush(BatchBuilder* b, nanoseconds intended_offset);
  void Handoff(const std::shared_ptr<BatchContext>& ctx);
  void OnResult(const std::shared_ptr<BatchContext>& ctx, size_t e, const ExportResult& r,
                std::optional<Clock::time_point> handoff);
  void WriteLedger(const BatchContext& ctx);
  void CountScheduled(const TraceMeta& m);
  // A trace of the run that will never be handed to an exporter.
  void AccountNotSent(const TraceMeta& m);
  void BeginStop();
  void BeginDrain();
  void PrintProgress(bool final_line);
  // Sets each bucket's traces_intended from the schedule (this shard's share).
  void FillIntended(bool interrupted, std::vector<SecondSample>* timeline);

  LoadOptions options_;
  const TraceSource& source_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  int threads_ = 1;
  int max_in_flight_ = 1;

  absl::Mutex sched_mu_;
  Scheduler scheduler_ ABSL_GUARDED_BY(sched_mu_);  // callers serialize Next()
  bool schedule_done_ ABSL_GUARDED_BY(sched_mu_) = false;
  const bool closed_loop_;    // scheduler_.closed_loop()
  const double end_seconds_;  // scheduler_.end_seconds()

  Clock::time_point start_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stop_scheduling_{false};
  std::atomic<bool> drain_{false};
  std::atomic<int64_t> stop_offset_ns_{std::numeric_limits<int64_t>::max()};
  // WaitUntil() sleeps on wake_cv_; BeginStop()/BeginDrain() set their flag under wake_mu_ and
  // signal it, so that a sleeper cannot miss the change.
  absl::Mutex wake_mu_;
  absl::CondVar wake_cv_;
  std::atomic<int> workers_done_{0};

  std::atomic<uint64_t> traces_scheduled_{0}, spans_scheduled_{0};
  std::atomic<uint64_t> traces_sent_{0}, spans_sent_{0}, batches_{0};
  std::atomic<int64_t> last_intended_ns_{0};
  std::atomic<int64_t> last_handoff_ns_{0};
  absl::Mutex lag_mu_;
  Histogram lag_ ABSL_GUARDED_BY(lag_mu_);
  Timeline timeline_;
  Clock::time_point last_lines_print_;
};

bool LoadEngine::Impl::WaitUntil(Clock::time_point t) {
  if (Clock::now() >= t) return true;  // due already, as every arrival is at --rate max
  absl::MutexLock l(&wake_mu_);
  for (Clock::time_point now = Clock::now(); now < t; now = Clock::now()) {
    if (stop_scheduling_ || drain_) return false;
    wake_cv_.WaitWithTimeout(&wake_mu_, absl::FromChrono(t - now));
  }
  return true;
}

void LoadEngine::Impl::CountScheduled(const TraceMeta& m) {
  traces_scheduled_.fetch_add(1, std::memory_order_relaxed);
  spans_scheduled_.fetch_add(m.span_count, std::memory_order_relaxed);
}

void LoadEngine::Impl::AccountNotSent(const TraceMeta& m) {
  CountScheduled(m);
  for (auto& ep : endpoints_) {
    absl::MutexLock l(&ep->mu);
    ep->stats.spans_not_sent += m.span_count;
    ++ep->stats.traces_not_sent;
  }
  BatchContext ctx;
  ctx.traces.push_back(m);
  ctx.outcomes.fill(DeliveryOutcome::kNone);
  for (size_t e = 0; e < endpoints_.size(); ++e) ctx.outcomes[e] = DeliveryOutcome::kNotSent;
  WriteLedger(ctx);
}

void LoadEngine::Impl::Worker() {
  SynthesizedTrace trace;
  std::string staged;
  BatchBuilder b(options_.batch_spans, options_.max_batch_bytes, options_.batch_linger);
  // Closed loop (`--rate max`), arrivals are due the moment they are asked for: a worker takes
  // a few per lock, so that the workers do not queue on the scheduler once per trace. Open
  // loop, one at a time: each is waited for at its own intended time.
  const size_t take = closed_loop_ ? 16 : 1;
  std::vector<Arrival> taken;
  size_t next_taken = 0;
  for (;;) {
    if (next_taken == taken.size()) {
      taken.clear();
      next_taken = 0;
      // After a stop, arrivals intended before it are still part of the run (late ones are
      // sent, or counted as not sent once draining); later ones are not.
      absl::MutexLock l(&sched_mu_);
      while (!schedule_done_ && taken.size() < take) {
        std::optional<Arrival> a = scheduler_.Next(NowOffset());
        if (a && stop_scheduling_ && a->offset.count() > stop_offset_ns_.load()) a.reset();
        if (!a) {
          schedule_done_ = true;
          break;
        }
        taken.push_back(*a);
      }
    }
    if (next_taken == taken.size()) break;
    const Arrival* a = &taken[next_taken++];
    staged.clear();
    if (options_.on_trace) {
      // The callback reads the spans: build the messages (the reference path) and serialize them.
      source_.Synthesize(a->index, a->phase, &trace);
      for (const auto& rs : trace.resource_spans) AppendResourceSpans(rs, &staged);
    } else {
      source_.SynthesizeEncoded(a->index, a->phase, &trace, &staged);  // templated wire encoding
    }
    TraceMeta m;
    m.index = a->index;
    m.trace_id = trace.trace_id;
    m.start_unix_nano = trace.start_unix_nano;
    m.span_count = trace.span_count;
    m.faults = static_cast<uint16_t>(trace.faults);
    m.variant = trace.variant;
    m.expected_class = trace.expected_class;
    m.phase = static_cast<int16_t>(std::clamp(a->phase, -1, 32767));
    if (drain_) {
      AccountNotSent(m);
      continue;
    }

    if (b.WouldOverflow(m.span_count, staged.size())) Flush(&b, b.last_offset());
    if (!b.empty() && a->offset > b.LingerDeadline()) {
      const nanoseconds deadline = b.LingerDeadline();
      WaitUntil(start_ + deadline);
      Flush(&b, deadline);
    }
    if (!WaitUntil(start_ + a->offset)) {
      // A stop came before this trace was due: it is not part of the run.
      if (a->offset.count() > stop_offset_ns_.load()) continue;
      if (drain_) {
        AccountNotSent(m);
        continue;
      }
    }
    CountScheduled(m);
    if (options_.on_trace) options_.on_trace(trace);
    int64_t prev = last_intended_ns_.load();
    while (prev < a->offset.count() &&
           !last_intended_ns_.compare_exchange_weak(prev, a->offset.count())) {
    }
    b.Add(m, staged, a->offset);
    if (b.Full()) Flush(&b, a->offset);
  }
  Flush(&b, b.last_offset());
  workers_done_.fetch_add(1);
}

void LoadEngine::Impl::Flush(BatchBuilder* b, nanoseconds intended_offset) {
  if (b->empty()) return;
  Batch taken = b->Take();
  auto ctx = std::make_shared<BatchContext>();
  auto batch = std::make_shared<EncodedBatch>();
  batch->payload = std::move(taken.payload);
  batch->span_count = taken.spans;
  batch->intended_send_time = start_ + intended_offset;
  batch->trace_indices.reserve(taken.traces.size());
  for (const TraceMeta& m : taken.traces) batch->trace_indices.push_back(m.index);
  ctx->batch = std::move(batch);
  ctx->traces = std::move(taken.traces);
  batches_.fetch_add(1, std::memory_order_relaxed);
  Handoff(ctx);
}

void LoadEngine::Impl::Handoff(const std::shared_ptr<BatchContext>& ctx) {
  const size_t n = endpoints_.size();
  ctx->pending.store(static_cast<int>(n));
  std::optional<Clock::time_point> last_handoff;
  bool all_handed = true;
  for (size_t e = 0; e < n; ++e) {
    Endpoint& ep = *endpoints_[e];
    bool got_slot = false;
    {
      absl::MutexLock l(&ep.mu);
      while (ep.in_flight >= max_in_flight_ && !drain_) ep.slot_cv.Wait(&ep.mu);
      got_slot = !drain_;
      if (got_slot) {
        ++ep.in_flight;
        ++ep.stats.batches;
      }
    }
    if (!got_slot) {
      all_handed = false;
      ExportResult r;
      r.outcome = ExportResult::Outcome::kNotSent;
      r.not_sent_spans = ctx->batch->span_count;
      OnResult(ctx, e, r, std::nullopt);
      continue;
    }
    const Clock::time_point handoff = Clock::now();
    last_handoff = handoff;
    ep.exporter->Export(ctx->batch, [this, ctx, e, handoff](const ExportResult& r) {
      OnResult(ctx, e, r, handoff);
    });
  }
  if (all_handed && last_handoff) {
    const uint64_t lag = Nanos(*last_handoff - ctx->batch->intended_send_time);
    traces_sent_.fetch_add(ctx->traces.size(), std::memory_order_relaxed);
    spans_sent_.fetch_add(ctx->batch->span_count, std::memory_order_relaxed);
    {
      absl::MutexLock l(&lag_mu_);
      lag_.Record(lag);
    }
    timeline_.AddSent(ctx->traces.size(), ctx->batch->span_count, lag);
    const int64_t at = std::chrono::duration_cast<nanoseconds>(*last_handoff - start_).count();
    int64_t prev = last_handoff_ns_.load();
    while (prev < at && !last_handoff_ns_.compare_exchange_weak(prev, at)) {
    }
  }
}

void LoadEngine::Impl::OnResult(const std::shared_ptr<BatchContext>& ctx, size_t e,
                                const ExportResult& r, std::optional<Clock::time_point> handoff) {
  const Clock::time_point now = Clock::now();
  const uint32_t n = ctx->batch->span_count;
  uint64_t ack = std::min(r.acknowledged_spans, n);
  uint64_t rej = std::min<uint64_t>(r.rejected_spans, n - ack);
  uint64_t fail = std::min<uint64_t>(r.failed_spans, n - ack - rej);
  uint64_t not_sent = std::min<uint64_t>(r.not_sent_spans, n - ack - rej - fail);
  std::string error = r.error;
  if (ack + rej + fail + not_sent != n) {
    // The exporter broke its contract; keep the books whole and say so.
    error = absl::StrFormat("exporter accounted for %u of %u spans; the rest count as failed (%s)",
                            ack + rej + fail + not_sent, n, r.error);
    fail = n - ack - rej - not_sent;
  }
  DeliveryOutcome outcome = DeliveryOutcome::kAcknowledged;
  if (rej > 0) outcome = DeliveryOutcome::kRejected;
  if (fail > 0) outcome = DeliveryOutcome::kFailed;
  if (not_sent > 0) outcome = DeliveryOutcome::kNotSent;
  const bool answered = handoff && !r.endpoint_unreachable && r.attempts > 0 && not_sent < n;
  std::optional<uint64_t> latency;
  if (answered) latency = Nanos(now - ctx->batch->intended_send_time);
  Endpoint& ep = *endpoints_[e];
  {
    absl::MutexLock l(&ep.mu);
    EndpointStats& s = ep.stats;
    s.spans_acknowledged += ack;
    s.spans_rejected += rej;
    s.spans_failed += fail;
    s.spans_not_sent += not_sent;
    const uint64_t traces = ctx->traces.size();
    switch (outcome) {
      case DeliveryOutcome::kAcknowledged:
        s.traces_acknowledged += traces;
        break;
      case DeliveryOutcome::kRejected:
        s.traces_rejected += traces;
        break;
      case DeliveryOutcome::kFailed:
        s.traces_failed += traces;
        break;
      default:
        s.traces_not_sent += traces;
        break;
    }
    s.attempts += static_cast<uint64_t>(std::max(0, std::max(r.attempts, r.requests)));
    s.bytes_sent += r.bytes_sent;
    if (r.endpoint_unreachable) ++s.connection_failures;
    if (answered) {
      s.reached = true;
      s.latency_from_intended.Record(*latency);
      s.latency_from_send.Record(Nanos(now - *handoff));
    }
    if (!error.empty()) s.last_error = error;
    if (handoff) --ep.in_flight;
  }
  if (handoff) ep.slot_cv.Signal();
  timeline_.AddAnswer(ack, rej + fail, latency);
  ctx->outcomes[e] = outcome;
  if (ctx->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) WriteLedger(*ctx);
}

void LoadEngine::Impl::WriteLedger(const BatchContext& ctx) {
  if (options_.ledger == nullptr && !options_.on_answered) return;
  // Called when the last endpoint answered: the moment from which the trace may be queried.
  const uint64_t answered = static_cast<uint64_t>(absl::GetCurrentTimeNanos());
  bool acknowledged = true;
  for (size_t e = 0; e < endpoints_.size(); ++e)
    acknowledged &= ctx.outcomes[e] == DeliveryOutcome::kAcknowledged;
  for (const TraceMeta& m : ctx.traces) {
    LedgerRecord r;
    r.index = m.index;
    r.trace_id = m.trace_id;
    r.start_unix_nano = m.start_unix_nano;
    r.answered_unix_nano = answered;
    r.span_count = m.span_count;
    r.faults = m.faults;
    r.variant = m.variant;
    r.expected_class = m.expected_class;
    r.phase = m.phase;
    for (size_t e = 0; e < endpoints_.size() && e < kLedgerMaxEndpoints; ++e)
      r.set_outcome(e, ctx.outcomes[e]);
    if (options_.on_answered)
      options_.on_answered(TraceAnswered{m.trace_id, m.span_count, answered, acknowledged, r});
    if (options_.ledger == nullptr) continue;
    // A write error is sticky in the writer and reported by the caller's Close().
    (void)options_.ledger->Append(r);
  }
}

void LoadEngine::Impl::BeginStop() {
  if (stop_scheduling_) return;
  stop_offset_ns_ = NowOffset().count();
  {
    absl::MutexLock l(&wake_mu_);
    stop_scheduling_ = true;
  }
  wake_cv_.SignalAll();
}

void LoadEngine::Impl::BeginDrain() {
  BeginStop();
  {
    absl::MutexLock l(&wake_mu_);
    drain_ = true;
  }
  wake_cv_.SignalAll();
  for (auto& ep : endpoints_) {
    { absl::MutexLock l(&ep->mu); }
    ep->slot_cv.SignalAll();
  }
}

void LoadEngine::Impl::FillIntended(bool interrupted, std::vector<SecondSample>* timeline) {
  if (closed_loop_) return;  // no schedule: arrivals are whenever capacity frees up
  double until = std::isfinite(end_seconds_) ? end_seconds_ : std::numeric_limits<double>::max();
  if (interrupted) until = std::min(until, static_cast<double>(stop_offset_ns_.load()) / 1e9);
  const double cap = options_.max_traces > 0 ? static_cast<double>(options_.max_traces)
                                             : std::numeric_limits<double>::max();
  absl::MutexLock l(&sched_mu_);
  // Global arrivals intended in [0, t], as the whole run (all shards) would send them.
  double from = 0, before = 0;
  for (SecondSample& x : *timeline) {
    const double to = from + x.seconds;
    const double upto = std::min(cap, scheduler_.IntendedCount(std::min(to, until)));
    x.traces_intended = (upto - before) / options_.shard.count;
    from = to;
    before = upto;
  }
}

void LoadEngine::Impl::PrintProgress(bool final_line) {
  ProgressMode mode = options_.progress;
  if (mode == ProgressMode::kQuiet || options_.progress_out == nullptr) return;
  const int fd = ::fileno(options_.progress_out);
  if (mode == ProgressMode::kAuto) mode = ::isatty(fd) ? ProgressMode::kLive : ProgressMode::kLines;
  const Clock::time_point now = Clock::now();
  if (mode == ProgressMode::kLines && !final_line &&
      now - last_lines_print_ < options_.lines_interval)
    return;
  last_lines_print_ = now;

  ProgressFigures f;
  f.state = final_line ? ProgressState::kDone
            : stop_scheduling_ || workers_done_.load() == threads_
                ? ProgressState::kFlushing  // every trace handed over; answers outstanding
                : ProgressState::kSending;
  f.elapsed_seconds = Seconds(now - start_);
  if (std::isfinite(end_seconds_)) f.planned_seconds = end_seconds_;
  if (options_.max_traces > 0) f.traces_target = options_.shard.LocalCount(options_.max_traces);
  f.traces_sent = traces_sent_.load();
  f.spans_sent = spans_sent_.load();
  f.spans_scheduled = spans_scheduled_.load();
  f.spans_acknowledged = std::numeric_limits<uint64_t>::max();
  for (auto& ep : endpoints_) {
    absl::MutexLock l(&ep->mu);
    f.spans_acknowledged = std::min(f.spans_acknowledged, ep->stats.spans_acknowledged);
    if (ep->stats.spans_rejected + ep->stats.spans_failed + ep->stats.spans_not_sent >=
        f.spans_rejected + f.spans_failed + f.spans_not_sent) {
      f.spans_rejected = ep->stats.spans_rejected;
      f.spans_failed = ep->stats.spans_failed;
      f.spans_not_sent = ep->stats.spans_not_sent;
    }
    if (final_line)
      f.latency_p99_ns =
          std::max<uint64_t>(f.latency_p99_ns, ep->stats.latency_from_intended.Percentile(99));
  }
  if (endpoints_.empty()) f.spans_acknowledged = 0;
  const auto last = timeline_.Last();
  const double sending = static_cast<double>(last_handoff_ns_.load()) / 1e9;
  if (final_line) {
    // The run's averages (over the sending) and whole-run percentiles, not the last second's.
    if (sending > 0) {
      f.traces_per_second = static_cast<double>(f.traces_sent) / sending;
      f.spans_per_second = static_cast<double>(f.spans_sent) / sending;
    }
    absl::MutexLock l(&lag_mu_);
    f.lag_p99_ns = lag_.Percentile(99);
  } else if (last) {
    f.traces_per_second = static_cast<double>(last->traces_sent);
    f.spans_per_second = static_cast<double>(last->spans_sent);
    f.latency_p99_ns = last->latency_p99_ns;
    f.lag_p99_ns = last->lag_p99_ns;
  }
  if (!closed_loop_ && f.traces_target > 0 && !std::isfinite(end_seconds_)) {
    absl::MutexLock l(&sched_mu_);
    f.intended_traces_per_second =
        scheduler_.RateAt(f.elapsed_seconds) / std::max<uint32_t>(1, options_.shard.count);
  }

  std::FILE* out = options_.progress_out;
  switch (mode) {
    case ProgressMode::kJson:
      std::fprintf(out, "%s\n", FormatProgressJson(f).c_str());
      break;
    case ProgressMode::kLive:
      if (final_line) {
        std::fprintf(out, "\r\033[K%s\n", FormatFinalProgressLine(f).c_str());
      } else {
        std::fprintf(out, "\r\033[K%s", FormatProgressLine(f, TerminalWidth(fd)).c_str());
      }
      break;
    default:
      std::fprintf(out, "%s\n",
                   (final_line ? FormatFinalProgressLine(f) : FormatProgressLine(f, 0)).c_str());
  }
  std::fflush(out);
}

LoadSummary LoadEngine::Impl::Run() {
  start_ = Clock::now();
  last_lines_print_ = start_;
  const std::chrono::milliseconds grace = options_.grace;
  Clock::time_point hard_stop = Clock::time_point::max();
  const double end_seconds = end_seconds_;
  if (std::isfinite(end_seconds))
    hard_stop =
        start_ +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(end_seconds)) +
        grace;
  bool interrupted = false, deadline_hit = false;

  std::vector<std::thread> workers;
  for (int i = 0; i < threads_; ++i) workers.emplace_back([this] { Worker(); });

  Clock::time_point next_roll = start_ + std::chrono::seconds(1);
  std::thread shutdown;
  std::atomic<bool> shutdown_done{false};
  Clock::time_point send_end{};
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const Clock::time_point now = Clock::now();
    const bool stop_asked =
        stop_requested_ || (options_.stop_flag != nullptr && options_.stop_flag->load());
    if (stop_asked && !stop_scheduling_) {
      interrupted = true;
      BeginStop();
      hard_stop = std::min(hard_stop, now + grace);
    }
    if (now >= hard_stop && !drain_) {
      if (!interrupted) deadline_hit = true;
      BeginDrain();
    }
    if (workers_done_.load() == threads_ && !shutdown.joinable()) {
      for (auto& w : workers) w.join();
      send_end = Clock::now();
      // Exporters flush concurrently while this thread keeps the timeline and progress going.
      shutdown = std::thread([this, hard_stop, grace, &shutdown_done] {
        for (auto& ep : endpoints_) {
          auto left =
              hard_stop == Clock::time_point::max()
                  ? grace
                  : std::chrono::duration_cast<std::chrono::milliseconds>(hard_stop - Clock::now());
          ep->exporter->Shutdown(std::max(std::chrono::milliseconds(0), left));
        }
        shutdown_done = true;
      });
    }
    if (now >= next_roll) {
      timeline_.Roll();
      next_roll += std::chrono::seconds(1);
      if (options_.ledger != nullptr) (void)options_.ledger->Flush();
      PrintProgress(false);
    }
    if (shutdown_done) break;
  }
  shutdown.join();
  const Clock::time_point end = Clock::now();
  if (end > next_roll - std::chrono::seconds(1))  // the last partial second
    timeline_.Roll(Seconds(end - (next_roll - std::chrono::seconds(1))), /*keep_empty=*/false);
  if (options_.ledger != nullptr) (void)options_.ledger->Flush();
  PrintProgress(true);

  LoadSummary s;
  s.load = DescribeLoadProfile(options_.profile);
  s.closed_loop = options_.profile.max_rate;
  s.shard_index = options_.shard.index;
  s.shard_count = options_.shard.count;
  s.run_start_unix_nano = options_.run_start_unix_nano;
  s.planned_seconds = std::isfinite(end_seconds) ? end_seconds : 0;
  s.interrupted = interrupted;
  s.deadline_hit = deadline_hit;
  s.total_seconds = Seconds(end - start_);
  s.elapsed_seconds = static_cast<double>(last_handoff_ns_.load()) / 1e9;
  s.traces_scheduled = traces_scheduled_.load();
  s.spans_scheduled = spans_scheduled_.load();
  s.traces_sent = traces_sent_.load();
  s.spans_sent = spans_sent_.load();
  s.batches = batches_.load();
  double window = s.planned_seconds;
  if (interrupted)
    window =
        std::min(window > 0 ? window : 1e300, static_cast<double>(stop_offset_ns_.load()) / 1e9);
  if (s.closed_loop) {
    window = s.elapsed_seconds;
  } else if (window <= 0 || !std::isfinite(window)) {
    // Bounded by a trace count: the schedule spans its last intended time plus one mean gap.
    const double last = static_cast<double>(last_intended_ns_.load()) / 1e9;
    window = s.traces_scheduled > 1 ? last * s.traces_scheduled / (s.traces_scheduled - 1) : last;
    s.intended_traces_per_second = window > 0 ? s.traces_scheduled / window : 0;
  }
  if (!s.closed_loop && s.intended_traces_per_second == 0 && window > 0)
    s.intended_traces_per_second = s.traces_scheduled / window;
  const double achieved_window = std::max(window, s.elapsed_seconds);
  if (achieved_window > 0) {
    s.achieved_traces_per_second = s.traces_sent / achieved_window;
    s.achieved_spans_per_second = s.spans_sent / achieved_window;
  }
  {
    absl::MutexLock l(&lag_mu_);
    s.scheduling_lag = lag_;
  }
  for (auto& ep : endpoints_) {
    absl::MutexLock l(&ep->mu);
    s.endpoints.push_back(ep->stats);
  }
  s.timeline = timeline_.samples();
  FillIntended(interrupted, &s.timeline);
  (void)send_end;
  return s;
}

LoadEngine::LoadEngine(LoadOptions options, const TraceSource& source,
                       std::vector<Exporter*> exporters)
    : impl_(std::make_unique<Impl>(std::move(options), source, std::move(exporters))) {}
LoadEngine::~LoadEngine() = default;
LoadSummary LoadEngine::Run() { return impl_->Run(); }
void LoadEngine::Stop() { impl_->Stop(); }

}  // namespace agentstorm
