#!/usr/bin/env bash
# agentstorm sink as a user runs it: start on free ports, export an OTLP/JSON trace with curl,
# read it back through the Jaeger API v3 endpoint, stop with SIGTERM (exit 0, capture closed).
# Also: a bad fault spec exits 2, a busy port exits 3, a --prefault beyond the machine's memory
# exits 2.
set -euo pipefail
bin=${AGENTSTORM:?AGENTSTORM must name the agentstorm binary}
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

dir=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n $pid ]]; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- sink stdout"; cat "$dir/out" || true; echo "--- sink stderr"; cat "$dir/err" || true; exit 1; }

"$bin" sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 --capture "$dir/capture.bin" \
  --prefault 64MiB >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do
  grep -q '^query API' "$dir/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "sink exited early"
  sleep 0.1
done
http=$(sed -n 's/^OTLP\/HTTP  listening on \([^ ]*\).*/\1/p' "$dir/out")
query=$(sed -n 's/^query API  listening on \([^ ]*\).*/\1/p' "$dir/out")
[[ -n $http && -n $query ]] || fail "listening addresses not printed"

trace_id=5b8efff798038103d269b633813fc60c
cat >"$dir/trace.json" <<JSON
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"e2e-agent"}}]},
 "scopeSpans":[{"scope":{"name":"e2e"},"spans":[
  {"traceId":"${trace_id^^}","spanId":"eee19b7ec3c1b174","name":"invoke_agent e2e","kind":2,
   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000",
   "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"42"}}]},
  {"traceId":"$trace_id","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"chat","kind":3,
   "startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000900000000"}]}]}]}
JSON
code=$(curl -s -o "$dir/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$dir/trace.json" "http://$http/v1/traces")
[[ $code == 200 ]] || fail "export answered $code: $(cat "$dir/resp")"

code=$(curl -s -o "$dir/got.json" -w '%{http_code}' "http://$query/api/v3/traces/$trace_id")
[[ $code == 200 ]] || fail "GET trace answered $code"
for want in '"spanId":"eee19b7ec3c1b174"' '"parentSpanId":"eee19b7ec3c1b174"' '"intValue":"42"' \
            '"stringValue":"e2e-agent"'; do
  grep -qF "$want" "$dir/got.json" || fail "trace lacks $want: $(cat "$dir/got.json")"
done
curl -s "http://$query/api/v3/services" | grep -qF '"e2e-agent"' || fail "service not listed"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$query/api/v3/traces/00000000000000000000000000000abc")
[[ $code == 404 ]] || fail "unknown trace answered $code"

# A second sink on the same HTTP port cannot bind: exit 3.
set +e
"$bin" sink --quiet --grpc 127.0.0.1:0 --http "$http" --query 127.0.0.1:0 >/dev/null 2>"$dir/busy.err"
busy=$?
"$bin" sink --quiet --fault explode=1 >/dev/null 2>"$dir/bad.err"
bad=$?
"$bin" sink --quiet --grpc 127.0.0.1:0 --http "" --query "" --prefault 64TiB >/dev/null 2>"$dir/big.err"
big=$?
set -e
[[ $big == 2 ]] || fail "--prefault 64TiB exited $big, want 2: $(cat "$dir/big.err")"
grep -q -- '--prefault' "$dir/big.err" || fail "--prefault message does not name the flag: $(cat "$dir/big.err")"
[[ $busy == 3 ]] || fail "busy port exited $busy, want 3: $(cat "$dir/busy.err")"
[[ $bad == 2 ]] || fail "bad --fault exited $bad, want 2"
grep -q 'explode' "$dir/bad.err" || fail "bad --fault message does not name the fault"

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=""
[[ $rc == 0 ]] || fail "SIGTERM exit code $rc, want 0"
grep -q 'stored 2 spans' "$dir/out" || fail "summary missing"
[[ -s $dir/capture.bin ]] || fail "capture is empty"
echo "PASS"
