// The Prometheus text exposition format (version 0.0.4), read: what a scrape of `/metrics`
// returns from an OpenTelemetry Collector (its own telemetry), agentstorm's sink, or any
// exporter. Used to compare a pipeline's own counts with what agentstorm sent
// (`capacity --pipeline-metrics`) and to read the sink's stored counts (`bench`).
//
// Each sample line is `name[{label="value",...}] value [timestamp]`; `#` lines (HELP, TYPE)
// and blank lines are skipped. Label values may hold escaped `\"`, `\\` and `\n`. Values are
// floats, including `+Inf`, `-Inf` and `NaN`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace agentstorm {

struct PrometheusSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample of `text`, in order. InvalidArgument naming the line number and what is wrong
// when a sample line does not parse.
absl::StatusOr<std::vector<PrometheusSample>> ParsePrometheusText(absl::string_view text);

// The sum of the samples named `name` or `name` + "_total" (exporters differ on the suffix of
// counters) whose labels include every pair of `match`; 0 when there is none.
double SumSamples(const std::vector<PrometheusSample>& samples, absl::string_view name,
                  const std::map<std::string, std::string>& match = {});

}  // namespace agentstorm
