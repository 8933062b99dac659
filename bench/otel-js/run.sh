#!/usr/bin/env bash
# Runs the otel-js peer of `agentstorm bench --peer otel-js`: installs the pinned OpenTelemetry JS
# packages of this folder from the npm registry into DIR (npm ci, cached by the lock's hash), then
# runs generate.js against ENDPOINT for SECONDS.
# usage: run.sh DIR HOST:PORT SECONDS    exit 77 when node/npm or the registry are unavailable.
set -uo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
dir=$1 endpoint=$2 seconds=$3
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "otel-js peer: node and npm are needed" >&2
  exit 77
fi
mkdir -p "$dir"
cp "$src/package.json" "$src/package-lock.json" "$src/generate.js" "$dir/"
stamp="$dir/node_modules/.agentstorm-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  ok=0
  for attempt in 1 2 3; do
    if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1); then
      ok=1
      break
    fi
    echo "otel-js peer: npm ci attempt $attempt failed:" >&2
    tail -5 "$dir/npm-ci.log" >&2
    sleep $((attempt * 2))
  done
  [[ $ok == 1 ]] || { echo "otel-js peer: cannot install from the npm registry" >&2; exit 77; }
  echo "$want" >"$stamp"
fi
cd "$dir" && exec node generate.js "$endpoint" "$seconds"
