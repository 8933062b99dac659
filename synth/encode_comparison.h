// EncodeComparison: synthesis + encoding throughput of the templated path against the libprotobuf
// reference path (build messages, then serialize), on one thread, for `agentstorm bench --encode`
// and bench/encode_bench.cc.
//
// The two paths run interleaved in short rounds (so a noisy neighbour on a shared machine slows
// both alike) over the same trace indices; each round appends whole traces to a reused batch
// string the way the load engine does, and the figures are spans encoded per second of thread
// CPU time.
#pragma once

#include <cstdint>
#include <memory>

#include "scenario/scenario.h"

namespace agentstorm {

struct EncodeComparisonOptions {
  double seconds = 3.0;  // total wall time, split between the two paths
  uint64_t seed = 1;
  uint32_t traces_per_round = 256;
};

struct EncodeComparison {
  double templated_spans_per_second = 0;
  double reference_spans_per_second = 0;
  uint64_t templated_spans = 0, reference_spans = 0;
  uint64_t templated_bytes = 0, reference_bytes = 0;  // encoded bytes (field order differs)
  double ratio() const {
    return reference_spans_per_second > 0 ? templated_spans_per_second / reference_spans_per_second
                                          : 0;
  }
};

EncodeComparison CompareEncoders(std::shared_ptr<const Scenario> scenario,
                                 const EncodeComparisonOptions& options);

// CPU time consumed by the calling thread, in seconds.
double ThreadCpuSeconds();

}  // namespace agentstorm
