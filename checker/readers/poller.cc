#include "checker/readers/poller.h"

#include <algorithm>
#include <queue>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace agentstorm::readers {
namespace {

struct State {
  const ExpectedTrace* expected = nullptr;
  PolledTrace result;
  size_t last_count = 0;
  bool seen = false;
  bool any_success = false;
  int same_count_reads = 0;
  absl::Duration backoff;
};

struct Due {
  absl::Time at;
  size_t index;
  bool operator>(const Due& other) const {
    return at != other.at ? at > other.at : index > other.index;
  }
};

TraceLookup LookupOf(const ExpectedTrace& e) {
  return TraceLookup(e.id, e.service, e.start_unix_nano);
}

}  // namespace

Poller::Poller(TraceReader* reader, PollerOptions options) : reader_(reader), options_(options) {}

PollSummary Poller::Run(const std::vector<ExpectedTrace>& traces,
                        const std::function<void(PolledTrace&&)>& on_result) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + options_.wait;
  PollSummary summary;

  std::vector<State> states(traces.size());
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> queue;
  for (size_t i = 0; i < traces.size(); ++i) {
    states[i].expected = &traces[i];
    states[i].result.id = traces[i].id;
    states[i].result.expected_spans = traces[i].expected_spans;
    states[i].backoff = options_.initial_backoff;
    queue.push({start, i});
  }

  // mu guards everything below, `states`, `queue` and `summary`; callback_mu serializes
  // on_result.
  absl::Mutex mu;
  absl::CondVar cv;
  absl::Mutex callback_mu;
  size_t in_flight = 0;
  size_t remaining = traces.size();
  bool any_success = false;
  int unreachable_streak = 0;
  bool abort = false;

  // Counts the outcome and moves the trace to `ended`, for deliver() to hand to on_result.
  auto finish = [&](State& s, TraceOutcome outcome,
                    std::vector<PolledTrace>* ended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    s.result.outcome = outcome;
    switch (outcome) {
      case TraceOutcome::kFound:
        ++summary.found;
        break;
      case TraceOutcome::kNotFound:
        ++summary.not_found;
        break;
      case TraceOutcome::kIncomplete:
        ++summary.incomplete;
        break;
      case TraceOutcome::kRequestFailed:
        ++summary.request_failed;
        break;
    }
    if (s.result.time_until_queryable) {
      summary.time_until_queryable_us.Record(static_cast<uint64_t>(
          std::max<int64_t>(0, absl::ToInt64Microseconds(*s.result.time_until_queryable))));
    }
    --remaining;
    ended->push_back(std::move(s.result));
    if (!options_.keep_data) {
      ended->back().trace.data = ArenaTraces();
      ended->back().trace.wire.clear();
    }
  };
  // Hands the traces that ended to on_result, without mu: the traces of one request together
  // (one handover per request, not per trace).
  auto deliver = [&](std::vector<PolledTrace>* ended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (ended->empty()) return;
    mu.Unlock();
    if (on_result) {
      absl::MutexLock callback_lock(&callback_mu);
      for (PolledTrace& done : *ended) on_result(std::move(done));
    }
    ended->clear();
    mu.Lock();
  };

  // The outcome of a trace that is not settled when polling ends.
  auto final_outcome = [](const State& s) {
    if (s.seen) {
      const int64_t expected = s.expected->expected_spans;
      return expected >= 0 && static_cast<int64_t>(s.last_count) < expected
                 ? TraceOutcome::kIncomplete
                 : TraceOutcome::kFound;
    }
    return s.any_success ? TraceOutcome::kNotFound : TraceOutcome::kRequestFailed;
  };

  // One answer about the trace of `s`: ends it when it settled (or polling is over), else
  // schedules its next read.
  auto absorb = [&](State& s, absl::StatusOr<FetchedTrace>&& fetched, absl::Time read_at,
                    bool past_deadline,
                    std::vector<PolledTrace>* ended) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ++s.result.polls;
    bool settled = false;
    if (!fetched.ok()) {
      ++s.result.failed_polls;
      s.result.last_error = fetched.status();
      if (summary.first_error.ok()) summary.first_error = fetched.status();
    } else {
      s.any_success = true;
      if (fetched->found) {
        if (!s.seen) {
          s.seen = true;
          if (s.expected->sent_at != absl::InfinitePast()) {
            s.result.time_until_queryable = read_at - s.expected->sent_at;
          }
        }
        const size_t count = fetched->span_count;
        if (count == s.last_count && s.same_count_reads > 0) {
          ++s.same_count_reads;
        } else {
          s.same_count_reads = 1;
          s.backoff = options_.initial_backoff;  // still arriving: look again soon
        }
        s.last_count = count;
        const int64_t expected = s.expected->expected_spans;
        if (!fetched->partial) {
          if (expected >= 0 && static_cast<int64_t>(count) == expected) {
            settled = s.same_count_reads >= options_.stable_polls_at_expected;
          }
          if (!settled) {
            settled = s.same_count_reads >= options_.stable_polls &&
                      (expected < 0 || static_cast<int64_t>(count) >= expected);
          }
        }
        s.result.trace = std::move(*fetched);
      }
    }
    if (settled) {
      finish(s, TraceOutcome::kFound, ended);
    } else if (past_deadline || abort) {
      finish(s, final_outcome(s), ended);
    } else {
      const absl::Time due = std::min(read_at + s.backoff, deadline);
      s.backoff = std::min(options_.max_backoff, s.backoff * options_.backoff_multiplier);
      queue.push({due, static_cast<size_t>(&s - states.data())});
    }
  };

  auto worker = [&] {
    std::vector<PolledTrace> ended;
    mu.Lock();
    while (true) {
      if (abort) {
        while (!queue.empty()) {
          State& s = states[queue.top().index];
          queue.pop();
          finish(s, final_outcome(s), &ended);
        }
        deliver(&ended);
      }
      if (queue.empty()) {
        if (in_flight == 0) break;
        cv.Wait(&mu);
        continue;
      }
      const Due next = queue.top();
      const absl::Time now = absl::Now();
      if (next.at > now) {
        cv.WaitWithTimeout(&mu, next.at - now);
        continue;
      }
      // Every trace due by now, up to what one request of the reader carries.
      // A reader that batches only located traces gets a trace without a location alone.
      std::vector<size_t> batch;
      const size_t max_batch = std::max<size_t>(1, reader_->MaxBatch());
      const bool need_locations = max_batch > 1 && reader_->BatchesNeedLocations();
      while (!queue.empty() && queue.top().at <= now && batch.size() < max_batch) {
        const size_t i = queue.top().index;
        if (need_locations && !LookupOf(*states[i].expected).Located()) {
          if (batch.empty()) {
            batch.push_back(i);
            queue.pop();
          }
          break;
        }
        batch.push_back(i);
        queue.pop();
      }
      ++in_flight;
      ++summary.requests;
      mu.Unlock();

      std::vector<absl::StatusOr<FetchedTrace>> fetched;
      if (batch.size() == 1) {
        fetched.push_back(reader_->GetTrace(states[batch[0]].expected->id));
      } else {
        std::vector<TraceLookup> lookups;
        lookups.reserve(batch.size());
        for (size_t i : batch) lookups.push_back(LookupOf(*states[i].expected));
        fetched = reader_->GetTraces(lookups);
        // A reader answers every ID; one that did not fails those it left out.
        fetched.resize(batch.size(), absl::InternalError("the reader gave no answer for it"));
      }
      const absl::Time read_at = absl::Now();

      mu.Lock();
      --in_flight;
      // The request failed when no trace of it was answered; it counts once toward the streak
      // of unreachable requests however many traces it asked about.
      if (std::none_of(fetched.begin(), fetched.end(), [](const auto& f) { return f.ok(); })) {
        ++summary.failed_requests;
        unreachable_streak = IsUnreachable(fetched.front().status()) ? unreachable_streak + 1 : 0;
      } else {
        unreachable_streak = 0;
        any_success = true;
      }
      const bool past_deadline = read_at >= deadline;
      if (past_deadline &&
          (!any_success || unreachable_streak >= options_.unreachable_abort_after)) {
        if (!abort) summary.backend_unreachable = true;
        abort = true;
      }
      for (size_t b = 0; b < batch.size(); ++b) {
        absorb(states[batch[b]], std::move(fetched[b]), read_at, past_deadline, &ended);
      }
      cv.SignalAll();
      deliver(&ended);
    }
    cv.SignalAll();
    mu.Unlock();
  };

  std::vector<std::thread> threads;
  const int n = std::max(
      1, std::min<int>(options_.concurrency, static_cast<int>(std::max<size_t>(1, traces.size()))));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  summary.elapsed = absl::Now() - start;
  return summary;
}

}  // namespace agentstorm::readers
