#!/usr/bin/env bash
# The README's examples against a real OpenTelemetry Collector (marked `<!-- example field CONFIG
# PORT=NAME... -->`): each collector of tests/field/otelcol/ they name is started, with Jaeger
# behind it, and its examples run with the README's ports replaced by the collector's
# (tests/e2e/lib/readme_examples.py), so these outputs cannot drift either.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
source_dir=${AGENTSTORM_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
configs=$(sed -n 's/^<!-- example.* field \([^ ]*\) .*-->$/\1/p' "$source_dir/README.md" | sort -u)
[[ -n $configs ]] || fail "no README example is marked for the field: the markers are gone"
start_jaeger
for config in $configs; do
  start_otelcol "$config"
  python3 "$here/../e2e/lib/readme_examples.py" "$source_dir/README.md" "$bin" "$source_dir" \
    --field "$config" "grpc=${otelcol_grpc#*:}" "http=${otelcol_http#*:}" \
    "metrics=${otelcol_metrics#*:}" || fail "README examples with $config differ (above)"
  stop_otelcol
done
echo PASS
