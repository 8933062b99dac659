#!/usr/bin/env bash
# The whole loop against a real Jaeger v2 (tests/field/lib/field.bash): every bundled scenario
# sent to Jaeger's OTLP receiver and checked through `jaeger://` (API v3) must give exactly the
# findings the same run gives against agentstorm's own sink, finding by finding and count by
# count: what a scenario breaks on purpose is still found, and nothing Jaeger's storage does is
# reported as damage. Then the same through `jaeger-legacy://`, over OTLP/HTTP, and a second run
# of one seed into the same Jaeger.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_jaeger

traces=40
common=(--traces "$traces" --rate max --seed 5 --quiet --wait 8s --format json)

for scenario in $("$bin" scenarios | awk '{print $1}'); do
  sink_reference "$scenario" "$scenario" "${common[@]}"
  code=$ref_code
  run "jaeger-$scenario" "$code" run "$scenario" "${common[@]}" \
    --endpoint "http://$jaeger_otlp_grpc" --backend "jaeger://$jaeger_query" \
    --ledger "$dir/jaeger-$scenario.ledger" --report "$dir/jaeger-$scenario"
  same_findings "$scenario" "$dir/sink-$scenario" "$dir/jaeger-$scenario"
  # The legacy API reads the same traces: no scope attributes or schema URLs (not compared),
  # whole microseconds, arrays as JSON strings (mapped back by the reader): the same findings.
  run "legacy-$scenario" "$code" check --ledger "$dir/jaeger-$scenario.ledger" \
    --backend "jaeger-legacy://$jaeger_query" --wait 8s --quiet --report "$dir/legacy-$scenario" \
    --format json
  same_findings "$scenario-legacy" "$dir/sink-$scenario" "$dir/legacy-$scenario"
  echo "ok $scenario (exit $code)"
done

# Jaeger has no bulk read by ID: the check finds a run's traces through Jaeger's search (by root
# service and start window) and reads none of them one by one. research-fanout's 40 traces were
# sent above; its summary says how they were read.
run searched 0 check --ledger "$dir/jaeger-research-fanout.ledger" --backend "jaeger://$jaeger_query" \
  --wait 8s
grep -q "read through the backend's search: $traces traces found by [0-9]* searches, 0 reads by ID" \
  "$dir/searched.out" "$dir/searched.err" ||
  fail "searched: the traces were not all found through Jaeger's search: $(grep -h 'search' "$dir/searched.out" "$dir/searched.err")"

# OTLP/HTTP into Jaeger, and a second run of the same seed into the same Jaeger: still clean.
run http 0 run research-fanout "${common[@]}" --protocol http/protobuf \
  --endpoint "http://$jaeger_otlp_http" --backend "jaeger://$jaeger_query" --report "$dir/http"
run again 0 run research-fanout "${common[@]}" --protocol http/protobuf \
  --endpoint "http://$jaeger_otlp_http" --backend "jaeger://$jaeger_query" --report "$dir/again"
grep -q '"check.spans_of_another_run"' "$dir/again/report.json" &&
  fail "again: a fresh run ID still shares IDs with the first run"
echo PASS
