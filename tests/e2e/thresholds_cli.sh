#!/usr/bin/env bash
# Delivery thresholds as a user meets them (core/thresholds.h): loss fails `run` by default, a
# threshold of the user's replaces the default, --no-default-thresholds turns it off for a
# saturated-endpoint benchmark, a bad expression is exit 2 before any load is sent, and
# `generate` judges its own figures when asked.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

# 1. 10% of the spans rejected by the sink (partial success): the default threshold fails, exit 1.
run rejected 1 run smoke --traces 200 --quiet --sink-fault partial-reject=0.1 --wait 3s --report "$dir/rep"
grep -q '✗ spans_not_acknowledged: count==0' "$dir/rejected.out" ||
  fail "rejected: the default threshold is not shown failing"
grep -Eq 'violation +threshold\.failed +1' "$dir/rejected.out" ||
  fail "rejected: no threshold.failed finding"
grep -q '^FAIL' "$dir/rejected.out" || fail "rejected: the verdict is not FAIL"
grep -q '"threshold": "spans_not_acknowledged: count==0"' "$dir/rep/report.json" ||
  fail "rejected: report.json has no thresholds[]"
grep -q '"verdict": "fail"' "$dir/rep/report.json" || fail "rejected: report.json verdict"
grep -q 'spans_not_acknowledged: count==0` (default)' "$dir/rep/report.md" ||
  fail "rejected: report.md has no threshold table"
grep -q '<section id="thresholds">' "$dir/rep/report.html" || fail "rejected: report.html"
grep -q 'classname="agentstorm.threshold"' "$dir/rep/junit.xml" || fail "rejected: junit.xml"

# 2. The user's own tolerance on the metric replaces the default: passes.
run tolerated 0 run smoke --traces 200 --quiet --sink-fault partial-reject=0.1 --wait 3s \
  --threshold 'spans_not_acknowledged: rate<50%'
grep -q '✓ spans_not_acknowledged: rate<0.5' "$dir/tolerated.out" ||
  fail "tolerated: the user's threshold is not shown passing"
grep -q 'count==0' "$dir/tolerated.out" && fail "tolerated: the default still applies"

# 3. Benchmarking a saturated endpoint: the default turned off.
run nodefault 0 run smoke --traces 200 --quiet --sink-fault partial-reject=0.1 --wait 3s \
  --no-default-thresholds

# 3b. The same from a check config (k6's shape), and a bad expression in it: file:line, exit 2.
printf 'thresholds:\n  spans_not_acknowledged: ["rate<50%%"]\n  export_latency: ["p(99)<60s"]\n' \
  >"$dir/tolerant.yaml"
run configured 0 run smoke --traces 200 --quiet --sink-fault partial-reject=0.1 --wait 3s \
  --config "$dir/tolerant.yaml"
grep -q '✓ export_latency: p(99)<60000ms' "$dir/configured.out" ||
  fail "configured: the config's thresholds are not judged"
printf 'default_thresholds: false\n' >"$dir/nodefault.yaml"
run confignodefault 0 run smoke --traces 200 --quiet --sink-fault partial-reject=0.1 --wait 3s \
  --config "$dir/nodefault.yaml"
printf 'thresholds:\n  export_latency: ["rate<1%%"]\n' >"$dir/badthreshold.yaml"
run configbad 2 run smoke --traces 20 --quiet --config "$dir/badthreshold.yaml"
grep -q 'badthreshold.yaml:2:' "$dir/configbad.err" || fail "configbad: no file:line"
grep -q '== generate ==' "$dir/configbad.out" && fail "configbad: load was sent first"

# 4. A clean run shows the default passing.
run clean 0 run smoke --traces 100 --quiet
grep -q '✓ spans_not_acknowledged: count==0' "$dir/clean.out" || fail "clean: no passing default"

# 5. A bad expression is a usage error before anything is sent.
run bad 2 run smoke --traces 100 --threshold 'export_latency: rate<1%'
grep -q -- '--threshold' "$dir/bad.err" || fail "bad: the message does not name --threshold"
grep -q 'export_latency takes p(N)' "$dir/bad.err" || fail "bad: the message does not say why"
grep -q '== generate ==' "$dir/bad.out" && fail "bad: load was sent before the usage error"
run badcheck 2 check --ledger "$dir/none.ledger" --backend jaeger://127.0.0.1:1 \
  --threshold 'nope: count<1'
grep -q 'unknown metric "nope"' "$dir/badcheck.err" || fail "badcheck: no reason"

# 6. generate: opt-in thresholds over its own figures; an impossible bound fails with exit 1.
start_sink
run genfast 1 generate smoke --endpoint "http://$sink_grpc" --traces 50 --rate max \
  --quiet --threshold 'export_latency: max<1ns'
grep -q '✗ export_latency: max<1e-06ms' "$dir/genfast.out" || fail "genfast: no failing threshold"
run genok 0 generate smoke --endpoint "http://$sink_grpc" --traces 50 --rate max \
  --quiet --threshold 'spans_not_acknowledged: count==0' --threshold 'export_latency: p(99)<60s'
grep -q '✓ export_latency: p(99)<60000ms' "$dir/genok.out" || fail "genok: no passing threshold"
run genrate 1 generate smoke --endpoint "http://$sink_grpc" --traces 50 --rate max \
  --quiet --threshold 'achieved_rate: value>=0.9'
grep -q 'not measured: a closed-loop run' "$dir/genrate.out" || fail "genrate: not measured not said"

echo "PASS"
