#!/usr/bin/env bash
# Runs the otel-js peer of `agentstorm bench --peer otel-js`: installs the pinned OpenTelemetry JS
# packages of this folder from the npm registry into DIR (npm ci, cached by the lock's hash), then
# runs generate.js against ENDPOINT for SECONDS.
# usage: run.sh DIR HOST:PORT SECONDS    exit 77 when node/npm or the registry are unavailable.
set -uo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
dir=$1 endpoint=$2 seconds=$3
# Installed: share/agentstorm/bench/npm-ci-cached; in the source tree: ci/npm-ci-cached.
installer="$src/../npm-ci-cached"
[[ -x $installer ]] || installer="$src/../../ci/npm-ci-cached"
"$installer" "$src" "$dir" generate.js || exit 77
cd "$dir" && exec node generate.js "$endpoint" "$seconds"
