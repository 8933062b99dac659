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
// A counter not there yet is 0 (a collector creates its receiver counters with the first
// request). NotFound when the text has no otelcol_ metric at all (not a collector's own
// telemetry); InvalidArgument when it does not parse.
absl::StatusOr<PipelineCounts> CollectorCounts(absl::string_view prometheus_text);

// One scrape of the pipeline's metrics: the body of its /metrics.
using PipelineScrapeFn = std::function<absl::StatusOr<std::string>()>;

// Wraps `probe`: scrapes before it, and after it until the counts settle (the receivers' counts
// unchanged since the scrape before, and the exporters' sent + failed at least the accepted, or
// unchanged over three scrapes: a processor may drop spans on purpose), every `interval`, for at
// most `settle`. The probe gets the differences in `pipeline`, or `pipeline_error` when a
// scrape failed (the probe then fails: no verdict without the counts).
CapacityProbeFn WithPipelineCounts(CapacityProbeFn probe, PipelineScrapeFn scrape,
                                   absl::Duration settle = absl::Seconds(10),
                                   absl::Duration interval = absl::Milliseconds(250));

}  // namespace agentstorm
