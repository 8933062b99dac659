// MakeExporter: the OTLP exporter for ExporterOptions::protocol (gRPC or HTTP).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "export/exporter.h"
#include "export/exporter_options.h"

namespace agentstorm {

// Errors: InvalidArgument when `options` do not validate (ValidateExporterOptions) or a
// certificate file cannot be read. Creating an exporter does not connect; an unreachable
// endpoint shows up as ExportResult::endpoint_unreachable.
absl::StatusOr<std::unique_ptr<Exporter>> MakeExporter(const ExporterOptions& options);

}  // namespace agentstorm
