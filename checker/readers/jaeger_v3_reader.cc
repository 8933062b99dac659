#include "checker/readers/jaeger_v3_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "checker/readers/json_values.h"
#include "checker/readers/reader_util.h"
#include "core/otlp_json.h"

namespace agentstorm::readers {
namespace {

// Jaeger's query service adds its adjusters' notes to a span as this attribute (e.g. "parent span
// ID=... is not in the trace; skipping clock skew adjustment"): Jaeger's, not the pipeline's.
constexpr std::string_view kJaegerWarnings = "@jaeger@warnings";

void RemoveJaegerWarnings(TracesData* data) {
  for (auto& rs : *data->mutable_resource_spans())
    for (auto& ss : *rs.mutable_scope_spans())
      for (auto& span : *ss.mutable_spans()) {
        auto* attrs = span.mutable_attributes();
        for (int i = attrs->size() - 1; i >= 0; --i)
          if (attrs->Get(i).key() == kJaegerWarnings) attrs->DeleteSubrange(i, 1);
      }
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", ClampQueryTime(t), absl::UTCTimeZone());
}

}  // namespace

absl::Status DecodeJaegerV3Body(std::string_view body, TracesData* out) {
  out->Clear();
  auto chunks = SplitJsonValues(body);
  if (!chunks.ok()) {
    return absl::DataLossError(absl::StrCat("jaeger api v3 response: ", chunks.status().message()));
  }
  TracesData chunk_data;
  std::string wire;
  for (std::string_view chunk : *chunks) {
    // The result goes straight from the JSON text to protobuf wire bytes (no JSON document: a
    // document of a trace took about 25 times its text); only a chunk that is not such a
    // result, or says it is an error, is parsed whole, to say what it is.
    JsonEnvelope envelope;
    const absl::Status transcoded =
        TranscodeOtlpJsonMember(chunk, "result", TracesData::descriptor(), &wire, &envelope);
    const bool error_said = std::find(envelope.other_keys.begin(), envelope.other_keys.end(),
                                      "error") != envelope.other_keys.end();
    if (!transcoded.ok() || !envelope.found || error_said) {
      const nlohmann::json j = nlohmann::json::parse(chunk, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        return absl::DataLossError("jaeger api v3 response: a chunk is not a JSON object");
      }
      if (auto error = j.find("error"); error != j.end() && error->is_object()) {
        const int code = error->value("httpCode", 0);
        const std::string message = error->value("message", std::string());
        if (code == 404) return absl::NotFoundError(message);
        return absl::InternalError(absl::StrCat("jaeger api v3 error ", code, ": ", message));
      }
      if (!transcoded.ok()) {
        return absl::DataLossError(absl::StrCat("jaeger api v3 ", transcoded.message()));
      }
      if (!envelope.found) {
        return absl::DataLossError("jaeger api v3 response: a chunk has neither result nor error");
      }
    }
    if (!chunk_data.ParseFromString(wire)) {
      return absl::DataLossError("jaeger api v3 result: not a TracesData libprotobuf parses");
    }
    for (auto& rs : *chunk_data.mutable_resource_spans()) {
      out->add_resource_spans()->Swap(&rs);
    }
  }
  RemoveJaegerWarnings(out);
  return absl::OkStatus();
}

JaegerV3Reader::JaegerV3Reader(BackendUrl url, const ReaderOptions& options)
    : url_(std::move(url)), http_(HttpOptionsFor(url_, options)) {}

absl::StatusOr<FetchedTrace> JaegerV3Reader::GetTrace(const TraceId& id) {
  const std::string target = absl::StrCat(url_.HttpBase(), "/api/v3/traces/", HexEncode(id));
  return FetchJsonTrace(http_, id, target, DecodeJaegerV3Body, /*accept_protobuf=*/true);
}

absl::StatusOr<std::vector<TraceId>> JaegerV3Reader::FindTraces(const TraceSearch& search) {
  const std::string target = absl::StrCat(
      url_.HttpBase(), "/api/v3/traces?query.service_name=", HttpClient::Escape(search.service),
      "&query.start_time_min=", HttpClient::Escape(Rfc3339(search.start)),
      "&query.start_time_max=", HttpClient::Escape(Rfc3339(search.end)),
      "&query.num_traces=", search.limit);
  auto response = http_.Get(target, {{"Accept", "application/json"}});
  if (!response.ok()) return response.status();
  if (response->status == 404) return std::vector<TraceId>{};
  if (response->status != 200) return HttpStatusError(*response, target);
  TracesData data;
  absl::Status s = DecodeJaegerV3Body(response->body, &data);
  if (absl::IsNotFound(s)) return std::vector<TraceId>{};
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("GET ", target, ": ", s.message()));
  return DistinctTraceIds(data, search.limit);
}

}  // namespace agentstorm::readers
