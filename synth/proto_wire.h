// Protobuf wire-format primitives for writers that lay out messages by hand: varints, fixed64,
// raw bytes and length-delimited fields written through raw pointers, and a growable Buffer.
//
// Every Put* writes at `p` and returns the end of what it wrote; the caller has made room (at
// most 10 bytes per varint, 8 per fixed64). Little-endian hosts only (x86-64, aarch64).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace agentstorm::wire {

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
  std::memcpy(p, &v, 8);  // little-endian hosts only (x86-64, aarch64)
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
// tag + length + bytes of a length-delimited field (a one-byte tag: fields 1-15).
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
  void Grow(size_t need);
  char* data_ = nullptr;
  size_t size_ = 0, cap_ = 0;
};

}  // namespace agentstorm::wire
