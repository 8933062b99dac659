// The embedded backend: OTLP/gRPC and OTLP/HTTP receivers in front of a bounded trace store,
// a Jaeger-API-v3-compatible query endpoint, optional capture file and fault injection.
// `agentstorm sink` runs one until a signal; `agentstorm run` and tests start one in-process.
//
//   absl::StatusOr<std::unique_ptr<Sink>> sink = Sink::Start(options);
//   ... export to 127.0.0.1:(*sink)->grpc_port(), query (*sink)->query_port() ...
//   (*sink)->Shutdown();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sink/capture.h"
#include "sink/export_handler.h"
#include "sink/fault_injector.h"
#include "sink/sink_metrics.h"
#include "sink/trace_store.h"

namespace agentstorm::sink {

class GrpcReceiver;
class HttpReceiver;
class QueryApi;

struct SinkOptions {
  // HOST:PORT; port 0 picks a free port; "" leaves that listener off.
  std::string grpc_address = "127.0.0.1:4317";
  std::string http_address = "127.0.0.1:4318";
  std::string query_address = "127.0.0.1:16686";
  size_t max_spans = 1'000'000;
  // Largest export request body, after decompression (the collector's default is 20 MiB
  // for HTTP, 4 MiB for gRPC; agentstorm batches stay far below).
  size_t max_request_bytes = 16 << 20;
  // Most span bytes one query answer holds (a trace, or a search's traces); more is HTTP 413.
  size_t max_query_bytes = 16 << 20;
  // Memory for stored requests to map and touch before listening (ByteArena::Prefault): a
  // measurement then does not pay the first touch of every page (0 = as needed).
  size_t prefault_bytes = 0;
  std::string capture_path;  // "" = no capture
  bool capture_sync = false;
  std::vector<std::string> faults;  // --fault specs, see fault_injector.h
  uint64_t fault_seed = 0;
  // TLS on every listener when both are given (PEM files); with a client CA, mTLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Required of every export and query when not empty (listener_security.h).
  std::string auth_token;
};

class Sink {
 public:
  // Starts every listener. Errors: InvalidArgument for a bad address, fault spec or capture
  // path (exit code 2); Unavailable when a port cannot be bound (exit code 3);
  // ResourceExhausted when the prefault memory cannot be mapped.
  static absl::StatusOr<std::unique_ptr<Sink>> Start(const SinkOptions& options);
  ~Sink();

  // Actual bound ports (0 for a listener that is off).
  int grpc_port() const;
  int http_port() const;
  int query_port() const;
  // "host:port" of each listener as bound ("" when off).
  std::string grpc_address() const;
  std::string http_address() const;
  std::string query_address() const;

  // What guards the listeners ("TLS, bearer token", ...; "" for nothing).
  const std::string& security() const { return security_; }

  TraceStore& store() { return store_; }
  const SinkMetrics& metrics() const { return metrics_; }
  const FaultInjector& faults() const { return faults_; }

  // Stops accepting, lets in-flight requests finish (up to `grace`), closes the capture.
  // Queries are answered until the receivers are down. Idempotent. Returns the capture's
  // close status.
  absl::Status Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  Sink(const SinkOptions& options, FaultSpec faults);

  const SinkOptions options_;
  TraceStore store_;
  FaultInjector faults_;
  SinkMetrics metrics_;
  std::unique_ptr<CaptureWriter> capture_;
  std::unique_ptr<ExportHandler> handler_;
  std::unique_ptr<GrpcReceiver> grpc_;
  std::unique_ptr<HttpReceiver> http_;
  std::unique_ptr<QueryApi> query_;
  std::string grpc_host_, http_host_, query_host_;
  std::string security_;
  bool shut_down_ = false;
};

}  // namespace agentstorm::sink
