// `--verify FRACTION|N`: checking a uniformly drawn sample of a run too large to read back whole,
// and what such a sample proves.
//
// The sample is drawn from the ledger's records without replacement: each record's key is a
// keyed hash of its trace ID (core/rng.h), and the records with the N smallest keys are checked.
// The same seed draws the same sample from the same ledger, whatever the order of its shards.
//
// What it proves: of the n acknowledged traces in the sample, k were lost or incomplete; the
// loss rate of all acknowledged traces of the run is then at most the one-sided Clopper-Pearson
// upper bound for k of n at the chosen confidence (exact for the binomial; for a sample drawn
// without replacement it is conservative). The rules judge only the traces of the sample.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ids.h"

namespace agentstorm {

struct VerifySpec {
  double fraction = 1.0;  // of the ledger's records, in (0, 1]
  uint64_t count = 0;     // records; when > 0 it is used instead of `fraction`
};

// "0.1", "10%" (a fraction) or "5000" (a count). InvalidArgument saying what is accepted.
absl::StatusOr<VerifySpec> ParseVerifySpec(std::string_view text);

// How many of `population` records `spec` asks for (at least 1 when population > 0).
uint64_t VerifySampleSize(const VerifySpec& spec, uint64_t population);

// The indices into `ids` of the `want` records with the smallest keyed hash under `seed`,
// ascending. All indices when want >= ids.size().
std::vector<size_t> DrawVerifySample(const std::vector<TraceId>& ids, uint64_t want, uint64_t seed);

// The one-sided Clopper-Pearson upper bound on a rate of which `k` of `n` trials were seen, at
// `confidence` (e.g. 0.999): the p at which seeing k or fewer has probability 1 - confidence.
// 1 when n == 0 or k >= n.
double LossRateUpperBound(uint64_t k, uint64_t n, double confidence);

}  // namespace agentstorm
