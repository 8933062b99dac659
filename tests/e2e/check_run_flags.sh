#!/usr/bin/env bash
# `check` and `run` share their check flags (cli/check_flags.h) and parse them the same way:
# --wait takes the one duration grammar (core/duration.h) in both, so `--wait 30` (a bare
# number is seconds) and `--wait 30s` mean the same to either command, and a bad --wait is a
# usage error (exit 2) naming the flag in both.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

# Traces to check without a live backend: a dry run's OTLP/JSON, read back through file:.
"$bin" generate smoke --dry-run --traces 3 >"$dir/traces.jsonl"
id=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"])' "$dir/traces.jsonl")
check=(check --backend "file:$dir/traces.jsonl" --trace-id "$id" --quiet)

run check_wait_unit 0 "${check[@]}" --wait 30s
run check_wait_bare 0 "${check[@]}" --wait 30
run check_wait_compound 0 "${check[@]}" --wait 1m30s
run check_wait_bad 2 "${check[@]}" --wait 10x
grep -q -- '--wait' "$dir/check_wait_bad.err" || fail "check_wait_bad: message does not name --wait"
run check_wait_negative 2 "${check[@]}" --wait -1s

run run_wait_bare 0 run smoke --traces 20 --quiet --wait 30
run run_wait_compound 0 run smoke --traces 20 --quiet --wait 1m30s
run run_wait_bad 2 run smoke --traces 20 --quiet --wait 10x
grep -q -- '--wait' "$dir/run_wait_bad.err" || fail "run_wait_bad: message does not name --wait"

echo "PASS"
