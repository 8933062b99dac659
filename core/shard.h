// Sharding a run across processes: shard i of N takes the global trace indices i, i+N, i+2N, ...
// so shards are disjoint and their union is exactly the unsharded run (DESIGN.md, "Scale past one
// machine"). Trace IDs derive from the global index, never from the shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace agentstorm {

struct ShardSpec {
  uint32_t index = 0;  // 0 <= index < count
  uint32_t count = 1;

  // The global trace index of this shard's `local`-th trace.
  constexpr uint64_t GlobalIndex(uint64_t local) const {
    return static_cast<uint64_t>(index) + local * static_cast<uint64_t>(count);
  }
  // True when global index `global` belongs to this shard.
  constexpr bool Owns(uint64_t global) const { return global % count == index; }
  // How many of the global indices [0, total) belong to this shard.
  constexpr uint64_t LocalCount(uint64_t total) const {
    return total > index ? (total - index + count - 1) / count : 0;
  }
};

// Parses "I/N" (0 <= I < N). InvalidArgument otherwise.
absl::StatusOr<ShardSpec> ParseShardSpec(std::string_view text);

}  // namespace agentstorm
