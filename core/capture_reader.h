// Reads a sink capture (or a collector file exporter's protobuf output): a sequence of 4-byte
// big-endian lengths, each followed by a serialized ExportTraceServiceRequest.
//
// A capture cut short by a crash is read up to its last whole record; the torn tail is
// reported through truncated_tail_bytes(), not as an error.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm::sink {

class CaptureReader {
 public:
  // NotFound when `path` does not exist; InvalidArgument when it cannot be opened.
  static absl::StatusOr<std::unique_ptr<CaptureReader>> Open(const std::string& path);
  ~CaptureReader();

  // Reads the next record into `out`. Returns false at the end (or at a torn tail).
  // DataLoss when a whole record is not a valid ExportTraceServiceRequest.
  absl::StatusOr<bool> Next(
      opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest* out);

  uint64_t records_read() const { return records_; }
  // Bytes after the last whole record (0 for a capture closed cleanly). Final once Next()
  // returned false.
  uint64_t truncated_tail_bytes() const { return truncated_tail_; }

 private:
  CaptureReader(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  std::FILE* file_;
  std::string path_;
  uint64_t file_size_ = 0;  // 0 when unknown (a pipe)
  uint64_t offset_ = 0;
  uint64_t records_ = 0;
  uint64_t truncated_tail_ = 0;
  std::string buffer_;
};

struct CaptureContents {
  std::vector<opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest> requests;
  uint64_t truncated_tail_bytes = 0;
};

// Reads a whole capture.
absl::StatusOr<CaptureContents> ReadCapture(const std::string& path);

}  // namespace agentstorm::sink
