// Counter-based random numbers: every value is a pure function of (key, counter), so a
// trace is reproducible from (scenario, seed, shard, index) on any machine or thread count.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace agentstorm {

// SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Combines keys into one stream key (order matters).
constexpr uint64_t MixKeys(uint64_t a, uint64_t b) {
  return Mix64(a ^ Mix64(b + 0x632be59bd9b4e019ULL));
}

// FNV-1a, for turning names into keys (stable across platforms).
constexpr uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A stream of random values. Copyable and cheap; Fork() derives an independent stream,
// so the draws of one part of a trace never shift the draws of another.
class CounterRng {
 public:
  explicit constexpr CounterRng(uint64_t key) : key_(key) {}

  constexpr uint64_t key() const { return key_; }

  // The i-th value of this stream, without advancing it.
  constexpr uint64_t At(uint64_t i) const { return Mix64(key_ ^ Mix64(i)); }

  uint64_t Next() { return At(counter_++); }
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (inclusive).
  int64_t NextInt(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(Next() % span);
  }
  bool Bernoulli(double p) { return NextDouble() < p; }
  // Standard normal via Box-Muller (two draws).
  double NextNormal() {
    double u1 = NextDouble();
    const double u2 = NextDouble();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  constexpr CounterRng Fork(uint64_t salt) const { return CounterRng(MixKeys(key_, salt)); }
  CounterRng Fork(std::string_view name) const { return Fork(HashName(name)); }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace agentstorm
