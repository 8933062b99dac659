#include "checker/check_pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "checker/check_config.h"
#include "checker/check_guards.h"
#include "checker/check_rules.h"
#include "checker/check_thresholds.h"
#include "checker/expected_traces.h"
#include "checker/readers/backend_probe.h"
#include "checker/readers/backend_url.h"
#include "checker/readers/trace_reader.h"
#include "checker/rules/sampling_rule.h"
#include "checker/trace_check.h"
#include "core/exit_codes.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/load_summary.h"
#include "core/run_id.h"
#include "scenario/attribute_overrides.h"
#include "scenario/scenario_loader.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using readers::ExpectedTrace;
using readers::PolledTrace;

// A bounded queue between the poller (one producer at a time) and the rule workers: the
// poller blocks when the rules fall behind, so memory stays bounded on a 1M-trace run.
class ResultQueue {
 public:
  explicit ResultQueue(size_t capacity) : capacity_(capacity) {}
  void Push(PolledTrace&& t) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    while (items_.size() >= capacity_) not_full_.Wait(&mu_);
    items_.push_back(std::move(t));
    not_empty_.Signal();
  }
  bool Pop(PolledTrace* out) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    while (items_.empty() && !closed_) not_empty_.Wait(&mu_);
    if (items_.empty()) return false;
    *out = std::move(items_.front());
    items_.pop_front();
    not_full_.Signal();
    return true;
  }
  void Close() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    not_empty_.SignalAll();
  }

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  absl::CondVar not_empty_, not_full_;
  std::deque<PolledTrace> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// "check: 1.2k/5k traces settled (24%), 240 traces/s, 18s of --wait left": every 5 s as a line,
// or every second rewritten in place on a terminal; a last line when polling ends.
class ProgressPrinter {
 public:
  ProgressPrinter(bool enabled, size_t total, absl::Duration wait,
                  const std::atomic<uint64_t>* done)
      : enabled_(enabled),
        live_(::isatty(::fileno(stderr)) != 0),
        total_(total),
        done_(done),
        start_(absl::Now()),
        deadline_(start_ + wait) {
    if (enabled_) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressPrinter() { Stop(); }
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void Stop() ABSL_LOCKS_EXCLUDED(mu_) {
    if (!thread_.joinable()) return;
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    thread_.join();
    // A line of its own after a live one, or when polling took long enough to print one.
    if (live_ && printed_) std::fprintf(stderr, "\r\033[K%s\n", Line().c_str());
  }

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_) {
    const absl::Duration every = live_ ? absl::Seconds(1) : absl::Seconds(5);
    absl::MutexLock l(&mu_);
    for (absl::Time next = start_ + every;; next += every) {
      const auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithDeadline(absl::Condition(&stopping), next)) return;
      const std::string line = Line();
      printed_ = true;
      if (live_) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
      } else {
        std::fprintf(stderr, "%s\n", line.c_str());
      }
      std::fflush(stderr);
    }
  }

  std::string Line() const {
    const uint64_t n = done_->load();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    const double left = std::max(0.0, absl::ToDoubleSeconds(deadline_ - absl::Now()));
    return absl::StrFormat(
        "check: %s/%s traces settled (%.0f%%), %s traces/s, %.0fs of --wait left",
        HumanCount(static_cast<double>(n)), HumanCount(static_cast<double>(total_)),
        total_ > 0 ? 100.0 * static_cast<double>(n) / static_cast<double>(total_) : 100.0,
        HumanCount(seconds > 0 ? static_cast<double>(n) / seconds : 0), left);
  }

  const bool enabled_, live_;
  const size_t total_;
  const std::atomic<uint64_t>* done_;
  const absl::Time start_, deadline_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool printed_ = false;  // written by the thread, read after join()
  std::thread thread_;
};

absl::StatusOr<std::shared_ptr<const Scenario>> LoadLedgerScenario(const CheckOptions& options,
                                                                   const LedgerHeader& header) {
  std::shared_ptr<const Scenario> scenario = options.scenario;
  if (!scenario) {
    std::string path = header.scenario_path;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      path = ResolveScenarioPath(fs::path(path).filename().string(),
                                 BundledScenariosDir(options.source_dir));
    }
    auto loaded = LoadScenario(path);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("the ledger's scenario ", header.scenario_path,
                                                     ": ", loaded.status().message()));
    }
    scenario = *loaded;
  }
  if (!header.attribute_overrides.empty()) {
    auto overrides = DecodeAttributeOverrides(header.attribute_overrides);
    if (!overrides.ok()) return overrides.status();
    auto with = std::make_shared<Scenario>(*scenario);
    ApplyAttributeOverrides(*overrides, with.get());
    scenario = std::move(with);
  }
  if (scenario->SourceHash() != header.scenario_hash) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "scenario %s is not the one the ledger was written from (its text hash is %016x, the "
        "ledger says %016x): check with the scenario file of the run",
        scenario->source_file.empty() ? header.scenario_path : scenario->source_file,
        scenario->SourceHash(), header.scenario_hash));
  }
  return scenario;
}

// Configuration first: a usage error must not wait for a backend.
absl::StatusOr<FindingSetOptions> LoadFindingOptions(const CheckOptions& options) {
  if (options.finding_options) return *options.finding_options;
  if (options.config_path.empty()) return FindingSetOptions{};
  return LoadCheckConfig(options.config_path);
}

// The service of a variant's root span (its entry agent's or workflow's), which starts when the
// trace does: where a search finds the trace (readers::TraceLookup). Empty when unknown.
std::string_view RootService(const Scenario& scenario, size_t variant_index) {
  if (variant_index >= scenario.variants.size()) return {};
  const Variant& variant = scenario.variants[variant_index];
  if (variant.part < 0 || static_cast<size_t>(variant.part) >= scenario.parts.size()) return {};
  const ScenarioPart& part = scenario.parts[variant.part];
  const size_t entry = static_cast<size_t>(variant.entry);
  int service = -1;
  if (variant.entry_is_workflow && entry < part.workflows.size()) {
    service = part.workflows[entry].service;
  } else if (!variant.entry_is_workflow && entry < part.agents.size()) {
    service = part.agents[entry].service;
  }
  if (service < 0 || static_cast<size_t>(service) >= part.services.size()) return {};
  return part.services[service].name;
}

// Ledger mode: poll every trace of the ledger, acknowledged ones with their span count; count
// what was sent and acknowledged per variant and class.
// With --verify, only the records of the sample (checker/verify_sample.h).
void PlanLedgerPoll(const Ledger& ledger, const Scenario& scenario, size_t endpoints,
                    const CheckOptions& options, CheckResult* r,
                    std::vector<ExpectedTrace>* expected, LedgerIndex* index) {
  r->scenario_name = scenario.name;
  r->scenario_path = ledger.header.scenario_path;
  r->seed = ledger.header.seed;
  r->run_id = FormatRunId(ledger.header.run_id);
  r->shards = ledger.header.shard.count;
  r->run_start_unix_nano = ledger.header.run_start_unix_nano;
  std::vector<size_t> picked;
  if (options.verify) {
    const uint64_t want = VerifySampleSize(*options.verify, ledger.records.size());
    VerifiedSample& v = r->verify;
    v.active = want < ledger.records.size();
    v.seed = ledger.header.seed;
    v.population = ledger.records.size();
    v.confidence = options.sampling_confidence;
    for (const LedgerRecord& rec : ledger.records) {
      if (rec.Worst(endpoints) == DeliveryOutcome::kAcknowledged) ++v.population_acknowledged;
    }
    if (v.active) {
      std::vector<TraceId> ids;
      ids.reserve(ledger.records.size());
      for (const LedgerRecord& rec : ledger.records) ids.push_back(rec.trace_id);
      picked = DrawVerifySample(ids, want, v.seed);
    }
  }
  const bool sample = r->verify.active;
  const size_t n = sample ? picked.size() : ledger.records.size();
  expected->reserve(n);
  index->reserve(n);
  for (size_t k = 0; k < n; ++k) {
    const size_t i = sample ? picked[k] : k;
    const LedgerRecord& rec = ledger.records[i];
    const bool acked = rec.Worst(endpoints) == DeliveryOutcome::kAcknowledged;
    ExpectedTrace e;
    e.id = rec.trace_id;
    e.expected_spans = acked ? rec.span_count : -1;
    e.service = RootService(scenario, rec.variant);
    e.start_unix_nano = rec.start_unix_nano;
    // No sent_at: polled long after the acknowledgement, the first read would measure the
    // check's own delay, not the backend's (CheckOptions::queryability measures it for real).
    expected->push_back(e);
    index->emplace(rec.trace_id, i);
    const std::string variant = rec.variant < scenario.variants.size()
                                    ? scenario.variants[rec.variant].name
                                    : absl::StrCat("#", rec.variant);
    CheckCounts& v = r->by_variant[variant];
    CheckCounts& c = r->by_class[TraceClassName(rec.expected_class)];
    ++v.sent;
    ++c.sent;
    if (acked) {
      ++v.acknowledged;
      ++c.acknowledged;
      ++r->traces_acknowledged;
      r->spans_expected += rec.span_count;
    }
  }
  r->traces_expected = n;
  if (sample) {
    r->verify.sampled = n;
    r->verify.sampled_acknowledged = r->traces_acknowledged;
  }
}

// Ledger-less: the --trace-id IDs, then the traces TraceReader::FindTraces finds for
// --service. False (and the result marked unreachable) when the search could not reach the
// backend; an error Status for a bad trace ID or another search failure.
absl::StatusOr<bool> PlanLivePoll(const CheckOptions& options, readers::TraceReader& reader,
                                  CheckResult* r, std::vector<ExpectedTrace>* expected) {
  std::vector<TraceId> ids;
  for (const std::string& hex : options.trace_ids) {
    auto id = ParseTraceId(hex);
    if (!id)
      return absl::InvalidArgumentError(absl::StrCat("--trace-id ", hex, ": not a trace ID"));
    ids.push_back(*id);
  }
  if (!options.service.empty()) {
    readers::TraceSearch search;
    search.service = options.service;
    if (options.since > absl::ZeroDuration()) search.start = absl::Now() - options.since;
    search.limit = options.max_traces;
    auto found = reader.FindTraces(search);
    if (!found.ok()) {
      if (!readers::IsUnreachable(found.status())) return found.status();
      r->exit_code = kExitUnreachable;
      r->unreachable_reason = std::string(found.status().message());
      r->poll.backend_unreachable = true;
      return false;
    }
    ids.insert(ids.end(), found->begin(), found->end());
  }
  for (const TraceId& id : ids) expected->push_back(ExpectedTrace{id, -1, absl::InfinitePast()});
  r->traces_expected = expected->size();
  return true;
}

// Polls `expected` and checks each trace as it settles on a pool of worker threads, behind a
// bounded queue so a 1M-trace run streams through.
// `not_found_of` (may be null): the traces of that set the poll found absent go to `not_found`.
void PollAndCheck(const CheckOptions& options, readers::TraceReader* reader,
                  const std::vector<ExpectedTrace>& expected, TraceCheck* check, CheckResult* r,
                  const absl::flat_hash_set<TraceId>* not_found_of,
                  absl::flat_hash_set<TraceId>* not_found) {
  ResultQueue queue(256);
  const int workers = std::max(
      1, std::min<int>(options.concurrency, static_cast<int>(std::thread::hardware_concurrency())));
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] {
      SynthesizedTrace scratch;
      PolledTrace polled;
      while (queue.Pop(&polled)) check->Check(polled, &scratch);
    });
  }

  readers::PollerOptions po = options.poller;
  po.wait = options.wait;
  po.concurrency = std::max(1, options.concurrency);
  readers::Poller poller(reader, po);
  std::atomic<uint64_t> done{0};
  absl::Mutex not_found_mu;
  // Progress on its own thread, so that a check waiting on a slow backend still says how far it
  // got and how much of --wait is left.
  ProgressPrinter progress(options.progress && !options.quiet, expected.size(), options.wait,
                           &done);
  r->poll = poller.Run(expected, [&](PolledTrace&& t) {
    done.fetch_add(1);
    if (not_found_of != nullptr && t.outcome == readers::TraceOutcome::kNotFound &&
        not_found_of->contains(t.id)) {
      absl::MutexLock lock(&not_found_mu);
      not_found->insert(t.id);
    }
    queue.Push(std::move(t));
  });
  progress.Stop();
  queue.Close();
  for (auto& t : threads) t.join();
  r->poll_elapsed = r->poll.elapsed;
  r->reads = reader->Counts();
  r->outcomes["found"] = r->poll.found;
  r->outcomes["not_found"] = r->poll.not_found;
  r->outcomes["incomplete"] = r->poll.incomplete;
  r->outcomes["request_failed"] = r->poll.request_failed;
}

std::vector<SamplingInterval> SamplingIntervals(const SamplingRule& sampling) {
  std::vector<SamplingInterval> out;
  for (const auto& p : sampling.populations()) {
    SamplingInterval s;
    s.population = p.name;
    s.expected = p.expected;
    s.kept = p.kept;
    s.total = p.total;
    s.observed = p.total > 0 ? static_cast<double>(p.kept) / p.total : 0;
    s.low = p.interval.low;
    s.high = p.interval.high;
    s.confidence = p.confidence;
    s.passed = p.passed;
    out.push_back(s);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CheckResult>> RunCheck(const CheckOptions& options) {
  const absl::Time started = absl::Now();
  const bool ledger_mode = !options.ledger_paths.empty();
  if (!ledger_mode && options.service.empty() && options.trace_ids.empty()) {
    return absl::InvalidArgumentError(
        "give --ledger FILE..., or --service NAME [--since D], or --trace-id ID...");
  }
  if (!ledger_mode && options.verify) {
    return absl::InvalidArgumentError(
        "--verify draws its sample from a ledger's traces: give --ledger FILE... (without one, "
        "--limit bounds how many traces --service reads)");
  }
  if (options.backend_url.empty()) return absl::InvalidArgumentError("--backend URL is required");
  absl::StatusOr<FindingSetOptions> finding_options = LoadFindingOptions(options);
  if (!finding_options.ok()) return finding_options.status();
  absl::StatusOr<readers::BackendUrl> url =
      readers::ParseBackendUrl(options.backend_url, options.backend_headers);
  if (!url.ok()) return url.status();
  std::vector<std::string> threshold_texts = options.thresholds;
  threshold_texts.insert(threshold_texts.end(), finding_options->thresholds.begin(),
                         finding_options->thresholds.end());
  absl::StatusOr<std::vector<Threshold>> thresholds = ParseThresholds(threshold_texts);
  if (!thresholds.ok()) return thresholds.status();
  const bool default_thresholds =
      options.default_thresholds && finding_options->default_thresholds.value_or(true);

  std::optional<Ledger> ledger;
  std::shared_ptr<const Scenario> scenario;
  if (ledger_mode) {
    auto read = ReadLedgers(options.ledger_paths);
    if (!read.ok()) return read.status();
    ledger = *std::move(read);
    auto sc = LoadLedgerScenario(options, ledger->header);
    if (!sc.ok()) return sc.status();
    scenario = *sc;
  }
  const Ledger* ledger_ptr = ledger ? &*ledger : nullptr;
  auto model = LoadCheckSemconvModel(options, ledger_ptr, &*finding_options);
  if (!model.ok()) return model.status();

  if (options.on_finding) finding_options->on_finding = options.on_finding;
  auto result = std::make_unique<CheckResult>(*std::move(finding_options));
  CheckResult& r = *result;
  r.fail_on = options.fail_on;
  if (options.queryability != nullptr) r.queryability = *options.queryability;
  r.mode = ledger_mode ? "ledger" : "live";
  r.semconv_model = model->name;
  // --wait bounds the whole check: polling stops at it, and no backend request outlives it by
  // more than a grace for the answers in flight (a tenth of it, 1 s to 10 s).
  readers::ReaderOptions reader_options;
  reader_options.deadline =
      started + options.wait + std::clamp(options.wait / 10, absl::Seconds(1), absl::Seconds(10));
  auto reader = readers::MakeTraceReader(*url, reader_options);
  if (!reader.ok()) return reader.status();
  r.backend = (*reader)->Describe();
  auto rules = BuildCheckRules(options, scenario.get(), ledger_ptr, std::move(model->model),
                               r.findings.options(), (*reader)->Carries());
  if (!rules.ok()) return rules.status();

  std::vector<ExpectedTrace> expected;
  LedgerIndex index;
  const size_t endpoints = ledger ? std::max<size_t>(1, ledger->header.endpoints.size()) : 0;
  // The wrong kind of backend (tempo:// at a Jaeger port) is exit 3 naming what answered, not
  // every trace "lost by the pipeline"; one that is not up yet is the poller's to wait for.
  const absl::Status probe = readers::ProbeBackend(*url, reader_options);
  if (probe.code() == absl::StatusCode::kFailedPrecondition) {
    if (ledger_mode) PlanLedgerPoll(*ledger, *scenario, endpoints, options, &r, &expected, &index);
    r.exit_code = kExitUnreachable;
    r.unreachable_reason = std::string(probe.message());
    r.poll.backend_unreachable = true;
    r.elapsed = absl::Now() - started;
    return result;
  }
  if (ledger_mode) {
    PlanLedgerPoll(*ledger, *scenario, endpoints, options, &r, &expected, &index);
  } else {
    absl::StatusOr<bool> reachable = PlanLivePoll(options, **reader, &r, &expected);
    if (!reachable.ok()) return reachable.status();
    if (!*reachable) {
      r.elapsed = absl::Now() - started;
      return result;
    }
  }
  r.traces_polled = expected.size();

  std::optional<ExpectedTraceRebuilder> rebuilder;
  if (ledger_mode) rebuilder.emplace(scenario, ledger->header);
  TraceCheckContext context;
  context.ledger = ledger_ptr;
  context.index = &index;
  context.scenario = scenario.get();
  context.rebuilder = rebuilder ? &*rebuilder : nullptr;
  context.endpoints = endpoints;
  context.rules = &rules->rules;
  context.max_failing_traces = options.max_failing_traces;
  context.compare_wire = options.compare_wire;
  TraceCheck check(context, &r);
  // A probed trace never readable, under a scenario that expects the pipeline to sample, may have
  // been dropped by the sampler: the poll says which were absent to the end.
  const bool sampled = rules->sampling != nullptr && !r.queryability.given_up.empty();
  const absl::flat_hash_set<TraceId> given_up(r.queryability.given_up.begin(),
                                              r.queryability.given_up.end());
  absl::flat_hash_set<TraceId> not_kept;
  PollAndCheck(options, reader->get(), expected, &check, &r, sampled ? &given_up : nullptr,
               &not_kept);
  if (sampled) SetAsideSampledOut(not_kept, &r.queryability);

  for (auto& rule : rules->rules) rule->Finish(&r.findings);
  if (rules->sampling != nullptr) r.sampling = SamplingIntervals(*rules->sampling);
  ApplyCheckGuards(scenario.get(), options.sampling_confidence, &r);
  if (ledger) ApplyLedgerGuards(*ledger, &r);
  if (r.verify.active) {
    // Lost: absent, or read with fewer spans than acknowledged (incomplete: only acknowledged
    // traces have a span count to fall short of).
    const uint64_t acked_read = AcknowledgedTracesRead(r);
    const auto incomplete = r.outcomes.find("incomplete");
    r.verify.lost = r.verify.sampled_acknowledged -
                    std::min(r.verify.sampled_acknowledged, acked_read) +
                    (incomplete == r.outcomes.end() ? 0 : incomplete->second);
    r.verify.lost = std::min(r.verify.lost, r.verify.sampled_acknowledged);
    r.verify.loss_rate_bound =
        LossRateUpperBound(r.verify.lost, r.verify.sampled_acknowledged, r.verify.confidence);
  }
  ApplyThresholds(WithDefaultThresholds(*std::move(thresholds), ledger_mode && default_thresholds),
                  CheckFigures(r, ledger_ptr, options.load), &r);
  r.findings.Finish();
  r.elapsed = absl::Now() - started;
  if (r.exit_code != kExitUnreachable) {
    r.exit_code = r.findings.CountAtOrAbove(options.fail_on) > 0 ? kExitViolation : kExitOk;
  }
  return result;
}

std::string DescribeVerifiedSample(const VerifiedSample& v) {
  if (!v.active) return "";
  return absl::StrFormat(
      "a sample of %d of %d traces was verified (--verify, drawn with seed %d): %d of its %d "
      "acknowledged traces lost or incomplete, so at most %.3g%% of the run's %d acknowledged "
      "traces were lost, at %.4g%% confidence (Clopper-Pearson); the rules judged the sample only",
      v.sampled, v.population, v.seed, v.lost, v.sampled_acknowledged, 100 * v.loss_rate_bound,
      v.population_acknowledged, 100 * v.confidence);
}

std::string FormatCheckSummary(const CheckResult& r) {
  std::string out;
  absl::StrAppendFormat(&out, "agentstorm check: %s mode, backend %s\n", r.mode, r.backend);
  if (r.mode == "ledger") {
    absl::StrAppendFormat(&out, "  scenario %s (seed %d, run %s, %d shard%s), semconv %s\n",
                          r.scenario_name, r.seed, r.run_id, r.shards, r.shards == 1 ? "" : "s",
                          r.semconv_model);
    absl::StrAppendFormat(
        &out,
        "  traces%s: %d sent, %d acknowledged, %d read back (%d spans of %d "
        "acknowledged)%s\n",
        r.verify.active ? " of the sample" : "", r.traces_expected, r.traces_acknowledged,
        r.traces_read, r.spans_read, r.spans_expected,
        r.unacknowledged_but_present > 0
            ? absl::StrCat(", ", r.unacknowledged_but_present, " present though never acknowledged")
            : "");
    if (r.verify.active) absl::StrAppend(&out, "  ", DescribeVerifiedSample(r.verify), "\n");
  } else {
    absl::StrAppendFormat(&out, "  semconv %s; traces: %d polled, %d read (%d spans)\n",
                          r.semconv_model, r.traces_polled, r.traces_read, r.spans_read);
  }
  absl::StrAppendFormat(&out,
                        "  outcomes: %d found, %d incomplete, %d not found, %d request failed "
                        "(%d requests, %d failed) in %s\n",
                        r.poll.found, r.poll.incomplete, r.poll.not_found, r.poll.request_failed,
                        r.poll.requests, r.poll.failed_requests,
                        absl::FormatDuration(absl::Trunc(r.poll_elapsed, absl::Milliseconds(1))));
  if (r.reads.searches > 0) {
    // Against a backend without agentstorm's bulk read (a Jaeger): how its search did.
    absl::StrAppendFormat(&out,
                          "  read through the backend's search: %d traces found by %d searches, "
                          "%d reads by ID\n",
                          r.reads.found_by_search, r.reads.searches, r.reads.read_by_id);
  }
  absl::StrAppend(&out, "  time until queryable: ", DescribeQueryability(r.queryability), "\n");
  for (const SamplingInterval& s : r.sampling) {
    absl::StrAppendFormat(&out,
                          "  sampling %s: kept %d of %d (%.4f), %.1f%% Wilson interval [%.4f, "
                          "%.4f], expected %g: %s\n",
                          s.population, s.kept, s.total, s.observed, s.confidence * 100, s.low,
                          s.high, s.expected, s.passed ? "ok" : "OUT OF BOUNDS");
  }
  const auto totals = r.findings.Totals();
  if (!totals.empty()) {
    std::vector<std::string> parts;
    for (const auto& [rule, t] : totals)
      parts.push_back(absl::StrCat(rule, " ", t.passed, "/", t.evaluated));
    absl::StrAppend(&out, "  passed: ", absl::StrJoin(parts, ", "), "\n");
  }
  // Findings grouped by rule family, then ID, with the first examples.
  const auto summaries = r.findings.Summaries();
  std::string family;
  for (const FindingSummary& s : summaries) {
    if (s.count == 0 && s.suppressed == 0) continue;
    const std::string f(s.id.substr(0, s.id.find('.')));
    if (f != family) {
      family = f;
      absl::StrAppend(&out, "\n", family, "\n");
    }
    absl::StrAppendFormat(&out, "  %-11s %-40s %d", FindingLevelName(s.level), s.id, s.count);
    if (s.suppressed > 0) absl::StrAppendFormat(&out, " (+%d suppressed)", s.suppressed);
    absl::StrAppend(&out, "\n");
    for (size_t i = 0; i < s.examples.size() && i < 3; ++i) {
      const Finding& e = s.examples[i];
      std::string where;
      if (!e.trace_id.empty()) absl::StrAppend(&where, "trace ", e.trace_id);
      if (!e.span_id.empty()) absl::StrAppend(&where, " span ", e.span_id);
      if (!e.span_name.empty()) absl::StrAppend(&where, " (", e.span_name, ")");
      if (!e.attribute.empty()) absl::StrAppend(&where, " ", e.attribute);
      absl::StrAppend(&out, "      ", where.empty() ? "" : where + ": ", e.message);
      if (!e.expected.empty() || !e.actual.empty())
        absl::StrAppend(&out, " [expected ", e.expected, ", got ", e.actual, "]");
      absl::StrAppend(&out, "\n");
    }
  }
  if (!r.thresholds.empty()) absl::StrAppend(&out, "\n", FormatThresholds(r.thresholds));
  const uint64_t v = r.findings.CountAtLevel(FindingLevel::kViolation);
  const uint64_t i = r.findings.CountAtLevel(FindingLevel::kImprovement);
  const uint64_t n = r.findings.CountAtLevel(FindingLevel::kInformation);
  const bool failed = r.findings.CountAtOrAbove(r.fail_on) > 0;
  absl::StrAppendFormat(&out, "\n%s: %d violation(s), %d improvement(s), %d information%s in %s\n",
                        r.exit_code == kExitUnreachable ? "UNREACHABLE"
                        : failed                        ? "FAIL"
                                                        : "PASS",
                        v, i, n,
                        r.fail_on == FindingLevel::kViolation
                            ? ""
                            : absl::StrCat(" (--fail-on ", FindingLevelName(r.fail_on), ")"),
                        absl::FormatDuration(absl::Trunc(r.elapsed, absl::Milliseconds(1))));
  if (r.exit_code == kExitUnreachable)
    absl::StrAppend(&out, "backend could not be read: ", r.unreachable_reason, "\n");
  return out;
}

}  // namespace agentstorm
