# Sourced by tests/e2e/alerts_live_*.sh: a real alerting stack on loopback for one test script.
#   alerts_stack_start   starts `agentstorm sink`, Prometheus (scraping the sink's /metrics every
#                        1s, evaluating the bundled rules rendered with short windows every 1s) and
#                        Alertmanager (a null receiver, group_wait 1s), each on free ports with its
#                        own temp dir, and waits until all three are ready. Sets: $dir, $otlp
#                        (the sink's OTLP/gRPC address), $query (its query API, which serves
#                        /metrics), $prom and $am (HOST:PORT of Prometheus and Alertmanager).
#   run_expect NAME CODE ARGS...   runs agentstorm, output in $dir/NAME.{out,err}; fails unless the
#                        exit code is CODE.
#   has_alert URL NAME [LABEL=VALUE...]   succeeds when the alerts JSON at URL (Prometheus
#                        /api/v1/alerts or Alertmanager /api/v2/alerts) holds a NAME alert with
#                        those labels (and, from Prometheus, in state firing).
#   fail MESSAGE         prints the diagnostics (server logs, Prometheus /api/v1/alerts and
#                        /api/v1/rules, Alertmanager /api/v2/alerts, every agentstorm output) and
#                        exits 1.
# Every process it starts is killed on exit (trap), whatever happens.
# Needs: AGENTSTORM, AGENTSTORM_SOURCE_DIR; exits 77 when prometheus or Alertmanager is missing.

bin=${AGENTSTORM:?AGENTSTORM must name the agentstorm binary}
src=${AGENTSTORM_SOURCE_DIR:?AGENTSTORM_SOURCE_DIR must name the source tree}
prometheus_bin=$(command -v prometheus || true)
alertmanager_bin=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [[ -z $prometheus_bin || -z $alertmanager_bin ]]; then
  echo "SKIP: prometheus and prometheus-alertmanager must be installed (ci/setup installs them)"
  exit 77
fi
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

dir=$(mktemp -d)
stack_pids=()
alerts_stack_stop() {
  local pid
  for pid in "${stack_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${stack_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap alerts_stack_stop EXIT
trap 'exit 1' INT TERM HUP  # so that a timeout or ^C still runs the EXIT trap

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fail() {
  echo "FAIL: $*"
  if [[ -n ${prom:-} ]]; then
    echo "--- Prometheus /api/v1/alerts"; curl -s "http://$prom/api/v1/alerts" || true; echo
    echo "--- Prometheus /api/v1/rules"; curl -s "http://$prom/api/v1/rules" || true; echo
  fi
  if [[ -n ${am:-} ]]; then
    echo "--- Alertmanager /api/v2/alerts"; curl -s "http://$am/api/v2/alerts" || true; echo
  fi
  if [[ -n ${query:-} ]]; then
    echo "--- sink /metrics (agentstorm_gen_ai_*)"
    curl -s "http://$query/metrics" | grep -E '^agentstorm_gen_ai_(tool_calls_total|agent_iterations_(count|bucket\{[^}]*le="8"))' | head -40 || true
  fi
  local f
  for f in "$dir"/*.out "$dir"/*.err "$dir"/*.log; do
    [[ -s $f ]] && { echo "--- $f"; tail -60 "$f"; }
  done
  exit 1
}

has_alert() {  # has_alert URL NAME [LABEL=VALUE...]
  curl -s "$1" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
alerts = doc["data"]["alerts"] if isinstance(doc, dict) else doc
want = dict(kv.split("=", 1) for kv in sys.argv[2:])
want["alertname"] = sys.argv[1]
for a in alerts:
    if a.get("state", "firing") == "firing" and all(a["labels"].get(k) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)' "${@:2}"
}

run_expect() {  # run_expect NAME CODE ARGS...
  local name=$1 want=$2 code=0
  shift 2
  "$bin" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || code=$?
  [[ $code == "$want" ]] || fail "$name: exit $code, want $want (agentstorm $*)"
}

wait_ready() {  # wait_ready NAME PID URL
  local name=$1 pid=$2 url=$3
  for _ in $(seq 150); do
    curl -sf -o /dev/null "$url" && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited early"
    sleep 0.1
  done
  fail "$name not ready at $url after 15s"
}

alerts_stack_start() {
  "$bin" sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 >"$dir/sink.log" 2>&1 &
  stack_pids+=($!)
  local sink_pid=$!
  for _ in $(seq 100); do
    grep -q '^query API' "$dir/sink.log" 2>/dev/null && break
    kill -0 "$sink_pid" 2>/dev/null || fail "sink exited early"
    sleep 0.1
  done
  otlp=$(sed -n 's/^OTLP\/gRPC  listening on \([^ ]*\).*/\1/p' "$dir/sink.log")
  query=$(sed -n 's/^query API  listening on \([^ ]*\).*/\1/p' "$dir/sink.log")
  [[ -n $otlp && -n $query ]] || fail "the sink did not print its addresses"

  # Short windows: rates over 20s, conditions held 5s; AgentTracesMissing only after 10 minutes of
  # silence, so that it cannot fire because a run has ended.
  "$src/scenarios/alerts/render-rules" --window 20s --for 5s --silence 600 >"$dir/genai.rules.yml"

  am="127.0.0.1:$(free_port)"
  mkdir -p "$dir/am-data"
  cat >"$dir/alertmanager.yml" <<'YAML'
route:
  receiver: "null"
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
YAML
  "$alertmanager_bin" --config.file="$dir/alertmanager.yml" --storage.path="$dir/am-data" \
    --web.listen-address="$am" --cluster.listen-address="" >"$dir/alertmanager.log" 2>&1 &
  stack_pids+=($!)
  local am_pid=$!

  prom="127.0.0.1:$(free_port)"
  mkdir -p "$dir/prom-data"
  cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$dir/genai.rules.yml"]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["$am"]}]
scrape_configs:
  - job_name: agentstorm-sink
    metrics_path: /metrics
    static_configs: [{targets: ["$query"]}]
YAML
  "$prometheus_bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prom-data" \
    --web.listen-address="$prom" >"$dir/prometheus.log" 2>&1 &
  stack_pids+=($!)
  local prom_pid=$!

  wait_ready alertmanager "$am_pid" "http://$am/-/ready"
  wait_ready prometheus "$prom_pid" "http://$prom/-/ready"
  # The rules are loaded and the sink is scraped before any run starts.
  for _ in $(seq 100); do
    curl -s "http://$prom/api/v1/rules" | grep -q '"name":"AgentRunawayLoop"' &&
      curl -s "http://$prom/api/v1/targets" | grep -q '"health":"up"' && return 0
    sleep 0.1
  done
  fail "Prometheus did not load the rules or scrape the sink within 10s"
}
