#!/usr/bin/env bash
# Output for CI: `--format F` without `--report` puts that one report on stdout (the human
# summary moves to stderr, so a pipe reads only the report); `--format jsonl` streams every
# finding as a JSON line, then the report; `--fail-on LEVEL` lowers the level that fails
# the command. Both `check` and `run` take them (cli/check_flags.h).
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"

# jsonl from run: every line is JSON, the findings first, the report last, and the findings
# streamed are exactly the report's counts (suppressed ones excluded).
cat >"$dir/config.yaml" <<'YAML'
expected_violations:
  - id: semconv.recommended_coverage
    reason: "accepted in this test"
  - id: fidelity.value_changed
    reason: "a fix that landed: this suppression no longer fires"
YAML
run run_jsonl 0 run smoke --traces 20 --format jsonl --config "$dir/config.yaml"
python3 - "$dir/run_jsonl.out" <<'PY' || fail "run_jsonl: the stream does not reconcile"
import collections, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines, "no line on stdout"
assert all(l["type"] == "finding" for l in lines[:-1]), "a non-finding line before the end"
assert lines[-1]["type"] == "report", "the last line is not the report"
report = lines[-1]["report"]
streamed = collections.Counter(l["id"] for l in lines[:-1])
counted = {f["id"]: f["count"] for f in report["findings"] if f["count"]}
assert streamed == counted, (streamed, counted)
assert streamed["config.stale_suppression"] == 1, streamed
suppressed = {f["id"]: f["suppressed"] for f in report["findings"]}
assert suppressed.get("semconv.recommended_coverage", 0) >= 1, suppressed
assert "semconv.recommended_coverage" not in streamed, streamed
assert report["run"]["fail_on"] == "violation"
PY
grep -q '^PASS' "$dir/run_jsonl.err" || fail "run_jsonl: the summary is not on stderr"
grep -q '== check ==' "$dir/run_jsonl.out" && fail "run_jsonl: human text on stdout"

# The same traces checked ledger-less from a file: one report format on stdout.
"$bin" generate smoke --dry-run --traces 3 >"$dir/traces.jsonl"
id=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"])' "$dir/traces.jsonl")
check=(check --backend "file:$dir/traces.jsonl" --trace-id "$id" --quiet)
run check_json 0 "${check[@]}" --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["verdict"]=="pass", r["verdict"]' \
  "$dir/check_json.out" || fail "check_json: stdout is not report.json"
grep -q '^PASS' "$dir/check_json.err" || fail "check_json: the summary is not on stderr"
run check_junit 0 "${check[@]}" --format junit
head -1 "$dir/check_junit.out" | grep -q '^<?xml' || fail "check_junit: stdout is not junit.xml"

# --fail-on: the coverage findings are information; failing on information fails the check,
# and the report says why.
run check_fail_on 1 "${check[@]}" --fail-on information --format md
grep -q 'FAIL: .*at information level or above (--fail-on information)' "$dir/check_fail_on.out" ||
  fail "check_fail_on: the markdown verdict does not name --fail-on"
grep -q '^FAIL: .*(--fail-on information)' "$dir/check_fail_on.err" ||
  fail "check_fail_on: the summary verdict does not name --fail-on"
run check_fail_on_improvement 0 "${check[@]}" --fail-on improvement

# Mistakes: an unknown level, several formats on stdout, an unknown format; all exit 2 naming
# the flag, before anything is read.
run bad_level 2 "${check[@]}" --fail-on warning
grep -q -- '--fail-on: "warning" is not a finding level' "$dir/bad_level.err" || fail "bad_level"
run two_formats 2 "${check[@]}" --format json,md
grep -q -- '--format without --report writes one report' "$dir/two_formats.err" || fail "two_formats"
run bad_format 2 run smoke --traces 5 --format ndjson
grep -q -- 'unknown report format "ndjson"' "$dir/bad_format.err" || fail "bad_format"
[[ -s $dir/bad_format.out ]] && grep -q '== generate ==' "$dir/bad_format.out" &&
  fail "bad_format: load was sent before the flag was judged"

# The check config's redaction section applies with or without a ledger, no --redaction needed:
# a pattern found in a value is a violation naming the key, never the value.
cat >"$dir/redact.yaml" <<'YAML'
redaction:
  patterns: ['gpt-4o']
YAML
run redact_check 1 "${check[@]}" --config "$dir/redact.yaml" --format jsonl
grep -q '"id":"redaction.pattern_matched","level":"violation".*"attribute":"gen_ai.request.model"' \
  "$dir/redact_check.out" || fail "redact_check: no pattern finding on gen_ai.request.model"
run redact_run 1 run smoke --traces 5 --config "$dir/redact.yaml" --quiet
grep -q 'redaction.pattern_matched' "$dir/redact_run.out" || fail "redact_run: no pattern finding"
printf 'redaction:\n  patterns: ["(unclosed"]\n' >"$dir/bad-redact.yaml"
run redact_bad 2 "${check[@]}" --config "$dir/bad-redact.yaml"
grep -q 'bad-redact.yaml:2:14: redaction.patterns\[0\]: not a regular expression' \
  "$dir/redact_bad.err" || fail "redact_bad: $(cat "$dir/redact_bad.err")"

# With --report DIR, jsonl is a file like the others: findings.jsonl, no partial file left.
run report_jsonl 0 run smoke --traces 10 --report "$dir/rep" --format jsonl,md --quiet
[[ -f $dir/rep/findings.jsonl && -f $dir/rep/report.md && ! -e $dir/rep/report.json ]] ||
  fail "report_jsonl: $(ls "$dir/rep")"
[[ -e $dir/rep/findings.jsonl.partial ]] && fail "report_jsonl: partial file left"
tail -1 "$dir/rep/findings.jsonl" | grep -q '^{"type":"report"' || fail "report_jsonl: no report line"
echo "PASS"
