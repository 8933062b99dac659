#include "generator/pipeline_counts.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/prometheus_text.h"

namespace agentstorm {

absl::StatusOr<PipelineCounts> CollectorCounts(absl::string_view prometheus_text) {
  auto samples = ParsePrometheusText(prometheus_text);
  if (!samples.ok()) return samples.status();
  bool collector = false;
  for (const PrometheusSample& s : *samples) collector |= absl::StartsWith(s.name, "otelcol_");
  if (!collector)
    return absl::NotFoundError(
        "no otelcol_ metric there: not an OpenTelemetry Collector's own telemetry (its "
        "service.telemetry.metrics readers)");
  PipelineCounts c;
  c.accepted = SumSamples(*samples, "otelcol_receiver_accepted_spans");
  c.refused = SumSamples(*samples, "otelcol_receiver_refused_spans") +
              SumSamples(*samples, "otelcol_receiver_failed_spans");
  c.exported = SumSamples(*samples, "otelcol_exporter_sent_spans");
  c.export_failed = SumSamples(*samples, "otelcol_exporter_send_failed_spans") +
                    SumSamples(*samples, "otelcol_exporter_enqueue_failed_spans");
  c.cpu_seconds = SumSamples(*samples, "otelcol_process_cpu_seconds");
  return c;
}

absl::StatusOr<PipelineCounts> ScrapeCounts(const PipelineScrapeFn& scrape) {
  auto text = scrape();
  if (!text.ok()) return text.status();
  return CollectorCounts(*text);
}

absl::StatusOr<PipelineCounts> SettledCounts(const PipelineScrapeFn& scrape,
                                             const PipelineCounts& before, absl::Duration settle,
                                             absl::Duration interval) {
  const absl::Time deadline = absl::Now() + settle;
  absl::StatusOr<PipelineCounts> last = ScrapeCounts(scrape);
  int unchanged = 0;
  while (last.ok() && absl::Now() < deadline) {
    absl::SleepFor(interval);
    auto next = ScrapeCounts(scrape);
    if (!next.ok()) return next.status();
    const bool received_same = next->accepted == last->accepted && next->refused == last->refused;
    const bool sent_same =
        next->exported == last->exported && next->export_failed == last->export_failed;
    const PipelineCounts d = *next - before;
    unchanged = received_same && sent_same ? unchanged + 1 : 0;
    last = next;
    if (received_same && d.exported + d.export_failed >= d.accepted) break;
    if (unchanged >= 3) break;
  }
  return last;
}

CapacityProbeFn WithPipelineCounts(CapacityProbeFn probe, PipelineScrapeFn scrape,
                                   absl::Duration settle, absl::Duration interval) {
  return [probe = std::move(probe), scrape = std::move(scrape), settle, interval](double rate) {
    auto before = ScrapeCounts(scrape);
    CapacityProbe p = probe(rate);
    if (!before.ok()) {
      p.pipeline_error =
          absl::StrCat("pipeline metrics before the probe: ", before.status().message());
      return p;
    }
    auto after = SettledCounts(scrape, *before, settle, interval);
    if (!after.ok()) {
      p.pipeline_error =
          absl::StrCat("pipeline metrics after the probe: ", after.status().message());
      return p;
    }
    p.pipeline = *after - *before;
    return p;
  };
}

}  // namespace agentstorm
