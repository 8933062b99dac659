#include "reports/check_report.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "reports/json_writer.h"
#include "reports/report_writer.h"
#include "reports/sanitize.h"

namespace agentstorm::reports {
namespace {

std::optional<double> SecondsSince(absl::Time t, absl::Time start) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture() || start == absl::InfinitePast()) {
    return std::nullopt;
  }
  return absl::ToDoubleSeconds(t - start);
}

uint64_t UnixNanos(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return 0;
  return static_cast<uint64_t>(absl::ToUnixNanos(t));
}

}  // namespace

std::vector<AlertTimeline> AlertTimelinesForReport(
    const std::vector<agentstorm::AlertTimeline>& timelines, absl::Time run_start) {
  std::vector<AlertTimeline> out;
  for (const agentstorm::AlertTimeline& t : timelines) {
    AlertTimeline a;
    a.name = t.name;
    a.expected = t.expected;
    a.fired = t.fired;
    a.pending_at = SecondsSince(t.pending_at, run_start);
    a.firing_at = SecondsSince(t.firing_at, run_start);
    if (t.time_to_fire != absl::InfiniteDuration()) {
      a.time_to_fire = absl::ToDoubleSeconds(t.time_to_fire);
    }
    a.deadline = SecondsSince(t.deadline, run_start);
    a.passed = t.expected == t.fired;
    out.push_back(std::move(a));
  }
  return out;
}

ReportModel BuildCheckReport(const CheckResult& result, const ReportRequest& request,
                             const LoadSummary* load, const std::vector<AlertTimeline>& alerts) {
  ReportModel model;
  model.run.command = request.command;
  model.run.tool_version = request.tool_version;
  model.run.start_unix_nano = UnixNanos(request.run_start);
  model.run.end_unix_nano = UnixNanos(request.run_end);
  if (request.command_start != absl::InfinitePast() && request.run_end != absl::InfinitePast())
    model.run.command_seconds = absl::ToDoubleSeconds(request.run_end - request.command_start);
  if (load != nullptr) AddLoadSummary(*load, &model);
  AddCheckResult(result, &model);
  for (const FailingTrace& t : result.failing_traces) {
    AddFailingTrace(t.trace_id, t.expected.get(), &t.received, t.variant, t.finding_ids,
                    t.span_findings, result.failing_traces.size(), &model);
  }
  model.alerts = alerts;
  return model;
}

absl::StatusOr<int> WriteCheckReports(const CheckResult& result, const ReportRequest& request,
                                      const LoadSummary* load,
                                      const std::vector<AlertTimeline>& alerts) {
  ReportModel model = BuildCheckReport(result, request, load, alerts);
  if (!request.baseline_path.empty()) {
    auto baseline = ReadJsonReport(request.baseline_path);
    if (!baseline.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--baseline: ", baseline.status().message()));
    }
    BaselineResult compared = CompareWithBaseline(model, *baseline, request.baseline);
    for (const Finding& f : compared.findings) {
      std::cerr << "baseline: " << FindingLevelName(f.level) << " " << f.id << ": " << f.message
                << "\n";
    }
    if (compared.metrics.empty()) {
      std::cerr << "baseline: no figure in common with " << request.baseline_path
                << " (nothing compared)\n";
    }
    ApplyBaseline(compared, &model);
  }
  if (request.stream != nullptr) {
    if (absl::Status closed = request.stream->Close(model); !closed.ok()) return closed;
  }
  if (!request.stdout_format.empty() && request.stdout_format != "jsonl" &&
      request.stdout_out != nullptr) {
    ReportModel clean = model;
    SanitizeReport(&clean);
    *request.stdout_out << RenderReport(clean, request.stdout_format);
    request.stdout_out->flush();
  }
  if (!request.dir.empty()) {
    absl::Status written = WriteReports(model, request.dir, request.formats);
    if (!written.ok()) return written;
  }
  return model.exit_code;
}

}  // namespace agentstorm::reports
