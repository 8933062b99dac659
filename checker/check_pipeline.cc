#include "checker/check_pipeline.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "checker/check_config.h"
#include "checker/readers/backend_url.h"
#include "checker/readers/trace_reader.h"
#include "checker/rules/fidelity_rule.h"
#include "checker/rules/hierarchy_rule.h"
#include "checker/rules/redaction_rule.h"
#include "checker/rules/sampling_rule.h"
#include "checker/rules/semconv_rule.h"
#include "checker/semconv/profile.h"
#include "checker/semconv/registry.h"
#include "core/exit_codes.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "scenario/scenario_loader.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using readers::ExpectedTrace;
using readers::PolledTrace;
using readers::TraceOutcome;

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | id[8 + i];
    return static_cast<size_t>(h ^ (static_cast<uint64_t>(id[0]) << 56));
  }
};

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
  if (scenario->SourceHash() != header.scenario_hash) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "scenario %s is not the one the ledger was written from (its text hash is %016x, the "
        "ledger says %016x): check with the scenario file of the run",
        scenario->source_file.empty() ? header.scenario_path : scenario->source_file,
        scenario->SourceHash(), header.scenario_hash));
  }
  return scenario;
}

// The bundled profile for a ledger's profile label, and whether deprecated duplicates are sent
// on purpose.
std::string ProfileForLabel(const std::string& label, bool* dual) {
  *dual = label == "dual" || label == "mixed";
  return label == "v1.36" ? "genai-v1.36" : "genai-latest";
}

// Moves every timestamp of `t` by `delta` nanoseconds (the expected trace is synthesized with
// the run's start and no spacing; the ledger record says where it really started).
void ShiftTimes(SynthesizedTrace* t, int64_t delta) {
  if (delta == 0) return;
  t->start_unix_nano += delta;
  t->end_unix_nano += delta;
  for (auto& rs : t->resource_spans)
    for (auto& ss : *rs.mutable_scope_spans())
      for (auto& span : *ss.mutable_spans()) {
        span.set_start_time_unix_nano(span.start_time_unix_nano() + delta);
        span.set_end_time_unix_nano(span.end_time_unix_nano() + delta);
        for (auto& e : *span.mutable_events()) e.set_time_unix_nano(e.time_unix_nano() + delta);
      }
}

Finding RunFinding(const char* id, FindingLevel level, std::string message, std::string expected,
                   std::string actual) {
  Finding f;
  f.id = id;
  f.level = level;
  f.message = std::move(message);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  return f;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CheckResult>> RunCheck(const CheckOptions& options) {
  const absl::Time started = absl::Now();
  const bool ledger_mode = !options.ledger_paths.empty();
  if (!ledger_mode && options.service.empty() && options.trace_ids.empty()) {
    return absl::InvalidArgumentError(
        "give --ledger FILE..., or --service NAME [--since D], or --trace-id ID...");
  }
  if (options.backend_url.empty()) return absl::InvalidArgumentError("--backend URL is required");

  // Configuration first: a usage error must not wait for a backend.
  FindingSetOptions finding_options;
  if (options.finding_options) {
    finding_options = *options.finding_options;
  } else if (!options.config_path.empty()) {
    auto loaded = LoadCheckConfig(options.config_path);
    if (!loaded.ok()) return loaded.status();
    finding_options = *std::move(loaded);
  }

  auto url = readers::ParseBackendUrl(options.backend_url);
  if (!url.ok()) return url.status();
  for (const std::string& h : options.backend_headers) {
    absl::Status s = readers::AddBackendHeader(h, &url->auth);
    if (!s.ok()) return s;
  }

  // Ledger and scenario.
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

  // Semconv model.
  bool dual = false;
  std::string profile_name = options.semconv_profile;
  if (profile_name.empty()) {
    profile_name = ProfileForLabel(ledger ? ledger->header.semconv_profile : "latest", &dual);
  }
  absl::StatusOr<semconv::SemconvModel> model =
      options.semconv_registry_dir.empty()
          ? semconv::LoadBundledSemconvProfile(options.source_dir, profile_name)
          : semconv::LoadSemconvRegistry(options.semconv_registry_dir);
  if (!model.ok()) return model.status();
  if (dual && finding_options.levels.count("semconv.deprecated_attribute") == 0) {
    finding_options.levels["semconv.deprecated_attribute"] = FindingLevel::kInformation;
  }

  auto result = std::make_unique<CheckResult>(finding_options);
  CheckResult& r = *result;
  FindingSet& findings = r.findings;
  r.mode = ledger_mode ? "ledger" : "live";
  r.semconv_model =
      options.semconv_registry_dir.empty() ? profile_name : options.semconv_registry_dir;

  readers::ReaderOptions reader_options;
  auto reader = readers::MakeTraceReader(*url, reader_options);
  if (!reader.ok()) return reader.status();
  r.backend = (*reader)->Describe();

  // Rules.
  std::vector<std::unique_ptr<Rule>> rules;
  HierarchyRuleOptions hierarchy_options;
  hierarchy_options.time_tolerance = options.time_tolerance;
  rules.push_back(std::make_unique<HierarchyRule>(hierarchy_options));
  SamplingRule* sampling = nullptr;
  if (ledger_mode) {
    FidelityRuleOptions fo;
    fo.traces_may_be_dropped = scenario->sampling.mode != SamplingExpectation::Mode::kNone;
    if (scenario->redaction.strip_content || !scenario->redaction.attributes.empty()) {
      // What the redaction rule wants gone is no fidelity loss.
      RedactionRuleOptions ro;
      if (!scenario->redaction.strip_content) {
        ro.content_attributes.clear();
        ro.content_events.clear();
      }
      for (const std::string& a : scenario->redaction.attributes)
        ro.content_attributes.push_back(a);
      fo.redacted_attributes = ro.content_attributes;
      fo.redacted_events = ro.content_events;
    }
    rules.push_back(std::make_unique<FidelityRule>(fo));
  }
  rules.push_back(std::make_unique<SemconvRule>(*std::move(model)));
  if (ledger_mode &&
      (scenario->redaction.strip_content || !scenario->redaction.attributes.empty())) {
    RedactionRuleOptions ro;
    if (!scenario->redaction.strip_content) {
      ro.content_attributes.clear();
      ro.content_events.clear();
    }
    for (const std::string& a : scenario->redaction.attributes) ro.content_attributes.push_back(a);
    rules.push_back(std::make_unique<RedactionRule>(ro));
  } else if (!ledger_mode && options.check_redaction) {
    rules.push_back(std::make_unique<RedactionRule>());
  }
  if (ledger_mode && scenario->sampling.mode != SamplingExpectation::Mode::kNone) {
    auto rule = std::make_unique<SamplingRule>(scenario->sampling, options.sampling_confidence);
    sampling = rule.get();
    rules.push_back(std::move(rule));
  }
  if (options.extra_rules) {
    auto extra = options.extra_rules(scenario.get());
    if (!extra.ok()) return extra.status();
    for (auto& rule : *extra) rules.push_back(std::move(rule));
  }

  // What to poll.
  std::vector<ExpectedTrace> expected;
  std::unordered_map<TraceId, size_t, TraceIdHash> record_of;  // ledger mode
  const size_t endpoints = ledger ? std::max<size_t>(1, ledger->header.endpoints.size()) : 0;
  if (ledger_mode) {
    r.scenario_name = scenario->name;
    r.scenario_path = ledger->header.scenario_path;
    r.seed = ledger->header.seed;
    r.shards = ledger->header.shard.count;
    expected.reserve(ledger->records.size());
    record_of.reserve(ledger->records.size());
    for (size_t i = 0; i < ledger->records.size(); ++i) {
      const LedgerRecord& rec = ledger->records[i];
      const bool acked = rec.Worst(endpoints) == DeliveryOutcome::kAcknowledged;
      ExpectedTrace e;
      e.id = rec.trace_id;
      e.expected_spans = acked ? rec.span_count : -1;
      // Time until queryable counts from when the pipeline acknowledged the trace, not from
      // its synthetic start (a long agent run would otherwise look slow to index).
      e.sent_at = rec.answered_unix_nano != 0
                      ? absl::FromUnixNanos(static_cast<int64_t>(rec.answered_unix_nano))
                      : absl::InfinitePast();
      expected.push_back(e);
      record_of.emplace(rec.trace_id, i);
      const std::string variant = rec.variant < scenario->variants.size()
                                      ? scenario->variants[rec.variant].name
                                      : absl::StrCat("#", rec.variant);
      CheckCounts& v = r.by_variant[variant];
      CheckCounts& c = r.by_class[TraceClassName(rec.expected_class)];
      ++v.sent;
      ++c.sent;
      if (acked) {
        ++v.acknowledged;
        ++c.acknowledged;
        ++r.traces_acknowledged;
        r.spans_expected += rec.span_count;
      }
    }
    r.traces_expected = ledger->records.size();
  } else {
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
      auto found = (*reader)->FindTraces(search);
      if (!found.ok()) {
        if (!readers::IsUnreachable(found.status())) return found.status();
        r.exit_code = kExitUnreachable;
        r.unreachable_reason = std::string(found.status().message());
        r.poll.backend_unreachable = true;
        r.elapsed = absl::Now() - started;
        return result;
      }
      ids.insert(ids.end(), found->begin(), found->end());
    }
    for (const TraceId& id : ids) expected.push_back(ExpectedTrace{id, -1, absl::InfinitePast()});
    r.traces_expected = expected.size();
  }
  r.traces_polled = expected.size();

  // Synthesizers that rebuild what was sent: with the scenario's load phases (whose fault
  // overrides the record's phase selects), and without (for runs driven by --rate).
  std::unique_ptr<TraceSynthesizer> synth_phased, synth_plain;
  LoadProfile no_phases;
  if (ledger_mode) {
    SynthesizerOptions so;
    so.seed = ledger->header.seed;
    so.start_unix_nano = ledger->header.run_start_unix_nano;
    so.trace_interval_nanos = 0;
    so.load = scenario->load ? &*scenario->load : &no_phases;
    synth_phased = std::make_unique<TraceSynthesizer>(scenario, so);
    so.load = &no_phases;
    synth_plain = std::make_unique<TraceSynthesizer>(scenario, so);
  }

  // The workers: rebuild, check, count.
  absl::Mutex counts_mu;  // guards r
  ResultQueue queue(256);
  const int workers = std::max(
      1, std::min<int>(options.concurrency, static_cast<int>(std::thread::hardware_concurrency())));
  auto work = [&] {
    SynthesizedTrace want;
    PolledTrace polled;
    while (queue.Pop(&polled)) {
      ScopedFindingCapture capture;  // what this trace produces, for failing_traces
      const bool found =
          polled.outcome == TraceOutcome::kFound || polled.outcome == TraceOutcome::kIncomplete;
      TraceUnderCheck t;
      t.trace_id = HexEncode(polled.id);
      t.received = &polled.trace.data;
      t.found = found;
      const LedgerRecord* rec = nullptr;
      if (ledger_mode) {
        rec = &ledger->records[record_of.at(polled.id)];
        t.acknowledged = rec->Worst(endpoints) == DeliveryOutcome::kAcknowledged;
        t.variant = rec->variant < scenario->variants.size() ? scenario->variants[rec->variant].name
                                                             : absl::StrCat("#", rec->variant);
        bool rebuilt = false;
        for (const TraceSynthesizer* s : {synth_phased.get(), synth_plain.get()}) {
          s->Synthesize(rec->index, rec->phase, &want);
          if (want.trace_id == rec->trace_id && want.span_count == rec->span_count &&
              want.faults == rec->faults) {
            rebuilt = true;
            break;
          }
        }
        if (rebuilt) {
          ShiftTimes(&want, static_cast<int64_t>(rec->start_unix_nano - want.start_unix_nano));
          t.expected = &want;
        } else {
          Finding f = RunFinding("check.trace_not_rebuilt", FindingLevel::kViolation,
                                 "the scenario does not rebuild this ledger record (span count or "
                                 "faults differ): its expected-trace checks are skipped",
                                 absl::StrCat(rec->span_count, " spans"),
                                 absl::StrCat(want.span_count, " spans"));
          f.trace_id = t.trace_id;
          f.variant = t.variant;
          findings.Add(std::move(f));
        }
      }
      if (polled.outcome == TraceOutcome::kRequestFailed) {
        Finding f = RunFinding(
            "check.trace_unreadable", FindingLevel::kViolation,
            absl::StrCat("every request for this trace failed: ", polled.last_error.message()),
            "readable", "request failed");
        f.trace_id = t.trace_id;
        f.variant = t.variant;
        findings.Add(std::move(f));
      } else if (found || ledger_mode) {
        // Ledger mode: absent traces go to the rules too (fidelity and sampling count them).
        for (auto& rule : rules) rule->CheckTrace(t, &findings);
      }
      absl::MutexLock lock(&counts_mu);
      if (r.failing_traces.size() < options.max_failing_traces && capture.HasViolation()) {
        FailingTrace ft;
        ft.trace_id = t.trace_id;
        ft.variant = t.variant.value_or("");
        if (t.expected != nullptr) ft.expected = std::make_shared<SynthesizedTrace>(want);
        if (found) ft.received = polled.trace.data;
        for (const auto& c : capture.captured()) {
          if (c.level != FindingLevel::kViolation) continue;
          if (std::find(ft.finding_ids.begin(), ft.finding_ids.end(), c.id) ==
              ft.finding_ids.end()) {
            ft.finding_ids.push_back(c.id);
          }
          if (!c.span_id.empty()) ft.span_findings.emplace_back(c.span_id, c.id);
        }
        r.failing_traces.push_back(std::move(ft));
      }
      if (found) {
        ++r.traces_read;
        if (rec != nullptr) {
          ++r.by_variant[*t.variant].read;
          ++r.by_class[TraceClassName(rec->expected_class)].read;
          if (!t.acknowledged)
            ++r.unacknowledged_but_present;
          else
            r.spans_read += polled.trace.span_count;
        } else {
          r.spans_read += polled.trace.span_count;
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(work);

  readers::PollerOptions po = options.poller;
  po.wait = options.wait;
  po.concurrency = std::max(1, options.concurrency);
  readers::Poller poller(reader->get(), po);
  std::atomic<uint64_t> done{0};
  absl::Time last_progress = absl::Now();
  r.poll = poller.Run(expected, [&](PolledTrace&& t) {
    const uint64_t n = done.fetch_add(1) + 1;
    if (options.progress && !options.quiet && absl::Now() - last_progress > absl::Seconds(5)) {
      last_progress = absl::Now();
      std::fprintf(stderr, "check: %llu/%zu traces settled\n", static_cast<unsigned long long>(n),
                   expected.size());
    }
    queue.Push(std::move(t));
  });
  queue.Close();
  for (auto& t : threads) t.join();
  r.poll_elapsed = r.poll.elapsed;
  r.outcomes["found"] = r.poll.found;
  r.outcomes["not_found"] = r.poll.not_found;
  r.outcomes["incomplete"] = r.poll.incomplete;
  r.outcomes["request_failed"] = r.poll.request_failed;

  for (auto& rule : rules) rule->Finish(&findings);
  if (sampling != nullptr) {
    for (const auto& p : sampling->populations()) {
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
      r.sampling.push_back(s);
    }
  }

  // Guards against false passes.
  if (r.poll.backend_unreachable) {
    r.exit_code = kExitUnreachable;
    r.unreachable_reason = std::string(r.poll.first_error.message());
  }
  if (r.traces_read == 0) {
    findings.Add(RunFinding("check.no_traces_read", FindingLevel::kViolation,
                            absl::StrCat("no trace could be read back out of ", r.traces_polled,
                                         " polled: a check never passes on nothing"),
                            absl::StrCat(r.traces_polled, " traces"), "0"));
  }
  if (ledger_mode) {
    for (const Variant& v : scenario->variants) {
      const auto it = r.by_variant.find(v.name);
      const CheckCounts counts = it == r.by_variant.end() ? CheckCounts{} : it->second;
      if (counts.read > 0) continue;
      // Under sampling, all N acknowledged traces of a variant may be sampled out: with kept
      // fraction P that happens with probability (1-P)^N (error and slow traces, always kept,
      // are the sampling rule's to judge). Only when that is below 1 - sampling confidence is
      // an unread variant a violation.
      double all_dropped = 0;
      if (scenario->sampling.mode != SamplingExpectation::Mode::kNone) {
        all_dropped =
            std::pow(1 - scenario->sampling.probability, static_cast<double>(counts.acknowledged));
      }
      const bool plausibly_sampled_out =
          counts.acknowledged > 0 && all_dropped >= 1 - options.sampling_confidence;
      Finding f = RunFinding(
          "check.variant_missing",
          counts.acknowledged > 0 && !plausibly_sampled_out ? FindingLevel::kViolation
                                                            : FindingLevel::kImprovement,
          counts.acknowledged == 0
              ? absl::StrCat("variant ", v.name,
                             ": no trace of it was acknowledged (a longer run would cover it)")
          : plausibly_sampled_out
              ? absl::StrFormat("variant %s: its %d acknowledged trace(s) were all sampled out "
                                "(probability %.3g at the expected kept fraction; a longer run "
                                "would cover it)",
                                v.name, counts.acknowledged, all_dropped)
              : absl::StrCat("variant ", v.name, ": ", counts.acknowledged,
                             " trace(s) acknowledged, none read back"),
          absl::StrCat(counts.acknowledged, " traces"), "0");
      f.variant = v.name;
      findings.Add(std::move(f));
    }
    uint64_t acked_read = 0;
    for (const auto& [name, c] : r.by_variant) acked_read += c.read;
    acked_read -= r.unacknowledged_but_present;
    const bool sampled = scenario->sampling.mode != SamplingExpectation::Mode::kNone;
    findings.SetStatistic("check", "traces_acknowledged",
                          static_cast<double>(r.traces_acknowledged));
    findings.SetStatistic("check", "traces_read", static_cast<double>(r.traces_read));
    findings.SetStatistic("check", "spans_expected", static_cast<double>(r.spans_expected));
    findings.SetStatistic("check", "spans_read", static_cast<double>(r.spans_read));
    if (!sampled && (acked_read != r.traces_acknowledged || r.spans_read != r.spans_expected)) {
      findings.Add(RunFinding(
          "check.count_mismatch", FindingLevel::kViolation,
          absl::StrCat("acknowledged ", r.traces_acknowledged, " traces / ", r.spans_expected,
                       " spans, read back ", acked_read, " traces / ", r.spans_read, " spans"),
          absl::StrCat(r.traces_acknowledged, " traces, ", r.spans_expected, " spans"),
          absl::StrCat(acked_read, " traces, ", r.spans_read, " spans")));
    }
  }
  findings.Finish();
  r.elapsed = absl::Now() - started;
  if (r.exit_code != kExitUnreachable) {
    r.exit_code = findings.HasViolations() ? kExitViolation : kExitOk;
  }
  return result;
}

std::string FormatCheckSummary(const CheckResult& r) {
  std::string out;
  absl::StrAppendFormat(&out, "agentstorm check: %s mode, backend %s\n", r.mode, r.backend);
  if (r.mode == "ledger") {
    absl::StrAppendFormat(&out, "  scenario %s (seed %d, %d shard%s), semconv %s\n",
                          r.scenario_name, r.seed, r.shards, r.shards == 1 ? "" : "s",
                          r.semconv_model);
    absl::StrAppendFormat(
        &out,
        "  traces: %d sent, %d acknowledged, %d read back (%d spans of %d "
        "acknowledged)%s\n",
        r.traces_expected, r.traces_acknowledged, r.traces_read, r.spans_read, r.spans_expected,
        r.unacknowledged_but_present > 0
            ? absl::StrCat(", ", r.unacknowledged_but_present, " present though never acknowledged")
            : "");
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
  if (r.poll.time_until_queryable_us.count() > 0) {
    const auto& h = r.poll.time_until_queryable_us;
    absl::StrAppendFormat(&out, "  time until queryable: p50 %.1fms  p90 %.1fms  p99 %.1fms\n",
                          h.Percentile(50) / 1000.0, h.Percentile(90) / 1000.0,
                          h.Percentile(99) / 1000.0);
  }
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
  const uint64_t v = r.findings.CountAtLevel(FindingLevel::kViolation);
  const uint64_t i = r.findings.CountAtLevel(FindingLevel::kImprovement);
  const uint64_t n = r.findings.CountAtLevel(FindingLevel::kInformation);
  absl::StrAppendFormat(&out, "\n%s: %d violation(s), %d improvement(s), %d information in %s\n",
                        r.exit_code == kExitUnreachable ? "UNREACHABLE"
                        : v > 0                         ? "FAIL"
                                                        : "PASS",
                        v, i, n,
                        absl::FormatDuration(absl::Trunc(r.elapsed, absl::Milliseconds(1))));
  if (r.exit_code == kExitUnreachable)
    absl::StrAppend(&out, "backend could not be read: ", r.unreachable_reason, "\n");
  return out;
}

}  // namespace agentstorm
