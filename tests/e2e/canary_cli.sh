#!/usr/bin/env bash
# `agentstorm canary` as a user runs it: a steady rate into a sink, a sample read back and
# checked round after round, the totals on /metrics while it runs; a sink dropping traces shows
# as missing traces and violation findings (exit 1), a clean one passes (exit 0) and stops on
# SIGINT with its totals; bad flags are exit 2 before anything is sent, an unreachable backend
# exit 3.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

metrics_port() {  # FILE: the port the canary printed, waiting for it (bounded)
  for _ in $(seq 100); do
    port=$(sed -n 's|^canary metrics: http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$1")
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  return 1
}

# 1. A sink that drops a fifth of the traces: missing traces, violations, exit 1.
start_sink --fault drop-traces=0.2 --fault-seed 3
"$bin" canary research-fanout --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query" \
  --rate 40/s --duration 6s --sample-every 50ms --check-every 2s --give-up 3s --listen 127.0.0.1:0 \
  --log-every 1s --quiet >"$dir/drop.out" 2>"$dir/drop.err" &
pid=$!
port=$(metrics_port "$dir/drop.out") || fail "the canary printed no metrics address"
sleep 4
curl -fsS "http://127.0.0.1:$port/metrics" >"$dir/mid.metrics" || fail "no /metrics while it runs"
[[ $(curl -fsS "http://127.0.0.1:$port/healthz") == ok ]] || fail "/healthz"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing") == 404 ]] || fail "an unknown path is not 404"
[[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics") == 405 ]] || fail "POST is not 405"
code=0
wait "$pid" || code=$?
[[ $code == 1 ]] || fail "a canary against a dropping sink exited $code, want 1"
written=$(sed -n 's/^agentstorm_canary_traces_written_total \([0-9]*\)$/\1/p' "$dir/mid.metrics")
((written > 0)) || fail "no traces written in the mid-run metrics"
grep -q '^# TYPE agentstorm_canary_time_until_queryable_seconds histogram$' "$dir/mid.metrics" || fail "no histogram"
grep -q '^agentstorm_canary_resident_memory_bytes [1-9]' "$dir/mid.metrics" || fail "no RSS gauge"
grep -q '^canary: round [0-9]*: ' "$dir/drop.err" || fail "no log line while it ran"
# Every series the bundled canary alerts (scenarios/alerts/canary.rules.yml) read is served.
rules=${AGENTSTORM_SOURCE_DIR:?}/scenarios/alerts/canary.rules.yml
for metric in $(grep -o 'agentstorm_canary_[a-z_]*' "$rules" | sort -u); do
  grep -Eq "^($metric[{ ]|# TYPE $metric )" "$dir/mid.metrics" ||
    fail "the alert rules read $metric, which /metrics does not serve"
done
final=$(grep '^canary: round' "$dir/drop.out" | tail -1)
[[ $final =~ ([0-9]+)\ checked:\ ([0-9]+)\ found,\ ([0-9]+)\ incomplete,\ ([0-9]+)\ missing ]] || fail "final line: $final"
checked=${BASH_REMATCH[1]} found=${BASH_REMATCH[2]} missing=${BASH_REMATCH[4]}
((checked >= 20)) || fail "only $checked traces checked: $final"
((missing > 0)) || fail "no missing trace against a sink dropping 20%: $final"
((found + missing == checked)) || fail "found + missing != checked: $final"
[[ $final == *"violation finding"* && $final != *"; 0 violation findings"* ]] || fail "no violations: $final"

# 2. A clean sink, no --duration: runs until SIGINT, then its totals and exit 0.
kill -9 "$sink_pid"
start_sink
"$bin" canary smoke --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query" \
  --rate 30/s --sample-every 100ms --check-every 1s --give-up 3s --listen 127.0.0.1:0 --quiet \
  >"$dir/clean.out" 2>"$dir/clean.err" &
pid=$!
port=$(metrics_port "$dir/clean.out") || fail "the clean canary printed no metrics address"
for _ in $(seq 100); do
  rounds=$(curl -fsS "http://127.0.0.1:$port/metrics" | sed -n 's/^agentstorm_canary_rounds_total \([0-9]*\)$/\1/p')
  ((${rounds:-0} >= 2)) && break
  sleep 0.2
done
((${rounds:-0} >= 2)) || fail "fewer than 2 rounds in 20 s"
kill -INT "$pid"
code=0
wait "$pid" || code=$?
[[ $code == 0 ]] || fail "a clean canary stopped by SIGINT exited $code"
final=$(grep '^canary: round' "$dir/clean.out" | tail -1)
[[ $final == *" 0 incomplete, 0 missing, 0 unreadable; 0 violation findings"* ]] || fail "clean final line: $final"

# --fail-on: the same clean traces fail at a lower level (semconv's information findings), and
# the output says why.
code=0
"$bin" canary smoke --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query" \
  --rate 30/s --duration 3s --sample-every 100ms --check-every 1s --give-up 3s --listen 127.0.0.1:0 \
  --quiet --fail-on information >"$dir/failon.out" 2>"$dir/failon.err" || code=$?
[[ $code == 1 ]] || fail "a clean canary with --fail-on information exited $code, want 1"
grep -Eq '^canary: fails: [1-9][0-9]* finding\(s\) at or above information \(--fail-on information\)$' \
  "$dir/failon.out" || fail "--fail-on information: no line saying why it fails"

# 3. Mistakes: exit 2 before anything is sent; an unreachable backend exit 3.
run failon 2 canary smoke --rate 5/s --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query" --fail-on warning
grep -q -- '--fail-on: "warning" is not a finding level' "$dir/failon.err" || fail "--fail-on warning: no message"
run norate 2 canary smoke --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query"
grep -q 'give --rate' "$dir/norate.err" || fail "no --rate: no hint"
run traces 2 canary smoke --rate 5/s --traces 10 --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query"
run file 2 canary smoke --rate 5/s --endpoint "http://$sink_grpc" --backend "file:$dir/x.jsonl"
run giveup 2 canary smoke --rate 5/s --endpoint "http://$sink_grpc" --backend "jaeger://$sink_query" --give-up 0s
grep -q -- '--give-up 0s: must be more than zero' "$dir/giveup.err" || fail "--give-up 0s: no message"
run nobackend 2 canary smoke --rate 5/s --endpoint "http://$sink_grpc"
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run unreachable 3 canary smoke --rate 5/s --endpoint "http://$sink_grpc" --backend "jaeger://127.0.0.1:$closed" --give-up 5s
grep -q "backend jaeger://127.0.0.1:$closed" "$dir/unreachable.err" || fail "the unreachable backend is not named"
echo "PASS"
