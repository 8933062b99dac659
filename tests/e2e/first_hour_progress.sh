#!/usr/bin/env bash
# What generate tells a newcomer while and after it sends: `--traces N` alone sends them as fast
# as the endpoint takes them (it asked for --rate before); a refused endpoint ends with
# "finished ... acknowledged 0 of N spans", never "done"; `--progress json` gives one JSON object
# per second whose last one is "done" with the books balanced; the summary JSON's timeline carries
# each second's intended rate (a 50/s -> 200/s step, not the average) and no empty last bucket;
# a check waiting on a lossy backend prints how far it got and how much of --wait is left.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

start_sink
# A second sink that drops every span it acknowledges.
"$bin" sink --grpc 127.0.0.1:0 --http "" --query 127.0.0.1:0 --fault drop-spans=1 >"$dir/lossy.out" 2>&1 &
lossy_pid=$!
disown "$lossy_pid" 2>/dev/null || true  # no "Killed" line when it is stopped
trap 'kill -9 $lossy_pid 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do grep -q '^query API' "$dir/lossy.out" && break; sleep 0.1; done
lossy_grpc=$(sed -n 's/^OTLP\/gRPC  listening on \([^ ]*\).*/\1/p' "$dir/lossy.out")
lossy_query=$(sed -n 's/^query API  listening on \([^ ]*\).*/\1/p' "$dir/lossy.out")
[[ -n $lossy_grpc && -n $lossy_query ]] || fail "lossy sink did not start"
run count-only 0 generate smoke --traces 20 --endpoint "http://$sink_grpc" --progress lines
grep -qF "no --rate: sending the 20 traces as fast as the endpoint takes them" "$dir/count-only.err" ||
  fail "count-only: no note on the pace"
grep -q "spans   acknowledged 80 (100.00%)" "$dir/count-only.out" || fail "count-only: not sent"
grep -q "^done in .*acknowledged 80 of 80 spans" "$dir/count-only.err" || fail "count-only: final line"

run refused 3 generate smoke --traces 4 --rate max --endpoint http://127.0.0.1:1 --progress lines
grep -q "^finished in .*acknowledged 0 of 16 spans (failed 16)" "$dir/refused.err" ||
  fail "refused: the final line does not say nothing was acknowledged"
if grep -q "done" "$dir/refused.err"; then fail "refused: says done"; fi

run json 0 generate smoke --rate "50/s for 2s, 200/s" --duration 3s --endpoint "http://$sink_grpc" \
  --progress json --threads 1 --summary-json "$dir/summary.json"
python3 - "$dir/json.err" "$dir/summary.json" <<'PY' || fail "json progress or timeline"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(lines) >= 3, lines
percents = [l["percent"] for l in lines]
assert percents == sorted(percents), percents
last = lines[-1]
assert last["state"] == "done", last
assert last["spans_acknowledged"] == last["spans_scheduled"] > 0, last
assert all(l["state"] in ("sending", "flushing") for l in lines[:-1]), lines
timeline = json.load(open(sys.argv[2]))["timeline"]
intended = [round(p.get("intended_traces_per_second", -1)) for p in timeline]
assert intended[:3] == [50, 50, 200], intended
end = timeline[-1]
assert end["traces_sent"] + end["spans_acknowledged"] + end["spans_errors"] > 0, end
PY

# A check waiting on traces that do not come says how far it got and how much of --wait is left.
run lossy-gen 0 generate smoke --traces 5 --rate max --endpoint "http://$lossy_grpc" \
  --ledger "$dir/lossy.ledger" --quiet
run lossy-check 1 check --ledger "$dir/lossy.ledger" --backend "jaeger://$lossy_query" --wait 7s
grep -q "^check: 0/5 traces settled (0%), 0 traces/s, [0-9]*s of --wait left$" "$dir/lossy-check.err" ||
  fail "lossy-check: no progress while waiting"

run no-threads 2 generate smoke --traces 2 --threads 0 --endpoint "http://$sink_grpc"
run bad-progress 2 generate smoke --traces 2 --progress fancy --endpoint "http://$sink_grpc"
grep -q "progress" "$dir/bad-progress.err" || fail "bad-progress: the flag is not named"
echo PASS
