#include "sink/byte_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace agentstorm::sink {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

ByteArena::~ByteArena() {
  for (const Block& b : blocks_) munmap(b.base, b.size);
}

char* ByteArena::Map(size_t bytes) {
  // Over-map by one huge page and trim, so the block starts on a 2 MiB boundary: transparent
  // huge pages only back aligned 2 MiB ranges.
  const size_t span = bytes + kHugePage;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = RoundUp(start, kHugePage);
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = start + span;
  if (end > aligned + bytes)
    munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  auto* base = reinterpret_cast<char*>(aligned);
  (void)madvise(base, bytes, MADV_HUGEPAGE);  // advice: fine to be refused
  return base;
}

char* ByteArena::Reserve(size_t n) {
  if (n > kBlockBytes) {
    // Larger than a block: a block of its own, full from the start.
    const size_t size = RoundUp(n, kHugePage);
    char* base = Map(size);
    if (base == nullptr) return nullptr;
    blocks_.push_back(Block{base, size, size});
    mapped_ += size;
    used_ += n;
    return base;
  }
  // When a request does not fit, the rest of the block is left unused (less than one
  // request's worth) and the next block, prefaulted or new, is filled.
  for (; current_ < blocks_.size(); ++current_) {
    Block& b = blocks_[current_];
    if (b.size - b.used >= n) {
      char* p = b.base + b.used;
      b.used += n;
      used_ += n;
      return p;
    }
  }
  char* base = Map(kBlockBytes);
  if (base == nullptr) return nullptr;
  blocks_.push_back(Block{base, kBlockBytes, n});
  current_ = blocks_.size() - 1;
  mapped_ += kBlockBytes;
  used_ += n;
  return base;
}

std::string_view ByteArena::Copy(std::string_view bytes) {
  if (bytes.empty()) return {};
  char* dst = nullptr;
  {
    absl::MutexLock lock(&mu_);
    dst = Reserve(bytes.size());
  }
  if (dst == nullptr) {
    std::fprintf(stderr, "agentstorm sink: out of memory mapping %zu bytes for the trace store\n",
                 bytes.size());
    std::abort();
  }
  // Outside the lock: other receivers reserve their own ranges meanwhile.
  std::memcpy(dst, bytes.data(), bytes.size());
  return {dst, bytes.size()};
}

absl::Status ByteArena::Prefault(size_t bytes) {
  absl::MutexLock lock(&mu_);
  size_t ahead = 0;
  for (size_t i = current_; i < blocks_.size(); ++i) ahead += blocks_[i].size - blocks_[i].used;
  while (ahead < bytes) {
    char* base = Map(kBlockBytes);
    if (base == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat("cannot map ", bytes >> 20,
                                                       " MiB for the trace store (", mapped_ >> 20,
                                                       " MiB mapped so far)"));
    }
    const long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < kBlockBytes; off += static_cast<size_t>(page)) base[off] = 0;
    blocks_.push_back(Block{base, kBlockBytes, 0});
    mapped_ += kBlockBytes;
    ahead += kBlockBytes;
  }
  return absl::OkStatus();
}

size_t ByteArena::used_bytes() const {
  absl::MutexLock lock(&mu_);
  return used_;
}

size_t ByteArena::mapped_bytes() const {
  absl::MutexLock lock(&mu_);
  return mapped_;
}

}  // namespace agentstorm::sink
