// report.md: a short Markdown summary that fits $GITHUB_STEP_SUMMARY (well under its 1 MiB
// limit whatever the run): a verdict line, the run in one line, delivery and read-back, a table
// of rules, and the top findings (violations first, then by count) with their first example.
#pragma once

#include <string>

#include "reports/report_model.h"

namespace agentstorm::reports {

std::string RenderMarkdownReport(const ReportModel& model);

}  // namespace agentstorm::reports
