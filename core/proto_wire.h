// The protobuf wire format, both ways, for code that lays out or reads messages by hand: the
// templated encoder (synth/) writes OTLP with the Put* side, the sink's scanner (sink/) reads it
// with the Read* side. One codec, so that the two cannot disagree on a varint or a tag.
//
// Writing: every Put* writes at `p` and returns the end of what it wrote; the caller has made
// room (at most 10 bytes per varint, 8 per fixed64).
// Reading: every Read* reads at `p` (before `end`) and returns the first byte after what it
// read, or nullptr when the input is malformed or truncated; it never reads at or past `end`.
// Little-endian hosts only (x86-64, aarch64).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace agentstorm::protowire {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

// ---------------------------------------------------------------- writing

inline constexpr size_t kMaxVarintSize = 10;

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* PutFixed64(char* p, uint64_t v) {
  std::memcpy(p, &v, 8);
  return p + 8;
}
// Short copies inline (two overlapping loads/stores, never reading outside `s`): keys and most
// values are under 32 bytes, where a call to the library memcpy costs more than the copy.
inline char* PutBytes(char* p, std::string_view s) {
  const char* src = s.data();
  const size_t n = s.size();
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n > 16 && n <= 32) {
    uint64_t a[2], b[2];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(p, a, 16);
    std::memcpy(p + n - 16, b, 16);
  } else if (n < 8) {
    for (size_t i = 0; i < n; ++i) p[i] = src[i];
  } else {
    std::memcpy(p, src, n);
  }
  return p + n;
}
// tag + length + bytes of a length-delimited field with a one-byte tag (fields 1-15).
inline size_t LenFieldSize(size_t len) { return 1 + VarintSize(len) + len; }
inline char* PutLenField(char* p, char tag, std::string_view s) {
  *p++ = tag;
  p = PutVarint(p, s.size());
  return PutBytes(p, s);
}

// A growable byte buffer whose capacity survives Clear(): appends write through raw pointers.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) {
    o.data_ = nullptr;
    o.size_ = o.cap_ = 0;
  }
  ~Buffer() { std::free(data_); }

  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  const char* data() const { return data_; }
  std::string_view view() const { return {data_, size_}; }
  // A pointer where at least `n` bytes may be written; Commit(end) makes them part of the buffer.
  char* Reserve(size_t n) {
    if (size_ + n > cap_) Grow(size_ + n);
    return data_ + size_;
  }
  void Commit(char* end) { size_ = static_cast<size_t>(end - data_); }
  void Append(std::string_view s) { Commit(PutBytes(Reserve(s.size()), s)); }

 private:
  // Inline, as it was when the buffer lived beside its callers: the templated encoder's
  // benchmarks run a few percent slower with Grow() out of line.
  void Grow(size_t need) {
    size_t cap = cap_ * 2 > 256 ? cap_ * 2 : 256;
    while (cap < need) cap *= 2;
    char* p = static_cast<char*>(std::realloc(data_, cap));
    if (p == nullptr) std::abort();
    data_ = p;
    cap_ = cap;
  }
  char* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

// ---------------------------------------------------------------- reading

// A varint of at most kMaxVarintSize bytes; the bits of a tenth byte beyond the 64th are
// dropped, as libprotobuf drops them.
inline const char* ReadVarint(const char* p, const char* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70 && p < end; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *out = v;
      return p;
    }
  }
  return nullptr;
}

// A field's tag. nullptr also for what libprotobuf refuses: field number 0, or a tag over 32 bits.
inline const char* ReadTag(const char* p, const char* end, uint32_t* number, uint32_t* wire_type) {
  uint64_t tag;
  if ((p = ReadVarint(p, end, &tag)) == nullptr) return nullptr;
  if (tag > 0xffffffffu || (tag >> 3) == 0) return nullptr;
  *number = static_cast<uint32_t>(tag >> 3);
  *wire_type = static_cast<uint32_t>(tag & 7);
  return p;
}

inline const char* ReadFixed64(const char* p, const char* end, uint64_t* out) {
  if (end - p < 8) return nullptr;
  std::memcpy(out, p, 8);
  return p + 8;
}
inline const char* ReadFixed32(const char* p, const char* end, uint32_t* out) {
  if (end - p < 4) return nullptr;
  std::memcpy(out, p, 4);
  return p + 4;
}

// The length and bytes of a length-delimited field (after its tag). nullptr also when the
// length runs past `end` or exceeds 2^31 - 1 (libprotobuf's limit).
inline const char* ReadLengthDelimited(const char* p, const char* end, std::string_view* out) {
  uint64_t len;
  if ((p = ReadVarint(p, end, &len)) == nullptr) return nullptr;
  if (len > static_cast<uint64_t>(end - p) || len > 0x7fffffffu) return nullptr;
  *out = std::string_view(p, len);
  return p + len;
}

// One field as read from the wire: its number, wire type and value (`varint`, `fixed` for both
// fixed widths, `bytes` for a length-delimited one; a group is skipped and has no value).
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;
  uint64_t fixed = 0;
  std::string_view bytes;
};

// ReadField() for anything but its inline common case.
const char* ReadFieldSlow(const char* p, const char* end, int depth, int max_depth, Field* f);

// Reads one field of a message nested `depth` deep. nullptr when malformed or truncated, for a
// tag ReadTag() refuses, wire types 6 and 7, a lone end-group, and a group (skipped up to its
// end-group) that would nest deeper than `max_depth`. Fields 1-15 that are length-delimited
// under 128 bytes or a one-byte varint, most of a span, are read inline.
inline const char* ReadField(const char* p, const char* end, int depth, int max_depth, Field* f) {
  if (__builtin_expect(end - p >= 2, 1)) {
    const auto tag = static_cast<uint8_t>(p[0]);
    const auto next = static_cast<uint8_t>(p[1]);
    if (tag >= 8 && tag < 0x80 && next < 0x80) {
      f->number = tag >> 3;
      f->wire_type = tag & 7;
      if (f->wire_type == kLen) {
        if (next > end - p - 2) return nullptr;
        f->bytes = std::string_view(p + 2, next);
        return p + 2 + next;
      }
      if (f->wire_type == kVarint) {
        f->varint = next;
        return p + 2;
      }
    }
  }
  return ReadFieldSlow(p, end, depth, max_depth, f);
}

}  // namespace agentstorm::protowire
