#include "sink/byte_arena.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace agentstorm::sink {
namespace {

std::string Pattern(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed * 7) & 0xff);
  return s;
}

TEST(ByteArena, CopiesStayIntactAcrossBlocks) {
  ByteArena arena;
  std::vector<std::string> originals;
  std::vector<std::string_view> copies;
  // 1 MiB copies: the 64 MiB block fills and the copies go on in a second one.
  for (int i = 0; i < 70; ++i) {
    originals.push_back(Pattern(1 << 20, i));
    copies.push_back(arena.Copy(originals.back()));
  }
  for (size_t i = 0; i < copies.size(); ++i) {
    ASSERT_EQ(copies[i], originals[i]) << "copy " << i;
    EXPECT_NE(copies[i].data(), originals[i].data());
  }
  EXPECT_EQ(arena.used_bytes(), size_t{70} << 20);
  EXPECT_EQ(arena.mapped_bytes(), 2 * ByteArena::kBlockBytes);
  EXPECT_TRUE(arena.Copy("").empty());
}

TEST(ByteArena, CopyLargerThanABlockGetsItsOwnAndTheBlockGoesOn) {
  ByteArena arena;
  const std::string a = Pattern(1000, 1);
  const std::string huge = Pattern(ByteArena::kBlockBytes + 5, 2);
  const std::string b = Pattern(1000, 3);
  std::string_view ca = arena.Copy(a);
  std::string_view chuge = arena.Copy(huge);
  std::string_view cb = arena.Copy(b);
  EXPECT_EQ(ca, a);
  EXPECT_EQ(chuge, huge);
  EXPECT_EQ(cb, b);
  EXPECT_EQ(cb.data(), ca.data() + a.size()) << "the partly filled block is filled on";
}

TEST(ByteArena, PrefaultedMemoryIsUsedBeforeAnyNewMapping) {
  ByteArena arena;
  (void)arena.Copy(Pattern(100, 0));
  ASSERT_TRUE(arena.Prefault(3 * ByteArena::kBlockBytes).ok());
  const size_t mapped = arena.mapped_bytes();
  EXPECT_GE(mapped, 3 * ByteArena::kBlockBytes);
  EXPECT_LE(mapped, 4 * ByteArena::kBlockBytes);
  std::vector<std::string> originals;
  std::vector<std::string_view> copies;
  for (int i = 0; i < 150; ++i) {
    originals.push_back(Pattern(1 << 20, i));
    copies.push_back(arena.Copy(originals.back()));
  }
  EXPECT_EQ(arena.mapped_bytes(), mapped) << "150 MiB fit in what was prefaulted";
  for (size_t i = 0; i < copies.size(); ++i) ASSERT_EQ(copies[i], originals[i]) << "copy " << i;
  EXPECT_TRUE(arena.Prefault(0).ok());
  EXPECT_EQ(arena.mapped_bytes(), mapped);
}

TEST(ByteArena, ConcurrentCopiesDoNotOverlap) {
  ByteArena arena;
  constexpr int kThreads = 4;
  constexpr int kCopies = 2000;
  std::vector<std::vector<std::string_view>> copies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCopies; ++i)
        copies[t].push_back(arena.Copy(Pattern(4000 + i, t * kCopies + i)));
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCopies; ++i) {
      ASSERT_EQ(copies[t][i], Pattern(4000 + i, t * kCopies + i))
          << "thread " << t << " copy " << i;
    }
  }
}

}  // namespace
}  // namespace agentstorm::sink
