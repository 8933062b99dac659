// junit.xml: the report model as JUnit XML, in the common schema Jenkins and GitHub Actions
// test-report actions read (tests/reports/junit.xsd is the subset we promise to stay within).
//
//   <testsuites>              one per report: totals
//     <testsuite name=FAMILY> one per rule family ("semconv", "hierarchy", "baseline", ...)
//       <testcase name="ID: SUMMARY [variant]" classname="agentstorm.FAMILY">
//                             one per finding ID per scenario variant (a finding with no
//                             per-variant counts gets one testcase); a family with nothing to
//                             report gets one passing testcase per variant named after it
//         <failure>           violation-level findings: count, expected vs actual and the
//                             first offending trace and span IDs
// A backend that could not be reached (exit code 3) adds a "run" suite with an <error>.
// Everything is XML-escaped; output is deterministic for a given model.
#pragma once

#include <string>

#include "reports/report_model.h"

namespace agentstorm::reports {

std::string RenderJunitReport(const ReportModel& model);

}  // namespace agentstorm::reports
