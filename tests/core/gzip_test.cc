#include "core/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace agentstorm {
namespace {

std::string ZlibCompress(std::string_view data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  EXPECT_EQ(
      compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), 6),
      Z_OK);
  out.resize(size);
  return out;
}

std::string Repetitive(size_t n) {
  std::string s;
  while (s.size() < n) s += "resourceSpans scopeSpans spans traceId spanId ";
  s.resize(n);
  return s;
}

TEST(Gzip, RoundTripsTextAndBinary) {
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary.push_back(static_cast<char>((i * 7919) ^ (i >> 3)));
  for (const std::string& input : {std::string(), std::string("x"), Repetitive(1 << 20), binary}) {
    const std::string compressed = GzipCompress(input);
    auto back = GzipDecompress(compressed, input.size());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, input);
  }
}

TEST(Gzip, CompressWritesGzipMagicAndShrinksRepetitiveData) {
  const std::string input = Repetitive(100000);
  const std::string compressed = GzipCompress(input);
  ASSERT_GE(compressed.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(compressed[1]), 0x8b);
  EXPECT_LT(compressed.size(), input.size() / 10);
  EXPECT_GT(GzipCompress(input, 0).size(), input.size());  // level 0 stores
}

TEST(Gzip, AcceptsZlibHeader) {
  const std::string input = Repetitive(5000);
  auto back = GzipDecompress(ZlibCompress(input), 1 << 20);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, input);
}

TEST(Gzip, InflatesConcatenatedMembers) {
  auto back = GzipDecompress(GzipCompress("hello, ") + GzipCompress("world"), 100);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "hello, world");
}

TEST(Gzip, OutputOverLimitIsResourceExhausted) {
  const std::string input = Repetitive(1 << 20);
  const std::string compressed = GzipCompress(input, 9);
  auto over = GzipDecompress(compressed, input.size() - 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted) << over.status();
  // Exactly at the limit is fine.
  EXPECT_TRUE(GzipDecompress(compressed, input.size()).ok());
}

TEST(Gzip, BombIsStoppedAtTheLimit) {
  // 64 MiB of zeros compresses to ~64 KiB; a 1 MiB limit must refuse it.
  const std::string compressed = GzipCompress(std::string(64 << 20, '\0'), 9);
  ASSERT_LT(compressed.size(), 200000u);
  auto result = GzipDecompress(compressed, 1 << 20);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(Gzip, GarbageIsInvalidArgument) {
  auto result = GzipDecompress("this is not gzip at all", 1000);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_EQ(GzipDecompress("", 1000).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Gzip, TruncatedInputIsInvalidArgument) {
  const std::string compressed = GzipCompress(Repetitive(50000));
  for (size_t keep : {size_t{5}, compressed.size() / 2, compressed.size() - 1}) {
    auto result = GzipDecompress(compressed.substr(0, keep), 1 << 20);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << "kept " << keep << " bytes: " << result.status();
  }
}

TEST(Gzip, CorruptedPayloadIsInvalidArgument) {
  std::string compressed = GzipCompress(Repetitive(50000));
  compressed[compressed.size() - 6] ^= 0x55;  // CRC32 trailer
  auto result = GzipDecompress(compressed, 1 << 20);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
}

}  // namespace
}  // namespace agentstorm
