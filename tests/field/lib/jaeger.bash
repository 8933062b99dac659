# Sourced by the field tests (after tests/e2e/lib/cli_harness.bash): a real Jaeger v2 built by
# ci/field-build, started on free 127.0.0.1 ports with tests/field/jaeger/config.yaml.
#   start_jaeger   sets jaeger_pid, jaeger_otlp_grpc, jaeger_otlp_http, jaeger_query (HOST:PORT of
#                  the HTTP query API); killed by PID on exit. Exit 77 (skip) when it cannot be
#                  built here (no Go or no module proxy), with the reason.
field_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jaeger_pid=""
trap 'stop_jaeger; cleanup' EXIT

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

start_jaeger() {
  local jaeger code=0
  jaeger=$("$field_dir/../../ci/field-build" --path 2>"$dir/field-build.err") || code=$?
  if ((code == 77)); then
    echo "SKIP: the Jaeger test peer cannot be built here: $(cat "$dir/field-build.err")"
    exit 77
  fi
  ((code == 0)) || fail "ci/field-build failed: $(cat "$dir/field-build.err")"
  local ports
  mapfile -t ports < <(free_ports 4)
  JAEGER_OTLP_GRPC=${ports[0]} JAEGER_OTLP_HTTP=${ports[1]} JAEGER_QUERY_HTTP=${ports[2]} \
    JAEGER_QUERY_GRPC=${ports[3]} \
    "$jaeger" --config "$field_dir/jaeger/config.yaml" >"$dir/jaeger.log" 2>&1 &
  jaeger_pid=$!
  disown "$jaeger_pid" 2>/dev/null || true
  jaeger_otlp_grpc=127.0.0.1:${ports[0]}
  jaeger_otlp_http=127.0.0.1:${ports[1]}
  jaeger_query=127.0.0.1:${ports[2]}
  # Ready when the query API answers and the OTLP receiver accepts connections (60 s at most).
  for _ in $(seq 600); do
    kill -0 "$jaeger_pid" 2>/dev/null || fail "jaeger exited early: $(tail -20 "$dir/jaeger.log")"
    if curl -fsS "http://$jaeger_query/api/services" >/dev/null 2>&1 &&
      (exec 3<>"/dev/tcp/127.0.0.1/${ports[0]}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  fail "jaeger did not answer on $jaeger_query within 60 s: $(tail -20 "$dir/jaeger.log")"
}

stop_jaeger() {
  [[ -n $jaeger_pid ]] && kill "$jaeger_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$jaeger_pid" 2>/dev/null || break; sleep 0.1; done
  [[ -n $jaeger_pid ]] && kill -9 "$jaeger_pid" 2>/dev/null
  jaeger_pid=""
}
