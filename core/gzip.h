// gzip / zlib (RFC 1952 / RFC 1950) compression of whole buffers, for OTLP request bodies
// ("Content-Encoding: gzip") on both the sending and the receiving side.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace agentstorm {

// Inflates `compressed`, which may carry a gzip or a zlib header (detected automatically).
// Concatenated gzip members are inflated one after another, as gzip(1) does.
// Errors:
//   ResourceExhausted  the output would exceed `max_output_bytes` (a receiver answers 413);
//                      decompression stops as soon as the limit is crossed, so a "zip bomb"
//                      costs at most `max_output_bytes` of memory.
//   InvalidArgument    not gzip/zlib, corrupt, or truncated data.
absl::StatusOr<std::string> GzipDecompress(std::string_view compressed, size_t max_output_bytes);

// Deflates `data` with a gzip header. `level` is zlib's 0 (store) .. 9 (best); -1 is zlib's
// default.
std::string GzipCompress(std::string_view data, int level = 6);

}  // namespace agentstorm
