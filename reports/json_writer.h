// report.json: the report model as JSON, with a stable schema (docs/report-schema.md) that
// carries "schema_version". Keys are sorted and numbers printed in their shortest exact form,
// so the same model always gives the same bytes. ReportFromJson reads it back (for --baseline).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "reports/report_model.h"

namespace agentstorm::reports {

nlohmann::json ReportToJson(const ReportModel& model);
// The JSON text, pretty-printed with two spaces and a final newline.
std::string RenderJsonReport(const ReportModel& model);

// Inverse of ReportToJson. InvalidArgument when the document is not a report or its
// schema_version is newer than this build understands; fields it does not know are ignored,
// missing fields keep their defaults.
absl::StatusOr<ReportModel> ReportFromJson(const nlohmann::json& json);
// Reads and parses a report.json file (NotFound / InvalidArgument).
absl::StatusOr<ReportModel> ReadJsonReport(const std::string& path);

}  // namespace agentstorm::reports
