// Reading traces back from a backend, whatever its API: the interface every backend reader
// implements, and the factory that picks one for a --backend URL.
//
// A reader answers with what the backend holds, mapped into OTLP TracesData as faithfully as
// the backend's format allows (spans grouped by resource and scope; IDs, parents, kinds,
// statuses, events, links and typed attributes). It neither deduplicates, sorts nor repairs:
// judging what came back is the rules' job.
//
// Errors are kept apart so the CLI can map them (core/exit_codes.h):
//   - a trace the backend does not have is not an error: FetchedTrace::found == false;
//   - the backend could not be reached (connection refused, DNS, TLS handshake, timeout):
//     Unavailable or DeadlineExceeded; IsUnreachable() says so (exit code 3);
//   - the backend answered but not usefully (HTTP 5xx, 401/403, a body that does not parse):
//     Internal, Unauthenticated, PermissionDenied, DataLoss, ... (a failed request).
//
// Readers are thread-safe: GetTrace and FindTraces may be called from many threads at once
// (the poller reads many traces concurrently).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "checker/readers/backend_url.h"
#include "core/ids.h"
#include "google/protobuf/arena.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm::readers {

using TracesData = opentelemetry::proto::trace::v1::TracesData;

// How reading one expected trace ended. A reader's GetTrace only ever says found or not
// found (or fails); the poller (checker/readers/poller.h) uses the whole set.
enum class TraceOutcome {
  kFound,          // present, and its span count settled (and matched, when known)
  kNotFound,       // the backend never returned it before the deadline
  kRequestFailed,  // every request about it failed (see the error), so nothing is known
  kIncomplete,     // returned, but with fewer spans than expected when the deadline passed
};
std::string_view TraceOutcomeName(TraceOutcome outcome);  // "found", "not_found", ...

// A TracesData on an arena of its own: parsing allocates from the arena's blocks, and dropping
// it frees them at once, where a message on the heap frees every span, attribute and string one
// by one (that was a tenth of a check's CPU: docs/performance.md). Used as a pointer; a copy is
// a deep copy onto a new arena; a moved-from one may only be assigned to or destroyed.
class ArenaTraces {
 public:
  ArenaTraces();
  // For parsing `wire_bytes` of TracesData: the arena's first block holds most such traces.
  explicit ArenaTraces(size_t wire_bytes);
  ArenaTraces(const ArenaTraces& other);
  ArenaTraces& operator=(const ArenaTraces& other);
  ArenaTraces(ArenaTraces&&) noexcept = default;
  ArenaTraces& operator=(ArenaTraces&&) noexcept = default;
  ~ArenaTraces() = default;

  TracesData& operator*() const { return *data_; }
  TracesData* operator->() const { return data_; }
  TracesData* get() const { return data_; }

 private:
  std::unique_ptr<google::protobuf::Arena> arena_;
  TracesData* data_ = nullptr;  // on arena_
};

struct FetchedTrace {
  TraceId id{};
  bool found = false;
  ArenaTraces data;       // spans grouped by resource, then scope; empty when !found
  size_t span_count = 0;  // spans in `data`
  bool partial = false;   // the backend itself said the trace may be incomplete (Tempo v2)
  // The TracesData bytes `data` was parsed from, when the backend answered in protobuf and the
  // reader kept them (the embedded sink's bulk read); empty otherwise. The checker compares them
  // with the encoding of what was sent.
  std::string wire;
};

// A trace to read, with what the caller knows of where it is. A backend that reads many traces in
// one request only through a search (Jaeger's FindTraces: a service and a window of span start
// times) finds it by `service` and `start_unix_nano`; a trace without them is read by its ID.
struct TraceLookup {
  TraceLookup() = default;
  // NOLINTNEXTLINE(google-explicit-constructor): an ID alone is a lookup without a location.
  TraceLookup(const TraceId& trace_id) : id(trace_id) {}
  TraceLookup(const TraceId& trace_id, std::string_view root_service, uint64_t start)
      : id(trace_id), service(root_service), start_unix_nano(start) {}

  TraceId id{};
  std::string_view service;      // the service of a span starting at start_unix_nano (the root's)
  uint64_t start_unix_nano = 0;  // 0 = unknown
  bool Located() const { return !service.empty() && start_unix_nano != 0; }
};

// What FindTraces looks for (the ledger-less mode: --service NAME --since 10m).
struct TraceSearch {
  std::string service;                      // required
  absl::Time start = absl::InfinitePast();  // traces with a span starting at or after
  absl::Time end = absl::InfiniteFuture();  // ... and before this
  size_t limit = 100;                       // most trace IDs returned
};

// What a reader's API can represent of a trace. A field the API cannot carry is not compared, so
// its absence is never blamed on the pipeline.
struct ReaderCarries {
  bool schema_urls = true;       // ResourceSpans / ScopeSpans schema_url
  bool scope_attributes = true;  // InstrumentationScope attributes
  // The finest time the API gives: 1 ns for OTLP, 1000 for APIs in microseconds (Jaeger's
  // legacy JSON), whose start and duration are each cut to whole microseconds.
  uint64_t time_resolution_nanos = 1;
};

// How a reader's requests read the traces asked of it, for the summary: a reader that reads
// only by ID (or in bulk by ID) leaves it empty.
struct ReadCounts {
  uint64_t searches = 0;         // search requests made to find traces asked for by ID
  uint64_t found_by_search = 0;  // traces those searches returned
  uint64_t read_by_id = 0;       // single-trace requests (GetTrace), the searches' misses included
};

class TraceReader {
 public:
  virtual ~TraceReader() = default;

  // OTLP-shaped APIs (Jaeger v3, Tempo, files, the sink) carry everything.
  virtual ReaderCarries Carries() const { return {}; }

  // The trace with this ID, every span the backend returns for it.
  virtual absl::StatusOr<FetchedTrace> GetTrace(const TraceId& id) = 0;

  // Most traces one GetTraces call reads in a single request; 1 when the backend has no such
  // request (the poller then calls GetTrace). May change once a backend turned out not to serve
  // a bulk request.
  virtual size_t MaxBatch() const { return 1; }
  // True when GetTraces reads many traces at once only for Located() lookups (a search): the
  // poller then asks for a trace without a location on its own.
  virtual bool BatchesNeedLocations() const { return false; }

  // The traces `traces`, one result per lookup in the same order, each as GetTrace would answer
  // it; a request that failed fails every trace it asked about. The default asks GetTrace for
  // each.
  virtual std::vector<absl::StatusOr<FetchedTrace>> GetTraces(absl::Span<const TraceLookup> traces);

  // IDs of traces with a span of `search.service` in the window, at most `search.limit`,
  // without duplicates. An empty result is not an error.
  virtual absl::StatusOr<std::vector<TraceId>> FindTraces(const TraceSearch& search) = 0;

  // What the reads so far took (ReadCounts).
  virtual ReadCounts Counts() const { return {}; }

  // The backend for logs and reports, without secrets.
  virtual std::string Describe() const = 0;
};

struct ReaderOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // No backend request outlives it (HttpClientOptions::deadline): RunCheck sets it from --wait.
  absl::Time deadline = absl::InfiniteFuture();
  // A response larger than this fails the request (DataLoss): protects against a runaway
  // trace or a misconfigured proxy filling memory.
  size_t max_response_bytes = 512u << 20;
};

// A reader for `url`. A file: backend is read and indexed here, so errors opening or parsing
// the file come back now (NotFound, DataLoss, InvalidArgument). HTTP readers connect lazily.
absl::StatusOr<std::unique_ptr<TraceReader>> MakeTraceReader(const BackendUrl& url,
                                                             const ReaderOptions& options);

// True when `status` means the backend could not be reached at all (exit code 3): the reader's
// name for IsUnreachableStatus (core/exit_codes.h).
bool IsUnreachable(const absl::Status& status);

// Total spans in `data`.
size_t CountSpans(const TracesData& data);

}  // namespace agentstorm::readers
