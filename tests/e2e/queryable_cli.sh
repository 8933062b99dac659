#!/usr/bin/env bash
# Time until queryable as a user meets it (checker/queryability_probe.h): `run` measures it on a
# sample polled while it sends (a sink that shows traces 1 s late reads about 1 s, with the
# sample size), and a `check` after the run says "not measured" instead of timing its own delay.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

# 1. run: the embedded sink shows every trace 1 s after acknowledging it.
run delayed 0 run smoke --rate 100/s --duration 2s --quiet --sink-fault delay-visibility=1s \
  --wait 10s --report "$dir/rep" --format json
line=$(grep 'time until queryable:' "$dir/delayed.out") || fail "delayed: no time-until-queryable line"
[[ $line =~ p50\ ([0-9.]+)(us|ms|s)\ .*\(([0-9]+)\ traces\ sampled\ while\ the\ run\ went\ on ]] ||
  fail "delayed: unexpected line: $line"
p50=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]} sampled=${BASH_REMATCH[3]}
[[ $unit == s ]] && python3 -c "import sys; sys.exit(not 1.0 <= $p50 < 3.0)" ||
  fail "delayed: p50 $p50$unit, expected the sink's 1 s delay: $line"
((sampled >= 5)) || fail "delayed: only $sampled traces sampled in a 2 s run: $line"
python3 - "$dir/rep/report.json" "$sampled" <<'PY' || fail "delayed: report.json"
import json, sys
r = json.load(open(sys.argv[1]))["readback"]
assert r["time_until_queryable_measured"] is True, r
assert r["time_until_queryable_sampled"] == int(sys.argv[2]), r
assert r["time_until_queryable_ms"]["p50"] >= 1000, r["time_until_queryable_ms"]
assert "sampled while the run went on" in r["time_until_queryable_note"], r
PY

# 2. A check of a ledger after the run, ten seconds of synthetic time late: not a number.
start_sink
run sent 0 generate smoke --endpoint "http://$sink_grpc" --traces 50 --rate max --quiet \
  --ledger "$dir/run.ledger"
run later 0 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --wait 5s \
  --report "$dir/later" --format json,md,html
grep -q 'time until queryable: not measured' "$dir/later.out" ||
  fail "later: $(grep 'queryable' "$dir/later.out" || echo 'no queryable line')"
grep -q '"time_until_queryable_measured": false' "$dir/later/report.json" || fail "later: report.json"
grep -q 'time until queryable not measured' "$dir/later/report.md" || fail "later: report.md"
grep -q 'queryable p99.*not measured' "$dir/later/report.html" || fail "later: report.html card"
# A threshold on it fails and says why, rather than passing on nothing.
run gated 1 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --wait 5s \
  --threshold 'time_until_queryable: p(99)<5s'
grep -q '✗ time_until_queryable: p(99)<5000ms.*not measured' "$dir/gated.out" ||
  fail "gated: $(grep 'time_until' "$dir/gated.out")"
echo PASS
