#include "sink/export_handler.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "sink/request_decoder.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr absl::Duration kRetryAfter = absl::Seconds(1);

// Span counts per service.name, in one pass over the resources.
std::map<std::string_view, uint64_t> SpansByService(const ExportTraceServiceRequest& request) {
  std::map<std::string_view, uint64_t> out;
  for (const auto& rs : request.resource_spans()) {
    uint64_t n = 0;
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
    if (n > 0) out[ServiceNameOf(rs)] += n;
  }
  return out;
}

}  // namespace

std::string_view ExportResultName(ExportResult result) {
  switch (result) {
    case ExportResult::kOk: return "ok";
    case ExportResult::kPartial: return "partial";
    case ExportResult::kInvalid: return "invalid";
    case ExportResult::kTooLarge: return "too_large";
    case ExportResult::kUnsupported: return "unsupported";
    case ExportResult::kUnavailable: return "unavailable";
    case ExportResult::kThrottled: return "throttled";
    case ExportResult::kFull: return "full";
    case ExportResult::kError: return "error";
  }
  return "error";
}

ExportHandler::ExportHandler(TraceStore* store, const FaultInjector* faults, CaptureWriter* capture,
                             SinkMetrics* metrics, absl::Time start)
    : store_(store), faults_(faults), capture_(capture), metrics_(metrics), start_(start) {}

std::optional<ExportOutcome> ExportHandler::Admit(std::string_view receiver, std::string_view signal) {
  if (faults_ == nullptr) return std::nullopt;
  switch (faults_->Admit(absl::Now() - start_)) {
    case FaultInjector::Admission::kAccept:
      return std::nullopt;
    case FaultInjector::Admission::kUnavailable:
      return Refuse(receiver, signal, ExportResult::kUnavailable,
                    "sink unavailable (injected fault: unavailable)");
    case FaultInjector::Admission::kThrottled: {
      ExportOutcome out = Refuse(receiver, signal, ExportResult::kThrottled,
                                 "sink throttling exports (injected fault: throttle)");
      out.retry_after = kRetryAfter;
      return out;
    }
  }
  return std::nullopt;
}

ExportOutcome ExportHandler::Refuse(std::string_view receiver, std::string_view signal,
                                    ExportResult result, std::string message) {
  metrics_->CountRequest(receiver, signal, ExportResultName(result));
  ExportOutcome out;
  out.result = result;
  out.message = std::move(message);
  return out;
}

ExportOutcome ExportHandler::HandleTraces(std::string_view receiver,
                                          std::shared_ptr<ExportTraceServiceRequest> request) {
  const absl::Time received = absl::Now();
  std::map<std::string_view, uint64_t> by_service = SpansByService(*request);
  for (const auto& [service, n] : by_service) metrics_->CountReceivedSpans(service, n);

  ExportOutcome out;
  if (faults_ != nullptr && faults_->spec().partial_reject > 0) {
    // Copies: the names in by_service point into resources that rejection may remove.
    std::map<std::string, uint64_t> before(by_service.begin(), by_service.end());
    out.rejected_spans = faults_->RejectPartially(request.get());
    if (out.rejected_spans > 0) {
      for (const auto& [service, n] : SpansByService(*request)) before[std::string(service)] -= n;
      for (const auto& [service, n] : before) {
        metrics_->CountRejectedSpans(service, "partial_reject", n);
      }
      out.message = absl::StrCat("rejected ", out.rejected_spans,
                                 " spans (injected fault: partial-reject)");
    }
    by_service = SpansByService(*request);
  }
  if (faults_ != nullptr && faults_->changes_data()) {
    // The resources may be renamed (rewrite-service), so per-service counts are taken after.
    const FaultEffects fx = faults_->Apply(request.get());
    metrics_->CountDroppedSpans("drop-spans", fx.dropped_spans);
    metrics_->CountDroppedSpans("drop-traces", fx.dropped_trace_spans);
    metrics_->CountDroppedSpans("sample-traces", fx.unsampled_spans);
    by_service = SpansByService(*request);
  }

  const size_t span_count = CountSpans(*request);
  if (span_count > 0) {
    if (absl::Status s = store_->Reserve(span_count); !s.ok()) {
      for (const auto& [service, n] : by_service) metrics_->CountRejectedSpans(service, "full", n);
      out = Refuse(receiver, "traces", ExportResult::kFull, std::string(s.message()));
      out.retry_after = kRetryAfter;
      return out;
    }
    if (capture_ != nullptr) {
      if (absl::Status s = capture_->Append(*request); !s.ok()) {
        store_->Unreserve(span_count);
        return Refuse(receiver, "traces", ExportResult::kError, std::string(s.message()));
      }
    }
    const ExportTraceServiceRequest& stored = *request;  // the store keeps it alive
    store_->Commit(std::move(request), received);
    metrics_->span_metrics().Observe(stored, received);
  }
  out.result = out.rejected_spans > 0 ? ExportResult::kPartial : ExportResult::kOk;
  metrics_->CountRequest(receiver, "traces", ExportResultName(out.result));
  return out;
}

ExportOutcome ExportHandler::HandleMetrics(
    std::string_view receiver,
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request) {
  metrics_->CountMetricDataPoints(CountDataPoints(request));
  metrics_->CountRequest(receiver, "metrics", "ok");
  return ExportOutcome{};
}

}  // namespace agentstorm::sink
