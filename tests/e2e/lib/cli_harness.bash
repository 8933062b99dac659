# Sourced by the e2e scripts that drive the agentstorm binary (not a test itself: ctest runs
# tests/e2e/*.sh only). Sets `bin` and a scratch `dir` removed on exit, and defines:
#   fail MESSAGE                  prints MESSAGE and the tail of every output kept in $dir, exits 1
#   run NAME EXPECTED_CODE ARGS   runs agentstorm ARGS into $dir/NAME.{out,err}, checks its exit code
#                                 (killed after $run_timeout seconds, default 300: exit 124)
#   start_sink [SINK ARGS]        starts `agentstorm sink` on free loopback ports; sets sink_pid,
#                                 sink_grpc, sink_http, sink_query (HOST:PORT); killed on exit
bin=${AGENTSTORM:?AGENTSTORM must name the agentstorm binary}

dir=$(mktemp -d)
sink_pid=""
cleanup() {
  [[ -n $sink_pid ]] && kill -9 "$sink_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.out "$dir"/*.err; do [[ -f $f ]] && { echo "--- $f"; tail -40 "$f"; }; done
  exit 1
}
run() {
  local name=$1 want=$2
  shift 2
  local code=0
  timeout -k 5 "${run_timeout:-300}" "$bin" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || code=$?
  [[ $code == "$want" ]] || fail "$name: exit $code, want $want ($*)"
}
start_sink() {
  "$bin" sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 "$@" \
    >"$dir/sink.out" 2>"$dir/sink.err" &
  sink_pid=$!
  disown "$sink_pid" 2>/dev/null || true  # no "Killed" line when cleanup stops it
  for _ in $(seq 100); do
    grep -q '^query API' "$dir/sink.out" 2>/dev/null && break
    kill -0 "$sink_pid" 2>/dev/null || fail "sink exited early"
    sleep 0.1
  done
  sink_grpc=$(sed -n 's/^OTLP\/gRPC  listening on \([^ ]*\).*/\1/p' "$dir/sink.out")
  sink_http=$(sed -n 's/^OTLP\/HTTP  listening on \([^ ]*\).*/\1/p' "$dir/sink.out")
  sink_query=$(sed -n 's/^query API  listening on \([^ ]*\).*/\1/p' "$dir/sink.out")
  [[ -n $sink_grpc && -n $sink_http && -n $sink_query ]] || fail "sink addresses not printed"
}
