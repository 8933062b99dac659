#include "synth/proto_wire.h"

#include <algorithm>

namespace agentstorm::wire {

void Buffer::Grow(size_t need) {
  size_t cap = std::max<size_t>(cap_ * 2, 256);
  while (cap < need) cap *= 2;
  char* p = static_cast<char*>(std::realloc(data_, cap));
  if (p == nullptr) std::abort();
  data_ = p;
  cap_ = cap;
}

}  // namespace agentstorm::wire
