#!/usr/bin/env bash
# The ledger-free check on an app's own traces: a GenAI agent instrumented by hand with the real
# OpenTelemetry JS SDK (tests/field/js-agent/agent.js; the packages pinned in
# tests/interop/otel-js, from the npm registry) exports through a real collector
# (tests/field/otelcol/passthrough.yaml) into Jaeger; `check --service NAME --since 10m` reads it
# back through `jaeger://`. The conformant app passes, every span judged; the one with two
# instrumentation mistakes gets exactly one finding per mistake per span, naming it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"

node_modules=${AGENTSTORM_BUILD_DIR:-$(dirname "$bin")}/interop/otel-js
if ! "$here/../../ci/npm-ci-cached" "$here/../interop/otel-js" "$node_modules" \
  2>"$dir/npm.err"; then
  echo "SKIP: the OpenTelemetry JS SDK cannot be installed here: $(cat "$dir/npm.err")"
  exit 77
fi
start_jaeger
start_otelcol passthrough.yaml

agent() {  # NAME ARGS...
  local name=$1
  shift
  NODE_PATH=$node_modules/node_modules timeout 120 node "$here/js-agent/agent.js" \
    --endpoint "http://$otelcol_grpc" --conversations 6 "$@" >"$dir/$name.out" 2>"$dir/$name.err" ||
    fail "$name: the JS agent could not export: $(cat "$dir/$name.err")"
}
agent good --service js-agent-good
agent broken --service js-agent-broken --defect

check=(check --backend "jaeger://$jaeger_query" --since 10m --wait 10s --format json)
run good 0 "${check[@]}" --service js-agent-good --report "$dir/good"
grep -q "traces: 6 polled, 6 read (24 spans)" "$dir/good.out" ||
  fail "good: not the 6 traces of 4 spans: $(head -5 "$dir/good.out")"
python3 - "$dir/good/report.json" <<'PY' || fail "good: $(cat "$dir/good.out")"
import json, sys
r = json.load(open(sys.argv[1]))
rules = {x["rule"]: x for x in r["rules"]}
assert rules["semconv"]["evaluated"] == 24, rules["semconv"]
assert rules["hierarchy"]["evaluated"] == 6, rules["hierarchy"]
bad = [f["id"] for f in r["findings"] if f["level"] == "violation"]
assert not bad, bad
PY

run broken 1 "${check[@]}" --service js-agent-broken --report "$dir/broken"
python3 - "$dir/broken/report.json" <<'PY' || fail "broken: $(cat "$dir/broken.out")"
import json, sys
r = json.load(open(sys.argv[1]))
violations = {f["id"]: f for f in r["findings"] if f["level"] == "violation"}
want = {"semconv.required_attribute_missing": 12, "semconv.span_kind_mismatch": 12}
got = {k: f["count"] for k, f in violations.items()}
assert got == want, f"got {got}, want {want}"
for e in violations["semconv.required_attribute_missing"]["examples"]:
    assert e["attribute"] == "gen_ai.provider.name" and e["span_name"] == "chat gpt-4o", e
for e in violations["semconv.span_kind_mismatch"]["examples"]:
    assert e["span_name"] == "chat gpt-4o", e
PY
echo PASS
