// Append-only memory for the bytes the trace store keeps: every accepted request, for the life
// of the sink. Nothing is freed before the arena, so there is no per-request allocation to
// free, no fragmentation, and the memory can be mapped (and touched) ahead of time.
//
// Memory comes in blocks of at least 64 MiB mapped with MADV_HUGEPAGE, so that a sink taking
// hundreds of MB/s faults once per 2 MiB rather than once per 4 KiB where the kernel allows.
// A fresh page still costs its first touch (the kernel zeroes it, and under a hypervisor the
// host may back it only then): Prefault() pays that up front, like a JVM's AlwaysPreTouch.
//
// Thread-safe: Copy() may run on any number of threads at once.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace agentstorm::sink {

class ByteArena {
 public:
  static constexpr size_t kBlockBytes = size_t{64} << 20;

  ByteArena() = default;
  ~ByteArena();
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;

  // Copies `bytes` into the arena. The view stays valid, and the bytes unchanged, for the life
  // of the arena. Dies when the system refuses memory (as operator new would).
  std::string_view Copy(std::string_view bytes);

  // Maps and touches at least `bytes` more now, so that the next Copy() calls up to that size
  // write into memory that is already there. ResourceExhausted when the system refuses it.
  absl::Status Prefault(size_t bytes);

  size_t used_bytes() const;    // copied so far
  size_t mapped_bytes() const;  // mapped so far (used, prefaulted or lost at block ends)

 private:
  struct Block {
    char* base = nullptr;
    size_t size = 0;
    size_t used = 0;
  };
  // A new mapping of `bytes` (a multiple of 2 MiB), 2 MiB aligned; nullptr when refused.
  static char* Map(size_t bytes);
  // Reserves `n` bytes; nullptr when a block cannot be mapped.
  char* Reserve(size_t n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // In mapping order. Blocks before current_ are done with; those after it are prefaulted
  // and empty, or (larger than kBlockBytes) full from the start.
  std::vector<Block> blocks_ ABSL_GUARDED_BY(mu_);
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;  // index of the block Copy() fills next
  size_t used_ ABSL_GUARDED_BY(mu_) = 0;
  size_t mapped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace agentstorm::sink
