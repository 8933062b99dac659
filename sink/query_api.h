// The sink's query endpoint, compatible with Jaeger's API v3 HTTP gateway (what
// `check --backend jaeger://` reads), plus health and Prometheus metrics:
//
//   GET /api/v3/traces/{trace_id}   {"result":{"resourceSpans":[...]}}  (OTLP/JSON, as received)
//                                   404 {"error":{"httpCode":404,"message":"trace not found"}}
//   GET /api/v3/traces?query.service_name=S&query.operation_name=O&query.start_time_min=T
//       &query.start_time_max=T&query.num_traces=N&query.attributes={"k":"v"}
//                                   every matching trace, whole, newest first; 404 when none;
//                                   413 when they hold more than --max-query-bytes of spans.
//                                   camelCase names (query.serviceName, ...), query.search_depth
//                                   and query.attributes[k]=v are accepted too; times RFC 3339.
//   Both trace answers are TracesData protobuf bytes instead (Content-Type
//   application/x-protobuf) when the request's Accept names application/x-protobuf: what
//   agentstorm's own reader asks for, so neither side encodes or parses JSON.
//   GET /agentstorm/v1/traces?ids=HEX,HEX,...   (agentstorm's own, for its checker's bulk reads)
//                                   at most kMaxBatchTraces IDs; always protobuf, the message
//                                   `repeated TracesData traces = 1`: one per ID in the order
//                                   asked, empty for a trace not (yet) visible; 413 as above.
//   GET /api/v3/services            {"services":[...]}
//   GET /api/v3/operations?service=S[&span_kind=server]  {"operations":[{"name":..,"spanKind":..}]}
//   GET /healthz                    {"status":"ok"}
//   GET /metrics                    Prometheus text format
//
// With a visibility delay, spans stay out of every answer until that long after receipt. With a
// bearer token every path but /healthz answers 401 without it; TLS and mTLS as ListenerSecurity.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sink/http_server.h"
#include "sink/listen_address.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"

namespace agentstorm::sink {

// Most traces one GET /agentstorm/v1/traces asks for (its URL stays under 9 KB).
inline constexpr size_t kMaxBatchTraces = 256;

class QueryApi {
 public:
  // `store` and `metrics` must outlive the QueryApi. An answer that would hold more than
  // `max_answer_bytes` of span bytes is 413 instead. Unavailable when it cannot bind.
  static absl::StatusOr<std::unique_ptr<QueryApi>> Start(
      const ListenAddress& address, const TraceStore* store, const SinkMetrics* metrics,
      absl::Duration visibility_delay, size_t max_answer_bytes, const ListenerSecurity& security);
  ~QueryApi();

  int port() const { return server_->port(); }
  void Shutdown();

 private:
  QueryApi() = default;

  std::unique_ptr<HttpServer> server_;
};

// The search of GET /api/v3/traces from its query parameters (the names above). InvalidArgument
// naming the parameter that is malformed.
absl::StatusOr<TraceQuery> ParseTraceQuery(const HttpRequest& req);

// Jaeger's lowercase span kind names ("server", "client", ...; "" for unspecified).
std::string_view SpanKindName(opentelemetry::proto::trace::v1::Span::SpanKind kind);

}  // namespace agentstorm::sink
