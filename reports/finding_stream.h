// `--format jsonl`: every finding as one JSON object per line, written as the checker records
// it (so a run of a million findings never holds them in memory), then one last line with the
// whole report:
//
//   {"type":"finding","id":"semconv.required_attribute_missing","level":"violation",
//    "trace_id":"...","span_id":"...","span_name":"chat gpt-4o","attribute":"gen_ai.request.model",
//    "message":"...","expected":"...","actual":""}
//   ...
//   {"type":"report","report":{...report.json's document...}}
//
// Empty fields are left out of a finding's line; every string is scrubbed of secrets
// (reports/sanitize.h) as the other reports are. Suppressed findings (expected violations) are
// not streamed; the report line counts them.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "checker/finding.h"
#include "reports/report_model.h"

namespace agentstorm::reports {

// One finding's line, without the newline.
std::string FindingJsonLine(const Finding& finding);
// The stream's last line, without the newline. The model is sanitized first.
std::string ReportJsonLine(const ReportModel& model);

class FindingStream {
 public:
  // Streams to `out` (not owned; e.g. stdout).
  explicit FindingStream(std::ostream* out);
  // Streams into DIR/findings.jsonl (`--report DIR --format jsonl`): written as
  // findings.jsonl.partial, renamed by Close, so an interrupted run leaves no complete-looking
  // file. PermissionDenied when DIR cannot be created or the file opened.
  static absl::StatusOr<std::unique_ptr<FindingStream>> InDirectory(const std::string& dir);

  FindingStream(const FindingStream&) = delete;
  FindingStream& operator=(const FindingStream&) = delete;

  // Not thread-safe: FindingSet calls its listener under its own lock.
  void Add(const Finding& finding);
  // Writes the report line, flushes, and (in a directory) renames the file into place.
  // Internal when writing failed.
  absl::Status Close(const ReportModel& model);

 private:
  FindingStream() = default;

  std::ofstream file_;
  std::string path_;  // final path when streaming into a directory
  std::ostream* out_ = nullptr;
};

}  // namespace agentstorm::reports
