// The check options `check` and `run` share (DESIGN.md, "Command line"): where to read the
// traces back, how long to wait, the rules' configuration and the reports. AddCheckFlags declares
// them once, with one help text and one grammar, on either command; cli/check_command.cc defines
// it, as cli/generate_command.cc defines AddGenerateFlags for generate and run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace CLI {
class App;
}

namespace agentstorm {
struct CheckOptions;
struct CheckResult;
class AlertRule;
}  // namespace agentstorm

namespace agentstorm::cli {

struct CheckFlags {
  std::string backend;                       // --backend URL ("" = unset)
  std::vector<std::string> backend_headers;  // --backend-header K=V, repeatable
  absl::Duration wait = absl::Seconds(30);   // --wait D (core/duration.h)
  std::string report_dir;                    // --report DIR ("" = none)
  std::vector<std::string> formats;          // --format, empty = all
  std::string baseline;                      // --baseline report.json (reports/baseline.h)
  std::string config;                        // --config FILE
  std::string semconv_registry;              // --semconv-registry DIR
  std::vector<std::string> alerts;           // --alerts URL, up to one per kind
  std::vector<std::string> thresholds;       // --threshold EXPR (core/thresholds.h)
  bool no_default_thresholds = false;        // --no-default-thresholds

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

// Every check flag that can be judged without a backend: --threshold, --format (and --format
// without --report), the --backend URL and --backend-header, the --alerts URLs (one per kind),
// the --config file, the --baseline report and the --semconv-registry directory are read and
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
