#!/usr/bin/env bash
# The collector's file exporter read back by `check --backend file:`: every bundled scenario is
# sent through a real OpenTelemetry Collector (tests/field/otelcol/file_export.yaml) that writes
# OTLP/JSON lines and length-prefixed protobuf; once it has stopped (and flushed), each run's
# ledger is checked against both files and must give exactly the findings the same run gives
# against the embedded sink. The files hold every run's traces: a check reads only its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_otelcol file_export.yaml

common=(--traces 30 --rate max --seed 9 --quiet)
scenarios=$("$bin" scenarios | awk '{print $1}')
declare -A want
for scenario in $scenarios; do
  sink_reference "$scenario" "$scenario" "${common[@]}" --wait 5s --format json
  want[$scenario]=$ref_code
  run "send-$scenario" 0 generate "$scenario" "${common[@]}" --endpoint "http://$otelcol_grpc" \
    --ledger "$dir/$scenario.ledger"
done
stop_otelcol  # SIGTERM: the file exporters flush and close
for format in json pb; do
  file=$dir/collector-traces.$format
  [[ -s $file ]] || fail "the collector wrote no $file"
  for scenario in $scenarios; do
    run "file-$format-$scenario" "${want[$scenario]}" check --ledger "$dir/$scenario.ledger" \
      --backend "file:$file" --quiet --format json --report "$dir/file-$format-$scenario"
    same_findings "$scenario-$format" "$dir/sink-$scenario" "$dir/file-$format-$scenario"
  done
  echo "ok $format: $(wc -c <"$file") bytes, every scenario as against the sink"
done
echo PASS
