#include "synth/encode_comparison.h"

#include <time.h>

#include <chrono>
#include <string>

#include "synth/trace_synthesizer.h"

namespace agentstorm {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

EncodeComparison CompareEncoders(std::shared_ptr<const Scenario> scenario,
                                 const EncodeComparisonOptions& options) {
  SynthesizerOptions fast_opt, ref_opt;
  fast_opt.seed = ref_opt.seed = options.seed;
  fast_opt.trace_interval_nanos = ref_opt.trace_interval_nanos = 1'000'000;
  ref_opt.reference_encoding = true;
  const TraceSynthesizer fast(scenario, fast_opt);
  const TraceSynthesizer ref(scenario, ref_opt);

  EncodeComparison r;
  double fast_cpu = 0, ref_cpu = 0;
  SynthesizedTrace meta;
  std::string batch;
  uint64_t next = 0;
  auto round = [&](const TraceSynthesizer& s, uint64_t first, uint64_t* spans, uint64_t* bytes,
                   double* cpu) {
    const double c0 = ThreadCpuSeconds();
    batch.clear();
    for (uint32_t i = 0; i < options.traces_per_round; ++i) {
      s.SynthesizeEncoded(first + i, -1, &meta, &batch);
      *spans += meta.span_count;
    }
    *cpu += ThreadCpuSeconds() - c0;
    *bytes += batch.size();
  };
  // Warm up both (thread-local buffers, allocator), then measure.
  round(fast, 0, &r.templated_spans, &r.templated_bytes, &fast_cpu);
  round(ref, 0, &r.reference_spans, &r.reference_bytes, &ref_cpu);
  r = EncodeComparison{};
  fast_cpu = ref_cpu = 0;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options.seconds));
  do {
    round(fast, next, &r.templated_spans, &r.templated_bytes, &fast_cpu);
    round(ref, next, &r.reference_spans, &r.reference_bytes, &ref_cpu);
    next += options.traces_per_round;
  } while (std::chrono::steady_clock::now() < deadline);
  r.templated_spans_per_second =
      fast_cpu > 0 ? static_cast<double>(r.templated_spans) / fast_cpu : 0;
  r.reference_spans_per_second = ref_cpu > 0 ? static_cast<double>(r.reference_spans) / ref_cpu : 0;
  return r;
}

}  // namespace agentstorm
