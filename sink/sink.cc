#include "sink/sink.h"

#include <unistd.h>

#include "absl/strings/str_format.h"
#include "sink/grpc_receiver.h"
#include "sink/http_receiver.h"
#include "sink/listen_address.h"
#include "sink/query_api.h"

namespace agentstorm::sink {
namespace {

absl::StatusOr<std::optional<ListenAddress>> OptionalAddress(const std::string& text,
                                                             const char* flag) {
  if (text.empty()) return std::optional<ListenAddress>();
  absl::StatusOr<ListenAddress> a = ParseListenAddress(text);
  if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", a.status().message()));
  return std::optional<ListenAddress>(*a);
}

}  // namespace

Sink::Sink(const SinkOptions& options, FaultSpec faults)
    : options_(options),
      store_(TraceStoreOptions{options.max_spans}),
      faults_(std::move(faults), options.fault_seed) {}

Sink::~Sink() { (void)Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<Sink>> Sink::Start(const SinkOptions& options) {
  absl::StatusOr<FaultSpec> faults = ParseFaultSpecs(options.faults);
  if (!faults.ok()) return faults.status();
  absl::StatusOr<std::optional<ListenAddress>> grpc_address =
      OptionalAddress(options.grpc_address, "--grpc");
  if (!grpc_address.ok()) return grpc_address.status();
  absl::StatusOr<std::optional<ListenAddress>> http_address =
      OptionalAddress(options.http_address, "--http");
  if (!http_address.ok()) return http_address.status();
  absl::StatusOr<std::optional<ListenAddress>> query_address =
      OptionalAddress(options.query_address, "--query");
  if (!query_address.ok()) return query_address.status();
  if (options.max_spans == 0) return absl::InvalidArgumentError("--max-spans must be at least 1");
  if (options.max_request_bytes == 0) {
    return absl::InvalidArgumentError("--max-request-bytes must be at least 1");
  }

  std::unique_ptr<Sink> sink(new Sink(options, *std::move(faults)));
  if (options.prefault_bytes > 0) {
    // Touching more than the machine has would end in the OOM killer, not in an error.
    const auto physical =
        static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    if (options.prefault_bytes >= physical) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--prefault %.1f GiB is not below this machine's memory (%.1f GiB)",
                          static_cast<double>(options.prefault_bytes) / (1 << 30),
                          static_cast<double>(physical) / (1 << 30)));
    }
    if (absl::Status s = sink->store_.Prefault(options.prefault_bytes); !s.ok()) return s;
  }
  if (!options.capture_path.empty()) {
    absl::StatusOr<std::unique_ptr<CaptureWriter>> capture =
        CaptureWriter::Open(options.capture_path, options.capture_sync);
    if (!capture.ok()) return capture.status();
    sink->capture_ = *std::move(capture);
  }
  absl::StatusOr<ListenerSecurity> security = LoadListenerSecurity(
      options.tls_cert_file, options.tls_key_file, options.tls_client_ca_file, options.auth_token);
  if (!security.ok()) return security.status();
  sink->security_ = security->Describe();
  sink->handler_ = std::make_unique<ExportHandler>(
      &sink->store_, sink->faults_.spec().empty() ? nullptr : &sink->faults_, sink->capture_.get(),
      &sink->metrics_);

  // Query first: by the time a receiver acknowledges anything, it can be read back.
  if (*query_address) {
    absl::StatusOr<std::unique_ptr<QueryApi>> query =
        QueryApi::Start(**query_address, &sink->store_, &sink->metrics_,
                        sink->faults_.visibility_delay(), options.max_query_bytes, *security);
    if (!query.ok()) return query.status();
    sink->query_ = *std::move(query);
    sink->query_host_ = (*query_address)->host;
  }
  if (*http_address) {
    absl::StatusOr<std::unique_ptr<HttpReceiver>> http = HttpReceiver::Start(
        **http_address, options.max_request_bytes, *security, sink->handler_.get());
    if (!http.ok()) return http.status();
    sink->http_ = *std::move(http);
    sink->http_host_ = (*http_address)->host;
  }
  if (*grpc_address) {
    absl::StatusOr<std::unique_ptr<GrpcReceiver>> grpc = GrpcReceiver::Start(
        **grpc_address, options.max_request_bytes, *security, sink->handler_.get());
    if (!grpc.ok()) return grpc.status();
    sink->grpc_ = *std::move(grpc);
    sink->grpc_host_ = (*grpc_address)->host;
  }
  return sink;
}

int Sink::grpc_port() const { return grpc_ ? grpc_->port() : 0; }
int Sink::http_port() const { return http_ ? http_->port() : 0; }
int Sink::query_port() const { return query_ ? query_->port() : 0; }

std::string Sink::grpc_address() const {
  return grpc_ ? ListenAddress{grpc_host_, 0}.WithPort(grpc_port()) : "";
}
std::string Sink::http_address() const {
  return http_ ? ListenAddress{http_host_, 0}.WithPort(http_port()) : "";
}
std::string Sink::query_address() const {
  return query_ ? ListenAddress{query_host_, 0}.WithPort(query_port()) : "";
}

absl::Status Sink::Shutdown(absl::Duration grace) {
  if (shut_down_) return absl::OkStatus();
  shut_down_ = true;
  // Receivers first (each waits for its in-flight requests), then the capture, last the
  // query API so a reader polling during shutdown still gets answers.
  if (grpc_) grpc_->Shutdown(grace);
  if (http_) http_->Shutdown();
  absl::Status status;
  if (capture_) status = capture_->Close();
  if (query_) query_->Shutdown();
  return status;
}

}  // namespace agentstorm::sink
