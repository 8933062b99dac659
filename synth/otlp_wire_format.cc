#include "synth/otlp_wire_format.h"

#include <cstring>

#include "core/synthesized_trace.h"

namespace agentstorm {
namespace wire {

namespace {

// Writes tag, KeyValue length, key field and the AnyValue field header for a value of
// `value_len` bytes (AnyValue body); returns where the AnyValue body goes.
inline char* PutKeyValueHead(char* p, char tag, std::string_view key, size_t any_len) {
  const size_t kv_len = protowire::LenFieldSize(key.size()) + protowire::LenFieldSize(any_len);
  *p++ = tag;
  p = protowire::PutVarint(p, kv_len);
  p = protowire::PutLenField(p, 0x0A, key);
  *p++ = 0x12;
  return protowire::PutVarint(p, any_len);
}

constexpr size_t kHeadSlack = 1 + 10 + 1 + 10 + 1 + 10;  // tags and varints around a KeyValue

}  // namespace

void PutStringAttr(protowire::Buffer* b, char tag, std::string_view key, std::string_view v) {
  if (key.size() + v.size() <= 100) {
    // The common case: every length below fits in one varint byte (KeyValue = k + n + 6 < 128).
    char* p = b->Reserve(8 + key.size() + v.size());
    p[0] = tag;
    p[1] = static_cast<char>(key.size() + v.size() + 6);
    p[2] = 0x0A;
    p[3] = static_cast<char>(key.size());
    p = protowire::PutBytes(p + 4, key);
    p[0] = 0x12;
    p[1] = static_cast<char>(v.size() + 2);
    p[2] = 0x0A;
    p[3] = static_cast<char>(v.size());
    b->Commit(protowire::PutBytes(p + 4, v));
    return;
  }
  const size_t any_len = protowire::LenFieldSize(v.size());
  char* p = b->Reserve(kHeadSlack + key.size() + any_len);
  p = PutKeyValueHead(p, tag, key, any_len);
  b->Commit(protowire::PutLenField(p, 0x0A, v));
}

void PutIntAttr(protowire::Buffer* b, char tag, std::string_view key, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  char* p = b->Reserve(kHeadSlack + key.size() + 11);
  p = PutKeyValueHead(p, tag, key, 1 + protowire::VarintSize(u));
  *p++ = 0x18;
  b->Commit(protowire::PutVarint(p, u));
}

void PutDoubleAttr(protowire::Buffer* b, char tag, std::string_view key, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  char* p = b->Reserve(kHeadSlack + key.size() + 9);
  p = PutKeyValueHead(p, tag, key, 9);
  *p++ = 0x21;
  b->Commit(protowire::PutFixed64(p, bits));
}

void PutBoolAttr(protowire::Buffer* b, char tag, std::string_view key, bool v) {
  char* p = b->Reserve(kHeadSlack + key.size() + 2);
  p = PutKeyValueHead(p, tag, key, 2);
  *p++ = 0x10;
  *p++ = v ? 1 : 0;
  b->Commit(p);
}

void PutStringArrayAttr(protowire::Buffer* b, char tag, std::string_view key,
                        const std::string_view* v, size_t n) {
  // AnyValue{array_value: ArrayValue{values: AnyValue{string_value}...}}
  size_t array_len = 0;
  for (size_t i = 0; i < n; ++i)
    array_len += protowire::LenFieldSize(protowire::LenFieldSize(v[i].size()));
  const size_t any_len = protowire::LenFieldSize(array_len);
  char* p = b->Reserve(kHeadSlack + key.size() + any_len);
  p = PutKeyValueHead(p, tag, key, any_len);
  *p++ = 0x2A;
  p = protowire::PutVarint(p, array_len);
  for (size_t i = 0; i < n; ++i) {
    *p++ = 0x0A;
    p = protowire::PutVarint(p, protowire::LenFieldSize(v[i].size()));
    p = protowire::PutLenField(p, 0x0A, v[i]);
  }
  b->Commit(p);
}

}  // namespace wire

}  // namespace agentstorm
