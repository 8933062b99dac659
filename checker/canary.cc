#include "checker/canary.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/exit_codes.h"

namespace agentstorm {

Canary::Canary(CanaryOptions options, LedgerHeader header)
    : options_(std::move(options)), header_(std::move(header)) {}

Canary::~Canary() { Stop(); }

std::unique_ptr<QueryabilityProbe> Canary::NewProbe() const {
  QueryabilityOptions probe;
  probe.every = absl::ZeroDuration();  // the canary samples; the probe takes what it is given
  probe.max_samples = options_.max_per_round;
  probe.max_outstanding = options_.max_per_round;
  probe.give_up_after = options_.give_up;
  return StartQueryabilityProbe(options_.check.backend_url, options_.check.backend_headers, probe);
}

void Canary::Start() {
  {
    absl::MutexLock l(&mu_);
    probe_ = NewProbe();
  }
  thread_ = std::thread([this] { Loop(); });
}

void Canary::Offer(const LedgerRecord& record, bool acknowledged) {
  written_.fetch_add(1, std::memory_order_relaxed);
  if (!acknowledged) return;
  acknowledged_.fetch_add(1, std::memory_order_relaxed);
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t next = next_sample_nanos_.load(std::memory_order_relaxed);
  if (now < next) return;
  if (!next_sample_nanos_.compare_exchange_strong(
          next, now + absl::ToInt64Nanoseconds(options_.sample_every), std::memory_order_relaxed))
    return;  // another thread took this interval's trace
  absl::MutexLock l(&mu_);
  if (stopping_ || pending_.size() >= options_.max_per_round) {
    ++skipped_;
    return;
  }
  pending_.push_back(record);
  ++sampled_;
  if (probe_)
    probe_->Offer(record.trace_id, record.span_count,
                  absl::FromUnixNanos(static_cast<int64_t>(record.answered_unix_nano)));
}

void Canary::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Canary::Loop() {
  for (;;) {
    std::vector<LedgerRecord> round;
    std::unique_ptr<QueryabilityProbe> probe;
    bool stop = false;
    {
      absl::MutexLock l(&mu_);
      const absl::Time due = absl::Now() + options_.check_every;
      while (!stopping_ && absl::Now() < due) wake_.WaitWithDeadline(&mu_, due);
      stop = stopping_;
      round.swap(pending_);
      probe = std::move(probe_);
      if (!stop) probe_ = NewProbe();
    }
    if (!round.empty()) CheckRound(std::move(round), std::move(probe));
    if (stop) return;
  }
}

void Canary::CheckRound(std::vector<LedgerRecord> records,
                        std::unique_ptr<QueryabilityProbe> probe) {
  // The probe first: it polls the outstanding traces to their end (each bounded by give_up).
  std::optional<QueryabilitySample> queryability;
  if (probe) queryability = probe->Finish();

  const std::string path = absl::StrCat(options_.work_dir, "/round-", ++round_seq_, ".ledger");
  absl::Status written;
  {
    auto writer = LedgerWriter::Create(path, header_);
    if (!writer.ok()) {
      written = writer.status();
    } else {
      for (const LedgerRecord& r : records) {
        written = (*writer)->Append(r);
        if (!written.ok()) break;
      }
      if (written.ok()) written = (*writer)->Close();
    }
  }
  absl::StatusOr<std::unique_ptr<CheckResult>> result =
      written.ok() ? absl::InternalError("not checked") : written;
  if (written.ok()) {
    CheckOptions check = options_.check;
    check.ledger_paths = {path};
    // The probe has read each trace whole or waited give_up for it already: the check's poller
    // needs only to read them once more (what the rules see), not to wait again.
    check.wait = probe ? std::min(options_.give_up, absl::Seconds(2)) : options_.give_up;
    check.verify.reset();
    check.quiet = true;
    check.progress = false;
    check.max_failing_traces = 0;
    check.report_dir.clear();
    check.report_formats.clear();
    check.load = nullptr;
    check.queryability = nullptr;
    result = RunCheck(check);
  }
  std::remove(path.c_str());

  absl::MutexLock l(&stats_mu_);
  ++stats_.rounds;
  stats_.last_round = absl::Now();
  if (queryability) stats_.time_until_queryable_us.Merge(queryability->queryable_us);
  if (!result.ok()) {
    ++stats_.round_errors;
    stats_.last_error = std::string(result.status().message());
    return;
  }
  const CheckResult& r = **result;
  stats_.checked += records.size();
  stats_.found += r.poll.found;
  stats_.incomplete += r.poll.incomplete;
  stats_.missing += r.poll.not_found;
  stats_.unreadable += r.poll.request_failed;
  if (r.exit_code == kExitUnreachable) {
    ++stats_.rounds_unreachable;
    stats_.last_error = r.unreachable_reason;
  }
  for (const FindingSummary& s : r.findings.Summaries()) {
    if (s.count == 0) continue;
    CanaryFindingCount& f = stats_.findings[s.id];
    f.level = std::max(f.level, s.level);
    f.count += s.count;
  }
}

CanaryStats Canary::Snapshot() const {
  CanaryStats s;
  {
    absl::MutexLock l(&stats_mu_);
    s = stats_;
  }
  s.written = written_.load(std::memory_order_relaxed);
  s.acknowledged = acknowledged_.load(std::memory_order_relaxed);
  absl::MutexLock l(&mu_);
  s.sampled = sampled_;
  s.skipped = skipped_;
  return s;
}

namespace {

void Counter(std::string* out, const char* name, const char* help, uint64_t value) {
  absl::StrAppendFormat(out,
                        "# HELP agentstorm_canary_%s %s\n# TYPE agentstorm_canary_%s counter\n"
                        "agentstorm_canary_%s %d\n",
                        name, help, name, name, value);
}

std::string Seconds(uint64_t us) {
  if (us < 1000) return absl::StrCat(us, "us");
  if (us < 1'000'000) return absl::StrFormat("%.1fms", static_cast<double>(us) / 1e3);
  return absl::StrFormat("%.2fs", static_cast<double>(us) / 1e6);
}

// Prometheus label values escape backslash, double quote and newline.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string CanaryPrometheusText(const CanaryStats& s) {
  std::string out;
  static constexpr struct {
    const char* name;
    const char* help;
    uint64_t CanaryStats::*value;
  } kCounters[] = {
      {"traces_written_total", "Traces every endpoint answered for.", &CanaryStats::written},
      {"traces_acknowledged_total", "Traces every endpoint acknowledged.",
       &CanaryStats::acknowledged},
      {"traces_sampled_total", "Acknowledged traces taken into a round.", &CanaryStats::sampled},
      {"traces_skipped_total", "Traces due for the sample while the round was full.",
       &CanaryStats::skipped},
      {"traces_checked_total", "Sampled traces whose round has been checked.",
       &CanaryStats::checked},
      {"traces_found_total", "Checked traces read back whole.", &CanaryStats::found},
      {"traces_incomplete_total", "Checked traces read back with spans missing.",
       &CanaryStats::incomplete},
      {"traces_missing_total", "Checked traces not found within the give-up time.",
       &CanaryStats::missing},
      {"traces_unreadable_total", "Checked traces every read of which failed.",
       &CanaryStats::unreadable},
      {"rounds_total", "Rounds checked.", &CanaryStats::rounds},
      {"round_errors_total", "Rounds that could not be checked.", &CanaryStats::round_errors},
      {"rounds_unreachable_total", "Rounds whose backend could not be read.",
       &CanaryStats::rounds_unreachable},
  };
  for (const auto& c : kCounters) Counter(&out, c.name, c.help, s.*c.value);
  out +=
      "# HELP agentstorm_canary_findings_total Findings of every rule on the sampled traces, by "
      "finding ID and level.\n# TYPE agentstorm_canary_findings_total counter\n";
  for (const auto& [id, f] : s.findings)
    absl::StrAppendFormat(&out, "agentstorm_canary_findings_total{id=\"%s\",level=\"%s\"} %d\n",
                          LabelValue(id), FindingLevelName(f.level), f.count);
  const Histogram& h = s.time_until_queryable_us;
  out +=
      "# HELP agentstorm_canary_time_until_queryable_seconds From the acknowledgement to the "
      "first read that returned the trace whole.\n"
      "# TYPE agentstorm_canary_time_until_queryable_seconds histogram\n";
  for (double le :
       {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0})
    absl::StrAppendFormat(&out,
                          "agentstorm_canary_time_until_queryable_seconds_bucket{le=\"%g\"} %d\n",
                          le, h.CountAtMost(static_cast<uint64_t>(le * 1e6)));
  absl::StrAppendFormat(&out,
                        "agentstorm_canary_time_until_queryable_seconds_bucket{le=\"+Inf\"} %d\n"
                        "agentstorm_canary_time_until_queryable_seconds_sum %.6f\n"
                        "agentstorm_canary_time_until_queryable_seconds_count %d\n",
                        h.count(), h.Mean() * static_cast<double>(h.count()) / 1e6, h.count());
  // Declared from the start; its sample once a round has been checked (an alert on its age
  // then reads no series rather than the epoch).
  out +=
      "# HELP agentstorm_canary_last_round_timestamp_seconds When the last round was checked.\n"
      "# TYPE agentstorm_canary_last_round_timestamp_seconds gauge\n";
  if (s.last_round != absl::InfinitePast())
    absl::StrAppendFormat(&out, "agentstorm_canary_last_round_timestamp_seconds %.3f\n",
                          absl::ToDoubleSeconds(s.last_round - absl::UnixEpoch()));
  return out;
}

std::string DescribeCanaryStats(const CanaryStats& s) {
  uint64_t violations = 0;
  for (const auto& [id, f] : s.findings)
    if (f.level == FindingLevel::kViolation) violations += f.count;
  const Histogram& h = s.time_until_queryable_us;
  std::string line = absl::StrFormat(
      "round %d: %d written%s, %d sampled, %d checked: %d found, %d incomplete, %d missing, %d "
      "unreadable; %d violation finding%s",
      s.rounds, s.written,
      s.acknowledged == s.written
          ? ""
          : absl::StrFormat(" (%d not acknowledged)", s.written - s.acknowledged),
      s.sampled, s.checked, s.found, s.incomplete, s.missing, s.unreadable, violations,
      violations == 1 ? "" : "s");
  if (h.count() > 0)
    absl::StrAppend(&line, "; time until queryable p50 ", Seconds(h.Percentile(50)), " p99 ",
                    Seconds(h.Percentile(99)));
  if (s.skipped > 0) absl::StrAppendFormat(&line, "; %d skipped (round full)", s.skipped);
  if (!s.last_error.empty()) absl::StrAppend(&line, "; last error: ", s.last_error);
  return line;
}

}  // namespace agentstorm
