#!/usr/bin/env bash
# A real tail sampler judged by the sampling rule: agentstorm -> OpenTelemetry Collector
# (tail_sampling) -> Jaeger -> `check --backend jaeger://`. The collector
# (tests/field/otelcol/tail_sampling.yaml) runs the policy the scenario expects on one receiver and
# a misconfigured one (no error policy, 60% instead of 25%) on another. The first must pass: every
# error and slow trace kept, the rest's kept fraction inside its Wilson interval, nothing partial,
# nothing lost. The second must fail with exactly the findings its two mistakes cause.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_jaeger
start_otelcol tail_sampling.yaml

scenario=$here/scenarios/tail-sampling.yaml
# A fixed run ID: the sampler's decision for the probabilistic share is a hash of the trace ID, so
# the same IDs give the same kept set on every run.
# 400 traces over 2 s: the time-until-queryable probe takes one every 100 ms, and the sampler
# drops some of those.
common=(--traces 400 --rate 200 --seed 7 --quiet --format json
  --backend "jaeger://$jaeger_query" --wait 10s)

# stat REPORT NAME: a statistic of the sampling rule in report.json
stat() {
  python3 -c 'import json, sys
rules = {r["rule"]: r for r in json.load(open(sys.argv[1]))["rules"]}
v = rules["sampling"]["statistics"][sys.argv[2]]
print(int(v) if float(v).is_integer() else v)' "$1" "$2"
}
findings() {  # the findings of a report.json but semconv information, "id count" per line
  python3 -c 'import json, sys
for f in sorted(json.load(open(sys.argv[1]))["findings"], key=lambda f: f["id"]):
    if not (f["id"].startswith("semconv.") and f["level"] == "information"):
        print(f["id"], f["count"])' "$1"
}

# The right policy: a pass, with every error and slow trace kept and none of them absent, and the
# rest's share read back (traces the sampler dropped are not reported as lost).
run right 0 run "$scenario" "${common[@]}" --run-id field-tail-sampling-right --endpoint "http://$otelcol_grpc" --report "$dir/right"
errors=$(stat "$dir/right/report.json" tail_errors.total)
slow=$(stat "$dir/right/report.json" tail_slow.total)
rest=$(stat "$dir/right/report.json" tail_rest.total)
((errors >= 40 && slow >= 20 && rest >= 200)) ||
  fail "right: too few traces of a kind to judge the sampler: $errors error, $slow slow, $rest other"
[[ $(stat "$dir/right/report.json" tail_errors.kept) == "$errors" ]] || fail "right: error traces lost"
[[ $(stat "$dir/right/report.json" tail_slow.kept) == "$slow" ]] || fail "right: slow traces lost"
kept=$(stat "$dir/right/report.json" tail_rest.kept)
((kept > 0 && kept < rest)) || fail "right: the sampler kept $kept of $rest other traces"
[[ -z $(findings "$dir/right/report.json") ]] ||
  fail "right: unexpected findings: $(findings "$dir/right/report.json")"
# Time until queryable: the probed traces the sampler dropped are left out, not counted as
# never queryable (--wait), and every one it kept was queryable.
grep -q "time until queryable: .*dropped by the pipeline's sampler, left out" "$dir/right.out" ||
  fail "right: time until queryable: $(grep queryable "$dir/right.out")"
grep -q "time until queryable: .*not queryable within" "$dir/right.out" &&
  fail "right: time until queryable counts dropped traces: $(grep queryable "$dir/right.out")"
echo "ok right policy: $errors error and $slow slow traces kept, $kept of $rest others"

# The wrong policy: error traces dropped unless the 60% share happened to keep them, each named
# with its trace, and the share out of its interval; nothing else.
run wrong 1 run "$scenario" "${common[@]}" --run-id field-tail-sampling-wrong --endpoint "http://$otelcol_grpc2" --report "$dir/wrong"
errors_kept=$(stat "$dir/wrong/report.json" tail_errors.kept)
errors=$(stat "$dir/wrong/report.json" tail_errors.total)
expect="sampling.error_trace_dropped $((errors - errors_kept))
sampling.rate_out_of_bounds 1"
[[ $(findings "$dir/wrong/report.json") == "$expect" ]] ||
  fail "wrong: findings $(findings "$dir/wrong/report.json"), want $expect"
((errors_kept < errors)) || fail "wrong: every error trace was kept by chance"
grep -q "trace with an error span was not kept" "$dir/wrong.out" ||
  fail "wrong: the dropped error traces are not listed"
grep -q "sampling tail_rest: kept .* expected 0.25: FAIL\|sampling tail_rest: kept .*expected 0.25" \
  "$dir/wrong.out" || fail "wrong: the summary does not give the rest's interval"
echo "ok wrong policy: $((errors - errors_kept)) of $errors error traces dropped and named"
echo PASS
