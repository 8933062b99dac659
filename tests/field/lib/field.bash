# Sourced by the field tests (after tests/e2e/lib/cli_harness.bash): the real peers built by
# ci/field-build, each started on free 127.0.0.1 ports and stopped by PID on exit.
#   start_jaeger          Jaeger v2 with tests/field/jaeger/config.yaml; sets jaeger_pid,
#                         jaeger_otlp_grpc, jaeger_otlp_http, jaeger_query (HOST:PORT of the HTTP
#                         query API)
#   start_otelcol CONFIG  the OpenTelemetry Collector of tests/field/otelcol/ with CONFIG (a file
#                         under tests/field/otelcol/); the environment gives it OTELCOL_GRPC,
#                         OTELCOL_GRPC2, OTELCOL_HTTP, OTELCOL_METRICS (free ports), JAEGER_OTLP
#                         (HOST:PORT of Jaeger's OTLP/gRPC receiver, when it runs) and OTELCOL_DIR (the scratch directory). Sets
#                         otelcol_pid, otelcol_grpc, otelcol_grpc2, otelcol_http, otelcol_metrics.
#   stop_otelcol          stops it (SIGTERM first: the collector flushes its exporters)
#   metric [--micro] NAME [L=V]...  a metric of the running collector's own telemetry, summed
# Exit 77 (skip) when a peer cannot be built here (no Go or no module proxy), with the reason.
field_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jaeger_pid=""
otelcol_pid=""
trap 'stop_otelcol; stop_jaeger; cleanup' EXIT

# The findings of a report.json, "id level count" per line, sorted; `check.spans_of_another_run`
# is left out (it names an earlier run, which only a test of a second run expects).
findings() {  # REPORT_JSON
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in sorted(r["findings"], key=lambda f: f["id"]):
    if f["id"] != "check.spans_of_another_run":
        print(f["id"], f["level"], f["count"])
PY
}

# Fails unless two reports have the same findings, ID by ID and count by count.
same_findings() {  # NAME REFERENCE_REPORT_DIR REPORT_DIR
  findings "$2/report.json" >"$dir/$1.reference.txt"
  findings "$3/report.json" >"$dir/$1.field.txt"
  diff "$dir/$1.reference.txt" "$dir/$1.field.txt" >"$dir/$1.diff" ||
    fail "$1: the findings differ between the embedded sink (<) and the field (>):
$(cat "$dir/$1.diff")"
}

# The same run against the embedded sink, the reference: its report in $dir/sink-NAME, its exit
# code (0 or 1; anything else fails the test) in ref_code.
sink_reference() {  # NAME ARGS...
  local name=$1
  shift
  ref_code=0
  timeout 300 "$bin" run "$@" --report "$dir/sink-$name" >"$dir/sink-$name.out" \
    2>"$dir/sink-$name.err" || ref_code=$?
  ((ref_code <= 1)) || fail "$name: the run against the embedded sink exited $ref_code"
}

# The sum of a metric of the running collector's own telemetry over its label sets (or those
# matching LABEL=VALUE), as an integer; with --micro, in millionths (for a sum of seconds).
metric() {  # [--micro] NAME [LABEL=VALUE]...
  curl -fsS "http://$otelcol_metrics/metrics" | python3 -c '
import sys
args = sys.argv[1:]
scale = 1e6 if args[0] == "--micro" else 1
args = args[1:] if scale != 1 else args
name, want = args[0], dict(a.split("=", 1) for a in args[1:])
total = 0.0
for line in sys.stdin:
    if line.startswith("#") or not line.strip():
        continue
    head, value = line.rsplit(" ", 1)
    metric, _, labels = head.partition("{")
    pairs = dict(p.split("=", 1) for p in labels.rstrip("}").split(",") if "=" in p)
    pairs = {k: v.strip("\"") for k, v in pairs.items()}
    if metric == name and all(pairs.get(k) == v for k, v in want.items()):
        total += float(value)
print(int(total * scale))' "$@"
}

free_ports() {  # N free TCP ports on 127.0.0.1, one per line
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
}

peer_binary() {  # PEER: prints the path of its binary, built by ci/field-build if missing
  local path code=0
  path=$("$field_dir/../../ci/field-build" --path "$1" 2>"$dir/field-build-$1.err") || code=$?
  if ((code == 77)); then
    echo "SKIP: the $1 test peer cannot be built here: $(cat "$dir/field-build-$1.err")" >&2
    exit 77
  fi
  ((code == 0)) || fail "ci/field-build failed for $1: $(cat "$dir/field-build-$1.err")" >&2
  echo "$path"
}

stop_pid() {  # PID: SIGTERM, then SIGKILL after 5 s
  [[ -n $1 ]] || return 0
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

accepts() {  # PORT: true when 127.0.0.1:PORT accepts a connection
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits (60 s at most) until URL answers and 127.0.0.1:PORT accepts connections; fails with the
# tail of $dir/NAME.log when the process exits first or the time runs out.
wait_ready() {  # NAME PID URL PORT
  for _ in $(seq 600); do
    kill -0 "$2" 2>/dev/null || fail "$1 exited early: $(tail -20 "$dir/$1.log")"
    if curl -fsS "$3" >/dev/null 2>&1 && accepts "$4"; then return 0; fi
    sleep 0.1
  done
  fail "$1 did not answer on $3 within 60 s: $(tail -20 "$dir/$1.log")"
}

start_jaeger() {
  local jaeger ports
  jaeger=$(peer_binary jaeger) || exit $?
  mapfile -t ports < <(free_ports 4)
  JAEGER_OTLP_GRPC=${ports[0]} JAEGER_OTLP_HTTP=${ports[1]} JAEGER_QUERY_HTTP=${ports[2]} \
    JAEGER_QUERY_GRPC=${ports[3]} \
    "$jaeger" --config "$field_dir/jaeger/config.yaml" >"$dir/jaeger.log" 2>&1 &
  jaeger_pid=$!
  disown "$jaeger_pid" 2>/dev/null || true
  jaeger_otlp_grpc=127.0.0.1:${ports[0]}
  jaeger_otlp_http=127.0.0.1:${ports[1]}
  jaeger_query=127.0.0.1:${ports[2]}
  # Ready when the query API answers and the OTLP receiver accepts connections.
  wait_ready jaeger "$jaeger_pid" "http://$jaeger_query/api/services" "${ports[0]}"
}

stop_jaeger() {
  stop_pid "$jaeger_pid"
  jaeger_pid=""
}

start_otelcol() {  # CONFIG
  local otelcol ports
  otelcol=$(peer_binary otelcol) || exit $?
  mapfile -t ports < <(free_ports 4)
  OTELCOL_GRPC=${ports[0]} OTELCOL_GRPC2=${ports[1]} OTELCOL_HTTP=${ports[2]} \
    OTELCOL_METRICS=${ports[3]} OTELCOL_DIR=$dir JAEGER_OTLP=${jaeger_otlp_grpc:-} \
    "$otelcol" --config "$field_dir/otelcol/$1" >"$dir/otelcol.log" 2>&1 &
  otelcol_pid=$!
  disown "$otelcol_pid" 2>/dev/null || true
  otelcol_grpc=127.0.0.1:${ports[0]}
  otelcol_grpc2=127.0.0.1:${ports[1]}
  otelcol_http=127.0.0.1:${ports[2]}
  otelcol_metrics=127.0.0.1:${ports[3]}
  # Ready when its own metrics answer and the OTLP/gRPC receiver accepts connections.
  wait_ready otelcol "$otelcol_pid" "http://$otelcol_metrics/metrics" "${ports[0]}"
}

stop_otelcol() {
  stop_pid "$otelcol_pid"
  otelcol_pid=""
}
