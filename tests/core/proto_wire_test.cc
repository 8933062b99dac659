// The protobuf wire codec shared by the templated encoder and the sink's scanner: what it writes
// libprotobuf reads back, what libprotobuf writes it reads back, and it refuses what is cut short.
#include "core/proto_wire.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace agentstorm::protowire {
namespace {

using google::protobuf::io::CodedOutputStream;

const std::vector<uint64_t>& Values() {
  static const std::vector<uint64_t> v = [] {
    std::vector<uint64_t> out = {0,          1,
                                 127,        128,
                                 300,        16383,
                                 16384,      0xffffffffu,
                                 1ull << 32, (1ull << 63) - 1,
                                 1ull << 63, std::numeric_limits<uint64_t>::max()};
    for (int bits = 1; bits < 64; ++bits) {  // each side of every 7-bit boundary
      out.push_back((1ull << bits) - 1);
      out.push_back(1ull << bits);
    }
    return out;
  }();
  return v;
}

std::string Varint(uint64_t v) {
  char buf[kMaxVarintSize];
  return std::string(buf, PutVarint(buf, v) - buf);
}

TEST(ProtoWire, VarintsAreLibprotobufsBytesAndReadBack) {
  for (uint64_t v : Values()) {
    const std::string ours = Varint(v);
    uint8_t theirs[kMaxVarintSize];
    const uint8_t* theirs_end = CodedOutputStream::WriteVarint64ToArray(v, theirs);
    EXPECT_EQ(ours, std::string(reinterpret_cast<char*>(theirs), theirs_end - theirs)) << v;
    EXPECT_EQ(VarintSize(v), ours.size()) << v;
    EXPECT_EQ(VarintSize(v), CodedOutputStream::VarintSize64(v)) << v;
    uint64_t back = ~v;
    EXPECT_EQ(ReadVarint(ours.data(), ours.data() + ours.size(), &back), ours.data() + ours.size())
        << v;
    EXPECT_EQ(back, v);
  }
}

TEST(ProtoWire, MaxLengthVarintIsTenBytesAndAnEleventhIsRefused) {
  const std::string max = Varint(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(max, std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10));
  uint64_t v = 0;
  EXPECT_EQ(ReadVarint(max.data(), max.data() + max.size(), &v), max.data() + 10);
  EXPECT_EQ(v, std::numeric_limits<uint64_t>::max());
  // Ten continuation bytes: no varint ends within the ten a 64-bit value may take.
  const std::string eleven = std::string(10, '\x80') + '\x01';
  EXPECT_EQ(ReadVarint(eleven.data(), eleven.data() + eleven.size(), &v), nullptr);
  // A non-minimal encoding (padding continuation bytes) is still read, as libprotobuf reads it.
  const std::string padded("\x81\x80\x80\x00", 4);
  EXPECT_EQ(ReadVarint(padded.data(), padded.data() + padded.size(), &v), padded.data() + 4);
  EXPECT_EQ(v, 1u);
}

TEST(ProtoWire, TruncatedVarintIsRefused) {
  for (uint64_t v : Values()) {
    const std::string s = Varint(v);
    for (size_t n = 0; n < s.size(); ++n) {
      uint64_t out = 0;
      EXPECT_EQ(ReadVarint(s.data(), s.data() + n, &out), nullptr) << v << " cut to " << n;
    }
  }
}

TEST(ProtoWire, TagRefusesFieldZeroAndTagsOverThirtyTwoBits) {
  uint32_t number = 0, type = 0;
  const std::string ok = Varint((uint64_t{536870911} << 3) | kLen);  // the largest field number
  EXPECT_EQ(ReadTag(ok.data(), ok.data() + ok.size(), &number, &type), ok.data() + ok.size());
  EXPECT_EQ(number, 536870911u);
  EXPECT_EQ(type, uint32_t{kLen});
  const std::string zero = Varint(kVarint);  // field 0
  EXPECT_EQ(ReadTag(zero.data(), zero.data() + zero.size(), &number, &type), nullptr);
  const std::string wide = Varint(uint64_t{1} << 32 | kVarint);
  EXPECT_EQ(ReadTag(wide.data(), wide.data() + wide.size(), &number, &type), nullptr);
}

// Writes a message of every wire type with PutLenField / PutVarint / PutFixed64 and with
// libprotobuf, and reads both back field by field.
TEST(ProtoWire, FieldsRoundTripThroughLibprotobuf) {
  const std::string long_value(300, 'x');  // a two-byte length: the reader's slow path
  std::string ours(1024, '\0');
  char* p = ours.data();
  p = PutLenField(p, 0x0A, "key");  // 1: len
  *p++ = 0x10;                      // 2: varint
  p = PutVarint(p, 150);
  *p++ = 0x19;  // 3: fixed64
  p = PutFixed64(p, 0x0102030405060708ull);
  p = PutLenField(p, 0x22, long_value);  // 4: len, long
  *p++ = 0x28;                           // 5: one-byte varint
  p = PutVarint(p, 7);
  ours.resize(p - ours.data());
  EXPECT_EQ(LenFieldSize(3) + LenFieldSize(300), 5u + 303u);

  std::string theirs;
  {
    google::protobuf::io::StringOutputStream raw(&theirs);
    CodedOutputStream out(&raw);
    out.WriteTag(0x0A);
    out.WriteVarint32(3);
    out.WriteString("key");
    out.WriteTag(0x10);
    out.WriteVarint64(150);
    out.WriteTag(0x19);
    out.WriteLittleEndian64(0x0102030405060708ull);
    out.WriteTag(0x22);
    out.WriteVarint32(300);
    out.WriteString(long_value);
    out.WriteTag(0x28);
    out.WriteVarint64(7);
    out.WriteTag(0x35);  // 6: fixed32, only libprotobuf writes it
    out.WriteLittleEndian32(0xdeadbeef);
  }
  ASSERT_EQ(theirs.substr(0, ours.size()), ours);

  const char* q = theirs.data();
  const char* const end = q + theirs.size();
  Field f;
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.wire_type, uint32_t{kLen});
  EXPECT_EQ(f.bytes, "key");
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 2u);
  EXPECT_EQ(f.varint, 150u);
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 3u);
  EXPECT_EQ(f.wire_type, uint32_t{kFixed64});
  EXPECT_EQ(f.fixed, 0x0102030405060708ull);
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 4u);
  EXPECT_EQ(f.bytes, long_value);
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 5u);
  EXPECT_EQ(f.varint, 7u);
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 6u);
  EXPECT_EQ(f.wire_type, uint32_t{kFixed32});
  EXPECT_EQ(f.fixed, 0xdeadbeefu);
  EXPECT_EQ(q, end);
}

TEST(ProtoWire, TruncatedFieldsAreRefused) {
  std::string msg(512, '\0');
  char* p = msg.data();
  p = PutLenField(p, 0x0A, "value");
  p = PutLenField(p, 0x12, std::string(200, 'y'));
  *p++ = 0x19;
  p = PutFixed64(p, 42);
  *p++ = 0x25;  // fixed32
  p = PutBytes(p, std::string_view("\x01\x02\x03\x04", 4));
  *p++ = 0x28;
  p = PutVarint(p, 1ull << 40);
  msg.resize(p - msg.data());
  // Whole, it reads to the end; cut anywhere inside a field, the field is refused.
  std::vector<size_t> field_ends;
  const char* q = msg.data();
  while (q < msg.data() + msg.size()) {
    Field f;
    ASSERT_NE(q = ReadField(q, msg.data() + msg.size(), 0, 8, &f), nullptr);
    field_ends.push_back(q - msg.data());
  }
  ASSERT_EQ(field_ends.size(), 5u);
  size_t start = 0;
  for (size_t e : field_ends) {
    for (size_t cut = start + 1; cut < e; ++cut) {
      Field f;
      EXPECT_EQ(ReadField(msg.data() + start, msg.data() + cut, 0, 8, &f), nullptr)
          << "field ending at " << e << " cut at " << cut;
    }
    start = e;
  }
  // A length that claims more than 2^31 - 1 bytes is refused even when the caller's end is far.
  const std::string huge = "\x0A" + Varint(0x80000000u);
  std::string_view bytes;
  EXPECT_EQ(ReadLengthDelimited(huge.data() + 1, huge.data() + huge.size() + (1ull << 32), &bytes),
            nullptr);
}

TEST(ProtoWire, GroupsAreSkippedToTheirEndAndNestingIsBounded) {
  // field 1 group { field 2 varint 5 ; field 3 group { } } then field 4 varint 9
  const std::string msg("\x0B\x10\x05\x1B\x1C\x0C\x20\x09", 8);
  const char* end = msg.data() + msg.size();
  Field f;
  const char* q = ReadField(msg.data(), end, 0, 8, &f);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.wire_type, uint32_t{kStartGroup});
  ASSERT_NE(q = ReadField(q, end, 0, 8, &f), nullptr);
  EXPECT_EQ(f.number, 4u);
  EXPECT_EQ(f.varint, 9u);
  EXPECT_EQ(q, end);
  // The inner group is at depth 2: allowed with a limit of 2, refused with 1.
  EXPECT_NE(ReadField(msg.data(), end, 0, 2, &f), nullptr);
  EXPECT_EQ(ReadField(msg.data(), end, 0, 1, &f), nullptr);
  // A group closed by another field's end-group, or never closed, is refused; so is a lone one.
  const std::string mismatched("\x0B\x14", 2);
  EXPECT_EQ(ReadField(mismatched.data(), mismatched.data() + 2, 0, 8, &f), nullptr);
  const std::string open("\x0B\x10\x05", 3);
  EXPECT_EQ(ReadField(open.data(), open.data() + 3, 0, 8, &f), nullptr);
  const std::string lone("\x0C", 1);
  EXPECT_EQ(ReadField(lone.data(), lone.data() + 1, 0, 8, &f), nullptr);
}

TEST(ProtoWire, BufferGrowsKeepingItsBytesAndKeepsCapacityAcrossClear) {
  Buffer b;
  std::string want;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + std::string(i % 40, 'a' + i % 26);
    b.Append(piece);
    want += piece;
  }
  EXPECT_EQ(b.view(), want);
  const char* data = b.data();
  b.Clear();
  EXPECT_EQ(b.size(), 0u);
  b.Append("x");
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.view(), "x");
}

}  // namespace
}  // namespace agentstorm::protowire
