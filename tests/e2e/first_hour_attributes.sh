#!/usr/bin/env bash
# Resource and span attributes from outside the scenario, as telemetrygen users give them:
# OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, --resource-attr, --span-attr. They reach the
# backend, the ledger records them, and a later `check` of that ledger rebuilds the same traces
# (no fidelity finding); a malformed one is exit 2 naming the variable or flag, nothing sent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

start_sink
OTEL_SERVICE_NAME=checkout OTEL_RESOURCE_ATTRIBUTES="team=blue,k8s.namespace.name=agents%2Cprod" \
  run gen 0 generate smoke --traces 10 --rate max --endpoint "http://$sink_grpc" \
  --resource-attr team=green --span-attr tier=3 --ledger "$dir/run.ledger" --quiet
# The environment is not needed by the check: the ledger carries the attributes.
run check 0 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" \
  --report "$dir/report" --quiet
python3 - "$dir/report/report.json" <<'PY' || fail "check of the ledger"
import json, sys
r = json.load(open(sys.argv[1]))
ids = [f["id"] for f in r["findings"] if f["id"].startswith("fidelity.")]
assert not ids, ids
assert r["readback"]["found"] == 10, r["readback"]
PY
curl -fsS "http://$sink_query/api/v3/services" >"$dir/services.json" || fail "services query"
grep -q '"checkout"' "$dir/services.json" || fail "service.name not renamed: $(cat "$dir/services.json")"
run dry 0 generate smoke --dry-run --traces 1 --resource-attr service.name=dry --span-attr tier=3
python3 - "$dir/dry.out" <<'PY' || fail "dry run attributes"
import json, sys
d = json.loads(open(sys.argv[1]).readline())
rs = d["resourceSpans"][0]
res = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
assert res["service.name"] == {"stringValue": "dry"}, res
for s in rs["scopeSpans"][0]["spans"]:
    attrs = {a["key"]: a["value"] for a in s["attributes"]}
    assert attrs["tier"] == {"intValue": "3"}, attrs
PY

OTEL_RESOURCE_ATTRIBUTES="team" run bad-env 2 generate smoke --traces 1 --endpoint "http://$sink_grpc"
grep -q "OTEL_RESOURCE_ATTRIBUTES: 'team' is not key=value" "$dir/bad-env.err" ||
  fail "bad-env: the variable is not named"
run bad-flag 2 run smoke --traces 1 --span-attr tier
grep -q -- "--span-attr tier: expected KEY=VALUE" "$dir/bad-flag.err" || fail "bad-flag: not named"
echo PASS
