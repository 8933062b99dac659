#include "sink/query_api.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/ids.h"
#include "core/otlp_json.h"
#include "core/proto_wire.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::trace::v1::Span;

void JsonError(HttpResponse& res, int code, const std::string& message) {
  nlohmann::json body = {{"error", {{"httpCode", code}, {"message", message}}}};
  res.status = code;
  res.SetContent(JsonText(body), "application/json");
}

// Answers the traces `ids` as visible at `cutoff`, or 413 when they hold more than `max_bytes`
// of span bytes. The answer is streamed: each trace is encoded as the client reads, one
// resourceSpans entry at a time, so the sink holds one trace's JSON, never the whole answer
// (a JSON tree of a whole answer took about 25x its span bytes). `max_bytes` bounds the answer's
// size, and so how long one query keeps a connection busy.
// The answer as protobuf instead of JSON: a client that sends `Accept: application/x-protobuf`
// (agentstorm's own reader) gets the TracesData bytes (field 1, resource_spans, once per
// ResourceSpans), which cost the sink no encoding and the reader no JSON parse. Anyone else
// gets JSON, as from Jaeger's gateway.
bool WantsProtobuf(const HttpRequest& req) {
  return absl::StrContains(absl::AsciiStrToLower(req.Header("Accept")), "application/x-protobuf");
}

// False, with 413 answered, when the traces `ids` hold more than `max_bytes` of span bytes.
bool WithinAnswerLimit(HttpResponse& res, const TraceStore* store, const std::vector<TraceId>& ids,
                       absl::Time cutoff, size_t max_bytes, absl::string_view advice) {
  size_t bytes = 0;
  for (const TraceId& id : ids) {
    for (const StoredSpan& span : store->GetTrace(id, cutoff)) bytes += span.bytes.size();
    if (bytes > max_bytes) {
      JsonError(res, 413,
                absl::StrCat("the answer would hold more than this sink answers at once "
                             "(--max-query-bytes ",
                             max_bytes, "): ", advice));
      return false;
    }
  }
  return true;
}

// Appends TracesData bytes of `resource_spans` (as AssembleResourceSpans gives them): field 1,
// length-delimited, once per ResourceSpans, with the shared codec.
void AppendTracesData(const std::vector<std::string>& resource_spans, std::string* out) {
  for (const std::string& rs : resource_spans) {
    const size_t at = out->size();
    out->resize(at + protowire::LenFieldSize(rs.size()));
    protowire::PutLenField(out->data() + at, 0x0a, rs);
  }
}

void StreamTraces(HttpResponse& res, const TraceStore* store, std::vector<TraceId> ids,
                  absl::Time cutoff, size_t max_bytes, bool protobuf) {
  if (!WithinAnswerLimit(res, store, ids, cutoff, max_bytes,
                         "narrow the time window or ask for fewer traces")) {
    return;
  }
  res.status = 200;
  if (protobuf) {
    res.content_type = "application/x-protobuf";
    res.stream = [store, ids = std::move(ids), cutoff, next = size_t{0}](std::string* out) mutable {
      if (next == ids.size()) return false;
      AppendTracesData(AssembleResourceSpans(store->GetTrace(ids[next++], cutoff)), out);
      return true;
    };
    return;
  }
  res.content_type = "application/json";
  res.stream = [store, ids = std::move(ids), cutoff, next = size_t{0},
                first = true](std::string* out) mutable {
    if (next == 0 && first) out->append(R"({"result":{"resourceSpans":[)");
    if (next == ids.size()) {
      out->append("]}}");
      return false;
    }
    // Straight from the stored bytes to JSON: no span is parsed, so a trace costs its answer.
    for (const std::string& resource_spans :
         AssembleResourceSpans(store->GetTrace(ids[next++], cutoff))) {
      const size_t mark = out->size();
      if (!first) out->push_back(',');
      if (EncodeOtlpJsonWire(resource_spans,
                             opentelemetry::proto::trace::v1::ResourceSpans::descriptor(), out)
              .ok()) {
        first = false;
      } else {
        out->resize(mark);  // the scanner vouched for these bytes: never seen
      }
    }
    return true;
  };
}

// GET /agentstorm/v1/traces?ids=...: the traces `ids`, each a TracesData framed as field 1 of
// the answer, in the order asked, an empty one for a trace not (yet) visible; 413 as above.
void StreamTraceBatch(HttpResponse& res, const TraceStore* store, std::vector<TraceId> ids,
                      absl::Time cutoff, size_t max_bytes) {
  if (!WithinAnswerLimit(res, store, ids, cutoff, max_bytes, "ask for fewer traces")) return;
  res.status = 200;
  res.content_type = "application/x-protobuf";
  res.stream = [store, ids = std::move(ids), cutoff, next = size_t{0}](std::string* out) mutable {
    if (next == ids.size()) return false;
    const std::vector<std::string> resource_spans =
        AssembleResourceSpans(store->GetTrace(ids[next++], cutoff));
    // The answer's field 1: its tag and the trace's length, then the trace written in place.
    size_t length = 0;
    for (const std::string& rs : resource_spans) length += protowire::LenFieldSize(rs.size());
    char head[1 + protowire::kMaxVarintSize] = {0x0a};
    out->append(head, protowire::PutVarint(head + 1, length));
    AppendTracesData(resource_spans, out);
    return true;
  };
}

// The first of `names` present in the query string.
std::optional<std::string> Param(const HttpRequest& req, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (std::optional<std::string> value = req.Param(name)) return value;
  }
  return std::nullopt;
}

absl::StatusOr<absl::Time> ParseRfc3339(const char* name, std::string text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  // An unescaped '+' in a timezone offset arrives as a space.
  absl::StrReplaceAll({{" ", "+"}}, &text);
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  return absl::InvalidArgumentError(
      absl::StrCat("malformed parameter ", name, ": \"", text, "\" is not an RFC 3339 time"));
}

std::optional<Span::SpanKind> ParseSpanKind(const std::string& text) {
  const std::string k = absl::AsciiStrToLower(text);
  if (k == "internal" || k == "span_kind_internal") return Span::SPAN_KIND_INTERNAL;
  if (k == "server" || k == "span_kind_server") return Span::SPAN_KIND_SERVER;
  if (k == "client" || k == "span_kind_client") return Span::SPAN_KIND_CLIENT;
  if (k == "producer" || k == "span_kind_producer") return Span::SPAN_KIND_PRODUCER;
  if (k == "consumer" || k == "span_kind_consumer") return Span::SPAN_KIND_CONSUMER;
  if (k == "unspecified" || k == "span_kind_unspecified") return Span::SPAN_KIND_UNSPECIFIED;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<TraceQuery> ParseTraceQuery(const HttpRequest& req) {
  TraceQuery q;
  q.limit = 100;
  if (auto v = Param(req, {"query.service_name", "query.serviceName"})) q.service = *v;
  if (auto v = Param(req, {"query.operation_name", "query.operationName"})) q.operation = *v;
  if (auto v = Param(req, {"query.start_time_min", "query.startTimeMin"}); v && !v->empty()) {
    absl::StatusOr<absl::Time> t = ParseRfc3339("query.start_time_min", *v);
    if (!t.ok()) return t.status();
    q.start_min = *t;
  }
  if (auto v = Param(req, {"query.start_time_max", "query.startTimeMax"}); v && !v->empty()) {
    absl::StatusOr<absl::Time> t = ParseRfc3339("query.start_time_max", *v);
    if (!t.ok()) return t.status();
    q.start_max = *t;
  }
  if (auto v = Param(
          req, {"query.num_traces", "query.numTraces", "query.search_depth", "query.searchDepth"});
      v && !v->empty()) {
    int n = 0;
    if (!absl::SimpleAtoi(*v, &n) || n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed parameter query.num_traces: \"", *v, "\" is not a count"));
    }
    if (n > 0) q.limit = static_cast<size_t>(n);
  }
  if (auto v = Param(req, {"query.attributes"}); v && !v->empty()) {
    nlohmann::json attrs;
    try {
      attrs = nlohmann::json::parse(*v);
    } catch (const nlohmann::json::exception&) {
      attrs = nullptr;
    }
    if (!attrs.is_object()) {
      return absl::InvalidArgumentError(
          "malformed parameter query.attributes: expected a JSON object of key: value");
    }
    for (const auto& [key, value] : attrs.items()) {
      q.attributes.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  // grpc-gateway's form for a map field: query.attributes[key]=value.
  for (const auto& [name, value] : req.params) {
    constexpr std::string_view kPrefix = "query.attributes[";
    if (name.size() > kPrefix.size() + 1 && name.compare(0, kPrefix.size(), kPrefix) == 0 &&
        name.back() == ']') {
      q.attributes.emplace_back(name.substr(kPrefix.size(), name.size() - kPrefix.size() - 1),
                                value);
    }
  }
  return q;
}

std::string_view SpanKindName(Span::SpanKind kind) {
  switch (kind) {
    case Span::SPAN_KIND_INTERNAL:
      return "internal";
    case Span::SPAN_KIND_SERVER:
      return "server";
    case Span::SPAN_KIND_CLIENT:
      return "client";
    case Span::SPAN_KIND_PRODUCER:
      return "producer";
    case Span::SPAN_KIND_CONSUMER:
      return "consumer";
    default:
      return "";
  }
}

QueryApi::~QueryApi() { Shutdown(); }

void QueryApi::Shutdown() {
  if (server_ != nullptr) server_->Stop();
}

absl::StatusOr<std::unique_ptr<QueryApi>> QueryApi::Start(
    const ListenAddress& address, const TraceStore* store, const SinkMetrics* metrics,
    absl::Duration delay, size_t max_answer_bytes, const ListenerSecurity& security) {
  std::unique_ptr<QueryApi> api(new QueryApi());
  auto visible_at = [delay] { return absl::Now() - delay; };

  auto trace = [store, visible_at, max_answer_bytes](const std::string& hex, bool protobuf,
                                                     HttpResponse& res) {
    std::optional<TraceId> id = ParseTraceId(hex);
    if (!id) {
      JsonError(res, 400,
                absl::StrCat("malformed parameter trace_id: \"", hex,
                             "\" is not a hex trace ID of 1 to 32 digits"));
      return;
    }
    const absl::Time cutoff = visible_at();
    if (store->GetTrace(*id, cutoff).empty()) {
      JsonError(res, 404, "trace not found");
      return;
    }
    StreamTraces(res, store, {*id}, cutoff, max_answer_bytes, protobuf);
  };

  auto traces = [store, visible_at, max_answer_bytes](const HttpRequest& req, HttpResponse& res) {
    absl::StatusOr<TraceQuery> query = ParseTraceQuery(req);
    if (!query.ok()) {
      JsonError(res, 400, std::string(query.status().message()));
      return;
    }
    const absl::Time cutoff = visible_at();
    std::vector<TraceId> ids = store->FindTraces(*query, cutoff);
    if (ids.empty()) {
      // What Jaeger's gateway answers for an empty search.
      JsonError(res, 404, "No traces found");
      return;
    }
    StreamTraces(res, store, std::move(ids), cutoff, max_answer_bytes, WantsProtobuf(req));
  };

  auto batch = [store, visible_at, max_answer_bytes](const HttpRequest& req, HttpResponse& res) {
    std::optional<std::string> list = req.Param("ids");
    if (!list || list->empty()) {
      JsonError(res, 400, "parameter ids is required: hex trace IDs separated by commas");
      return;
    }
    std::vector<TraceId> ids;
    for (absl::string_view piece : absl::StrSplit(*list, ',')) {
      const std::string_view hex(piece.data(), piece.size());
      std::optional<TraceId> id = ParseTraceId(hex);
      if (!id) {
        JsonError(res, 400,
                  absl::StrCat("malformed parameter ids: \"", piece,
                               "\" is not a hex trace ID of 1 to 32 digits"));
        return;
      }
      if (ids.size() == kMaxBatchTraces) {
        JsonError(res, 400,
                  absl::StrCat("parameter ids names more than ", kMaxBatchTraces,
                               " traces: ask in several requests"));
        return;
      }
      ids.push_back(*id);
    }
    StreamTraceBatch(res, store, std::move(ids), visible_at(), max_answer_bytes);
  };

  auto operations = [store, visible_at](const HttpRequest& req, HttpResponse& res) {
    std::optional<std::string> service = Param(req, {"service"});
    if (!service || service->empty()) {
      JsonError(res, 400, "parameter service is required");
      return;
    }
    std::optional<Span::SpanKind> kind;
    if (auto k = Param(req, {"span_kind", "spanKind"}); k && !k->empty()) {
      kind = ParseSpanKind(*k);
      if (!kind) {
        JsonError(res, 400,
                  absl::StrCat("malformed parameter span_kind: \"", *k,
                               "\" (server, client, internal, producer, consumer)"));
        return;
      }
    }
    nlohmann::json ops = nlohmann::json::array();
    for (const Operation& op : store->Operations(*service, kind, visible_at())) {
      ops.push_back({{"name", op.name}, {"spanKind", SpanKindName(op.kind)}});
    }
    nlohmann::json body = {{"operations", std::move(ops)}};
    res.SetContent(JsonText(body), "application/json");
  };

  auto route = [=](HttpRequest& req, HttpResponse& res) {
    if (req.method != "GET" && req.method != "HEAD") {
      res.headers.emplace_back("Allow", "GET, HEAD");
      JsonError(res, 405, absl::StrCat("use GET, not ", req.method));
      return;
    }
    if (!req.auth_error.empty()) {
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
      JsonError(res, 401, req.auth_error);
      return;
    }
    if (req.body_too_large) {
      JsonError(res, 413, "a query carries no body");
      return;
    }
    constexpr absl::string_view kTrace = "/api/v3/traces/";
    const std::string& path = req.path;
    if (path.size() > kTrace.size() && absl::StartsWith(path, kTrace) &&
        path.find('/', kTrace.size()) == std::string::npos) {
      trace(path.substr(kTrace.size()), WantsProtobuf(req), res);
    } else if (path == "/api/v3/traces") {
      traces(req, res);
    } else if (path == "/agentstorm/v1/traces") {
      batch(req, res);
    } else if (path == "/api/v3/services") {
      nlohmann::json body = {{"services", store->Services(visible_at())}};
      res.SetContent(JsonText(body), "application/json");
    } else if (path == "/api/v3/operations") {
      operations(req, res);
    } else if (path == "/healthz") {
      res.SetContent(R"({"status":"ok"})", "application/json");
    } else if (path == "/metrics") {
      res.SetContent(metrics->RenderPrometheus(store->Stats()), "text/plain; version=0.0.4");
    } else {
      JsonError(res, 404, absl::StrCat("no such endpoint: ", path));
    }
  };

  // A query carries no body: anything over 64 KiB is refused as soon as it passes that.
  HttpServerOptions options;
  options.max_body_bytes = 64 << 10;
  options.security = security;
  options.open_paths = {"/healthz"};
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(address, "the query API", options, std::move(route));
  if (!server.ok()) return server.status();
  api->server_ = *std::move(server);
  return api;
}

}  // namespace agentstorm::sink
