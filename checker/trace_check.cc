#include "checker/trace_check.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/check_guards.h"
#include "checker/other_run.h"

namespace agentstorm {

using readers::PolledTrace;
using readers::TraceOutcome;

void TraceCheck::Check(const PolledTrace& polled, SynthesizedTrace* scratch) {
  ScopedFindingCapture capture;  // what this trace produces, for failing_traces
  FindingSet& findings = *findings_;
  const bool ledger_mode = c_.ledger != nullptr;
  bool found =
      polled.outcome == TraceOutcome::kFound || polled.outcome == TraceOutcome::kIncomplete;
  uint64_t spans_received = polled.trace.span_count;
  opentelemetry::proto::trace::v1::TracesData kept;  // without another run's spans
  TraceUnderCheck t;
  SpansById sent_by_id;
  t.trace_id = HexEncode(polled.id);
  t.received = polled.trace.data.get();
  t.found = found;
  const LedgerRecord* rec = nullptr;
  if (ledger_mode) {
    rec = &c_.ledger->records[c_.index->at(polled.id)];
    t.acknowledged = rec->Worst(c_.endpoints) == DeliveryOutcome::kAcknowledged;
    t.variant = rec->variant < c_.scenario->variants.size()
                    ? c_.scenario->variants[rec->variant].name
                    : absl::StrCat("#", rec->variant);
    // The trace's facts when it arrived as sent (its spans are the ones received).
    thread_local SynthesizedTrace as_sent;
    if (found && ArrivedAsSent(polled, *rec, &as_sent)) {
      // No span of another run among them either: such a span would differ from the one sent.
      t.expected = &as_sent;
      t.arrived_as_sent = true;
    } else if (c_.rebuilder->Rebuild(*rec, scratch)) {
      t.expected = scratch;
      IndexSentSpans(*scratch, &sent_by_id);
      t.sent_by_id = &sent_by_id;
      if (found) {
        const OtherRunSpans other = SetAsideOtherRunSpans(sent_by_id, *polled.trace.data, &kept);
        if (other.count > 0) {
          t.received = &kept;
          found = t.found = kept.resource_spans_size() > 0;
          spans_received -= std::min<uint64_t>(spans_received, other.count);
          const double seconds = static_cast<double>(other.offset_nanos) / 1e9;
          Finding f = CheckFinding(
              "check.spans_of_another_run", FindingLevel::kInformation,
              absl::StrFormat("%d span(s) carry this run's span IDs with the same durations but "
                              "start %.3fs %s: an earlier run with this run ID and seed "
                              "(--run-id, --seed) wrote them to the backend; set aside, not "
                              "judged",
                              other.count, std::abs(seconds), seconds < 0 ? "earlier" : "later"),
              "0", absl::StrCat(other.count));
          f.trace_id = t.trace_id;
          f.variant = t.variant;
          findings.Add(std::move(f));
        }
      }
    } else {
      Finding f = CheckFinding("check.trace_not_rebuilt", FindingLevel::kViolation,
                               "the scenario does not rebuild this ledger record (span count or "
                               "faults differ): its expected-trace checks are skipped",
                               absl::StrCat(rec->span_count, " spans"),
                               absl::StrCat(scratch->span_count, " spans"));
      f.trace_id = t.trace_id;
      f.variant = t.variant;
      findings.Add(std::move(f));
    }
  }
  if (polled.outcome == TraceOutcome::kRequestFailed) {
    Finding f = CheckFinding(
        "check.trace_unreadable", FindingLevel::kViolation,
        absl::StrCat("every request for this trace failed: ", polled.last_error.message()),
        "readable", "request failed");
    f.trace_id = t.trace_id;
    f.variant = t.variant;
    findings.Add(std::move(f));
  } else if (found || ledger_mode) {
    // Ledger mode: absent traces go to the rules too (fidelity and sampling count them).
    for (auto& rule : *c_.rules) rule->CheckTrace(t, &findings);
  }

  absl::MutexLock lock(&counts_mu_);
  CheckResult& r = *result_;
  if (r.failing_traces.size() < c_.max_failing_traces && capture.HasViolation()) {
    FailingTrace ft;
    ft.trace_id = t.trace_id;
    ft.variant = t.variant.value_or("");
    if (t.expected != nullptr) {
      // The report shows what was sent as spans: built here for a trace that arrived as sent.
      if (t.arrived_as_sent) c_.rebuilder->Rebuild(*rec, scratch);
      ft.expected = std::make_shared<SynthesizedTrace>(*scratch);
    }
    if (found) ft.received = *t.received;
    for (const auto& captured : capture.captured()) {
      if (captured.level != FindingLevel::kViolation) continue;
      if (std::find(ft.finding_ids.begin(), ft.finding_ids.end(), captured.id) ==
          ft.finding_ids.end()) {
        ft.finding_ids.push_back(captured.id);
      }
      if (!captured.span_id.empty()) ft.span_findings.emplace_back(captured.span_id, captured.id);
    }
    r.failing_traces.push_back(std::move(ft));
  }
  if (t.arrived_as_sent) ++r.traces_arrived_as_sent;
  if (found) {
    ++r.traces_read;
    if (rec != nullptr) {
      ++r.by_variant[*t.variant].read;
      ++r.by_class[TraceClassName(rec->expected_class)].read;
      if (!t.acknowledged)
        ++r.unacknowledged_but_present;
      else
        r.spans_read += spans_received;
    } else {
      r.spans_read += spans_received;
    }
  }
}

bool TraceCheck::ArrivedAsSent(const PolledTrace& polled, const LedgerRecord& record,
                               SynthesizedTrace* meta) {
  if (!c_.compare_wire || polled.trace.wire.empty()) return false;
  if (wire_matches_.load(std::memory_order_relaxed) == 0 &&
      wire_tries_.load(std::memory_order_relaxed) >= kWireTries) {
    return false;
  }
  wire_tries_.fetch_add(1, std::memory_order_relaxed);
  thread_local std::string encoded;  // reused: no allocation per trace
  encoded.clear();
  const bool same =
      c_.rebuilder->RebuildEncoded(record, meta, &encoded) && encoded == polled.trace.wire;
  if (same) wire_matches_.fetch_add(1, std::memory_order_relaxed);
  return same;
}

}  // namespace agentstorm
