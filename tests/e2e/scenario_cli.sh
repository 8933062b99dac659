#!/usr/bin/env bash
# validate / scenarios / generate --dry-run through the binary: exit codes, determinism, sharding.
set -euo pipefail
: "${AGENTSTORM:?path of the agentstorm binary}" "${AGENTSTORM_SOURCE_DIR:?source dir}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in "$AGENTSTORM_SOURCE_DIR"/scenarios/*.yaml; do
  "$AGENTSTORM" validate "$f" >/dev/null || fail "validate $f"
done
set +e
"$AGENTSTORM" validate "$AGENTSTORM_SOURCE_DIR/tests/scenario/testdata/broken/unknown_tool.yaml" >"$tmp/err"
rc=$?
set -e
[[ $rc == 2 ]] || fail "invalid scenario must exit 2, got $rc"
grep -q 'unknown_tool.yaml:14:15: agents.researcher.steps\[1\].tool: unknown tool "web_serch" (did you mean "web_search"?)' "$tmp/err" \
  || fail "message: $(cat "$tmp/err")"

[[ $("$AGENTSTORM" scenarios | wc -l) -ge 9 ]] || fail "scenarios lists fewer than 9"
"$AGENTSTORM" scenarios | grep -q '^research-fanout ' || fail "research-fanout not listed"

gen() { "$AGENTSTORM" generate nightly-conformance --dry-run --traces 30 --seed "$1" --start-time 1700000000000000000 --run-id 00000000000000a5 "${@:2}" 2>/dev/null; }
gen 5 >"$tmp/a"
gen 5 >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "same seed and run ID, different output"
# Without --run-id every run gets a fresh run ID: the same content under other trace IDs.
fresh() { "$AGENTSTORM" generate nightly-conformance --dry-run --format tree --traces 5 --seed 5 2>"$1.err" | grep '^trace '; }
fresh "$tmp/r1" >"$tmp/r1"
fresh "$tmp/r2" >"$tmp/r2"
grep -q '^agentstorm generate: run id [0-9a-f]\{16\}, seed 5' "$tmp/r1.err" || fail "dry run does not print its run ID: $(cat "$tmp/r1.err")"
[[ $(cut -d' ' -f2 "$tmp/r1" | sort -u | comm -12 - <(cut -d' ' -f2 "$tmp/r2" | sort -u) | wc -l) == 0 ]] \
  || fail "two runs without --run-id share trace IDs"
cmp -s <(cut -d' ' -f3- "$tmp/r1") <(cut -d' ' -f3- "$tmp/r2") || fail "two runs of one seed differ in content"
gen 6 >"$tmp/c"
cmp -s "$tmp/a" "$tmp/c" && fail "different seeds, same output"
[[ $(wc -l <"$tmp/a") == 30 ]] || fail "expected 30 OTLP/JSON lines"
for i in 0 1 2; do gen 5 --shard "$i/3"; done | sort >"$tmp/shards"
sort "$tmp/a" >"$tmp/all"
cmp -s "$tmp/shards" "$tmp/all" || fail "union of shards differs from the unsharded run"
"$AGENTSTORM" generate research-fanout --dry-run --format tree --traces 1 | grep -q '^invoke_agent coordinator ' \
  || fail "tree output"
echo PASS
