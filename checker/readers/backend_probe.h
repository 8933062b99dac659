// One look at a backend before anything is polled or sent: does the API the URL names answer
// there? A check pointed at the wrong kind of backend (tempo:// at a Jaeger port) would otherwise
// read "not found" for every trace and blame the pipeline for losing them all.
//
//   jaeger://         GET /api/v3/services   -> a JSON object with "services"
//   jaeger-legacy://  GET /api/services      -> a JSON object with "data"
//   tempo://          GET /api/echo          -> 200 "echo"
//   file:             nothing (the file is opened when the reader is made)
//
// When the expected API does not answer, the others are tried (and Prometheus' and
// Alertmanager's status endpoints) so that the message can say which API did.
#pragma once

#include "absl/status/status.h"
#include "checker/readers/backend_url.h"
#include "checker/readers/trace_reader.h"

namespace agentstorm::readers {

// OK when the API of `url.kind` answers. Unavailable / DeadlineExceeded when nothing could be
// reached (the transport error) or it answered HTTP 5xx: it may still be starting, so callers
// leave that to the poller's --wait. FailedPrecondition naming the URL, what was expected and
// what answered instead (another API, an HTTP 4xx or an unexpected body): the backend is of the
// wrong kind, which no waiting fixes (exit code 3).
absl::Status ProbeBackend(const BackendUrl& url, const ReaderOptions& options);

}  // namespace agentstorm::readers
