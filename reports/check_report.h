// The reports of a `check` (or `run`): builds the report model from a CheckResult (plus, when
// the caller has them, the load summary and the alert timelines), applies `--baseline`, writes
// `--report DIR` in the `--format`s asked for, and says the exit code the command should end
// with (a baseline regression turns 0 into 1; nothing lowers a code).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checker/check_pipeline.h"
#include "checker/rules/alert_rule.h"
#include "reports/baseline.h"
#include "reports/finding_stream.h"
#include "reports/report_model.h"

namespace agentstorm::reports {

struct ReportRequest {
  std::string dir;                   // --report DIR; "" = write nothing
  std::vector<std::string> formats;  // --format; empty = all
  std::string baseline_path;         // --baseline FILE; "" = no comparison
  BaselineOptions baseline;
  std::string command = "check";
  std::string tool_version;
  absl::Time run_start = absl::InfinitePast();  // the ledger's run start, when known
  absl::Time run_end = absl::InfinitePast();
  // When this command started: a check of an old ledger spans hours from run_start, but its
  // own time (RunInfo::command_seconds, junit.xml's time) is from here to run_end.
  absl::Time command_start = absl::InfinitePast();
  // `--format F` without --report: F's rendering goes to `stdout_out` (for "jsonl", the
  // findings went to `stream` while the check ran; Close adds the report line).
  std::string stdout_format;
  std::ostream* stdout_out = nullptr;
  // `--format jsonl` (to stdout or into --report DIR): closed with the report line.
  FindingStream* stream = nullptr;
};

// Alert timelines in report form: times in seconds since `run_start`.
std::vector<AlertTimeline> AlertTimelinesForReport(
    const std::vector<agentstorm::AlertTimeline>& timelines, absl::Time run_start);

// Builds the model (see above) without writing anything.
ReportModel BuildCheckReport(const CheckResult& result, const ReportRequest& request,
                             const LoadSummary* load, const std::vector<AlertTimeline>& alerts);

// Builds, compares with the baseline, prints a line per baseline finding on stderr, closes the
// jsonl stream, writes the stdout format and the --report files. Returns the exit code to use; an
// error (usage: exit 2) when the baseline cannot be read or a report cannot be written or a format
// is unknown.
absl::StatusOr<int> WriteCheckReports(const CheckResult& result, const ReportRequest& request,
                                      const LoadSummary* load = nullptr,
                                      const std::vector<AlertTimeline>& alerts = {});

}  // namespace agentstorm::reports
