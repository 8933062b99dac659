#include "checker/readers/jaeger_v3_reader.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "checker/readers/json_values.h"
#include "checker/readers/reader_util.h"
#include "core/otlp_json.h"
#include "core/proto_wire.h"

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
  // Parsed on `out`'s arena when it has one, so that moving its resource spans is a swap of
  // pointers, not a copy.
  TracesData heap_chunk;
  TracesData* parsed = out->GetArena() != nullptr
                           ? google::protobuf::Arena::CreateMessage<TracesData>(out->GetArena())
                           : &heap_chunk;
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
    if (!parsed->ParseFromString(wire)) {
      return absl::DataLossError("jaeger api v3 result: not a TracesData libprotobuf parses");
    }
    for (auto& rs : *parsed->mutable_resource_spans()) {
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

absl::StatusOr<std::vector<FetchedTrace>> DecodeTraceBatch(std::string_view body,
                                                           absl::Span<const TraceId> ids) {
  std::vector<FetchedTrace> out;
  out.reserve(ids.size());
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    std::string_view bytes;
    p = protowire::ReadTag(p, end, &number, &wire_type);
    if (p == nullptr || number != 1 || wire_type != 2 ||
        (p = protowire::ReadLengthDelimited(p, end, &bytes)) == nullptr) {
      return absl::DataLossError("the bulk answer is not a sequence of TracesData messages");
    }
    if (out.size() == ids.size()) {
      return absl::DataLossError(
          absl::StrCat("the bulk answer holds more traces than the ", ids.size(), " asked for"));
    }
    FetchedTrace& trace = out.emplace_back();
    trace.id = ids[out.size() - 1];
    if (!trace.data->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat("the bulk answer's trace ", HexEncode(trace.id),
                                              " is not a TracesData message"));
    }
    trace.span_count = CountSpans(*trace.data);
    trace.found = trace.span_count > 0;
  }
  if (out.size() != ids.size()) {
    return absl::DataLossError(absl::StrCat("the bulk answer holds ", out.size(), " traces of the ",
                                            ids.size(), " asked for"));
  }
  return out;
}

std::vector<absl::StatusOr<FetchedTrace>> JaegerV3Reader::GetTraces(absl::Span<const TraceId> ids) {
  if (!bulk_.load(std::memory_order_relaxed) || ids.size() > kBulkTraces) {
    return TraceReader::GetTraces(ids);
  }
  std::string target = absl::StrCat(url_.HttpBase(), "/agentstorm/v1/traces?ids=");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) target.push_back(',');
    target += HexEncode(ids[i]);
  }
  auto fail_all = [&](const absl::Status& s) {
    return std::vector<absl::StatusOr<FetchedTrace>>(ids.size(), s);
  };
  auto response = http_.Get(target, {{"Accept", "application/x-protobuf"}});
  if (!response.ok()) return fail_all(response.status());
  const int code = response->status;
  if (code == 200 && absl::StartsWith(response->content_type, "application/x-protobuf")) {
    absl::StatusOr<std::vector<FetchedTrace>> traces = DecodeTraceBatch(response->body, ids);
    if (!traces.ok()) {
      return fail_all(absl::Status(traces.status().code(),
                                   absl::StrCat("GET ", target, ": ", traces.status().message())));
    }
    std::vector<absl::StatusOr<FetchedTrace>> out;
    out.reserve(ids.size());
    for (FetchedTrace& trace : *traces) out.emplace_back(std::move(trace));
    return out;
  }
  if (code == 401 || code == 403 || code == 429 || code >= 500) {
    return fail_all(HttpStatusError(*response, target));
  }
  // Not agentstorm's sink (or one from before the bulk request): one trace per request.
  bulk_.store(false, std::memory_order_relaxed);
  return TraceReader::GetTraces(ids);
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
