// Writing the reports of a run into a directory (`--report DIR`, `--format`).
//
//   json   report.json   the model, stable schema (docs/report-schema.md)
//   junit  junit.xml     for CI test-report integrations
//   md     report.md     for $GITHUB_STEP_SUMMARY and pull requests
//   html   report.html   one self-contained page with charts
//   jsonl  findings.jsonl every finding as a JSON line while the check runs, then the report
//                         (reports/finding_stream.h); named only, never part of "all"
//
// `--format F` without `--report DIR` writes that one format to stdout instead.
//
// Every writer renders the same model after SanitizeReport (reports/sanitize.h), so no report
// carries a secret even when a caller filled the model carelessly.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "reports/report_model.h"

namespace agentstorm::reports {

// The formats "all" means, in the order above (jsonl is streamed, so it is only written when
// named).
const std::vector<std::string>& ReportFormats();

// Splits "json,md" / {"json", "md,html"} into format names (ReportFormats() or "jsonl"); empty
// = all. InvalidArgument naming an unknown format.
absl::StatusOr<std::vector<std::string>> ParseReportFormats(const std::vector<std::string>& flags);

// The file name a format is written to ("report.json", "junit.xml", ...).
std::string ReportFileName(const std::string& format);

// Renders one format; for "jsonl", only the stream's last line (the report). REQUIRES:
// `format` is one ParseReportFormats accepts; `model` sanitized.
std::string RenderReport(const ReportModel& model, const std::string& format);

// Creates `dir` (and parents) when missing and writes each format's file there, replacing
// older files atomically (write to a temporary name, then rename); "jsonl" is skipped (its
// FindingStream writes it). `formats` empty = all.
// InvalidArgument for an unknown format; Internal/PermissionDenied when writing fails.
absl::Status WriteReports(const ReportModel& model, const std::string& dir,
                          const std::vector<std::string>& formats);

}  // namespace agentstorm::reports
