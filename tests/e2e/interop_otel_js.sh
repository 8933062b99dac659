#!/usr/bin/env bash
# Interop with the real OpenTelemetry JS SDK: installs the pinned packages of
# tests/interop/otel-js from the npm registry (npm ci, cached under the build dir), starts
# `agentstorm sink` on free loopback ports, sends a known span tree through each OTLP trace
# exporter (grpc, http/protobuf, http/json, and http/protobuf with gzip), and verifies every span
# through the sink's Jaeger-API-v3 query endpoint. Exit 0 all matched, 1 a failure, 77 skipped
# (no Node.js, or the npm registry cannot be reached).
set -uo pipefail

: "${AGENTSTORM:?path of the agentstorm binary}"
: "${AGENTSTORM_SOURCE_DIR:?source checkout}"
: "${AGENTSTORM_BUILD_DIR:?build directory}"

src="$AGENTSTORM_SOURCE_DIR/tests/interop/otel-js"
cache="$AGENTSTORM_BUILD_DIR/interop/otel-js"

# ---------------------------------------------------------------- install (cached)
"$AGENTSTORM_SOURCE_DIR/ci/npm-ci-cached" "$src" "$cache" send_and_verify.js
rc=$?
if [[ $rc != 0 ]]; then
  echo "SKIP: could not install the OpenTelemetry JS packages (node, npm or the npm registry missing)" >&2
  exit 77
fi

# ---------------------------------------------------------------- sink on free ports
read -r grpc_port http_port query_port < <(node -e '
  const net = require("net");
  const servers = [0, 1, 2].map(() => net.createServer());
  Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
    .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });')

workdir=$(mktemp -d)
sink_pid=""
cleanup() {
  if [[ -n $sink_pid ]] && kill -0 "$sink_pid" 2>/dev/null; then
    kill -TERM "$sink_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$sink_pid" 2>/dev/null
    wait "$sink_pid" 2>/dev/null
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$AGENTSTORM" sink --grpc "127.0.0.1:$grpc_port" --http "127.0.0.1:$http_port" \
  --query "127.0.0.1:$query_port" >"$workdir/sink.log" 2>&1 &
sink_pid=$!

ready=0
for _ in $(seq 100); do
  if ! kill -0 "$sink_pid" 2>/dev/null; then break; fi
  if curl -fsS "http://127.0.0.1:$query_port/healthz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "FAIL: agentstorm sink did not become ready on 127.0.0.1:$query_port" >&2
  cat "$workdir/sink.log" >&2
  exit 1
fi

# ---------------------------------------------------------------- one run per exporter
failed=0
run() {
  local protocol=$1 port=$2 compression=$3
  if ! node "$cache/send_and_verify.js" --protocol "$protocol" \
      --endpoint "http://127.0.0.1:$port" --query "http://127.0.0.1:$query_port" \
      --compression "$compression"; then
    echo "FAIL: $protocol (compression $compression)" >&2
    failed=1
  fi
}
run grpc "$grpc_port" none
run http/protobuf "$http_port" none
run http/json "$http_port" none
run http/protobuf "$http_port" gzip

if ! kill -0 "$sink_pid" 2>/dev/null; then
  echo "FAIL: agentstorm sink exited during the test" >&2
  failed=1
fi
if [[ $failed != 0 ]]; then
  echo "--- sink log" >&2
  tail -50 "$workdir/sink.log" >&2
  exit 1
fi
echo "interop with OpenTelemetry JS SDK: all exporters verified"
