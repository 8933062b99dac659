// Reads traces from a file (`file:PATH`) instead of a live backend. Recognised contents,
// detected from the first bytes:
//   - OpenTelemetry Collector file exporter, JSON: one ExportTraceServiceRequest-shaped
//     OTLP/JSON object per line ({"resourceSpans": [...]}); any whitespace between objects
//     and pretty-printed objects are fine too;
//   - saved backend responses, JSON: Jaeger API v3 ({"result": ...}), Jaeger legacy
//     ({"data": [...]}), Tempo ({"batches": ...} or {"trace": ...});
//   - Collector file exporter, protobuf, and agentstorm sink captures: 4-byte big-endian
//     length + serialized ExportTraceServiceRequest, repeated (read with core/capture_reader.h;
//     a torn tail after a crash is tolerated and counted);
//   - any of the JSON forms gzip-compressed.
//
// Open() reads the whole file and indexes every span by trace ID, keeping each trace as a
// compact serialized TracesData (so memory is about the file's protobuf size, not a tree per
// span). GetTrace then costs one parse of that trace only. Spans of one trace spread over many
// records come back together, each under the resource and scope it was written with.
// Thread-safe once opened (read-only).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

struct FileReaderStats {
  std::string format;  // "otlp-json", "protobuf-framed", "jaeger-v3-json", ... (first record's)
  uint64_t records = 0;
  uint64_t spans = 0;
  uint64_t traces = 0;
  uint64_t truncated_tail_bytes = 0;  // framed files: bytes of a torn last record
};

class FileReader : public TraceReader {
 public:
  // NotFound when `path` does not exist; DataLoss / InvalidArgument (with the record number)
  // when its contents are not one of the recognised forms.
  static absl::StatusOr<std::unique_ptr<FileReader>> Open(const std::string& path);

  // An empty reader to fill with Add() (tests, in-memory captures).
  explicit FileReader(std::string description) : description_(std::move(description)) {}

  // Indexes every span of `record`.
  void Add(const TracesData& record);

  absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) override;
  // Traces with a span of `search.service` ("" = any) whose start lies in [start, end).
  absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) override;
  std::string Describe() const override { return description_; }

  // Every trace ID in the file, in order of first appearance.
  const std::vector<TraceId>& trace_ids() const { return order_; }
  const FileReaderStats& stats() const { return stats_; }

 private:
  struct ServiceWindow {
    std::string service;
    uint64_t min_start = UINT64_MAX;
    uint64_t max_start = 0;
  };
  struct Entry {
    std::string fragments;  // serialized TracesData messages, concatenated (= merged)
    uint64_t span_count = 0;
    std::vector<ServiceWindow> services;
  };

  std::string description_;
  absl::flat_hash_map<TraceId, Entry> index_;
  std::vector<TraceId> order_;
  FileReaderStats stats_;
};

}  // namespace agentstorm::readers
