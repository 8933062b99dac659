#include "checker/readers/trace_reader.h"

#include <algorithm>

#include "checker/readers/file_reader.h"
#include "checker/readers/jaeger_legacy_reader.h"
#include "checker/readers/jaeger_v3_reader.h"
#include "checker/readers/tempo_reader.h"
#include "core/exit_codes.h"

namespace agentstorm::readers {

ArenaTraces::ArenaTraces()
    : arena_(std::make_unique<google::protobuf::Arena>()),
      data_(google::protobuf::Arena::CreateMessage<TracesData>(arena_.get())) {}

namespace {

google::protobuf::ArenaOptions FirstBlockFor(size_t wire_bytes) {
  google::protobuf::ArenaOptions options;
  // A parsed span takes about three times its wire bytes (docs/performance.md): one block for
  // most traces, instead of a chain grown from 256 bytes.
  options.start_block_size = std::clamp<size_t>(wire_bytes * 3, 256, size_t{4} << 20);
  options.max_block_size = std::max<size_t>(options.start_block_size, 32768);
  return options;
}

}  // namespace

ArenaTraces::ArenaTraces(size_t wire_bytes)
    : arena_(std::make_unique<google::protobuf::Arena>(FirstBlockFor(wire_bytes))),
      data_(google::protobuf::Arena::CreateMessage<TracesData>(arena_.get())) {}

ArenaTraces::ArenaTraces(const ArenaTraces& other) : ArenaTraces() {
  if (other.data_ != nullptr) data_->CopyFrom(*other.data_);
}

ArenaTraces& ArenaTraces::operator=(const ArenaTraces& other) {
  if (this != &other) *this = ArenaTraces(other);
  return *this;
}

std::string_view TraceOutcomeName(TraceOutcome outcome) {
  switch (outcome) {
    case TraceOutcome::kFound:
      return "found";
    case TraceOutcome::kNotFound:
      return "not_found";
    case TraceOutcome::kRequestFailed:
      return "request_failed";
    case TraceOutcome::kIncomplete:
      return "incomplete";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<TraceReader>> MakeTraceReader(const BackendUrl& url,
                                                             const ReaderOptions& options) {
  switch (url.kind) {
    case BackendKind::kJaegerV3:
      return std::unique_ptr<TraceReader>(new JaegerV3Reader(url, options));
    case BackendKind::kJaegerLegacy:
      return std::unique_ptr<TraceReader>(new JaegerLegacyReader(url, options));
    case BackendKind::kTempo:
      return std::unique_ptr<TraceReader>(new TempoReader(url, options));
    case BackendKind::kFile: {
      auto reader = FileReader::Open(url.file_path);
      if (!reader.ok()) return reader.status();
      return std::unique_ptr<TraceReader>(std::move(*reader));
    }
  }
  return absl::InvalidArgumentError("unknown backend kind");
}

std::vector<absl::StatusOr<FetchedTrace>> TraceReader::GetTraces(
    absl::Span<const TraceLookup> traces) {
  std::vector<absl::StatusOr<FetchedTrace>> out;
  out.reserve(traces.size());
  for (const TraceLookup& t : traces) out.push_back(GetTrace(t.id));
  return out;
}

bool IsUnreachable(const absl::Status& status) { return IsUnreachableStatus(status); }

size_t CountSpans(const TracesData& data) {
  size_t n = 0;
  for (const auto& rs : data.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
  }
  return n;
}

}  // namespace agentstorm::readers
