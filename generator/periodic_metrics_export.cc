#include "generator/periodic_metrics_export.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

uint64_t NowUnixNano() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

PeriodicMetricsExport::PeriodicMetricsExport(const GenAiMetricsAggregator* aggregator,
                                             std::vector<OtlpMetricsExporter*> exporters,
                                             std::chrono::milliseconds interval)
    : aggregator_(aggregator), exporters_(std::move(exporters)), interval_(interval) {}

PeriodicMetricsExport::~PeriodicMetricsExport() { Stop(); }

void PeriodicMetricsExport::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void PeriodicMetricsExport::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(interval_))) break;
    mu_.Unlock();
    ExportNow();
    mu_.Lock();
  }
  mu_.Unlock();
}

void PeriodicMetricsExport::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  ExportNow();
}

void PeriodicMetricsExport::ExportNow() {
  absl::MutexLock one_at_a_time(&export_mu_);
  ExportMetricsServiceRequest request;
  aggregator_->Collect(NowUnixNano(), &request);
  uint64_t points = 0;
  for (const auto& rm : request.resource_metrics())
    for (const auto& sm : rm.scope_metrics())
      for (const auto& m : sm.metrics()) points += m.histogram().data_points_size();
  if (points == 0) return;
  for (OtlpMetricsExporter* e : exporters_) {
    absl::Status s = e->Export(request);
    absl::MutexLock lock(&mu_);
    stats_.data_points_last = points;
    if (s.ok()) {
      ++stats_.exports_ok;
    } else {
      ++stats_.exports_failed;
      stats_.last_error = std::string(s.message());
    }
  }
}

MetricsExportStats PeriodicMetricsExport::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::string FormatMetricsExportStats(const MetricsExportStats& stats) {
  std::string out =
      absl::StrCat("GenAI metrics: ", stats.exports_ok, " exports, ", stats.data_points_last,
                   " data points in the last, ", stats.exports_failed, " failed");
  if (!stats.last_error.empty()) absl::StrAppend(&out, " (", stats.last_error, ")");
  return out + "\n";
}

}  // namespace agentstorm
