#!/usr/bin/env bash
# `run`'s embedded sink is sized to the run: --traces N that needs more than the default 1M spans
# gets room for them (a 300k-trace run stalled on a full sink before), and --sink-max-spans sets
# it; a sink too small refuses the rest, and the run says so (exit 1: spans not acknowledged).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

run sized 0 run smoke --traces 300000 --rate 2/s --duration 1s
grep -q "^embedded sink: .*, holds 1.50M spans$" "$dir/sized.out" || fail "sized: not sized to the run"
run default 0 run smoke --traces 10
grep -q "^embedded sink: .*, holds 1.00M spans$" "$dir/default.out" || fail "default size"
# Batches of 10 traces (40 spans), so that the first five fill the sink whatever the pace: one
# request larger than the whole store would be refused entirely (exit 3, nothing accepted).
run small 1 run smoke --traces 100 --batch-spans 40 --sink-max-spans 200 --wait 5s
grep -q "^embedded sink: .*, holds 200 spans$" "$dir/small.out" || fail "small: flag ignored"
grep -q "spans_not_acknowledged: count==0  [0-9]* of 400 spans" "$dir/small.out" ||
  fail "small: the refused spans are not reported"
run zero 2 run smoke --traces 1 --sink-max-spans 0
run elsewhere 2 run smoke --traces 1 --sink-max-spans 10 --endpoint http://127.0.0.1:1 \
  --backend jaeger://127.0.0.1:1
grep -q -- "--sink-max-spans applies to the embedded sink" "$dir/elsewhere.err" ||
  fail "elsewhere: not explained"
echo PASS
