#include "reports/finding_stream.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "reports/json_writer.h"
#include "reports/sanitize.h"

namespace agentstorm::reports {
namespace {

void PutIfSet(nlohmann::ordered_json* j, const char* key, const std::string& value) {
  if (!value.empty()) (*j)[key] = ScrubSecrets(value);
}

}  // namespace

std::string FindingJsonLine(const Finding& f) {
  // Insertion order kept, so every line reads type, id, level first.
  nlohmann::ordered_json j;
  j["type"] = "finding";
  j["id"] = f.id;
  j["level"] = FindingLevelName(f.level);
  PutIfSet(&j, "trace_id", f.trace_id);
  PutIfSet(&j, "span_id", f.span_id);
  PutIfSet(&j, "span_name", f.span_name);
  PutIfSet(&j, "attribute", f.attribute);
  if (f.variant) PutIfSet(&j, "variant", *f.variant);
  PutIfSet(&j, "message", f.message);
  PutIfSet(&j, "expected", f.expected);
  PutIfSet(&j, "actual", f.actual);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ReportJsonLine(const ReportModel& model) {
  ReportModel clean = model;
  SanitizeReport(&clean);
  nlohmann::ordered_json j;
  j["type"] = "report";
  j["report"] = ReportToJson(clean);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

FindingStream::FindingStream(std::ostream* out) : out_(out) {}

absl::StatusOr<std::unique_ptr<FindingStream>> FindingStream::InDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create report directory \"", dir, "\": ", ec.message()));
  }
  std::unique_ptr<FindingStream> stream(new FindingStream());
  stream->path_ = (std::filesystem::path(dir) / "findings.jsonl").string();
  stream->file_.open(stream->path_ + ".partial", std::ios::binary | std::ios::trunc);
  if (!stream->file_) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write \"", stream->path_, ".partial\""));
  }
  stream->out_ = &stream->file_;
  return stream;
}

void FindingStream::Add(const Finding& finding) { *out_ << FindingJsonLine(finding) << '\n'; }

absl::Status FindingStream::Close(const ReportModel& model) {
  *out_ << ReportJsonLine(model) << '\n';
  out_->flush();
  if (!*out_) return absl::InternalError("writing the findings stream failed");
  if (path_.empty()) return absl::OkStatus();
  file_.close();
  if (!file_) return absl::InternalError(absl::StrCat("writing \"", path_, ".partial\" failed"));
  std::error_code ec;
  std::filesystem::rename(path_ + ".partial", path_, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot rename to \"", path_, "\": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace agentstorm::reports
