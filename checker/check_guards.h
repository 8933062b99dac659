// The guards against false passes (RunCheck, checker/check_pipeline.h), run once every trace
// has been checked and every rule finished: a check never passes on nothing, on a variant that
// was sent but never read back, or on counts that do not reconcile.
#pragma once

#include <string>

#include "checker/check_pipeline.h"
#include "checker/finding.h"
#include "core/ledger.h"
#include "scenario/scenario.h"

namespace agentstorm {

// A finding of the check itself ("check.*"), about the run or (with trace_id set) one trace.
Finding CheckFinding(const char* id, FindingLevel level, std::string message, std::string expected,
                     std::string actual);

// Adds to result->findings:
//   check.no_traces_read   (violation) when result->traces_read is 0;
//   with a `scenario` (ledger mode; null ledger-less):
//   check.variant_missing  per scenario variant with no trace read (a violation when traces of
//                          it were acknowledged and sampling at `sampling_confidence` does not
//                          explain their absence, else an improvement);
//   check.count_mismatch   (violation) without sampling, when acknowledged traces / spans and
//                          those read back differ;
// and the "check" statistics. Marks the result unreachable when the poller found the backend
// unreachable. Does not finish the findings or set the final exit code.
// Acknowledged traces read back (found or incomplete): every variant's reads, less the traces
// present though never acknowledged.
uint64_t AcknowledgedTracesRead(const CheckResult& result);

void ApplyCheckGuards(const Scenario* scenario, double sampling_confidence, CheckResult* result);

// Adds to result->findings what the ledgers of a run lack, so partial input never passes:
//   check.ledger_shard_missing  (violation) one per shard of the header's shard count with no
//                               ledger given: its traces were never checked;
//   check.ledger_truncated      (violation) one per file without a valid end marker (the
//                               generator crashed or was killed), naming how many records were
//                               read and how many bytes at its tail were ignored.
void ApplyLedgerGuards(const Ledger& ledger, CheckResult* result);

}  // namespace agentstorm
