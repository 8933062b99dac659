// The sink's capture file (`--capture FILE`): every accepted ExportTraceServiceRequest, as
// stored (after faults), appended as a 4-byte big-endian length followed by the serialized
// message: the OpenTelemetry Collector file exporter's protobuf framing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm::sink {

// Appends records to a capture file. Thread-safe; records never interleave.
class CaptureWriter {
 public:
  // Opens `path` for appending (created when missing). With `sync`, Append() returns only
  // once the record is on stable storage (fdatasync), so an acknowledged request survives a
  // crash of the machine, not only of the process.
  static absl::StatusOr<std::unique_ptr<CaptureWriter>> Open(const std::string& path, bool sync);
  ~CaptureWriter();

  absl::Status Append(
      const opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest& request);
  // Appends an already serialized ExportTraceServiceRequest.
  absl::Status AppendEncoded(std::string_view request_bytes);
  // Flushes and closes; later Append() calls fail. Idempotent.
  absl::Status Close();

  uint64_t records() const;

 private:
  CaptureWriter(int fd, std::string path, bool sync)
      : fd_(fd), path_(std::move(path)), sync_(sync) {}

  mutable absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
  const std::string path_;
  const bool sync_;
  uint64_t records_ ABSL_GUARDED_BY(mu_) = 0;
  std::string buffer_ ABSL_GUARDED_BY(mu_);  // reused serialization buffer
};

}  // namespace agentstorm::sink
