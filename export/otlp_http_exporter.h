// OtlpHttpExporter: OTLP/HTTP trace exporter, http/protobuf or http/json.
//
// One worker thread drives a libcurl multi handle: up to ExporterOptions::max_in_flight POSTs run
// concurrently over kept-alive connections (the multi handle's connection cache); more batches
// wait in a queue. Bodies: the serialized ExportTraceServiceRequest as is
// (application/x-protobuf) or transcoded to OTLP/JSON (application/json), gzip-compressed with
// Content-Encoding: gzip when asked; encoded once per batch, on the thread that calls Export.
// TLS: CA file, client certificate/key (mTLS), insecure = do not verify the server.
// Responses: 2xx bodies are parsed (protobuf or JSON) for partial_success.rejected_spans;
// 429/502/503/504 are retried honouring Retry-After; other statuses fail the batch with the
// google.rpc.Status message of the body when there is one.
#pragma once

#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/curl_easy.h"
#include "export/retrying_exporter.h"

namespace agentstorm {

// What every OTLP/HTTP request carries (traces and metrics): Content-Type for the protocol,
// Content-Encoding when compressed, no "Expect: 100-continue", then options.headers.
CurlHeaderList OtlpHttpHeaders(const ExporterOptions& options);

// The options' TLS settings and timeout (connect timeout at most 10 s) with `headers`.
CurlEasyConfig OtlpHttpCurlConfig(const ExporterOptions& options, const CurlHeaderList* headers);

class OtlpHttpExporter final : public RetryingExporter {
 public:
  // REQUIRES: options.protocol is kHttpProtobuf or kHttpJson. Errors: InvalidArgument for bad
  // options; Internal when libcurl cannot be initialised. Does not connect.
  static absl::StatusOr<std::unique_ptr<OtlpHttpExporter>> Create(
      const ExporterOptions& options,
      RetryPolicy::JitterSource jitter = RetryPolicy::DefaultJitter());

  ~OtlpHttpExporter() override;

  struct Request;  // one attempt on the worker thread (implementation detail)

 private:
  OtlpHttpExporter(const ExporterOptions& options, RetryPolicy::JitterSource jitter, void* multi,
                   CurlHeaderList headers);

  void StartAttempt(Call* call) override ABSL_LOCKS_EXCLUDED(mu_);
  void CancelAttempts() override ABSL_LOCKS_EXCLUDED(mu_);
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // Worker thread only.
  void Begin(Request* request);
  void Finish(Request* request, int curl_code);
  void Abort(Request* request, const char* why);

  void* multi_;                       // CURLM*
  const CurlHeaderList headers_;      // shared, read-only, by every request
  const CurlEasyConfig curl_config_;  // points at headers_
  absl::Mutex mu_;
  std::deque<Request*> inbox_ ABSL_GUARDED_BY(mu_);  // attempts to start, handed to the worker
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace agentstorm
