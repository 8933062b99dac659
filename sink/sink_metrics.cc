#include "sink/sink_metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace agentstorm::sink {
namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string Label(absl::string_view v) {
  return absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

void Header(std::string* out, absl::string_view name, absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
}

}  // namespace

void SinkMetrics::CountRequest(std::string_view receiver, std::string_view signal,
                               std::string_view result) {
  absl::MutexLock lock(&mu_);
  ++requests_[{std::string(receiver), std::string(signal), std::string(result)}];
}

void SinkMetrics::CountReceivedSpans(std::string_view service, uint64_t n) {
  if (n == 0) return;
  absl::MutexLock lock(&mu_);
  auto it = received_.find(service);
  if (it == received_.end()) it = received_.emplace(std::string(service), 0).first;
  it->second += n;
}

void SinkMetrics::CountRejectedSpans(std::string_view service, std::string_view reason,
                                     uint64_t n) {
  if (n == 0) return;
  absl::MutexLock lock(&mu_);
  rejected_[{std::string(service), std::string(reason)}] += n;
}

void SinkMetrics::CountDroppedSpans(std::string_view fault, uint64_t n) {
  if (n == 0) return;
  absl::MutexLock lock(&mu_);
  auto it = dropped_.find(fault);
  if (it == dropped_.end()) it = dropped_.emplace(std::string(fault), 0).first;
  it->second += n;
}

void SinkMetrics::CountMetricDataPoints(uint64_t n) {
  absl::MutexLock lock(&mu_);
  metric_points_ += n;
}

uint64_t SinkMetrics::received_spans() const {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [k, v] : received_) n += v;
  return n;
}

uint64_t SinkMetrics::rejected_spans() const {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [k, v] : rejected_) n += v;
  return n;
}

uint64_t SinkMetrics::requests(std::string_view receiver, std::string_view signal,
                               std::string_view result) const {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(
      std::make_tuple(std::string(receiver), std::string(signal), std::string(result)));
  return it == requests_.end() ? 0 : it->second;
}

std::string SinkMetrics::RenderPrometheus(const TraceStoreStats& store) const {
  absl::MutexLock lock(&mu_);
  std::string out;
  Header(&out, "agentstorm_sink_spans_received_total",
         "Spans in well-formed export requests, before faults and capacity checks.");
  for (const auto& [service, n] : received_) {
    absl::StrAppend(&out, "agentstorm_sink_spans_received_total{service=\"", Label(service), "\"} ",
                    n, "\n");
  }
  Header(&out, "agentstorm_sink_spans_rejected_total",
         "Spans refused (reason: full, partial_reject, unavailable, throttled).");
  for (const auto& [key, n] : rejected_) {
    absl::StrAppend(&out, "agentstorm_sink_spans_rejected_total{service=\"", Label(key.first),
                    "\",reason=\"", Label(key.second), "\"} ", n, "\n");
  }
  Header(&out, "agentstorm_sink_spans_stored_total", "Spans stored and acknowledged.");
  for (const auto& [service, c] : store.by_service) {
    absl::StrAppend(&out, "agentstorm_sink_spans_stored_total{service=\"", Label(service), "\"} ",
                    c.stored, "\n");
  }
  Header(&out, "agentstorm_sink_spans_duplicate_total",
         "Stored spans whose trace ID and span ID had been stored before.");
  for (const auto& [service, c] : store.by_service) {
    absl::StrAppend(&out, "agentstorm_sink_spans_duplicate_total{service=\"", Label(service),
                    "\"} ", c.duplicates, "\n");
  }
  Header(&out, "agentstorm_sink_spans_dropped_total", "Spans removed by an injected fault.");
  for (const auto& [fault, n] : dropped_) {
    absl::StrAppend(&out, "agentstorm_sink_spans_dropped_total{fault=\"", Label(fault), "\"} ", n,
                    "\n");
  }
  Header(&out, "agentstorm_sink_requests_total", "Export requests by receiver, signal and result.");
  for (const auto& [key, n] : requests_) {
    absl::StrAppend(&out, "agentstorm_sink_requests_total{receiver=\"", Label(std::get<0>(key)),
                    "\",signal=\"", Label(std::get<1>(key)), "\",result=\"",
                    Label(std::get<2>(key)), "\"} ", n, "\n");
  }
  Header(&out, "agentstorm_sink_metric_data_points_received_total",
         "Metric data points in accepted metrics export requests.");
  absl::StrAppend(&out, "agentstorm_sink_metric_data_points_received_total ", metric_points_, "\n");
  absl::StrAppend(&out, "# HELP agentstorm_sink_store_spans Spans held by the store.\n",
                  "# TYPE agentstorm_sink_store_spans gauge\n", "agentstorm_sink_store_spans ",
                  store.stored_spans, "\n");
  absl::StrAppend(&out, "# HELP agentstorm_sink_store_capacity_spans The store's --max-spans.\n",
                  "# TYPE agentstorm_sink_store_capacity_spans gauge\n",
                  "agentstorm_sink_store_capacity_spans ", store.max_spans, "\n");
  absl::StrAppend(&out,
                  "# HELP agentstorm_sink_store_bytes Bytes of the requests held by the store.\n",
                  "# TYPE agentstorm_sink_store_bytes gauge\n", "agentstorm_sink_store_bytes ",
                  store.stored_bytes, "\n");
  absl::StrAppend(&out,
                  "# HELP agentstorm_sink_store_mapped_bytes Memory mapped for those bytes "
                  "(prefaulted, in use, or left at block ends).\n",
                  "# TYPE agentstorm_sink_store_mapped_bytes gauge\n",
                  "agentstorm_sink_store_mapped_bytes ", store.mapped_bytes, "\n");
  absl::StrAppend(&out,
                  "# HELP agentstorm_sink_store_traces Distinct trace IDs held by the store.\n",
                  "# TYPE agentstorm_sink_store_traces gauge\n", "agentstorm_sink_store_traces ",
                  store.traces, "\n");
  span_metrics_.RenderPrometheus(&out);
  return out;
}

}  // namespace agentstorm::sink
