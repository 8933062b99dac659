#include "core/capture_reader.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace agentstorm::sink {

absl::StatusOr<std::unique_ptr<CaptureReader>> CaptureReader::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("capture file ", path, ": ", why));
    return absl::InvalidArgumentError(absl::StrCat("cannot open capture file ", path, ": ", why));
  }
  auto reader = std::unique_ptr<CaptureReader>(new CaptureReader(f, path));
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long end = std::ftell(f);
    if (end >= 0) reader->file_size_ = static_cast<uint64_t>(end);
    std::rewind(f);
  }
  return reader;
}

CaptureReader::~CaptureReader() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::StatusOr<bool> CaptureReader::Next(
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out) {
  unsigned char header[4];
  const size_t got = std::fread(header, 1, sizeof header, file_);
  if (got < sizeof header) {
    if (std::ferror(file_)) {
      return absl::InternalError(
          absl::StrCat("reading capture file ", path_, ": ", std::strerror(errno)));
    }
    truncated_tail_ = got;
    return false;
  }
  const uint32_t size = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                        (uint32_t{header[2]} << 8) | uint32_t{header[3]};
  if (file_size_ != 0 && offset_ + sizeof header + size > file_size_) {
    // The record runs past the end of the file: a torn tail (checked before allocating, so a
    // corrupt length cannot ask for gigabytes).
    truncated_tail_ = file_size_ - offset_;
    return false;
  }
  buffer_.resize(size);
  const size_t body = std::fread(buffer_.data(), 1, size, file_);
  if (body < size) {
    if (std::ferror(file_)) {
      return absl::InternalError(
          absl::StrCat("reading capture file ", path_, ": ", std::strerror(errno)));
    }
    truncated_tail_ = sizeof header + body;
    return false;
  }
  if (!out->ParseFromArray(buffer_.data(), static_cast<int>(size))) {
    return absl::DataLossError(absl::StrCat("capture file ", path_, ": record ", records_ + 1,
                                            " at offset ", offset_,
                                            " is not a valid ExportTraceServiceRequest"));
  }
  offset_ += sizeof header + size;
  ++records_;
  return true;
}

absl::StatusOr<CaptureContents> ReadCapture(const std::string& path) {
  absl::StatusOr<std::unique_ptr<CaptureReader>> reader = CaptureReader::Open(path);
  if (!reader.ok()) return reader.status();
  CaptureContents contents;
  while (true) {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
    absl::StatusOr<bool> more = (*reader)->Next(&request);
    if (!more.ok()) return more.status();
    if (!*more) break;
    contents.requests.push_back(std::move(request));
  }
  contents.truncated_tail_bytes = (*reader)->truncated_tail_bytes();
  return contents;
}

}  // namespace agentstorm::sink
