#!/usr/bin/env bash
# `check` and `run` share their check flags (cli/check_flags.h) and parse them the same way:
# --wait takes the one duration grammar (core/duration.h) in both, so `--wait 30` (a bare
# number is seconds) and `--wait 30s` mean the same to either command, and a bad --wait is a
# usage error (exit 2) naming the flag in both. Every check option `run` takes is judged before
# any load is sent (a bad --format or --fail-on, --config, --baseline, --semconv-registry, --alerts,
# --backend), and integer flags refuse negative and overflowing values instead of wrapping.
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

# An alerting system that cannot be reached: exit 3 well within the alert deadline (it was five
# minutes), and the verdict line says UNREACHABLE, never PASS.
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_timeout=60
run alerts_down 3 "${check[@]}" --alerts "prometheus://127.0.0.1:$closed_port"
unset run_timeout
grep -q '^UNREACHABLE' "$dir/alerts_down.out" || fail "alerts_down: verdict is not UNREACHABLE"
grep -q '^PASS' "$dir/alerts_down.out" && fail "alerts_down: PASS printed on exit 3"

# run judges its check options before it sends anything: exit 2 naming the flag, no generate.
before_load() {
  local name=$1 flag=$2
  shift 2
  run "$name" 2 run smoke --traces 20 --quiet "$@"
  grep -q -- "$flag" "$dir/$name.err" || fail "$name: message does not name $flag"
  grep -q '== generate ==' "$dir/$name.out" && fail "$name: load was sent before the usage error"
  return 0
}
before_load run_format_bad --format --report "$dir/rep" --format pdf
# One format without --report goes to stdout; several need --report.
before_load run_formats_alone --format --format json,md
before_load run_fail_on_bad --fail-on --fail-on warning
before_load run_config_missing --config --config "$dir/missing.yaml"
printf 'levels:\n  semconv.deprecated_attribute: loud\n' >"$dir/bad-config.yaml"
before_load run_config_bad --config --config "$dir/bad-config.yaml"
grep -q 'bad-config.yaml:2' "$dir/run_config_bad.err" || fail "run_config_bad: no file:line"
before_load run_baseline_missing --baseline --baseline "$dir/missing.json"
before_load run_registry_missing --semconv-registry --semconv-registry "$dir/no-such-dir"
before_load run_alerts_scheme --alerts --alerts promethus://127.0.0.1:9090
before_load run_alerts_twice --alerts --alerts prometheus://127.0.0.1:9 \
  --alerts prometheus://127.0.0.1:10
before_load run_backend_scheme --backend --endpoint http://127.0.0.1:9 --backend jeager://127.0.0.1:16686

# The wrong kind of backend: exit 3 naming the API that answered, before any load for run (it
# used to send everything and blame the pipeline for every trace: fidelity.trace_missing, exit 1).
start_sink
run wrongkind 3 run smoke --traces 20 --quiet --endpoint "http://$sink_grpc" \
  --backend "tempo://$sink_query"
grep -q 'the Jaeger API v3 (or agentstorm sink) answers there' "$dir/wrongkind.err" ||
  fail "wrongkind: the message does not say which API answered"
grep -q '== generate ==' "$dir/wrongkind.out" && fail "wrongkind: load was sent first"
"$bin" generate smoke --endpoint "http://$sink_grpc" --traces 20 --rate max --quiet \
  --ledger "$dir/wrongkind.ledger" >/dev/null
run wrongkindcheck 3 check --ledger "$dir/wrongkind.ledger" --backend "tempo://$sink_query"
grep -q 'does not answer the Tempo API' "$dir/wrongkindcheck.out" ||
  fail "wrongkindcheck: no reason in the summary"
grep -q 'trace_missing' "$dir/wrongkindcheck.out" && fail "wrongkindcheck: blamed the pipeline"
run rightkindcheck 0 check --ledger "$dir/wrongkind.ledger" --backend "jaeger://$sink_query"

# An --alerts source that cannot be read (refused, or not that API) is exit 3 before any load.
run alerts_refused 3 run smoke --traces 20 --quiet --alerts prometheus://127.0.0.1:1
grep -q 'alert source prometheus://127.0.0.1:1 could not be read.*nothing was sent' \
  "$dir/alerts_refused.err" || fail "alerts_refused: $(cat "$dir/alerts_refused.err")"
grep -q '== generate ==' "$dir/alerts_refused.out" && fail "alerts_refused: load was sent first"
run alerts_wrongkind 3 run smoke --traces 20 --quiet --alerts "alertmanager://$sink_query"
grep -q 'HTTP 404.*nothing was sent' "$dir/alerts_wrongkind.err" ||
  fail "alerts_wrongkind: $(cat "$dir/alerts_wrongkind.err")"
grep -q '== generate ==' "$dir/alerts_wrongkind.out" && fail "alerts_wrongkind: load was sent first"

# Integer flags: a negative or overflowing value is a usage error, never a wrapped number.
# (Before the fix -5 wrapped to 2^64-5 traces: a run without end, so these are bounded in time.)
run_timeout=60
run traces_negative 2 run smoke --traces -5 --quiet
grep -q -- '--traces: "-5" is not a whole number' "$dir/traces_negative.err" ||
  fail "traces_negative: no clear message"
run traces_overflow 2 run smoke --traces 99999999999999999999
run seed_negative 2 run smoke --traces 5 --seed -1
run batch_overflow 2 generate smoke --dry-run --traces 1 --batch-spans 4294967296
run limit_negative 2 check --backend "file:$dir/traces.jsonl" --service x --limit -1
run concurrency_zero 2 "${check[@]}" --concurrency 0
run sink_max_spans_negative 2 sink --max-spans -1
unset run_timeout

echo "PASS"
