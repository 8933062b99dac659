// What the pipeline under test counted itself, next to what agentstorm sent: an OpenTelemetry
// Collector's own telemetry (its Prometheus `/metrics`) read before and after each capacity
// probe (`capacity --pipeline-metrics URL`). A collector can acknowledge a span and still lose
// it downstream (its exporter fails, its queue is full); only its own counters show that.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "generator/capacity.h"

namespace agentstorm {

// From a collector's Prometheus text (summed over receivers, transports and exporters; with or
// without the _total suffix):
//   accepted       otelcol_receiver_accepted_spans
//   refused        otelcol_receiver_refused_spans + otelcol_receiver_failed_spans
//   exported       otelcol_exporter_sent_spans
//   export_failed  otelcol_exporter_send_failed_spans + otelcol_exporter_enqueue_failed_spans
//   cpu_seconds    otelcol_process_cpu_seconds
// A counter not there yet is 0 (a collector creates its receiver counters with the first
// request). NotFound when the text has no otelcol_ metric at all (not a collector's own
// telemetry); InvalidArgument when it does not parse.
absl::StatusOr<PipelineCounts> CollectorCounts(absl::string_view prometheus_text);

// One scrape of the pipeline's metrics: the body of its /metrics.
using PipelineScrapeFn = std::function<absl::StatusOr<std::string>()>;

// One scrape, as counts.
absl::StatusOr<PipelineCounts> ScrapeCounts(const PipelineScrapeFn& scrape);

// Scrapes the pipeline after a load until its counts settle (the receivers' counts unchanged
// since the scrape before, and the exporters' sent + failed at least the accepted since
// `before`, or everything unchanged over three scrapes: a processor may drop spans on purpose),
// every `interval`, for at most `settle`; returns the last counts, or the failed scrape.
absl::StatusOr<PipelineCounts> SettledCounts(const PipelineScrapeFn& scrape,
                                             const PipelineCounts& before, absl::Duration settle,
                                             absl::Duration interval);

// Wraps `probe`: scrapes before it, and after it until the counts settle (SettledCounts). The
// probe gets the differences in `pipeline`, or `pipeline_error` when a scrape failed (the probe
// then fails: no verdict without the counts).
CapacityProbeFn WithPipelineCounts(CapacityProbeFn probe, PipelineScrapeFn scrape,
                                   absl::Duration settle = absl::Seconds(10),
                                   absl::Duration interval = absl::Milliseconds(250));

}  // namespace agentstorm
