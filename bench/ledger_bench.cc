// Checker memory per trace for the ledger: a run's ledger of N traces read back with ReadLedgers
// (what `agentstorm check` holds in memory), RSS growth / N, beside sizeof(LedgerRecord) and the
// on-disk record size.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/ledger.h"

namespace agentstorm {
namespace {

double RssBytes() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void BM_LedgerMemoryPerTrace(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("agentstorm_ledger_bench_" + std::to_string(getpid())))
                               .string();
  {
    LedgerHeader h;
    h.endpoints = {"grpc 127.0.0.1:4317"};
    auto w = LedgerWriter::Create(path, h);
    if (!w.ok()) {
      state.SkipWithError("cannot create the ledger");
      return;
    }
    LedgerRecord r;
    r.span_count = 7;
    for (uint64_t i = 0; i < n; ++i) {
      r.index = i;
      r.trace_id[0] = static_cast<uint8_t>(i);
      r.set_outcome(0, DeliveryOutcome::kAcknowledged);
      (void)(*w)->Append(r);
    }
    (void)(*w)->Close();
  }
  double per_trace = 0;
  for (auto _ : state) {
    const double rss0 = RssBytes();
    auto ledger = ReadLedgers({path});
    if (!ledger.ok() || ledger->records.size() != n) {
      state.SkipWithError("cannot read the ledger back");
      break;
    }
    per_trace = (RssBytes() - rss0) / static_cast<double>(n);
    benchmark::DoNotOptimize(ledger->records.data());
  }
  std::filesystem::remove(path);
  state.counters["rss_bytes/trace"] = per_trace;
  state.counters["sizeof(LedgerRecord)"] = sizeof(LedgerRecord);
  state.counters["file_bytes/trace"] = kLedgerRecordSize;
}

BENCHMARK(BM_LedgerMemoryPerTrace)->Arg(2'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace agentstorm
