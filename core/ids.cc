#include "core/ids.h"

#include <cstring>

namespace agentstorm {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <size_t N>
std::optional<std::array<uint8_t, N>> ParsePadded(std::string_view hex) {
  if (hex.empty() || hex.size() > 2 * N) return std::nullopt;
  std::string padded(2 * N - hex.size(), '0');
  padded.append(hex);
  auto bytes = HexDecode(padded);
  if (!bytes) return std::nullopt;
  std::array<uint8_t, N> id{};
  std::memcpy(id.data(), bytes->data(), N);
  return id;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::optional<TraceId> ParseTraceId(std::string_view hex) { return ParsePadded<16>(hex); }
std::optional<SpanId> ParseSpanId(std::string_view hex) { return ParsePadded<8>(hex); }

}  // namespace agentstorm
