// report.html: one self-contained page (inline CSS and SVG; no script, font, image or style
// fetched from anywhere) for an engineer looking for where a run went wrong: the verdict and
// run facts, then charts (intended vs achieved rate over time, export latency distribution,
// spans by outcome, findings by rule, time until queryable, sampling kept fraction with its
// interval, alert timelines), the tables behind them, and each failing trace's expected and
// actual span trees side by side with the differences marked.
#pragma once

#include <string>

#include "reports/report_model.h"

namespace agentstorm::reports {

std::string RenderHtmlReport(const ReportModel& model);

}  // namespace agentstorm::reports
