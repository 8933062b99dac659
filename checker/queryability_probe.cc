#include "checker/queryability_probe.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/readers/backend_url.h"

namespace agentstorm {

namespace {

// 850us, 12.3ms, 1.25s: a loopback sink answers in microseconds, a real backend in seconds.
std::string Micros(uint64_t us) {
  if (us < 1000) return absl::StrCat(us, "us");
  if (us < 1'000'000) return absl::StrFormat("%.1fms", static_cast<double>(us) / 1e3);
  return absl::StrFormat("%.2fs", static_cast<double>(us) / 1e6);
}

// time_us: the traces read whole, and each one given up on at give_up_after.
void Censor(QueryabilitySample* s) {
  s->time_us = s->queryable_us;
  s->time_us.RecordN(
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Microseconds(s->give_up_after))),
      s->not_queryable);
}

}  // namespace

std::string DescribeQueryability(const QueryabilitySample& s) {
  if (!s.measured)
    return "not measured (a check after the run would time its own delay; `agentstorm run` "
           "measures it on a sample while it sends)";
  if (s.sampled == 0 && s.sampled_out > 0)
    return absl::StrCat("not measured (the pipeline's sampler dropped the ", s.sampled_out,
                        s.sampled_out == 1 ? " trace" : " traces", " sampled)");
  if (s.sampled == 0) return "not measured (no trace was acknowledged while the run went on)";
  const Histogram& h = s.time_us;
  std::string out = absl::StrFormat(
      "p50 %s  p90 %s  p99 %s (%d trace%s sampled while the run went on", Micros(h.Percentile(50)),
      Micros(h.Percentile(90)), Micros(h.Percentile(99)), s.sampled, s.sampled == 1 ? "" : "s");
  if (s.not_queryable > 0)
    absl::StrAppend(&out, "; ", s.not_queryable, " not queryable within ",
                    absl::FormatDuration(s.give_up_after), ", counted as that");
  if (s.sampled_out > 0)
    absl::StrAppend(&out, "; ", s.sampled_out, " dropped by the pipeline's sampler, left out");
  if (s.skipped > 0)
    absl::StrAppend(&out, "; ", s.skipped, " skipped while ", s.sampled, " were polled");
  return out + ")";
}

QueryabilityProbe::QueryabilityProbe(std::unique_ptr<readers::TraceReader> reader,
                                     QueryabilityOptions options)
    : reader_(std::move(reader)), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

QueryabilityProbe::~QueryabilityProbe() {
  if (!finished_) (void)Finish();
}

void QueryabilityProbe::Offer(const TraceId& id, uint32_t spans, absl::Time acknowledged_at) {
  const int64_t at = absl::ToUnixNanos(acknowledged_at);
  if (at < next_window_nanos_.load(std::memory_order_relaxed)) return;
  absl::MutexLock lock(&mu_);
  if (finishing_ || sample_.sampled >= options_.max_samples) {
    next_window_nanos_.store(INT64_MAX, std::memory_order_relaxed);
    return;
  }
  if (window_start_ != absl::InfinitePast() && acknowledged_at - window_start_ < options_.every)
    return;
  window_start_ = acknowledged_at;
  next_window_nanos_.store(absl::ToUnixNanos(acknowledged_at + options_.every),
                           std::memory_order_relaxed);
  if (outstanding_ >= options_.max_outstanding) {
    ++sample_.skipped;
    return;
  }
  ++sample_.sampled;
  ++outstanding_;
  incoming_.push_back(
      Pending{id, spans, acknowledged_at, acknowledged_at, options_.first_interval});
  wake_.Signal();
}

bool QueryabilityProbe::ReadOnce(Pending* p, absl::Time now) {
  auto got = reader_->GetTrace(p->id);
  const bool whole = got.ok() && got->found && got->span_count >= p->spans;
  const bool give_up = !whole && now - p->acknowledged_at >= options_.give_up_after;
  absl::MutexLock lock(&mu_);
  if (!got.ok()) ++sample_.failed_requests;
  if (whole || give_up) {
    // The read that found it started at `now`: the trace was queryable by then.
    if (give_up) {
      ++sample_.not_queryable;
      sample_.given_up.push_back(p->id);
    } else {
      sample_.queryable_us.Record(static_cast<uint64_t>(
          std::max<int64_t>(0, absl::ToInt64Microseconds(now - p->acknowledged_at))));
    }
    return true;
  }
  p->next_read = now + p->interval;
  p->interval = std::min(p->interval * 2, options_.max_interval);
  return false;
}

void QueryabilityProbe::Loop() {
  std::vector<Pending> active;  // only this thread touches it
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (!incoming_.empty()) break;
        if (finishing_ && active.empty()) return;
        absl::Time due = absl::InfiniteFuture();
        for (const Pending& p : active) due = std::min(due, p.next_read);
        if (due <= absl::Now()) break;
        wake_.WaitWithDeadline(&mu_, due);
      }
      for (Pending& p : incoming_) active.push_back(p);
      incoming_.clear();
    }
    const absl::Time now = absl::Now();
    size_t settled = 0;
    for (auto it = active.begin(); it != active.end();) {
      if (it->next_read <= now && ReadOnce(&*it, absl::Now())) {
        it = active.erase(it);
        ++settled;
      } else {
        ++it;
      }
    }
    if (settled > 0) {
      absl::MutexLock lock(&mu_);
      outstanding_ -= settled;
    }
  }
}

QueryabilitySample QueryabilityProbe::Finish() {
  {
    absl::MutexLock lock(&mu_);
    finishing_ = true;
    wake_.Signal();
  }
  if (thread_.joinable()) thread_.join();
  finished_ = true;
  absl::MutexLock lock(&mu_);
  sample_.measured = true;
  sample_.give_up_after = options_.give_up_after;
  Censor(&sample_);
  return sample_;
}

void SetAsideSampledOut(const absl::flat_hash_set<TraceId>& not_kept, QueryabilitySample* sample) {
  std::vector<TraceId> still;
  for (const TraceId& id : sample->given_up) {
    if (not_kept.contains(id)) {
      ++sample->sampled_out;
      --sample->not_queryable;
      --sample->sampled;
    } else {
      still.push_back(id);
    }
  }
  sample->given_up = std::move(still);
  Censor(sample);
}

std::unique_ptr<QueryabilityProbe> StartQueryabilityProbe(std::string_view backend_url,
                                                          const std::vector<std::string>& headers,
                                                          QueryabilityOptions options) {
  auto url = readers::ParseBackendUrl(backend_url, headers);
  if (!url.ok() || url->kind == readers::BackendKind::kFile) return nullptr;
  readers::ReaderOptions reader_options;
  reader_options.request_timeout = std::min(options.give_up_after, absl::Seconds(5));
  auto reader = readers::MakeTraceReader(*url, reader_options);
  if (!reader.ok()) return nullptr;
  return std::make_unique<QueryabilityProbe>(std::move(*reader), options);
}

}  // namespace agentstorm
