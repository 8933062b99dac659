#!/usr/bin/env bash
# agentstorm generate as a user runs it, against `agentstorm sink` on free ports:
# gRPC and HTTP runs whose summary books match what the sink stored, a ledger, shards whose union
# is the unsharded run (same trace IDs), SIGINT mid-run (flush, summary, exit 0), an endpoint that
# is down (exit 3) and a bad --rate (exit 2).
set -euo pipefail
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

source "$(dirname "$0")/lib/cli_harness.bash"
gen_pid=""
trap '[[ -n $gen_pid ]] && kill -9 "$gen_pid" 2>/dev/null; cleanup' EXIT

start_sink
grpc=$sink_grpc http=$sink_http query=$sink_query

stored_spans() {
  curl -s "http://$query/metrics" | awk '/^agentstorm_sink_store_spans /{print $2}'
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# 1. gRPC over 3 connections, with a ledger: every span acknowledged, and the sink stored
# exactly those.
"$bin" generate smoke --endpoint "http://$grpc" --rate 200/s --duration 2s --seed 7 --connections 3 \
  --ledger "$dir/grpc.ledger" --summary-json "$dir/grpc.json" --quiet >"$dir/grpc.out" 2>"$dir/grpc.err" ||
  fail "grpc run exited $?"
[[ $(json "$dir/grpc.json" "d['accounting_adds_up']") == True ]] || fail "grpc books do not balance"
[[ $(json "$dir/grpc.json" "d['traces']['scheduled']") == 400 ]] || fail "grpc run did not schedule 400 traces"
ack=$(json "$dir/grpc.json" "d['endpoints'][0]['spans']['acknowledged']")
[[ $ack == $(json "$dir/grpc.json" "d['spans']['scheduled']") ]] || fail "not every span acknowledged"
[[ $(stored_spans) == "$ack" ]] || fail "sink stored $(stored_spans) spans, generator acknowledged $ack"
grep -q "acknowledged" "$dir/grpc.out" || fail "no text summary"
grep -q "3 connections" "$dir/grpc.out" || fail "summary does not say 3 connections: $(cat "$dir/grpc.out")"

# 2. OTLP/HTTP protobuf to the same sink.
before=$(stored_spans)
"$bin" generate smoke --endpoint "http://$http" --protocol http/protobuf --rate 100/s --traces 50 --seed 8 \
  --summary-json "$dir/http.json" --quiet >"$dir/http.out" 2>"$dir/http.err" || fail "http run exited $?"
ack=$(json "$dir/http.json" "d['endpoints'][0]['spans']['acknowledged']")
[[ $((before + ack)) == $(stored_spans) ]] || fail "http: sink stored $(( $(stored_spans) - before )), acknowledged $ack"

# 3. Shards: the union of 3 shard ledgers has exactly the unsharded run's trace IDs.
"$bin" generate smoke --endpoint "http://$grpc" --rate 1000/s --traces 90 --seed 11 --run-id shards-e2e \
  --ledger "$dir/full.ledger" --quiet >"$dir/full.out" 2>"$dir/full.err" || fail "unsharded run exited $?"
# A shard without --run-id would get IDs no other shard shares: refused before sending.
set +e
"$bin" generate smoke --endpoint "http://$grpc" --traces 90 --shard 1/3 --quiet >"$dir/norun.out" 2>"$dir/norun.err"
code=$?
set -e
[[ $code == 2 ]] || fail "a shard without --run-id exited $code, not 2"
grep -q -- "--run-id" "$dir/norun.err" || fail "no --run-id hint: $(cat "$dir/norun.err")"
for i in 0 1 2; do
  "$bin" generate smoke --endpoint "http://$grpc" --rate 1000/s --traces 90 --seed 11 --run-id shards-e2e --shard "$i/3" \
    --ledger "$dir/shard$i.ledger" --quiet >"$dir/shard$i.out" 2>"$dir/shard$i.err" || fail "shard $i exited $?"
done
PYTHONPATH="$(dirname "$0")/lib" python3 - "$dir" <<'PY' || fail "shard union differs from the unsharded run"
import sys
from ledger_ids import ledger_ids as ids
d = sys.argv[1]
_, full = ids(f"{d}/full.ledger")
union = {}
for i in range(3):
    shard, part = ids(f"{d}/shard{i}.ledger")
    assert shard == (i, 3), shard
    assert all(k % 3 == i for k in part), f"shard {i} has foreign indices"
    assert not set(part) & set(union)
    union.update(part)
assert len(full) == 90, len(full)
assert union == full, "trace IDs differ"
PY

# 4. SIGINT mid-run: stops scheduling, flushes, writes the summary, exits 0.
"$bin" generate smoke --endpoint "http://$grpc" --rate 100/s --duration 60s \
  --summary-json "$dir/int.json" --quiet >"$dir/int.out" 2>"$dir/int.err" &
gen_pid=$!
sleep 1.5
kill -INT "$gen_pid"
start=$(date +%s)
wait "$gen_pid" || fail "interrupted run exited $?"
gen_pid=""
(( $(date +%s) - start < 10 )) || fail "interrupted run took too long to stop"
[[ $(json "$dir/int.json" "d['interrupted']") == True ]] || fail "summary does not say interrupted"
[[ $(json "$dir/int.json" "d['accounting_adds_up']") == True ]] || fail "interrupted books do not balance"
(( $(json "$dir/int.json" "d['traces']['scheduled']") < 1000 )) || fail "interrupted run scheduled the whole minute"

# 5. Nothing listening: exit 3 with a clear message.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
set +e
"$bin" generate smoke --endpoint "http://127.0.0.1:$port" --rate 20/s --traces 5 --quiet \
  >"$dir/down.out" 2>"$dir/down.err"
code=$?
set -e
[[ $code == 3 ]] || fail "endpoint down exited $code, want 3"
grep -q "could not be reached" "$dir/down.err" || fail "no clear message for an unreachable endpoint"

# 6. A bad --rate is a usage error.
set +e
"$bin" generate smoke --endpoint "http://$grpc" --rate fast --duration 1s >"$dir/bad.out" 2>"$dir/bad.err"
code=$?
set -e
[[ $code == 2 ]] || fail "bad --rate exited $code, want 2"
grep -q -- "--rate" "$dir/bad.err" || fail "bad --rate message does not name the flag"
echo "PASS"
