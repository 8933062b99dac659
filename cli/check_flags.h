// The check options `check` and `run` share (DESIGN.md, "Command line"): where to read the
// traces back, how long to wait, the rules' configuration and the reports. AddCheckFlags declares
// them once, with one help text and one grammar, on either command; cli/check_command.cc defines
// it, as cli/generate_command.cc defines AddGenerateFlags for generate and run.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace CLI {
class App;
}

namespace agentstorm {
namespace reports {
class FindingStream;
struct ReportRequest;
}  // namespace reports
struct CheckOptions;
struct CheckResult;
class AlertRule;
}  // namespace agentstorm

namespace agentstorm::cli {

struct CheckFlags {
  std::string backend;                        // --backend URL ("" = unset)
  std::vector<std::string> backend_headers;   // --backend-header K=V, repeatable
  absl::Duration wait = absl::Seconds(30);    // --wait D (core/duration.h)
  std::string report_dir;                     // --report DIR ("" = none)
  std::vector<std::string> formats;           // --format, empty = all
  std::string baseline;                       // --baseline report.json (reports/baseline.h)
  std::string config;                         // --config FILE
  std::vector<std::string> semconv_registry;  // --semconv-registry DIR, repeatable
  std::vector<std::string> alerts;            // --alerts URL, up to one per kind
  std::vector<std::string> thresholds;        // --threshold EXPR (core/thresholds.h)
  bool no_default_thresholds = false;         // --no-default-thresholds
  std::string fail_on = "violation";          // --fail-on LEVEL
  std::string verify;                         // --verify FRACTION|N ("" = every trace)
  double confidence = 0.999;                  // --confidence (sampling rule, --verify bound)

  // Copies the flags into the pipeline's options (backend_url, wait, config_path, ...).
  void ApplyTo(CheckOptions* options) const;
};

// After parsing, call Finish() from the command's callback: it converts --wait into `flags` and
// validates them all (ValidateCheckFlags), so `run` refuses a bad check option before it sends
// anything; it returns "" or an error message naming the flag (exit code 2).
class CheckFlagSet {
 public:
  CheckFlags flags;
  std::string Finish();

 private:
  friend std::shared_ptr<CheckFlagSet> AddCheckFlags(CLI::App* cmd, bool backend_required,
                                                     const std::string& backend_help);
  std::string wait = "30s";
};

// Where a check's machine-readable output goes. `--format F` without `--report DIR` writes F to
// stdout; while this object lives, std::cout then writes to stderr, so the human text (the
// summaries, "== check ==") stays out of what a pipe reads. `--format jsonl` streams every
// finding as the check records it, to stdout or into DIR/findings.jsonl.
class CheckOutput {
 public:
  explicit CheckOutput(const CheckFlags& flags);
  ~CheckOutput();
  CheckOutput(const CheckOutput&) = delete;
  CheckOutput& operator=(const CheckOutput&) = delete;

  // Opens the jsonl stream; "" or a message (exit code 2).
  std::string Open(const CheckFlags& flags);
  // The jsonl listener (CheckOptions::on_finding), when there is a stream.
  void ApplyTo(CheckOptions* options);
  // The stdout format, its stream and the jsonl stream, for the report writer.
  void ApplyTo(reports::ReportRequest* request);
  // True when the report model must be built even without --report or --baseline.
  bool WritesReport() const { return !stdout_format_.empty() || stream_ != nullptr; }

 private:
  std::string stdout_format_;
  std::streambuf* saved_cout_ = nullptr;
  std::unique_ptr<std::ostream> stdout_;  // the real stdout while std::cout is redirected
  std::unique_ptr<reports::FindingStream> stream_;
};

// Every check flag that can be judged without a backend: --threshold, --format (one format
// without --report), --fail-on, the --backend URL and --backend-header, the --alerts URLs (one per
// kind), the --config file, the --baseline report and the --semconv-registry directory are read and
// parsed. "" or a message naming the flag.
std::string ValidateCheckFlags(const CheckFlags& flags);

// An --alerts source that could never be read makes the check exit 3: marked on `result` before
// the summary is printed, so its verdict line says UNREACHABLE, never PASS. `rule` may be null.
void MarkAlertsUnreachable(const AlertRule* rule, CheckResult* result);

// Registers the shared check flags on `cmd`. `check` requires --backend; `run` defaults it to
// the embedded sink, and says so in `backend_help`.
std::shared_ptr<CheckFlagSet> AddCheckFlags(CLI::App* cmd, bool backend_required,
                                            const std::string& backend_help);

}  // namespace agentstorm::cli
