// Fuzzes the query API's search parameters (sink/query_api.h ParseTraceQuery): whatever a client
// puts in the query string of GET /api/v3/traces, parsing must never crash or hang, and a search
// it accepts runs against a store holding a few traces.
//
// The input is the query string after percent-decoding: "NAME=VALUE" pairs split at '&'.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/strings/str_split.h"
#include "sink/export_handler.h"
#include "sink/query_api.h"
#include "sink/request_decoder.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"
#include "tests/sink/test_requests.h"

namespace sink = agentstorm::sink;

namespace {

const sink::TraceStore& Store() {
  static sink::TraceStore* store = [] {
    auto* s = new sink::TraceStore({.max_spans = 1024});
    static sink::SinkMetrics metrics;
    sink::ExportHandler handler(s, nullptr, nullptr, &metrics);
    for (const char* service : {"svc", "other"}) {
      sink::DecodedTraceRequest request;
      (void)sink::EncodeTraceRequest(sink::testing::MakeRequest(service, 3, 4), &request);
      (void)handler.HandleTraces("fuzz", &request);
    }
    return s;
  }();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sink::HttpRequest request;
  request.method = "GET";
  request.path = "/api/v3/traces";
  const absl::string_view query(reinterpret_cast<const char*>(data), size);
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    request.params.emplace_back(std::string(kv.first), std::string(kv.second));
  }
  absl::StatusOr<sink::TraceQuery> parsed = sink::ParseTraceQuery(request);
  if (!parsed.ok()) return 0;
  for (const agentstorm::TraceId& id : Store().FindTraces(*parsed, absl::InfiniteFuture())) {
    (void)Store().GetTrace(id, absl::InfiniteFuture());
  }
  return 0;
}
