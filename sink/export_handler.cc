#include "sink/export_handler.h"

#include <map>

#include "absl/container/inlined_vector.h"
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

// The same from the wire index: a few groups per request, each with its service.
std::map<std::string_view, uint64_t> SpansByService(const wire::ScannedRequest& index) {
  std::map<std::string_view, uint64_t> out;
  absl::InlinedVector<uint64_t, 8> per_group(index.groups.size(), 0);
  for (const wire::ScannedSpan& s : index.spans) ++per_group[s.group];
  for (size_t g = 0; g < index.groups.size(); ++g) out[index.groups[g].service] += per_group[g];
  return out;
}

}  // namespace

std::string_view ExportResultName(ExportResult result) {
  switch (result) {
    case ExportResult::kOk:
      return "ok";
    case ExportResult::kPartial:
      return "partial";
    case ExportResult::kInvalid:
      return "invalid";
    case ExportResult::kTooLarge:
      return "too_large";
    case ExportResult::kUnsupported:
      return "unsupported";
    case ExportResult::kUnavailable:
      return "unavailable";
    case ExportResult::kThrottled:
      return "throttled";
    case ExportResult::kFull:
      return "full";
    case ExportResult::kError:
      return "error";
    case ExportResult::kUnauthenticated:
      return "unauthenticated";
  }
  return "error";
}

ExportHandler::ExportHandler(TraceStore* store, const FaultInjector* faults, CaptureWriter* capture,
                             SinkMetrics* metrics, absl::Time start)
    : store_(store), faults_(faults), capture_(capture), metrics_(metrics), start_(start) {}

std::optional<ExportOutcome> ExportHandler::Admit(std::string_view receiver,
                                                  std::string_view signal) {
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

ExportOutcome ExportHandler::HandleTraces(std::string_view receiver, DecodedTraceRequest* request) {
  const absl::Time received = absl::Now();
  std::map<std::string_view, uint64_t> by_service = SpansByService(request->index);
  for (const auto& [service, n] : by_service) metrics_->CountReceivedSpans(service, n);

  ExportOutcome out;
  const bool partial_reject = faults_ != nullptr && faults_->spec().partial_reject > 0;
  if (partial_reject || (faults_ != nullptr && faults_->changes_data())) {
    // Faults work on the parsed message, which is then stored re-encoded.
    auto message = NewTraceRequest();
    const std::string& bytes = request->bytes;
    if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return Refuse(receiver, "traces", ExportResult::kError, "cannot re-parse an indexed request");
    }
    if (partial_reject) {
      out.rejected_spans = faults_->RejectPartially(message.get());
      if (out.rejected_spans > 0) {
        std::map<std::string, uint64_t> rejected(by_service.begin(), by_service.end());
        for (const auto& [service, n] : SpansByService(*message))
          rejected[std::string(service)] -= n;
        for (const auto& [service, n] : rejected) {
          metrics_->CountRejectedSpans(service, "partial_reject", n);
        }
        out.message = absl::StrCat("rejected ", out.rejected_spans,
                                   " spans (injected fault: partial-reject)");
      }
    }
    if (faults_->changes_data()) {
      const FaultEffects fx = faults_->Apply(message.get());
      metrics_->CountDroppedSpans("drop-spans", fx.dropped_spans);
      metrics_->CountDroppedSpans("drop-traces", fx.dropped_trace_spans);
      metrics_->CountDroppedSpans("sample-traces", fx.unsampled_spans);
    }
    // The resources may be renamed (rewrite-service), so per-service counts are taken after.
    if (absl::Status s = EncodeTraceRequest(*message, request); !s.ok()) {
      return Refuse(receiver, "traces", ExportResult::kError, std::string(s.message()));
    }
    by_service = SpansByService(request->index);
  }

  const size_t span_count = request->index.spans.size();
  if (span_count > 0) {
    if (absl::Status s = store_->Reserve(span_count); !s.ok()) {
      for (const auto& [service, n] : by_service) metrics_->CountRejectedSpans(service, "full", n);
      out = Refuse(receiver, "traces", ExportResult::kFull, std::string(s.message()));
      out.retry_after = kRetryAfter;
      return out;
    }
    if (capture_ != nullptr) {
      if (absl::Status s = capture_->AppendEncoded(request->bytes); !s.ok()) {
        store_->Unreserve(span_count);
        return Refuse(receiver, "traces", ExportResult::kError, std::string(s.message()));
      }
    }
    store_->Commit(request->bytes, request->index, received);
    metrics_->span_metrics().Observe(request->index, received);
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
