#!/usr/bin/env bash
# `--verify FRACTION|N` (checker/verify_sample.h): a check of a uniformly drawn sample of the
# ledger says what the sample covered and the loss-rate bound it proves, in the summary and in
# every report; the same seed draws the same sample; a pipeline that loses traces is caught in the
# sample and its bound moves; a bad --verify is a usage error naming the flag, before any load.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

start_sink --fault drop-traces=0.05 --fault-seed 3
run gen 0 generate smoke --traces 4000 --endpoint "http://$sink_grpc" --ledger "$dir/run.ledger" \
  --rate max --quiet

# 10% of 4000 traces: 400 checked; of them about 5% lost to the fault, so the check fails (the
# lost traces are fidelity.trace_missing) and the bound sits above the loss it saw.
run lossy 1 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --verify 10% \
  --confidence 0.95 --wait 3s --report "$dir/rep" --quiet
line=$(grep 'a sample of' "$dir/lossy.out") || fail "lossy: no sample line in the summary"
[[ $line == *"a sample of 400 of 4000 traces was verified (--verify, drawn with seed 1)"* ]] ||
  fail "lossy: $line"
lost=$(sed -n 's/.*: \([0-9]*\) of its 400 acknowledged traces lost.*/\1/p' <<<"$line")
[[ -n $lost ]] && ((lost >= 8 && lost <= 40)) || fail "lossy: lost '$lost' of 400 at a 5% drop"
grep -q 'traces of the sample: 400 sent' "$dir/lossy.out" || fail "lossy: counts not the sample's"
grep -q 'fidelity.trace_missing' "$dir/lossy.out" || fail "lossy: the losses are not findings"
python3 - "$dir/rep/report.json" "$lost" <<'PY' || fail "lossy: report.json"
import json, sys
v = json.load(open(sys.argv[1]))["readback"]["verify"]
lost = int(sys.argv[2])
assert v["population"] == 4000 and v["sampled"] == 400 and v["lost"] == lost, v
assert v["seed"] == 1 and v["confidence"] == 0.95, v
assert lost / 400 < v["loss_rate_upper_bound"] < 0.2, v
assert "a sample of 400 of 4000" in v["note"], v
PY
grep -q 'Verified a sample' "$dir/rep/report.md" || fail "lossy: report.md says nothing of it"
grep -q 'Verified a sample' "$dir/rep/report.html" || fail "lossy: report.html says nothing"
grep -q 'name="verify_loss_rate_upper_bound"' "$dir/rep/junit.xml" || fail "lossy: junit.xml"

# The same seed draws the same sample: the same traces, so the same loss.
run again 1 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --verify 10% \
  --confidence 0.95 --wait 3s --quiet
grep -q ": $lost of its 400 acknowledged traces lost" "$dir/again.out" ||
  fail "again: another sample drew $(grep -o '[0-9]* of its 400' "$dir/again.out")"

# A count; more than the ledger holds is the whole ledger, no sample line.
run count 1 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --verify 1000 \
  --wait 3s --quiet
grep -q 'a sample of 1000 of 4000 traces' "$dir/count.out" || fail "count: no sample of 1000"
run whole 1 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --verify 9000 \
  --wait 3s --quiet
grep -q 'a sample of' "$dir/whole.out" && fail "whole: a sample line for the whole ledger"
grep -q 'traces: 4000 sent' "$dir/whole.out" || fail "whole: not every trace checked"

# `run` takes it too. A clean pipeline: nothing lost; the bound is 1 - 0.001^(1/500) at the
# default 99.9% confidence.
run clean 0 run smoke --traces 2000 --verify 500 --quiet
grep -q '0 of its 500 acknowledged traces lost or incomplete, so at most 1.37% of the run.s 2000 acknowledged traces were lost, at 99.9% confidence' \
  "$dir/clean.out" || fail "clean: $(grep 'a sample' "$dir/clean.out")"

# `run --confidence` as `check --confidence`: at 95% the bound is 1 - 0.05^(1/500).
run clean95 0 run smoke --traces 2000 --verify 500 --confidence 0.95 --quiet
grep -q '0 of its 500 acknowledged traces lost or incomplete, so at most 0.597% of the run.s 2000 acknowledged traces were lost, at 95% confidence' \
  "$dir/clean95.out" || fail "clean95: $(grep 'a sample' "$dir/clean95.out")"

# A bad --verify: exit 2 naming the flag, before any load is sent.
for bad in 0 ten 150% -1; do
  run "bad_$bad" 2 run smoke --traces 20 --quiet --verify "$bad"
  grep -q -- '--verify' "$dir/bad_$bad.err" || fail "bad_$bad: message does not name --verify"
  grep -q '== generate ==' "$dir/bad_$bad.out" && fail "bad_$bad: load was sent first"
done
run check_bad 2 check --ledger "$dir/run.ledger" --backend "jaeger://$sink_query" --verify 0.0
# Without a ledger there is nothing to draw from: a usage error, not a silent full read.
run no_ledger 2 check --backend "jaeger://$sink_query" --service smoke --verify 10%
grep -q -- '--verify draws its sample from a ledger' "$dir/no_ledger.err" ||
  fail "no_ledger: $(cat "$dir/no_ledger.err")"

echo "PASS"
