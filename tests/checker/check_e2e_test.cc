// The checker can fail: generate -> in-process sink (with a fault) -> RunCheck, asserting the
// exact finding IDs and counts each fault and each broken-instrumentation defect must produce.
// Expected counts are computed independently of the checker: from the traces the synthesizer
// sends and the sink's own deterministic fault draws (FaultInjector::Draw).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "checker/check_pipeline.h"
#include "checker/rules/sampling_rule.h"
#include "core/exit_codes.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "scenario/scenario_loader.h"
#include "sink/fault_injector.h"
#include "sink/sink.h"
#include "synth/trace_synthesizer.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;

constexpr uint64_t kFaultSeed = 0;  // SinkOptions' default

std::string ScenarioPath(const std::string& name) {
  return (fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string();
}

// A bundled scenario with extra YAML appended (a sampling expectation), in a temp file.
std::string ScenarioWith(const std::string& name, const std::string& extra,
                         const std::string& tag) {
  std::ifstream in(ScenarioPath(name));
  std::stringstream text;
  text << in.rdbuf() << "\n" << extra << "\n";
  const fs::path out = fs::temp_directory_path() /
                       ("agentstorm-check-" + tag + "-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(out) << text.str();
  return out.string();
}

// Every trace the run sent, rebuilt from its ledger (the test's own view of "what was sent").
void ForEachSentTrace(const std::string& ledger_path,
                      const std::function<void(const LedgerRecord&, const SynthesizedTrace&)>& fn) {
  auto ledger = ReadLedgers({ledger_path});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  auto scenario = LoadScenario(ledger->header.scenario_path);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  SynthesizerOptions so;
  so.seed = ledger->header.seed;
  so.run_id = ledger->header.run_id;
  TraceSynthesizer synth(*scenario, so);
  SynthesizedTrace t;
  for (const LedgerRecord& r : ledger->records) {
    ASSERT_EQ(r.Worst(1), DeliveryOutcome::kAcknowledged);
    synth.Synthesize(r.index, r.phase, &t);
    ASSERT_EQ(t.trace_id, r.trace_id);
    fn(r, t);
  }
}

void ForEachSentSpan(const std::string& ledger_path,
                     const std::function<void(const ResourceSpans&, const Span&)>& fn) {
  ForEachSentTrace(ledger_path, [&](const LedgerRecord&, const SynthesizedTrace& t) {
    for (const auto& rs : t.resource_spans)
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) fn(rs, s);
  });
}

sink::FaultInjector Injector(const std::vector<std::string>& specs) {
  return sink::FaultInjector(*sink::ParseFaultSpecs(specs), kFaultSeed);
}

bool HasLongString(const AnyValue& v, size_t n) {
  if (v.has_array_value()) {
    for (const auto& e : v.array_value().values())
      if (HasLongString(e, n)) return true;
    return false;
  }
  return v.value_case() == AnyValue::kStringValue && v.string_value().size() > n;
}

constexpr int kTraces = 300;

TEST(CheckE2e, CleanRunHasNoViolation) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {});
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{}) << e.Summary();
  EXPECT_EQ(e.result->exit_code, kExitOk);
  EXPECT_EQ(e.result->traces_read, static_cast<uint64_t>(kTraces));
  EXPECT_EQ(e.result->traces_acknowledged, static_cast<uint64_t>(kTraces));
  EXPECT_EQ(e.result->spans_read, e.result->spans_expected);
  EXPECT_EQ(e.result->poll.found, static_cast<uint64_t>(kTraces));
  const auto totals = e.result->findings.Totals();
  ASSERT_TRUE(totals.count("fidelity"));
  EXPECT_EQ(totals.at("fidelity").evaluated, e.result->spans_expected);
  EXPECT_EQ(totals.at("fidelity").failed(), 0u);
  EXPECT_EQ(totals.at("hierarchy").evaluated, static_cast<uint64_t>(kTraces));
}

TEST(CheckE2e, DropSpansIsSpanMissingForExactlyTheDroppedSpans) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {"drop-spans=0.05"});
  ASSERT_TRUE(e.result);
  const auto inj = Injector({"drop-spans=0.05"});
  uint64_t dropped = 0;
  ForEachSentSpan(e.ledger, [&](const ResourceSpans&, const Span& s) {
    dropped += inj.Draw("drop-spans", s.trace_id(), s.span_id()) < 0.05;
  });
  ASSERT_GT(dropped, 0u);
  EXPECT_EQ(e.Count("fidelity.span_missing"), dropped) << e.Summary();
  EXPECT_EQ(e.Count("check.count_mismatch"), 1u);
  EXPECT_EQ(e.ViolationIds(),
            (std::set<std::string>{"check.count_mismatch", "fidelity.span_missing"}))
      << e.Summary();
  EXPECT_EQ(e.result->exit_code, kExitViolation);
}

TEST(CheckE2e, DropTracesIsTraceMissingForExactlyTheDroppedTraces) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {"drop-traces=0.1"}, absl::Seconds(1));
  ASSERT_TRUE(e.result);
  const auto inj = Injector({"drop-traces=0.1"});
  uint64_t dropped = 0;
  ForEachSentTrace(e.ledger, [&](const LedgerRecord& r, const SynthesizedTrace&) {
    dropped += inj.Draw("drop-traces", AsBytes(r.trace_id), {}) < 0.1;
  });
  ASSERT_GT(dropped, 0u);
  EXPECT_EQ(e.Count("fidelity.trace_missing"), dropped) << e.Summary();
  EXPECT_EQ(e.result->poll.not_found, dropped);
  EXPECT_EQ(e.ViolationIds(),
            (std::set<std::string>{"check.count_mismatch", "fidelity.trace_missing"}))
      << e.Summary();
}

TEST(CheckE2e, SampleTracesWithoutASamplingExpectationIsTraceMissing) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {"sample-traces=0.5"}, absl::Seconds(1));
  ASSERT_TRUE(e.result);
  const auto inj = Injector({"sample-traces=0.5"});
  uint64_t unsampled = 0;
  ForEachSentTrace(e.ledger, [&](const LedgerRecord& r, const SynthesizedTrace&) {
    unsampled += inj.Draw("sample-traces", AsBytes(r.trace_id), {}) >= 0.5;
  });
  EXPECT_EQ(e.Count("fidelity.trace_missing"), unsampled) << e.Summary();
  EXPECT_EQ(e.ViolationIds(),
            (std::set<std::string>{"check.count_mismatch", "fidelity.trace_missing"}));
}

TEST(CheckE2e, StripAttributeIsAttributeDroppedOnEverySpanThatHadIt) {
  const std::string key = "gen_ai.usage.output_tokens";
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {"strip-attribute=" + key});
  ASSERT_TRUE(e.result);
  uint64_t had = 0;
  ForEachSentSpan(e.ledger, [&](const ResourceSpans&, const Span& s) {
    for (const auto& kv : s.attributes()) had += kv.key() == key;
  });
  ASSERT_GT(had, 0u);
  EXPECT_EQ(e.Count("fidelity.attribute_dropped"), had) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"fidelity.attribute_dropped"}) << e.Summary();
}

TEST(CheckE2e, TruncateValuesIsValueTruncatedForEveryLongString) {
  const size_t n = 12;
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), kTraces, {"truncate-values=12"});
  ASSERT_TRUE(e.result);
  uint64_t long_attrs = 0, events = 0;
  ForEachSentSpan(e.ledger, [&](const ResourceSpans&, const Span& s) {
    for (const auto& kv : s.attributes()) long_attrs += HasLongString(kv.value(), n);
    for (const auto& ev : s.events()) {
      bool any = false;
      for (const auto& kv : ev.attributes()) any |= HasLongString(kv.value(), n);
      events += any;
    }
  });
  ASSERT_GT(long_attrs, 0u);
  EXPECT_EQ(e.Count("fidelity.value_truncated"), long_attrs) << e.Summary();
  EXPECT_EQ(e.Count("fidelity.event_changed"), events) << e.Summary();
  // Cut values also break semconv (span names no longer match, enum values unknown), but the
  // hierarchy is intact and nothing is missing.
  for (const std::string& id : e.ViolationIds()) {
    EXPECT_TRUE(id.rfind("fidelity.value_truncated", 0) == 0 || id == "fidelity.event_changed" ||
                id.rfind("semconv.", 0) == 0)
        << id;
  }
}

TEST(CheckE2e, BreakParentIsOrphanSpanForExactlyTheBrokenSpans) {
  E2e e = GenerateAndCheck(ScenarioPath("research-fanout"), 200, {"break-parent=0.1"});
  ASSERT_TRUE(e.result);
  const auto inj = Injector({"break-parent=0.1"});
  uint64_t broken = 0;
  ForEachSentSpan(e.ledger, [&](const ResourceSpans&, const Span& s) {
    broken +=
        !s.parent_span_id().empty() && inj.Draw("break-parent", s.trace_id(), s.span_id()) < 0.1;
  });
  ASSERT_GT(broken, 0u);
  EXPECT_EQ(e.Count("hierarchy.orphan_span"), broken) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"hierarchy.orphan_span"}) << e.Summary();
}

TEST(CheckE2e, RewriteServiceIsResourceChangedOncePerTraceAndService) {
  E2e e = GenerateAndCheck(ScenarioPath("research-fanout"), 200, {"rewrite-service=intruder"});
  ASSERT_TRUE(e.result);
  uint64_t expected = 0;
  ForEachSentTrace(e.ledger, [&](const LedgerRecord&, const SynthesizedTrace& t) {
    std::set<std::string> services;
    for (const auto& rs : t.resource_spans)
      for (const auto& kv : rs.resource().attributes())
        if (kv.key() == "service.name") services.insert(kv.value().string_value());
    expected += services.size();
  });
  EXPECT_GT(expected, 200u) << "research-fanout has remote subagents in other services";
  EXPECT_EQ(e.Count("fidelity.resource_changed"), expected) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"fidelity.resource_changed"}) << e.Summary();
}

// A Jaeger in front of the sink: no bulk read by ID (404, as a real Jaeger answers that path),
// its search and its read by ID passed through and counted.
class JaegerWithoutBulkRead {
 public:
  explicit JaegerWithoutBulkRead(int sink_query_port) : sink_("127.0.0.1", sink_query_port) {
    server_.Get("/agentstorm/v1/traces",
                [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    server_.Get(R"(/api/v3/traces/[0-9a-f]+)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  by_id_.fetch_add(1);
                  Forward(req, res);
                });
    server_.Get("/api/v3/traces", [this](const httplib::Request& req, httplib::Response& res) {
      searches_.fetch_add(1);
      Forward(req, res);
    });
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      Forward(req, res);  // /api/v3/services: the check's probe
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~JaegerWithoutBulkRead() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "jaeger://127.0.0.1:" + std::to_string(port_); }
  int by_id() const { return by_id_.load(); }
  int searches() const { return searches_.load(); }

 private:
  void Forward(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);  // one client, one request at a time
    auto answer = sink_.Get(req.target.c_str(), {{"Accept", "application/json"}});
    if (!answer) {
      res.status = 502;
      return;
    }
    res.status = answer->status;
    res.set_content(answer->body, answer->get_header_value("Content-Type").c_str());
  }

  httplib::Client sink_;
  std::mutex mu_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> by_id_{0};
  std::atomic<int> searches_{0};
};

// Against a Jaeger, which reads traces by ID one per request, the checker finds a run's traces
// through the search instead (by each trace's root service and start, from the ledger and the
// scenario): the same verdict as the bulk read, no trace read by ID. A trace the pipeline moved
// to another service is not found by the search and is read by ID, with the same findings.
TEST(CheckE2e, ABackendWithoutTheBulkReadIsReadThroughItsSearch) {
  struct Case {
    std::string scenario;
    std::vector<std::string> faults;
    bool all_by_search;
  };
  for (const Case& c : {Case{"research-fanout", {}, true}, Case{"rag-pipeline", {}, true},
                        Case{"research-fanout", {"rewrite-service=intruder"}, false}}) {
    SCOPED_TRACE(c.scenario + (c.faults.empty() ? "" : " " + c.faults[0]));
    E2e e = GenerateAndCheck(ScenarioPath(c.scenario), 200, c.faults);
    ASSERT_TRUE(e.result);
    JaegerWithoutBulkRead jaeger(e.sink->query_port());
    CheckOptions co;
    co.source_dir = AGENTSTORM_SOURCE_DIR;
    co.ledger_paths = {e.ledger};
    co.backend_url = jaeger.Url();
    co.wait = absl::Seconds(5);
    co.concurrency = 4;
    co.quiet = true;
    auto searched = RunCheck(co);
    ASSERT_TRUE(searched.ok()) << searched.status();
    EXPECT_EQ((*searched)->poll.found, 200u) << FormatCheckSummary(**searched);
    EXPECT_EQ((*searched)->spans_read, e.result->spans_read);
    EXPECT_EQ((*searched)->findings.Summaries().size(), e.result->findings.Summaries().size());
    for (const auto& s : e.result->findings.Summaries()) {
      EXPECT_EQ((*searched)->findings.Count(s.id), s.count) << s.id;
    }
    EXPECT_GT(jaeger.searches(), 0);
    EXPECT_EQ((*searched)->reads.searches, static_cast<uint64_t>(jaeger.searches()));
    EXPECT_EQ((*searched)->reads.read_by_id, static_cast<uint64_t>(jaeger.by_id()));
    if (c.all_by_search) {
      EXPECT_EQ(jaeger.by_id(), 0) << "traces the search should have found were read by ID";
      EXPECT_EQ((*searched)->reads.found_by_search, 200u);
      EXPECT_NE(FormatCheckSummary(**searched)
                    .find("read through the backend's search: 200 traces found by "),
                std::string::npos)
          << FormatCheckSummary(**searched);
      EXPECT_LE(jaeger.searches(), 20);
    } else {
      EXPECT_GT(jaeger.by_id(), 0);
    }
  }
}

TEST(CheckE2e, DelayVisibilityPassesWhenTheWaitOutlastsIt) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), 100, {"delay-visibility=1s"}, absl::Seconds(6));
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{}) << e.Summary();
  EXPECT_EQ(e.result->traces_read, 100u);
}

TEST(CheckE2e, ACheckAfterTheRunDoesNotMeasureTimeUntilQueryable) {
  // The synthetic clock starts an hour ago and the check starts after the whole run: a number
  // here would time the check's own delay (it once said an hour, or ten minutes for a check
  // started ten minutes late). Only `run` measures it, while it sends.
  const int64_t an_hour_ago = absl::ToUnixNanos(absl::Now() - absl::Hours(1));
  FindingSetOptions options;
  options.thresholds = {"time_until_queryable: p(99)<5s"};
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), 50, {}, absl::Seconds(3), options,
                           "--start-time " + std::to_string(an_hour_ago));
  ASSERT_TRUE(e.result);
  EXPECT_FALSE(e.result->queryability.measured);
  EXPECT_EQ(e.result->queryability.time_us.count(), 0u);
  EXPECT_NE(e.Summary().find("time until queryable: not measured"), std::string::npos)
      << e.Summary();
  ASSERT_EQ(e.result->thresholds.size(), 2u);
  EXPECT_FALSE(e.result->thresholds[0].passed) << "a threshold on a figure not measured fails";
  EXPECT_NE(e.result->thresholds[0].observed_text.find("not measured"), std::string::npos);
}

TEST(CheckE2e, DelayVisibilityLongerThanTheWaitIsNothingReadAndFails) {
  E2e e = GenerateAndCheck(ScenarioPath("smoke"), 100, {"delay-visibility=30s"}, absl::Seconds(1));
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.result->poll.not_found, 100u);
  EXPECT_EQ(e.Count("fidelity.trace_missing"), 100u);
  EXPECT_EQ(e.Count("check.no_traces_read"), 1u);
  EXPECT_EQ(e.Count("check.variant_missing"), 1u) << "smoke has one variant";
  EXPECT_EQ(e.ViolationIds(),
            (std::set<std::string>{"check.count_mismatch", "check.no_traces_read",
                                   "check.variant_missing", "fidelity.trace_missing"}));
  EXPECT_EQ(e.result->exit_code, kExitViolation);
}

// broken-instrumentation: one known defect per trace, the variant names it.
TEST(CheckE2e, EveryBrokenInstrumentationDefectIsFlagged) {
  E2e e = GenerateAndCheck(ScenarioPath("broken-instrumentation"), 250, {});
  ASSERT_TRUE(e.result);
  std::map<std::string, uint64_t> per_variant;
  for (const auto& [name, c] : e.result->by_variant) per_variant[name] = c.read;
  for (const char* v : {"orphan_span", "missing_root", "missing_required_attribute",
                        "wrong_span_kind", "deprecated_attribute_only"}) {
    ASSERT_GT(per_variant[v], 0u) << v;
  }
  EXPECT_EQ(e.Count("hierarchy.orphan_span"), per_variant["orphan_span"]) << e.Summary();
  EXPECT_EQ(e.Count("hierarchy.missing_root"), per_variant["missing_root"]) << e.Summary();
  EXPECT_EQ(e.Count("semconv.required_attribute_missing"),
            per_variant["missing_required_attribute"] + per_variant["deprecated_attribute_only"])
      << e.Summary();
  EXPECT_EQ(e.Count("semconv.span_kind_mismatch"), per_variant["wrong_span_kind"]) << e.Summary();
  // gen_ai.system, gen_ai.usage.prompt_tokens and gen_ai.usage.completion_tokens on the one chat
  // span the defect rewrote: one finding per deprecated attribute.
  EXPECT_EQ(e.Count("semconv.deprecated_attribute"), 3 * per_variant["deprecated_attribute_only"])
      << e.Summary();
  // What arrived is what was sent: the defects are the instrumentation's, not the pipeline's.
  for (const std::string& id : e.ViolationIds()) EXPECT_NE(id.rfind("fidelity.", 0), 0u) << id;
  EXPECT_EQ(e.result->exit_code, kExitViolation);
}

// Sampling: 2000 traces make the Wilson test decisive at 99.9%: around 0.10 the interval is
// about +-0.022, so a sink that keeps 7% (interval about [0.055, 0.089]) cannot pass. The run ID
// is pinned: which traces the sink keeps is a hash of their IDs, and with a fresh run ID each
// time, one run in a few hundred kept 7.9% of them and passed at 7% (CI, 2026-12-07).
constexpr const char* kPinnedRunId = " --run-id 5eed5eed5eed5eed";
TEST(CheckE2e, HeadSamplingAtTheExpectedRatePasses) {
  E2e e = GenerateAndCheck(ScenarioWith("smoke", "sampling:\n  head: 0.1", "head10"), 2000,
                           {"sample-traces=0.1"}, absl::Milliseconds(1500), {}, kPinnedRunId);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{}) << e.Summary();
  ASSERT_EQ(e.result->sampling.size(), 1u);
  const SamplingInterval& s = e.result->sampling[0];
  EXPECT_EQ(s.total, 2000u);
  EXPECT_TRUE(s.passed);
  EXPECT_LE(s.low, 0.1);
  EXPECT_GE(s.high, 0.1);
}

TEST(CheckE2e, HeadSamplingAtSevenPercentIsRateOutOfBounds) {
  E2e e = GenerateAndCheck(ScenarioWith("smoke", "sampling:\n  head: 0.1", "head7"), 2000,
                           {"sample-traces=0.07"}, absl::Milliseconds(1500), {}, kPinnedRunId);
  ASSERT_TRUE(e.result);
  EXPECT_EQ(e.Count("sampling.rate_out_of_bounds"), 1u) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"sampling.rate_out_of_bounds"}) << e.Summary();
  ASSERT_EQ(e.result->sampling.size(), 1u);
  EXPECT_LT(e.result->sampling[0].high, 0.1);
  EXPECT_EQ(e.result->exit_code, kExitViolation);
}

TEST(CheckE2e, TailSamplingThatLosesErrorTracesListsEachOne) {
  E2e e = GenerateAndCheck(
      ScenarioWith("tool-failures", "sampling:\n  tail: {keep_errors: true, probability: 1.0}",
                   "tail"),
      3000, {"drop-error-traces=0.01"}, absl::Milliseconds(1500));
  ASSERT_TRUE(e.result);
  const auto inj = Injector({"drop-error-traces=0.01"});
  uint64_t dropped = 0;
  ForEachSentTrace(e.ledger, [&](const LedgerRecord& r, const SynthesizedTrace& t) {
    bool error = false;
    for (const auto& rs : t.resource_spans)
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) error |= s.status().code() == 2;
    dropped += error && inj.Draw("drop-error-traces", AsBytes(r.trace_id), {}) < 0.01;
  });
  ASSERT_GT(dropped, 0u) << "pick a run in which the sink drops an error trace";
  EXPECT_EQ(e.Count("sampling.error_trace_dropped"), dropped) << e.Summary();
  EXPECT_EQ(e.ViolationIds(), std::set<std::string>{"sampling.error_trace_dropped"}) << e.Summary();
}

// What a check found, for comparing two checks of the same traces: the exit code and counts,
// every finding ID with its level and count, every family's evaluations, every statistic, and
// every failing trace kept (with its finding IDs and what was sent, as the report shows it).
std::string Verdict(const CheckResult& r) {
  std::ostringstream out;
  out << "exit " << r.exit_code << " read " << r.traces_read << "/" << r.traces_expected
      << " spans " << r.spans_read << "/" << r.spans_expected << "\n";
  for (const FindingSummary& f : r.findings.Summaries()) {
    out << f.id << " " << static_cast<int>(f.level) << " x" << f.count << "\n";
    std::vector<std::string> examples;  // every one (examples_per_id), in a stable order
    for (const Finding& x : f.examples) {
      examples.push_back(x.trace_id + " " + x.span_id + " " + x.span_name + " [" + x.attribute +
                         "] " + x.message + " [expected " + x.expected + "] [actual " + x.actual +
                         "]");
    }
    std::sort(examples.begin(), examples.end());
    for (const std::string& x : examples) out << "  " << x << "\n";
  }
  for (const auto& [family, t] : r.findings.Totals())
    out << family << " evaluated " << t.evaluated << " passed " << t.passed << "\n";
  for (const auto& [family, stats] : r.findings.Statistics())
    for (const auto& [name, value] : stats) out << family << "." << name << " = " << value << "\n";
  std::map<std::string, std::string> failing;
  for (const FailingTrace& t : r.failing_traces) {
    std::string& text = failing[t.trace_id];
    std::vector<std::string> ids = t.finding_ids;
    std::sort(ids.begin(), ids.end());
    for (const std::string& id : ids) text += id + " ";
    std::vector<std::pair<std::string, std::string>> spans = t.span_findings;
    std::sort(spans.begin(), spans.end());
    for (const auto& [span, id] : spans) text += span + ":" + id + " ";
    if (t.expected) {
      for (const auto& rs : t.expected->resource_spans) text += rs.SerializeAsString();
    }
    text += t.received.SerializeAsString();
  }
  for (const auto& [id, text] : failing)
    out << "failing " << id << " " << text.size() << " " << std::hash<std::string>{}(text) << "\n";
  return out.str();
}

// The sink answers a trace byte for byte as it was sent, and such a trace is checked without
// building what was sent as messages (CheckOptions::compare_wire, TraceUnderCheck::
// arrived_as_sent). Its verdict must be the field-by-field check's, finding for finding, on
// scenarios whose traces carry deliberate instrumentation defects, tool errors, runaway loops,
// context overflow, remote services and MCP servers, and a sampling expectation; and on traces a
// sink fault changed, which take the field-by-field path either way.
TEST(CheckE2e, TracesReadAsSentGetTheVerdictOfTheFieldByFieldCheck) {
  struct Case {
    std::string scenario;
    std::vector<std::string> faults;
  };
  const std::vector<Case> cases = {
      {ScenarioPath("broken-instrumentation"), {}},
      {ScenarioPath("tool-failures"), {}},
      {ScenarioPath("runaway-loop"), {}},
      {ScenarioPath("context-overflow"), {}},
      {ScenarioPath("research-fanout"), {}},
      {ScenarioPath("mcp-tools"), {}},
      {ScenarioPath("rag-pipeline"), {}},
      {ScenarioWith("tool-failures", "sampling:\n  tail: {keep_errors: true, probability: 1.0}",
                    "assent"),
       {}},
      {ScenarioWith("tool-failures", "sampling:\n  tail: {keep_errors: true, probability: 1.0}",
                    "assent-dropped"),
       {"drop-error-traces=0.05"}},
      {ScenarioPath("research-fanout"), {"break-parent=0.01"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.scenario + (c.faults.empty() ? "" : " with " + c.faults[0]));
    E2e e = GenerateAndCheck(c.scenario, 120, c.faults);
    ASSERT_TRUE(e.result);
    auto check = [&](bool compare_wire) {
      return CheckAgain(e, {e.ledger}, [&](CheckOptions* co) {
        co->compare_wire = compare_wire;
        // Every failing trace and every finding, whichever thread ends its trace first.
        co->max_failing_traces = 1000;
        co->finding_options.emplace();
        co->finding_options->examples_per_id = 100000;
      });
    };
    const std::unique_ptr<CheckResult> as_sent = check(true);
    const std::unique_ptr<CheckResult> by_field = check(false);
    ASSERT_TRUE(as_sent && by_field);
    EXPECT_GT(as_sent->traces_arrived_as_sent, 0u) << "no trace took the path under test";
    if (c.faults.empty()) {
      EXPECT_EQ(as_sent->traces_arrived_as_sent, as_sent->traces_read);
    } else {
      EXPECT_LT(as_sent->traces_arrived_as_sent, as_sent->traces_read) << "the fault changed none";
    }
    EXPECT_EQ(by_field->traces_arrived_as_sent, 0u);
    EXPECT_EQ(Verdict(*as_sent), Verdict(*by_field));
    EXPECT_GT(as_sent->findings.Totals().size(), 2u);
  }
}

TEST(Wilson, MatchesKnownIntervals) {
  // 95%: z = 1.96; 10 of 100 -> [0.0552, 0.1744] (Wilson 1927, as tabulated by Newcombe 1998).
  EXPECT_NEAR(TwoSidedZ(0.95), 1.959964, 1e-5);
  EXPECT_NEAR(TwoSidedZ(0.999), 3.290527, 1e-5);
  const WilsonInterval w = Wilson(10, 100, 0.95);
  EXPECT_NEAR(w.low, 0.0552, 1e-4);
  EXPECT_NEAR(w.high, 0.1744, 1e-4);
  const WilsonInterval none = Wilson(0, 50, 0.95);
  EXPECT_DOUBLE_EQ(none.low, 0);
  EXPECT_GT(none.high, 0.05);
}

}  // namespace
}  // namespace agentstorm
