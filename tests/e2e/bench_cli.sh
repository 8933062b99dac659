#!/usr/bin/env bash
# `agentstorm bench` end to end, kept short: a 1 s run into the child sink must report zero loss
# (sink-counted == acknowledged == scheduled) and the CPU split; --encode must end with the ratio
# line; --check must read back every span and end with the ratio line; a bad --peer is a usage
# error; --endpoint at a closed port is exit 3 naming it.
# Throughput targets live in docs/performance.md, not here.
set -uo pipefail
: "${AGENTSTORM:?path of the agentstorm binary}"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$out" >&2; exit 1; }

"$AGENTSTORM" bench --duration 1s >"$out" 2>&1 || fail "bench exited $?"
grep -q '^  zero loss: yes (stored == acknowledged == scheduled)$' "$out" || fail "no zero-loss line"
grep -Eq '^  delivered [0-9.]+[kM]? spans/s \(counted by the sink\)' "$out" || fail "no delivered rate"
grep -Eq '^  CPU: generator [0-9.]+s \([0-9]+%\), sink [0-9.]+s \([0-9]+%\)' "$out" || fail "no CPU split"
grep -Eq '^  generator RSS \(MiB\): [0-9.]+ [0-9.]+ [0-9.]+' "$out" || fail "no RSS samples"
acked=$(sed -nE 's/^  acknowledged ([0-9]+), stored by the sink ([0-9]+),.*/\1/p' "$out")
stored=$(sed -nE 's/^  acknowledged ([0-9]+), stored by the sink ([0-9]+),.*/\2/p' "$out")
[[ -n $acked && $acked -gt 0 && $acked == "$stored" ]] || fail "acknowledged '$acked' != stored '$stored'"

"$AGENTSTORM" bench --encode --duration 1s >"$out" 2>&1 || fail "bench --encode exited $?"
tail -1 "$out" | grep -Eq '^encode ratio: [0-9]+\.[0-9]x \(templated [0-9]+ spans/s vs libprotobuf [0-9]+ spans/s\)$' ||
  fail "--encode does not end with the ratio line"

# --check: every span sent is read back and checked, and both rates and their ratio printed.
"$AGENTSTORM" bench --check --traces 300 --rounds 1 >"$out" 2>&1 || fail "bench --check exited $?"
grep -Eq '^generate: 300 traces, [0-9]+ spans acknowledged in [0-9.]+s: [0-9.]+[kM]? spans/s' "$out" ||
  fail "--check has no generate line"
sent=$(sed -nE 's/^generate: 300 traces, ([0-9]+) spans acknowledged.*/\1/p' "$out")
grep -Eq "^check: 300 of 300 traces, $sent spans read and checked in [0-9.]+s: [0-9.]+[kM]? spans/s \(jaeger://127.0.0.1:[0-9]+, " "$out" ||
  fail "--check did not read back all $sent spans"
tail -1 "$out" | grep -Eq '^check ratio: [0-9.]+% \(checker [0-9.]+[kM]? spans/s vs generator [0-9.]+[kM]? spans/s, same spans\)$' ||
  fail "--check does not end with the ratio line"
# Rounds (the default is 3): each its own run, every span of each read back; the median last.
"$AGENTSTORM" bench --check --traces 300 --rounds 2 >"$out" 2>&1 || fail "bench --check --rounds 2 exited $?"
for round in 1 2; do
  sent=$(sed -nE "s/^round $round of 2: generate: 300 traces, ([0-9]+) spans acknowledged.*/\\1/p" "$out")
  [[ -n $sent ]] || fail "round $round has no generate line"
  grep -Eq "^round $round of 2: check: 300 of 300 traces, $sent spans read and checked in " "$out" ||
    fail "round $round did not read back all $sent spans"
done
tail -1 "$out" | grep -Eq '^check ratio: [0-9.]+%, the median of 2 rounds \([0-9.]+%, [0-9.]+%; in that round checker [0-9.]+[kM]? spans/s vs generator [0-9.]+[kM]? spans/s, same spans\)$' ||
  fail "--rounds 2 does not end with the median ratio line"
"$AGENTSTORM" bench --check --rounds 0 >"$out" 2>&1
[[ $? == 2 ]] || fail "--rounds 0 is not exit 2"
"$AGENTSTORM" bench --rounds 2 --duration 1s >"$out" 2>&1
[[ $? == 2 ]] || fail "--rounds without --check is not exit 2"
grep -q -- '--rounds applies to --check' "$out" || fail "--rounds without --check: no message"
"$AGENTSTORM" bench --check --peer otel-js >"$out" 2>&1
[[ $? == 2 ]] || fail "--check with --peer is not exit 2"

"$AGENTSTORM" bench --peer nosuchpeer --duration 1s >"$out" 2>&1
[[ $? == 2 ]] || fail "an unknown --peer is not exit 2"

# --endpoint at a port nothing listens on: exit 3 naming the endpoint, not a loss of 100%.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 120 "$AGENTSTORM" bench --duration 1s --rate "100 spans/s" \
  --endpoint "http://127.0.0.1:$closed" >"$out" 2>&1
code=$?
[[ $code == 3 ]] || fail "bench into a closed port exited $code, not 3"
grep -q "endpoint grpc http://127.0.0.1:$closed .* could not be reached\|endpoint grpc http://127.0.0.1:$closed .* accepted no span" "$out" ||
  fail "bench into a closed port does not name the endpoint"
"$AGENTSTORM" bench --pipeline-metrics http://127.0.0.1:1/metrics >"$out" 2>&1
[[ $? == 2 ]] || fail "--pipeline-metrics without --endpoint is not exit 2"
echo "PASS"
