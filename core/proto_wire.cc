#include "core/proto_wire.h"

namespace agentstorm::protowire {

namespace {

// Skips a group up to its matching end-group tag; `depth` is the group's own depth.
const char* SkipGroup(const char* p, const char* end, uint32_t number, int depth, int max_depth) {
  if (depth > max_depth) return nullptr;
  while (p < end) {
    uint64_t tag;
    const char* q = ReadVarint(p, end, &tag);
    if (q == nullptr) return nullptr;
    if ((tag & 7) == kEndGroup) return (tag >> 3) == number ? q : nullptr;
    Field inner;
    if ((p = ReadField(p, end, depth, max_depth, &inner)) == nullptr) return nullptr;
  }
  return nullptr;  // no end-group before the end
}

}  // namespace

__attribute__((noinline)) const char* ReadFieldSlow(const char* p, const char* end, int depth,
                                                    int max_depth, Field* f) {
  if ((p = ReadTag(p, end, &f->number, &f->wire_type)) == nullptr) return nullptr;
  switch (f->wire_type) {
    case kVarint:
      return ReadVarint(p, end, &f->varint);
    case kFixed64:
      return ReadFixed64(p, end, &f->fixed);
    case kFixed32: {
      uint32_t v;
      if ((p = ReadFixed32(p, end, &v)) == nullptr) return nullptr;
      f->fixed = v;
      return p;
    }
    case kLen:
      return ReadLengthDelimited(p, end, &f->bytes);
    case kStartGroup:
      return SkipGroup(p, end, f->number, depth + 1, max_depth);
    default:  // a lone end-group, or wire types 6 and 7
      return nullptr;
  }
}

}  // namespace agentstorm::protowire
