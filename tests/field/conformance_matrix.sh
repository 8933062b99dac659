#!/usr/bin/env bash
# The conformance matrix (tests/conformance/libraries.sh) through a real pipeline: every
# library's app exports over OTLP/HTTP into the OpenTelemetry Collector (the plain passthrough
# pipeline: OTLP receiver, batch, OTLP exporter), which sends to Jaeger v2; `check --service`
# reads them back through `jaeger://` (API v3). Each library must give exactly the findings of
# its expected.txt, the ones it gives direct into agentstorm's sink: nothing the Collector or
# Jaeger's storage does to the traces is taken for, or hides, an instrumentation's defect.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_jaeger
start_otelcol passthrough.yaml
MATRIX_OTLP_HTTP=http://$otelcol_http MATRIX_BACKEND=jaeger://$jaeger_query MATRIX_SETTLE=2 \
  bash "$here/../conformance/libraries.sh"
