#include "checker/readers/tempo_reader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "checker/readers/json_values.h"
#include "checker/readers/reader_util.h"
#include "core/otlp_json.h"

namespace agentstorm::readers {
namespace {

using json = nlohmann::json;
using google::protobuf::internal::WireFormatLite;

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Tempo's base64 ID, or an ID already in hex, as the hex OTLP/JSON wants.
void IdToHex(json* id, size_t bytes) {
  if (!id->is_string()) return;
  const std::string& text = id->get_ref<const std::string&>();
  if (text.empty() || (text.size() == 2 * bytes && IsHex(text))) return;
  std::string raw;
  if ((absl::Base64Unescape(text, &raw) || absl::WebSafeBase64Unescape(text, &raw)) &&
      raw.size() == bytes) {
    *id = HexEncode(raw);
  }
  // Otherwise left alone: the OTLP/JSON decoder reports it with its path.
}

// Rewrites Tempo's JSON mapping into OTLP/JSON, in place.
void ToOtlpJson(json* j) {
  if (j->is_array()) {
    for (json& e : *j) ToOtlpJson(&e);
    return;
  }
  if (!j->is_object()) return;
  static const std::pair<const char*, const char*> kRenames[] = {
      {"batches", "resourceSpans"},
      {"instrumentationLibrarySpans", "scopeSpans"},
      {"instrumentationLibrary", "scope"},
  };
  for (const auto& [from, to] : kRenames) {
    if (auto it = j->find(from); it != j->end() && !j->contains(to)) {
      json moved = std::move(*it);
      j->erase(from);
      (*j)[to] = std::move(moved);
    }
  }
  for (auto& [key, value] : j->items()) {
    if (key == "traceId") {
      IdToHex(&value, 16);
    } else if (key == "spanId" || key == "parentSpanId") {
      IdToHex(&value, 8);
    } else {
      ToOtlpJson(&value);
    }
  }
}

// `body` as a JSON object (its nesting bounded first); DataLoss naming `what` otherwise.
absl::StatusOr<json> ParseTempoObject(std::string_view body, absl::string_view what) {
  auto parsed = ParseBoundedJson(body);
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::DataLossError(
        absl::StrCat(what, ": body is not a JSON object",
                     parsed.ok() ? "" : absl::StrCat(": ", parsed.status().message())));
  }
  return parsed;
}

bool LooksLikeProtobuf(std::string_view body, absl::string_view content_type) {
  if (absl::StrContains(content_type, "protobuf")) return true;
  if (absl::StrContains(content_type, "json")) return false;
  for (char c : body) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c != '{';
  }
  return false;
}

// TraceByIDResponse {Trace trace = 1; TraceByIDMetrics metrics = 2; PartialStatus status = 3;
// string message = 4}.
bool DecodeTraceByIdProto(std::string_view body, TracesData* out, bool* partial) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const auto type = WireFormatLite::GetTagWireType(tag);
    if (field == 1 && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length = 0;
      std::string bytes;
      if (!in.ReadVarint32(&length) || !in.ReadString(&bytes, static_cast<int>(length)))
        return false;
      if (!out->MergeFromString(bytes)) return false;
    } else if (field == 3 && type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t status = 0;
      if (!in.ReadVarint64(&status)) return false;
      *partial = status == 1;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

absl::Status DecodeTempoTraceJson(const json& trace, TracesData* out) {
  json copy = trace;
  ToOtlpJson(&copy);
  if (absl::Status s = DecodeOtlpJson(copy, out); !s.ok()) {
    return absl::DataLossError(absl::StrCat("tempo trace: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status DecodeTempoTraceBody(std::string_view body, std::string_view content_type, bool v2,
                                  TracesData* out, bool* partial) {
  out->Clear();
  *partial = false;
  if (LooksLikeProtobuf(body, absl::string_view(content_type.data(), content_type.size()))) {
    if (!v2) {
      if (out->ParseFromArray(body.data(), static_cast<int>(body.size()))) return absl::OkStatus();
      out->Clear();
      return absl::DataLossError("tempo trace: protobuf body does not parse");
    }
    out->Clear();
    if (!DecodeTraceByIdProto(body, out, partial)) {
      out->Clear();
      return absl::DataLossError("tempo trace: protobuf body does not parse");
    }
    return absl::OkStatus();
  }
  auto parsed = ParseTempoObject(body, "tempo trace");
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  if (auto trace = j.find("trace"); trace != j.end()) {  // v2
    if (auto status = j.find("status"); status != j.end()) {
      *partial = (*status == "PARTIAL" || *status == 1);
    }
    if (trace->is_null()) return absl::OkStatus();
    return DecodeTempoTraceJson(*trace, out);
  }
  return DecodeTempoTraceJson(j, out);
}

absl::StatusOr<std::vector<TraceId>> DecodeTempoSearchBody(std::string_view body) {
  auto parsed = ParseTempoObject(body, "tempo search");
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  std::vector<TraceId> ids;
  auto traces = j.find("traces");
  if (traces == j.end() || traces->is_null()) return ids;
  if (!traces->is_array()) return absl::DataLossError("tempo search: traces is not an array");
  for (const json& t : *traces) {
    const std::string hex = t.is_object() ? t.value("traceID", std::string()) : std::string();
    auto id = ParseTraceId(hex);
    if (!id) return absl::DataLossError(absl::StrCat("tempo search: bad traceID \"", hex, "\""));
    ids.push_back(*id);
  }
  return ids;
}

TempoReader::TempoReader(BackendUrl url, const ReaderOptions& options)
    : url_(std::move(url)), http_(HttpOptionsFor(url_, options)) {}

absl::StatusOr<FetchedTrace> TempoReader::GetTrace(const TraceId& id) {
  const std::string target = absl::StrCat(
      url_.HttpBase(), url_.tempo_api == "v2" ? "/api/v2" : "/api", "/traces/", HexEncode(id));
  auto response = http_.Get(target, {{"Accept", "application/protobuf"}});
  if (!response.ok()) return response.status();
  FetchedTrace trace;
  trace.id = id;
  if (response->status == 404) return trace;
  if (response->status != 200) return HttpStatusError(*response, target);
  absl::Status s = DecodeTempoTraceBody(response->body, response->content_type,
                                        url_.tempo_api == "v2", trace.data.get(), &trace.partial);
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("GET ", target, ": ", s.message()));
  trace.span_count = CountSpans(*trace.data);
  trace.found = trace.span_count > 0;
  return trace;
}

absl::StatusOr<std::vector<TraceId>> TempoReader::FindTraces(const TraceSearch& search) {
  const std::string query =
      absl::StrCat("{ resource.service.name = \"",
                   absl::StrReplaceAll(search.service, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\" }");
  const std::string target = absl::StrCat(
      url_.HttpBase(), "/api/search?q=", HttpClient::Escape(query),
      "&start=", absl::ToUnixSeconds(ClampQueryTime(search.start)),
      "&end=", absl::ToUnixSeconds(ClampQueryTime(search.end)) + 1, "&limit=", search.limit);
  auto response = http_.Get(target, {{"Accept", "application/json"}});
  if (!response.ok()) return response.status();
  if (response->status != 200) return HttpStatusError(*response, target);
  auto ids = DecodeTempoSearchBody(response->body);
  if (!ids.ok())
    return absl::Status(ids.status().code(),
                        absl::StrCat("GET ", target, ": ", ids.status().message()));
  if (ids->size() > search.limit) ids->resize(search.limit);
  return ids;
}

}  // namespace agentstorm::readers
