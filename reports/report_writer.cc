#include "reports/report_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "reports/finding_stream.h"
#include "reports/html_writer.h"
#include "reports/json_writer.h"
#include "reports/junit_writer.h"
#include "reports/markdown_writer.h"
#include "reports/sanitize.h"

namespace agentstorm::reports {

const std::vector<std::string>& ReportFormats() {
  static const std::vector<std::string> kFormats = {"json", "junit", "md", "html"};
  return kFormats;
}

absl::StatusOr<std::vector<std::string>> ParseReportFormats(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (const std::string& flag : flags) {
    for (absl::string_view part : absl::StrSplit(flag, ',', absl::SkipWhitespace())) {
      std::string name(absl::StripAsciiWhitespace(part));
      if (name == "markdown") name = "md";
      if (name == "xml") name = "junit";
      if (name != "jsonl" && std::find(ReportFormats().begin(), ReportFormats().end(), name) ==
                                 ReportFormats().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown report format \"", name,
                         "\" (known: ", absl::StrJoin(ReportFormats(), ", "), ", jsonl)"));
      }
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
  }
  if (out.empty()) out = ReportFormats();
  return out;
}

std::string ReportFileName(const std::string& format) {
  if (format == "json") return "report.json";
  if (format == "junit") return "junit.xml";
  if (format == "md") return "report.md";
  if (format == "html") return "report.html";
  if (format == "jsonl") return "findings.jsonl";
  return "";
}

std::string RenderReport(const ReportModel& model, const std::string& format) {
  if (format == "json") return RenderJsonReport(model);
  if (format == "junit") return RenderJunitReport(model);
  if (format == "md") return RenderMarkdownReport(model);
  if (format == "html") return RenderHtmlReport(model);
  if (format == "jsonl") return ReportJsonLine(model) + "\n";
  return "";
}

absl::Status WriteReports(const ReportModel& model, const std::string& dir,
                          const std::vector<std::string>& formats) {
  auto parsed = ParseReportFormats(formats);
  if (!parsed.ok()) return parsed.status();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create report directory \"", dir, "\": ", ec.message()));
  }
  ReportModel clean = model;
  SanitizeReport(&clean);
  for (const std::string& format : *parsed) {
    if (format == "jsonl") continue;  // streamed while the check runs (FindingStream)
    std::filesystem::path path = std::filesystem::path(dir) / ReportFileName(format);
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) {
        return absl::PermissionDeniedError(
            absl::StrCat("cannot write \"", tmp.string(), "\": ", std::strerror(errno)));
      }
      out << RenderReport(clean, format);
      out.close();
      if (!out) return absl::InternalError(absl::StrCat("writing \"", tmp.string(), "\" failed"));
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot rename to \"", path.string(), "\": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace agentstorm::reports
