#!/usr/bin/env bash
# The conformance matrix: each library folder here (its packages pinned: requirements.txt from
# PyPI, installed by ci/pip-cached, or package.json + package-lock.json from npm, installed by
# ci/npm-ci-cached, under the build dir; `app`: which program of apps/ and which
# instrumentation, a .py run by the folder's venv, a .cjs by node with the folder's
# node_modules) runs its app against `agentstorm provider`, exporting into `agentstorm sink`;
# `check --service` then judges its traces, and the findings (ID, level, count), the spans read
# per convention class and the exit code must be exactly those of its expected.txt: the true
# findings present, no false one, no span lost.
# Exit 77 (skip) when Python or PyPI, or node or the npm registry, is missing here.
# With MATRIX_OTLP_HTTP (an OTLP/HTTP base URL) and MATRIX_BACKEND (a --backend URL) set, the apps
# export there and check reads from there instead (tests/field/conformance_matrix.sh: through a
# real Collector into Jaeger), against the same expected.txt files: the same findings as direct
# into the sink. docs/conformance.md's table is compared on the direct run only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
cache=${AGENTSTORM_BUILD_DIR:-$dir}/conformance
libraries=()
for app in "$here"/*/app; do libraries+=("$(basename "$(dirname "$app")")"); done
for lib in "${libraries[@]}"; do
  code=0
  if [[ -f $here/$lib/package.json ]]; then
    "$src/ci/npm-ci-cached" "$here/$lib" "$cache/$lib" 2>"$dir/install-$lib.err" || code=$?
  else
    "$src/ci/pip-cached" "$here/$lib/requirements.txt" "$cache/$lib" \
      2>"$dir/install-$lib.err" || code=$?
  fi
  if ((code == 77)); then
    echo "SKIP: $lib cannot be installed here: $(cat "$dir/install-$lib.err")" >&2
    exit 77
  fi
  ((code == 0)) || fail "installing $lib: $(cat "$dir/install-$lib.err")"
done

provider_pid=""
stop_all() {
  [[ -n $provider_pid ]] && kill "$provider_pid" 2>/dev/null
  cleanup
}
trap stop_all EXIT
# A timeout fault holds its answer 5 s (the apps give up after 2 s), not the default 30 s.
"$bin" provider --listen 127.0.0.1:0 --timeout-delay 5s >"$dir/provider.out" 2>&1 &
provider_pid=$!
provider=""
for _ in $(seq 100); do
  provider=$(sed -n 's/^provider   listening on \(http:[^ ]*\) .*/\1/p' "$dir/provider.out")
  [[ -n $provider ]] && break
  sleep 0.1
done
[[ -n $provider ]] || fail "the provider did not start: $(cat "$dir/provider.out")"
if [[ -n ${MATRIX_OTLP_HTTP:-} && -n ${MATRIX_BACKEND:-} ]]; then
  otlp_http=$MATRIX_OTLP_HTTP backend=$MATRIX_BACKEND
else
  start_sink
  otlp_http=http://$sink_http backend=jaeger://$sink_query
fi

failures=0
for lib in "${libraries[@]}"; do
  read -r app instrumentation <"$here/$lib/app"
  service="conformance-$lib"
  runner=("$cache/$lib/bin/python")
  [[ $app == *.cjs ]] && runner=(env "NODE_PATH=$cache/$lib/node_modules" node)
  timeout 120 "${runner[@]}" "$here/apps/$app" "$instrumentation" "$provider" \
    "$otlp_http" "$service" >"$dir/$lib.app.out" 2>&1 ||
    fail "$lib: the app failed: $(tail -20 "$dir/$lib.app.out")"
  # A pipeline batches and stores asynchronously: let the last spans land before searching.
  [[ -n ${MATRIX_SETTLE:-} ]] && sleep "$MATRIX_SETTLE"
  code=0
  timeout 120 "$bin" check --backend "$backend" --service "$service" --since 10m \
    --wait 10s --report "$dir/$lib" >"$dir/$lib.check.out" 2>&1 || code=$?
  python3 - "$dir/$lib/report.json" "$code" >"$dir/$lib.got" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in sorted(r["findings"], key=lambda f: (f["id"], f["level"])):
    print(f["id"], f["level"], f["count"])
# The spans read, by convention class: what a library leaves out (a failed call with no span)
# shows here, where no rule can see it.
for cls, count in sorted(r["semconv"]["span_classes"].items()):
    print("spans:", cls, count)
print("exit", sys.argv[2])
PY
  grep -v '^#' "$here/$lib/expected.txt" | sort >"$dir/$lib.want"
  sort "$dir/$lib.got" -o "$dir/$lib.got"
  if diff "$dir/$lib.want" "$dir/$lib.got" >"$dir/$lib.diff"; then
    echo "ok $lib: $(grep -c . "$dir/$lib.want") expected lines, $(grep -o 'passed: .*' "$dir/$lib.check.out")"
  else
    failures=$((failures + 1))
    echo "FAIL $lib: expected (<) vs found (>):"
    cat "$dir/$lib.diff"
    sed -n '/^semconv\|^hierarchy\|^fidelity/,$p' "$dir/$lib.check.out" | head -40
  fi
done
((failures == 0)) || fail "$failures of ${#libraries[@]} libraries differ from their expected findings"
if [[ -n ${MATRIX_BACKEND:-} ]]; then
  echo PASS
  exit 0
fi

# docs/conformance.md's table is this run's: regenerate it with UPDATE_DOCS=1.
python3 - "$here" "$dir" "${libraries[@]}" >"$dir/table.md" <<'PY'
import sys
here, work, libs = sys.argv[1], sys.argv[2], sys.argv[3:]
import json, os
print("| library (pinned: PyPI or npm) | app | spans read, by convention | coverage by span type: required / recommended | check exit | findings: ID level count |")
print("|---|---|---|---|---|---|")
for lib in libs:
    if os.path.exists(f"{here}/{lib}/package.json"):
        deps = json.load(open(f"{here}/{lib}/package.json"))["dependencies"]
        pins = [f"{name}@{version}" for name, version in deps.items()]
    else:
        pins = [l.strip() for l in open(f"{here}/{lib}/requirements.txt")
                if "==" in l and not l.startswith("#")]
    app = open(f"{here}/{lib}/app").read().split()[0]
    got = [l.strip() for l in open(f"{work}/{lib}.got") if l.strip()]
    code = [l.split()[1] for l in got if l.startswith("exit ")][0]
    spans = "<br>".join(l[len("spans: "):] for l in got if l.startswith("spans: "))
    findings = "<br>".join(f"`{l}`" for l in got if not l.startswith(("exit ", "spans: ")))
    # Per span type (report.json semconv.span_types): percent of the required and of the
    # recommended attributes present, over the spans of that type ("-": none declared).
    pct = lambda v: "-" if v is None else f"{v:.0f}%"
    report = json.load(open(f"{work}/{lib}/report.json"))
    coverage = "<br>".join(
        f"{t['span_type']} ({t['spans']}): {pct(t['required'])} / {pct(t['recommended'])}"
        for t in report["semconv"]["span_types"])
    print(f"| {lib}: {', '.join(pins)} | {app} | {spans} | {coverage or 'none'} | {code} "
          f"| {findings or 'none'} |")
PY
doc="$src/docs/conformance.md"
python3 - "$doc" "$dir/table.md" "${UPDATE_DOCS:-0}" <<'PY' || fail "docs/conformance.md's table is not this run's (UPDATE_DOCS=1 rewrites it): $(cat "$dir/table.md")"
import sys
doc, table, update = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3] == "1"
text = open(doc).read()
begin, end = "<!-- matrix: begin -->\n", "<!-- matrix: end -->"
head, rest = text.split(begin)
_, tail = rest.split(end)
if update:
    open(doc, "w").write(head + begin + table + end + tail)
elif rest.split(end)[0] != table:
    sys.exit(1)
PY
echo PASS
