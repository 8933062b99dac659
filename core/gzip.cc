#include "core/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace agentstorm {
namespace {

// zlib counts in uInt; feed it in pieces no bigger than that.
constexpr size_t kMaxChunk = UINT_MAX;

class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (initialized_) inflateEnd(&stream_);
  }

  // windowBits 15 + 32: zlib or gzip header, detected automatically.
  bool Init() {
    initialized_ = inflateInit2(&stream_, 15 + 32) == Z_OK;
    return initialized_;
  }
  bool Reset() { return inflateReset(&stream_) == Z_OK; }
  z_stream* stream() { return &stream_; }

 private:
  z_stream stream_{};
  bool initialized_ = false;
};

}  // namespace

absl::StatusOr<std::string> GzipDecompress(std::string_view compressed, size_t max_output_bytes) {
  if (compressed.empty()) return absl::InvalidArgumentError("gzip: empty input");
  Inflater inflater;
  if (!inflater.Init()) return absl::InternalError("gzip: inflateInit2 failed");
  z_stream* zs = inflater.stream();

  std::string out;
  // A typical OTLP body compresses 5-10x; start there and grow geometrically.
  out.resize(std::min(max_output_bytes, std::max<size_t>(4096, compressed.size() * 4)) + 1);
  size_t produced = 0;
  const auto* next_in = reinterpret_cast<const Bytef*>(compressed.data());
  size_t remaining_in = compressed.size();

  while (true) {
    if (produced == out.size()) {
      if (produced > max_output_bytes) break;
      out.resize(std::min(out.size() * 2, max_output_bytes + 1));
    }
    const size_t in_chunk = std::min(remaining_in, kMaxChunk);
    const size_t out_chunk = std::min(out.size() - produced, kMaxChunk);
    zs->next_in = const_cast<Bytef*>(next_in);
    zs->avail_in = static_cast<uInt>(in_chunk);
    zs->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs->avail_out = static_cast<uInt>(out_chunk);

    const int rc = inflate(zs, Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs->avail_in;
    next_in += consumed;
    remaining_in -= consumed;
    produced += out_chunk - zs->avail_out;
    if (produced > max_output_bytes) break;

    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (skip trailing zero padding some writers add).
      while (remaining_in > 0 && *next_in == 0) {
        ++next_in;
        --remaining_in;
      }
      if (remaining_in == 0) {
        out.resize(produced);
        return out;
      }
      if (!inflater.Reset()) return absl::InternalError("gzip: inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress possible: either the output is full (grow it) or the input ran out early.
      if (zs->avail_out == 0) continue;
      return absl::InvalidArgumentError("gzip: truncated input");
    }
    if (rc != Z_OK) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gzip: corrupt input (", zs->msg != nullptr ? zs->msg : "inflate error", ")"));
    }
    if (remaining_in == 0 && zs->avail_out != 0) {
      return absl::InvalidArgumentError("gzip: truncated input");
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("gzip: decompressed body exceeds ", max_output_bytes, " bytes"));
}

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: gzip header and trailer.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kMaxChunk))) + 32);
  size_t produced = 0;
  const auto* next_in = reinterpret_cast<const Bytef*>(data.data());
  size_t remaining_in = data.size();
  int rc = Z_OK;
  do {
    if (produced == out.size()) out.resize(out.size() * 2);
    const size_t in_chunk = std::min(remaining_in, kMaxChunk);
    const size_t out_chunk = std::min(out.size() - produced, kMaxChunk);
    zs.next_in = const_cast<Bytef*>(next_in);
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const bool last = in_chunk == remaining_in;
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
    const size_t consumed = in_chunk - zs.avail_in;
    next_in += consumed;
    remaining_in -= consumed;
    produced += out_chunk - zs.avail_out;
  } while (rc != Z_STREAM_END && rc != Z_STREAM_ERROR);
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace agentstorm
