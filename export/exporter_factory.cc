#include "export/exporter_factory.h"

#include "export/otlp_grpc_exporter.h"
#include "export/otlp_http_exporter.h"

namespace agentstorm {

absl::StatusOr<std::unique_ptr<Exporter>> MakeExporter(const ExporterOptions& options) {
  if (options.protocol == OtlpProtocol::kGrpc) {
    auto exporter = OtlpGrpcExporter::Create(options);
    if (!exporter.ok()) return exporter.status();
    return std::unique_ptr<Exporter>(*std::move(exporter));
  }
  auto exporter = OtlpHttpExporter::Create(options);
  if (!exporter.ok()) return exporter.status();
  return std::unique_ptr<Exporter>(*std::move(exporter));
}

}  // namespace agentstorm
