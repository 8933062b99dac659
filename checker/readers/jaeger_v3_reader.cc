#include "checker/readers/jaeger_v3_reader.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

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

// The "result" of one chunk of an API v3 answer, as TracesData wire bytes in `wire`. NotFound
// for an {"error": 404} chunk, Internal for another error, DataLoss for what does not parse.
absl::Status TranscodeResultChunk(std::string_view chunk, std::string* wire) {
  // The result goes straight from the JSON text to protobuf wire bytes (no JSON document: a
  // document of a trace took about 25 times its text); only a chunk that is not such a result,
  // or says it is an error, is parsed whole, to say what it is.
  JsonEnvelope envelope;
  const absl::Status transcoded =
      TranscodeOtlpJsonMember(chunk, "result", TracesData::descriptor(), wire, &envelope);
  const bool error_said = std::find(envelope.other_keys.begin(), envelope.other_keys.end(),
                                    "error") != envelope.other_keys.end();
  if (transcoded.ok() && envelope.found && !error_said) return absl::OkStatus();
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
  return absl::DataLossError("jaeger api v3 response: a chunk has neither result nor error");
}

absl::StatusOr<std::vector<std::string_view>> ResultChunks(std::string_view body) {
  auto chunks = SplitJsonValues(body);
  if (!chunks.ok()) {
    return absl::DataLossError(absl::StrCat("jaeger api v3 response: ", chunks.status().message()));
  }
  return chunks;
}

}  // namespace

absl::Status DecodeJaegerV3Body(std::string_view body, TracesData* out) {
  out->Clear();
  auto chunks = ResultChunks(body);
  if (!chunks.ok()) return chunks.status();
  // Parsed on `out`'s arena when it has one, so that moving its resource spans is a swap of
  // pointers, not a copy.
  TracesData heap_chunk;
  TracesData* parsed = out->GetArena() != nullptr
                           ? google::protobuf::Arena::CreateMessage<TracesData>(out->GetArena())
                           : &heap_chunk;
  std::string wire;
  for (std::string_view chunk : *chunks) {
    if (absl::Status s = TranscodeResultChunk(chunk, &wire); !s.ok()) return s;
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

namespace {

using ResourceSpans = opentelemetry::proto::trace::v1::ResourceSpans;

void AppendField1(std::string_view bytes, std::string* out) {
  char head[1 + protowire::kMaxVarintSize];
  head[0] = '\x0a';
  const char* end = protowire::PutVarint(head + 1, bytes.size());
  out->append(head, static_cast<size_t>(end - head));
  out->append(bytes);
}

// The trace ID of every span of a ResourceSpans message's wire bytes, in order. False when the
// bytes do not parse as such a message.
bool SpanTraceIds(std::string_view rs, std::vector<std::string_view>* ids) {
  ids->clear();
  protowire::Field f;
  for (const char *p = rs.data(), *end = p + rs.size(); p < end;) {
    if ((p = protowire::ReadField(p, end, 0, 64, &f)) == nullptr) return false;
    if (f.number != 2 || f.wire_type != protowire::kLen) continue;  // scope_spans
    for (const char *q = f.bytes.data(), *qend = q + f.bytes.size(); q < qend;) {
      protowire::Field g;
      if ((q = protowire::ReadField(q, qend, 1, 64, &g)) == nullptr) return false;
      if (g.number != 2 || g.wire_type != protowire::kLen) continue;  // spans
      std::string_view id;
      for (const char *r = g.bytes.data(), *rend = r + g.bytes.size(); r < rend;) {
        protowire::Field h;
        if ((r = protowire::ReadField(r, rend, 2, 64, &h)) == nullptr) return false;
        if (h.number == 1 && h.wire_type == protowire::kLen) id = h.bytes;  // trace_id
      }
      ids->push_back(id);
    }
  }
  return true;
}

std::optional<TraceId> TraceIdOfBytes(std::string_view bytes) {
  if (bytes.size() != 16) return std::nullopt;
  TraceId id;
  std::memcpy(id.data(), bytes.data(), 16);
  return id;
}

// Adds one ResourceSpans (wire bytes) of a search answer to the traces it holds spans of.
absl::Status SplitResourceSpans(std::string_view rs, absl::flat_hash_map<TraceId, std::string>* out,
                                std::vector<std::string_view>* ids) {
  if (!SpanTraceIds(rs, ids)) {
    return absl::DataLossError("jaeger api v3 result: resource spans libprotobuf cannot parse");
  }
  if (ids->empty()) return absl::OkStatus();
  const bool one_trace = std::all_of(ids->begin(), ids->end(),
                                     [&](std::string_view id) { return id == ids->front(); });
  if (one_trace) {
    // What Jaeger answers: each trace's resources in turn, so nothing is parsed here.
    if (auto id = TraceIdOfBytes(ids->front())) AppendField1(rs, &(*out)[*id]);
    return absl::OkStatus();
  }
  ResourceSpans whole;
  if (!whole.ParseFromArray(rs.data(), static_cast<int>(rs.size()))) {
    return absl::DataLossError("jaeger api v3 result: resource spans libprotobuf cannot parse");
  }
  absl::flat_hash_map<std::string, ResourceSpans> parts;
  for (const auto& ss : whole.scope_spans()) {
    absl::flat_hash_map<std::string, opentelemetry::proto::trace::v1::ScopeSpans*> scopes;
    for (const auto& span : ss.spans()) {
      auto [it, added] = parts.try_emplace(span.trace_id());
      if (added) {
        *it->second.mutable_resource() = whole.resource();
        it->second.set_schema_url(whole.schema_url());
      }
      auto& scope = scopes[span.trace_id()];
      if (scope == nullptr) {
        scope = it->second.add_scope_spans();
        *scope->mutable_scope() = ss.scope();
        scope->set_schema_url(ss.schema_url());
      }
      *scope->add_spans() = span;
    }
  }
  for (const auto& [bytes, part] : parts) {
    if (auto id = TraceIdOfBytes(bytes)) AppendField1(part.SerializeAsString(), &(*out)[*id]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::flat_hash_map<TraceId, std::string>> SplitJaegerV3Traces(
    std::string_view body) {
  absl::flat_hash_map<TraceId, std::string> out;
  auto chunks = ResultChunks(body);
  if (!chunks.ok()) return chunks.status();
  std::string wire;
  std::vector<std::string_view> ids;
  for (std::string_view chunk : *chunks) {
    absl::Status s = TranscodeResultChunk(chunk, &wire);
    if (absl::IsNotFound(s)) continue;
    if (!s.ok()) return s;
    protowire::Field f;
    for (const char *p = wire.data(), *end = p + wire.size(); p < end;) {
      if ((p = protowire::ReadField(p, end, 0, 64, &f)) == nullptr) {
        return absl::DataLossError("jaeger api v3 result: not a TracesData libprotobuf parses");
      }
      if (f.number != 1 || f.wire_type != protowire::kLen) continue;  // resource_spans
      if (absl::Status split = SplitResourceSpans(f.bytes, &out, &ids); !split.ok()) return split;
    }
  }
  return out;
}

JaegerV3Reader::JaegerV3Reader(BackendUrl url, const ReaderOptions& options)
    : url_(std::move(url)), http_(HttpOptionsFor(url_, options)) {}

absl::StatusOr<FetchedTrace> JaegerV3Reader::GetTrace(const TraceId& id) {
  read_by_id_.fetch_add(1, std::memory_order_relaxed);
  const std::string target =
      absl::StrCat(url_.HttpBase(), "/api/v3/traces/", HexEncode(id), "?raw_traces=true");
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
    trace.data = ArenaTraces(bytes.size());
    if (!trace.data->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat("the bulk answer's trace ", HexEncode(trace.id),
                                              " is not a TracesData message"));
    }
    trace.span_count = CountSpans(*trace.data);
    trace.found = trace.span_count > 0;
    if (trace.found) trace.wire.assign(bytes.data(), bytes.size());
  }
  if (out.size() != ids.size()) {
    return absl::DataLossError(absl::StrCat("the bulk answer holds ", out.size(), " traces of the ",
                                            ids.size(), " asked for"));
  }
  return out;
}

std::vector<absl::StatusOr<FetchedTrace>> JaegerV3Reader::GetTraces(
    absl::Span<const TraceLookup> traces) {
  if (bulk_.load(std::memory_order_relaxed) && traces.size() <= kBulkTraces) {
    std::string target = absl::StrCat(url_.HttpBase(), "/agentstorm/v1/traces?ids=");
    for (size_t i = 0; i < traces.size(); ++i) {
      if (i > 0) target.push_back(',');
      target += HexEncode(traces[i].id);
    }
    auto fail_all = [&](const absl::Status& s) {
      return std::vector<absl::StatusOr<FetchedTrace>>(traces.size(), s);
    };
    auto response = http_.Get(target, {{"Accept", "application/x-protobuf"}});
    if (!response.ok()) return fail_all(response.status());
    const int code = response->status;
    if (code == 200 && absl::StartsWith(response->content_type, "application/x-protobuf")) {
      std::vector<TraceId> ids;
      ids.reserve(traces.size());
      for (const TraceLookup& t : traces) ids.push_back(t.id);
      absl::StatusOr<std::vector<FetchedTrace>> fetched = DecodeTraceBatch(response->body, ids);
      if (!fetched.ok()) {
        return fail_all(
            absl::Status(fetched.status().code(),
                         absl::StrCat("GET ", target, ": ", fetched.status().message())));
      }
      std::vector<absl::StatusOr<FetchedTrace>> out;
      out.reserve(traces.size());
      for (FetchedTrace& trace : *fetched) out.emplace_back(std::move(trace));
      return out;
    }
    if (code == 401 || code == 403 || code == 429 || code >= 500) {
      return fail_all(HttpStatusError(*response, target));
    }
    // Not agentstorm's sink (or one from before the bulk request): its search, or one trace per
    // request.
    bulk_.store(false, std::memory_order_relaxed);
  }
  std::vector<absl::StatusOr<FetchedTrace>> out(traces.size(),
                                                absl::InternalError("the reader gave no answer"));
  if (search_.load(std::memory_order_relaxed)) {
    SearchTraces(traces, &out);
    return out;
  }
  for (size_t i = 0; i < traces.size(); ++i) out[i] = GetTrace(traces[i].id);
  return out;
}

void JaegerV3Reader::SearchTraces(absl::Span<const TraceLookup> traces,
                                  std::vector<absl::StatusOr<FetchedTrace>>* out) {
  // Located traces by service, then start; the others are read by ID.
  std::vector<size_t> located;
  std::vector<size_t> by_id;
  for (size_t i = 0; i < traces.size(); ++i) (traces[i].Located() ? located : by_id).push_back(i);
  std::sort(located.begin(), located.end(), [&](size_t a, size_t b) {
    const TraceLookup& x = traces[a];
    const TraceLookup& y = traces[b];
    return x.service != y.service ? x.service < y.service : x.start_unix_nano < y.start_unix_nano;
  });
  // Each entry: traces of one service, in start order, to find with one search.
  std::vector<std::vector<size_t>> pending;
  for (size_t i : located) {
    if (pending.empty() || traces[pending.back().front()].service != traces[i].service) {
      pending.emplace_back();
    }
    pending.back().push_back(i);
  }
  while (!pending.empty()) {
    const std::vector<size_t> group = std::move(pending.back());
    pending.pop_back();
    const TraceLookup& first = traces[group.front()];
    const uint64_t min_nanos = first.start_unix_nano;
    const uint64_t max_nanos = traces[group.back()].start_unix_nano;
    const size_t depth = std::min(kMaxSearchDepth, 2 * group.size() + 16);
    // Whole microseconds (what most Jaeger storages keep) around the window; the end is exclusive.
    const absl::Time from = absl::FromUnixMicros(static_cast<int64_t>(min_nanos / 1000));
    const absl::Time to = absl::FromUnixMicros(static_cast<int64_t>(max_nanos / 1000 + 1));
    const std::string target = absl::StrCat(
        url_.HttpBase(), "/api/v3/traces?query.service_name=", HttpClient::Escape(first.service),
        "&query.start_time_min=", HttpClient::Escape(Rfc3339(from)),
        "&query.start_time_max=", HttpClient::Escape(Rfc3339(to)), "&query.num_traces=", depth,
        "&query.raw_traces=true");
    auto fail_group = [&](const absl::Status& s) {
      for (size_t i : group) (*out)[i] = s;
    };
    searches_.fetch_add(1, std::memory_order_relaxed);
    auto response = http_.Get(target, {{"Accept", "application/json"}});
    if (!response.ok()) {
      fail_group(response.status());
      continue;
    }
    const int code = response->status;
    if (code == 401 || code == 403 || code == 429) {
      fail_group(HttpStatusError(*response, target));
      continue;
    }
    absl::flat_hash_map<TraceId, std::string> found;
    if (code == 200) {
      auto split = SplitJaegerV3Traces(response->body);
      if (!split.ok()) {
        fail_group(absl::Status(split.status().code(),
                                absl::StrCat("GET ", target, ": ", split.status().message())));
        continue;
      }
      found = std::move(*split);
    } else if (code != 404) {  // 404: nothing matched
      // A backend without this search (400), or one that failed it: read by ID. Refused a few
      // times in a row, it is not asked again (one refusal may be a proxy's hiccup).
      if (code == 400 && refused_searches_.fetch_add(1, std::memory_order_relaxed) + 1 >=
                             kRefusalsToStopSearching) {
        search_.store(false, std::memory_order_relaxed);
      }
      by_id.insert(by_id.end(), group.begin(), group.end());
      continue;
    }
    refused_searches_.store(0, std::memory_order_relaxed);
    std::vector<size_t> missing;
    for (size_t i : group) {
      auto it = found.find(traces[i].id);
      if (it == found.end()) {
        missing.push_back(i);
        continue;
      }
      FetchedTrace trace;
      trace.id = traces[i].id;
      trace.data = ArenaTraces(it->second.size());
      if (!trace.data->ParseFromString(it->second)) {
        (*out)[i] =
            absl::DataLossError(absl::StrCat("GET ", target, ": trace ", HexEncode(trace.id),
                                             " is not a TracesData libprotobuf parses"));
        continue;
      }
      RemoveJaegerWarnings(trace.data.get());
      trace.span_count = CountSpans(*trace.data);
      trace.found = trace.span_count > 0;
      (*out)[i] = std::move(trace);
      found_by_search_.fetch_add(1, std::memory_order_relaxed);
    }
    // The search stopped at its depth: the missing ones may be beyond it. Page: each half of
    // them by a narrower window (always fewer traces than this search looked for).
    if (found.size() >= depth && group.size() > 1 && !missing.empty()) {
      const size_t half = missing.size() / 2;
      if (half > 0) {
        pending.emplace_back(missing.begin(), missing.begin() + static_cast<ptrdiff_t>(half));
      }
      pending.emplace_back(missing.begin() + static_cast<ptrdiff_t>(half), missing.end());
    } else {
      by_id.insert(by_id.end(), missing.begin(), missing.end());
    }
  }
  for (size_t i : by_id) (*out)[i] = GetTrace(traces[i].id);
}

ReadCounts JaegerV3Reader::Counts() const {
  ReadCounts c;
  c.searches = searches_.load(std::memory_order_relaxed);
  c.found_by_search = found_by_search_.load(std::memory_order_relaxed);
  c.read_by_id = read_by_id_.load(std::memory_order_relaxed);
  return c;
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
