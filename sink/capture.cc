#include "sink/capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace agentstorm::sink {

absl::StatusOr<std::unique_ptr<CaptureWriter>> CaptureWriter::Open(const std::string& path,
                                                                   bool sync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open capture file ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<CaptureWriter>(new CaptureWriter(fd, path, sync));
}

CaptureWriter::~CaptureWriter() { (void)Close(); }

absl::Status CaptureWriter::Append(
    const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request) {
  return AppendEncoded(request.SerializeAsString());
}

absl::Status CaptureWriter::AppendEncoded(std::string_view request_bytes) {
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) return absl::FailedPreconditionError("capture file is closed");
  const size_t size = request_bytes.size();
  if (size > 0xffffffffu) {
    return absl::InvalidArgumentError("request too large for a capture record (over 4 GiB)");
  }
  buffer_.resize(4);
  buffer_[0] = static_cast<char>(size >> 24);
  buffer_[1] = static_cast<char>(size >> 16);
  buffer_[2] = static_cast<char>(size >> 8);
  buffer_[3] = static_cast<char>(size);
  buffer_.append(request_bytes);
  // One write per record: O_APPEND keeps the record contiguous; a partial write (disk full)
  // leaves a truncated tail that the reader reports, never a record that lies.
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("write to capture file ", path_, ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (sync_ && ::fdatasync(fd_) != 0) {
    return absl::InternalError(
        absl::StrCat("fdatasync of capture file ", path_, ": ", std::strerror(errno)));
  }
  ++records_;
  return absl::OkStatus();
}

absl::Status CaptureWriter::Close() {
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) return absl::OkStatus();
  absl::Status status;
  if (::fsync(fd_) != 0 && errno != EINVAL) {
    status = absl::InternalError(
        absl::StrCat("fsync of capture file ", path_, ": ", std::strerror(errno)));
  }
  if (::close(fd_) != 0 && status.ok()) {
    status = absl::InternalError(
        absl::StrCat("close of capture file ", path_, ": ", std::strerror(errno)));
  }
  fd_ = -1;
  return status;
}

uint64_t CaptureWriter::records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

}  // namespace agentstorm::sink
