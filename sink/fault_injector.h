// Turns the sink into a faulty pipeline on purpose (`agentstorm sink --fault SPEC`), so the
// checker and the load engine can be tested against known damage.
//
// Every per-span and per-trace decision is a pure function of (--fault-seed, fault name, trace
// ID, span ID): the same input and seed damage the same spans on every run and every thread,
// whatever the arrival order.
//
//   drop-spans=P          drop each span with probability P
//   drop-traces=P         drop whole traces with probability P
//   drop-error-traces=P   drop whole traces that have a span with status ERROR, probability P
//                         (a tail sampler that loses error traces; decided per request, so it
//                         assumes a trace's spans travel together, as agentstorm sends them)
//   sample-traces=P       keep whole traces with probability P (probabilistic sampling)
//   tail-sample=P[,slow=D]  a tail sampler: keep every trace with a span of status ERROR,
//                         every trace longer than D (first span start to last span end, i.e.
//                         the root's duration; no slow rule without slow=), and whole traces
//                         of the rest with probability P (decided per request, like
//                         drop-error-traces)
//   strip-attribute=KEY   remove attribute KEY (span, event, link, scope, resource); repeatable
//   truncate-values=N     cut string attribute values to N bytes (UTF-8 safe)
//   break-parent=P        point a child's parent_span_id at a span that does not exist, prob. P
//   rewrite-service=NAME  set resource attribute service.name to NAME
//   delay-visibility=D    hide spans from queries until D after receipt
//   unavailable=D         answer UNAVAILABLE / HTTP 503 to every export for D after start
//   throttle=D            answer RESOURCE_EXHAUSTED + RetryInfo / HTTP 429 for D after start
//   partial-reject=P      reject each span with probability P, answered as partial success
//
// P is a probability (0.25 or 25%); D a duration (500ms, 2s, 1m).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm::sink {

struct FaultSpec {
  double drop_spans = 0;
  double drop_traces = 0;
  double drop_error_traces = 0;
  std::optional<double> sample_traces;  // keep probability
  struct TailSample {
    double probability = 1;  // of keeping a trace that is neither an error nor slow
    absl::Duration slow = absl::InfiniteDuration();  // traces longer than this are kept
  };
  std::optional<TailSample> tail_sample;
  std::vector<std::string> strip_attributes;
  std::optional<size_t> truncate_values;
  double break_parent = 0;
  std::optional<std::string> rewrite_service;
  absl::Duration delay_visibility = absl::ZeroDuration();
  absl::Duration unavailable = absl::ZeroDuration();
  absl::Duration throttle = absl::ZeroDuration();
  double partial_reject = 0;

  bool empty() const;
};

// Parses `--fault` values ("name=value"), each fault at most once except strip-attribute.
// InvalidArgument names the offending spec and what is wrong with it.
absl::StatusOr<FaultSpec> ParseFaultSpecs(const std::vector<std::string>& specs);

// What Apply() did to one request.
struct FaultEffects {
  uint64_t dropped_spans = 0;        // by drop-spans
  uint64_t dropped_trace_spans = 0;  // by drop-traces and drop-error-traces
  uint64_t unsampled_spans = 0;      // by sample-traces and tail-sample
  uint64_t stripped_attributes = 0;
  uint64_t truncated_values = 0;
  uint64_t broken_parents = 0;
  uint64_t rewritten_services = 0;
};

class FaultInjector {
 public:
  FaultInjector(FaultSpec spec, uint64_t seed);

  enum class Admission { kAccept, kUnavailable, kThrottled };
  // Whether an export arriving `since_start` after the sink started gets through at all.
  Admission Admit(absl::Duration since_start) const;

  // partial-reject: removes the rejected spans from `request` and returns how many.
  uint64_t RejectPartially(
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* request) const;

  // Applies every data fault to `request` in place; empty scopes and resources left behind by
  // dropped spans are removed.
  FaultEffects Apply(
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* request) const;

  // True when Apply() can change a request (callers skip it otherwise).
  bool changes_data() const { return changes_data_; }
  absl::Duration visibility_delay() const { return spec_.delay_visibility; }
  const FaultSpec& spec() const { return spec_; }

  // The deterministic draw in [0, 1) behind every decision; exposed for tests.
  double Draw(std::string_view fault, std::string_view trace_id, std::string_view span_id) const;

 private:
  FaultSpec spec_;
  uint64_t seed_;
  bool changes_data_;
};

}  // namespace agentstorm::sink
