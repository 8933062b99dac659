#!/usr/bin/env bash
# agentstorm run as a user runs it: the smoke scenario against the embedded sink (exit 0, both
# summaries, GenAI metrics delivered; OTEL_EXPORTER_OTLP_* honoured), broken instrumentation (exit 1,
# failing traces drawn in report.html), --sink-fault (exit 1), an --endpoint that is down
# (exit 3), --endpoint without --backend and an invalid scenario (exit 2, file:line).
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

# 1. The smoke scenario, generated into the embedded sink and checked: exit 0, both summaries.
run smoke 0 run smoke --traces 300 --metrics --quiet --ledger "$dir/smoke.ledger"
grep -q '^== generate ==' "$dir/smoke.out" || fail "smoke: no generate section"
grep -q '^== check ==' "$dir/smoke.out" || fail "smoke: no check section"
(( $(grep -n '^== generate ==' "$dir/smoke.out" | cut -d: -f1) <
   $(grep -n '^== check ==' "$dir/smoke.out" | cut -d: -f1) )) || fail "smoke: summaries out of order"
grep -Eq 'GenAI metrics: [1-9][0-9]* exports, [1-9][0-9]* data points in the last, 0 failed' \
  "$dir/smoke.out" || fail "smoke: GenAI metrics not delivered"
[[ -s $dir/smoke.ledger ]] || fail "smoke: --ledger not written"

# 1b. OTEL_EXPORTER_OTLP_* apply to run: protocol and compression from the environment.
OTEL_EXPORTER_OTLP_PROTOCOL=http/json OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
  run envproto 0 run smoke --traces 30 --metrics --quiet
grep -Eq '^endpoint +http/json http://127\.0\.0\.1:[0-9]+/v1/traces \(gzip' "$dir/envproto.out" ||
  fail "envproto: the OTEL_EXPORTER_OTLP_* protocol/compression were not used"
grep -q ', 0 failed' "$dir/envproto.out" || fail "envproto: metrics over http/json failed"

# 2. Deliberately broken instrumentation: the check finds violations, exit 1; its report.html
#    shows the failing traces as expected vs actual span trees.
run broken 1 run broken-instrumentation --traces 200 --quiet
run brokenreport 1 run "${AGENTSTORM_SOURCE_DIR:-.}/scenarios/broken-instrumentation.yaml" --traces 50 --quiet --report "$dir/report"
grep -q '<section id="traces"><h2>Failing traces: expected vs actual</h2>' "$dir/report/report.html" ||
  fail "brokenreport: report.html has no failing-trace section"
grep -q 'expected (sent)' "$dir/report/report.html" || fail "brokenreport: no expected tree"
grep -q 'actual (read back)' "$dir/report/report.html" || fail "brokenreport: no actual tree"

# 2b. --sink-fault damages what the embedded sink stores: the check catches it, exit 1; a bad
#     spec is a usage error, and so is --sink-fault with --endpoint.
run sinkfault 1 run smoke --traces 200 --sink-fault drop-spans=0.05
grep -q 'faults drop-spans=0.05' "$dir/sinkfault.out" || fail "sinkfault: the faults are not shown"
grep -Eq 'violation +fidelity\.span_missing +[1-9]' "$dir/sinkfault.out" ||
  fail "sinkfault: fidelity.span_missing not reported"
run sinkfaultbad 2 run smoke --traces 20 --sink-fault explode=1
grep -q -- '--sink-fault' "$dir/sinkfaultbad.err" || fail "sinkfaultbad: message does not name --sink-fault"

# 3. An endpoint that is down: exit 3 from the generate part, with a clear message.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run down 3 run smoke --traces 20 --endpoint "http://127.0.0.1:$port" \
  --backend "jaeger://127.0.0.1:$port" --quiet
grep -q 'could not be reached' "$dir/down.err" || fail "down: no clear message"

# 4. --endpoint without --backend: usage error.
run nobackend 2 run smoke --traces 20 --endpoint "http://127.0.0.1:$port"
grep -q -- '--backend' "$dir/nobackend.err" || fail "nobackend: message does not name --backend"

# 5. An invalid scenario: exit 2 with file:line.
printf 'description: broken\nservices: {app: {}}\nagents:\n  a:\n    steps: [{nonsense: 1}]\n' \
  >"$dir/bad.yaml"
run bad 2 run "$dir/bad.yaml"
grep -q "bad.yaml:[0-9]" "$dir/bad.err" || fail "bad: no file:line in the message"

echo "PASS"
