#include "checker/readers/file_reader.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "checker/readers/jaeger_legacy_reader.h"
#include "checker/readers/json_values.h"
#include "checker/readers/tempo_reader.h"
#include "core/capture_reader.h"
#include "core/gzip.h"
#include "core/otlp_json.h"

namespace agentstorm::readers {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxInflatedBytes = size_t{16} << 30;

std::string ServiceName(const opentelemetry::proto::resource::v1::Resource& resource) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "service.name") return kv.value().string_value();
  }
  return "";
}

bool IsJsonStart(std::string_view head) {
  for (char c : head) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';
  }
  return false;
}

// One JSON value of the file as TracesData, whichever of the known shapes it has.
absl::Status DecodeJsonRecord(const json& j, TracesData* out, std::string* format) {
  if (!j.is_object()) return absl::DataLossError("not a JSON object");
  if (j.contains("resourceSpans")) {
    *format = "otlp-json";
    return DecodeOtlpJson(j, out);
  }
  if (auto result = j.find("result"); result != j.end()) {
    *format = "jaeger-v3-json";
    return DecodeOtlpJson(*result, out);
  }
  if (j.contains("data")) {
    *format = "jaeger-legacy-json";
    out->Clear();
    for (const json& trace : j["data"]) {
      if (absl::Status s = AppendJaegerLegacyTrace(trace, out); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (j.contains("batches")) {
    *format = "tempo-json";
    return DecodeTempoTraceJson(j, out);
  }
  if (auto trace = j.find("trace"); trace != j.end()) {
    *format = "tempo-v2-json";
    return DecodeTempoTraceJson(*trace, out);
  }
  if (j.empty()) {  // the collector writes {} for an empty batch
    out->Clear();
    return absl::OkStatus();
  }
  return absl::DataLossError(
      "neither resourceSpans, result, data, batches nor trace: not a trace record");
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileReader>> FileReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) {
      return absl::NotFoundError(absl::StrCat("file backend ", path, ": no such file"));
    }
    return absl::InvalidArgumentError(absl::StrCat("file backend ", path, ": cannot open"));
  }
  char head[4] = {0, 0, 0, 0};
  in.read(head, sizeof head);
  const std::string_view head_view(head, static_cast<size_t>(in.gcount()));
  auto reader = std::make_unique<FileReader>(absl::StrCat("file:", path));

  const bool gzipped = head_view.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b';
  if (!gzipped && !IsJsonStart(head_view) && !head_view.empty()) {
    in.close();
    auto capture = sink::CaptureReader::Open(path);
    if (!capture.ok()) return capture.status();
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
    TracesData record;
    reader->stats_.format = "protobuf-framed";
    while (true) {
      auto more = (*capture)->Next(&request);
      if (!more.ok()) return more.status();
      if (!*more) break;
      record.mutable_resource_spans()->Swap(request.mutable_resource_spans());
      reader->Add(record);
      record.Clear();
    }
    reader->stats_.truncated_tail_bytes = (*capture)->truncated_tail_bytes();
    if (reader->stats_.records == 0 && reader->stats_.truncated_tail_bytes > 0) {
      return absl::DataLossError(absl::StrCat(
          "file backend ", path,
          ": neither JSON nor length-prefixed protobuf (the first record runs past the end)"));
    }
    return reader;
  }

  in.seekg(0);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  if (gzipped) {
    auto inflated = GzipDecompress(text, kMaxInflatedBytes);
    if (!inflated.ok()) {
      return absl::DataLossError(
          absl::StrCat("file backend ", path, ": ", inflated.status().message()));
    }
    text = std::move(*inflated);
    if (!IsJsonStart(text.substr(0, 64)) && !text.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("file backend ", path,
                       ": gzip-compressed protobuf is not supported; decompress it first"));
    }
  }
  auto values = SplitJsonValues(text);
  if (!values.ok()) {
    return absl::DataLossError(
        absl::StrCat("file backend ", path, ": ", values.status().message()));
  }
  TracesData record;
  std::string format;
  uint64_t number = 0;
  auto add_value = [&](const json& j) -> absl::Status {
    ++number;
    if (absl::Status s = DecodeJsonRecord(j, &record, &format); !s.ok()) {
      return absl::DataLossError(
          absl::StrCat("file backend ", path, ": record ", number, ": ", s.message()));
    }
    if (reader->stats_.format.empty()) reader->stats_.format = format;
    reader->Add(record);
    return absl::OkStatus();
  };
  for (std::string_view value : *values) {
    json j = json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::DataLossError(
          absl::StrCat("file backend ", path, ": record ", number + 1, " is not valid JSON"));
    }
    if (j.is_array()) {
      for (const json& element : j) {
        if (absl::Status s = add_value(element); !s.ok()) return s;
      }
    } else if (absl::Status s = add_value(j); !s.ok()) {
      return s;
    }
  }
  if (reader->stats_.format.empty()) reader->stats_.format = "empty";
  return reader;
}

void FileReader::Add(const TracesData& record) {
  ++stats_.records;
  struct Part {
    TracesData data;
    int scope_ordinal = -1;
    uint64_t spans = 0;
    uint64_t min_start = UINT64_MAX;
    uint64_t max_start = 0;
  };
  absl::flat_hash_map<TraceId, Part> parts;
  std::vector<TraceId> part_order;
  for (const auto& rs : record.resource_spans()) {
    parts.clear();
    part_order.clear();
    int ordinal = 0;
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans()) {
        TraceId id{};  // spans without a valid trace ID are kept under the all-zero ID
        if (span.trace_id().size() == id.size()) {
          std::memcpy(id.data(), span.trace_id().data(), id.size());
        }
        auto [it, inserted] = parts.try_emplace(id);
        Part& part = it->second;
        if (inserted) {
          auto* r = part.data.add_resource_spans();
          *r->mutable_resource() = rs.resource();
          r->set_schema_url(rs.schema_url());
          part_order.push_back(id);
        }
        auto* r = part.data.mutable_resource_spans(0);
        if (part.scope_ordinal != ordinal) {
          auto* s = r->add_scope_spans();
          *s->mutable_scope() = ss.scope();
          s->set_schema_url(ss.schema_url());
          part.scope_ordinal = ordinal;
        }
        *r->mutable_scope_spans(r->scope_spans_size() - 1)->add_spans() = span;
        ++part.spans;
        part.min_start = std::min<uint64_t>(part.min_start, span.start_time_unix_nano());
        part.max_start = std::max<uint64_t>(part.max_start, span.start_time_unix_nano());
      }
      ++ordinal;
    }
    const std::string service = ServiceName(rs.resource());
    for (const TraceId& id : part_order) {
      Part& part = parts[id];
      auto [it, inserted] = index_.try_emplace(id);
      Entry& entry = it->second;
      if (inserted) {
        order_.push_back(id);
        ++stats_.traces;
      }
      part.data.AppendToString(&entry.fragments);
      entry.span_count += part.spans;
      stats_.spans += part.spans;
      ServiceWindow* window = nullptr;
      for (auto& w : entry.services) {
        if (w.service == service) window = &w;
      }
      if (window == nullptr) {
        entry.services.push_back({service});
        window = &entry.services.back();
      }
      window->min_start = std::min(window->min_start, part.min_start);
      window->max_start = std::max(window->max_start, part.max_start);
    }
  }
}

absl::StatusOr<FetchedTrace> FileReader::GetTrace(const TraceId& id) {
  FetchedTrace trace;
  trace.id = id;
  auto it = index_.find(id);
  if (it == index_.end()) return trace;
  if (!trace.data->ParseFromString(it->second.fragments)) {
    return absl::InternalError("file backend: indexed trace does not parse");
  }
  trace.span_count = it->second.span_count;
  trace.found = true;
  return trace;
}

absl::StatusOr<std::vector<TraceId>> FileReader::FindTraces(const TraceSearch& search) {
  const uint64_t lo =
      search.start == absl::InfinitePast()
          ? 0
          : static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixNanos(search.start)));
  const uint64_t hi =
      search.end == absl::InfiniteFuture()
          ? UINT64_MAX
          : static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixNanos(search.end)));
  std::vector<TraceId> ids;
  for (const TraceId& id : order_) {
    if (ids.size() >= search.limit) break;
    for (const ServiceWindow& w : index_.at(id).services) {
      if ((search.service.empty() || w.service == search.service) && w.max_start >= lo &&
          w.min_start < hi) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

}  // namespace agentstorm::readers
