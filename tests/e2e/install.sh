#!/usr/bin/env bash
# The installed tool works on its own: `cmake --install` into a temporary prefix, and the Debian
# package (cpack) extracted into a root of its own, then, for each, in a
# private mount namespace with a tmpfs over the source and build trees (nothing compiled in can
# be read), the installed binary lists and validates the bundled scenarios, runs `run smoke`,
# checks traces against the bundled semconv profile and runs `bench --encode`, from another
# directory, and `bench --peer otel-js`, whose npm packages go to the cache folder. A binary
# copied without its data says where it looked and how to point it at the data
# (AGENTSTORM_DATA_DIR), which then works.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:?}
build=${AGENTSTORM_BUILD_DIR:?}

prefix="$dir/prefix"
cmake --install "$build" --prefix "$prefix" >"$dir/install.out" 2>&1 || fail "cmake --install failed"
[[ -x $prefix/bin/agentstorm ]] || fail "no bin/agentstorm in the prefix"
[[ -f $prefix/share/agentstorm/scenarios/smoke.yaml ]] || fail "no bundled scenarios installed"
[[ -f $prefix/share/agentstorm/scenarios/semconv/genai-latest.yaml ]] || fail "no semconv profile"
[[ -x $prefix/share/agentstorm/scenarios/alerts/render-rules ]] || fail "render-rules not executable"

# Out of reach: a tmpfs over each tree, in a mount namespace of our own (a user namespace when
# unprivileged). Where the kernel allows neither, say so and fail: the claim is not tested.
unshare_cmd=()
for try in "unshare -rm" "unshare -m"; do
  if $try true 2>/dev/null; then
    read -ra unshare_cmd <<<"$try"
    break
  fi
done
((${#unshare_cmd[@]})) || fail "no mount namespace here (unshare -rm and unshare -m both refused)"

# The Debian package of the same (CPack): its runtime dependencies declared, its files those of
# the install; extracted into a root of its own, it is checked like the install below.
(cd "$dir" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$dir/pkg") >"$dir/cpack.out" 2>&1 ||
  fail "cpack: $(tail -5 "$dir/cpack.out")"
deb=$(ls "$dir"/pkg/agentstorm_*_*.deb) || fail "no .deb made"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libjemalloc2 'libgrpc++' libprotobuf libyaml-cpp libmicrohttpd libcurl4; do
  [[ $depends == *"$lib"* ]] || fail "the package does not depend on $lib: $depends"
done
dpkg-deb -x "$deb" "$dir/debroot"
[[ -x $dir/debroot/usr/bin/agentstorm ]] || fail "no usr/bin/agentstorm in the package"
[[ -f $dir/debroot/usr/share/agentstorm/scenarios/semconv/genai-latest.yaml ]] ||
  fail "no semconv profile in the package"
# Every dependency is one apt can satisfy here (a simulation; nothing is installed).
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -s "$deb" >"$dir/apt.out" 2>&1 || fail "apt cannot install the package: $(tail -5 "$dir/apt.out")"
fi

cat >"$dir/in-namespace.sh" <<SCRIPT
set -euo pipefail
mount -t tmpfs none "$src"
[[ "$build" == "$src"/* ]] || mount -t tmpfs none "$build"
[[ -z \$(ls -A "$src") ]] || { echo "source tree still visible"; exit 1; }
for a in "$prefix/bin/agentstorm" "$dir/debroot/usr/bin/agentstorm"; do
mkdir -p "$dir/elsewhere" && cd "$dir/elsewhere"
\$a --version
\$a scenarios | grep -q research-fanout
\$a validate smoke
\$a run smoke --traces 20 --quiet
\$a generate smoke --dry-run --traces 3 >traces.jsonl
id=\$(python3 -c 'import json,sys; print(json.loads(open("traces.jsonl").readline())["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"])')
\$a check --backend file:traces.jsonl --trace-id "\$id" --quiet
\$a bench --encode --duration 1s | grep -q 'encode ratio'
done
# The bench peer installs its npm packages into the cache folder, not beside /usr/bin.
cd "$dir/elsewhere"
XDG_CACHE_HOME="$dir/cache" "$prefix/bin/agentstorm" bench --duration 1s --peer otel-js \
  --sink-prefault 0 --rate "20k spans/s" | grep '^ratio: '
env -u XDG_CACHE_HOME -u HOME "$prefix/bin/agentstorm" bench --duration 1s --peer otel-js \
  --sink-prefault 0 && { echo "bench --peer without HOME passed"; exit 1; }
echo "IN-NAMESPACE OK"
SCRIPT
"${unshare_cmd[@]}" bash "$dir/in-namespace.sh" >"$dir/ns.out" 2>&1 || fail "installed tool: $(tail -20 "$dir/ns.out")"
grep -q 'IN-NAMESPACE OK' "$dir/ns.out" || fail "the checks in the namespace did not finish"
grep -q "^data: $prefix/share/agentstorm" "$dir/ns.out" || fail "--version: $(head -3 "$dir/ns.out")"
grep -q "^data: $dir/debroot/usr/share/agentstorm" "$dir/ns.out" || fail "--version of the package"
grep -q '^ratio: ' "$dir/ns.out" || fail "bench --peer otel-js from the install: $(tail -5 "$dir/ns.out")"
[[ -f $dir/cache/agentstorm/otel-js/node_modules/.agentstorm-lock.sha256 ]] ||
  fail "the bench peer was not installed into \$XDG_CACHE_HOME/agentstorm/otel-js"
grep -q 'neither XDG_CACHE_HOME nor HOME is set.*give --peer-dir' "$dir/ns.out" ||
  fail "bench --peer without HOME: no hint"
grep -q '^agentstorm [0-9.]* (commit [0-9a-f]*\|unknown)' "$dir/ns.out" || fail "--version has no commit"

# A binary copied alone: the warning names where it looked and AGENTSTORM_DATA_DIR.
mkdir -p "$dir/lone"
cp "$prefix/bin/agentstorm" "$dir/lone/agentstorm"
code=0
(cd "$dir" && env -u AGENTSTORM_DATA_DIR "$dir/lone/agentstorm" validate smoke) >"$dir/lone.out" 2>&1 || code=$?
[[ $code == 2 ]] || fail "lone binary: validate smoke exit $code, want 2: $(cat "$dir/lone.out")"
grep -q 'AGENTSTORM_DATA_DIR' "$dir/lone.out" || fail "lone binary: no hint: $(cat "$dir/lone.out")"
AGENTSTORM_DATA_DIR="$prefix/share/agentstorm" "$dir/lone/agentstorm" validate smoke >"$dir/lone_env.out" 2>&1 ||
  fail "lone binary with AGENTSTORM_DATA_DIR: $(cat "$dir/lone_env.out")"
code=0
AGENTSTORM_DATA_DIR="$dir/nowhere" "$dir/lone/agentstorm" validate smoke >"$dir/lone_bad.out" 2>&1 || code=$?
[[ $code == 2 ]] || fail "AGENTSTORM_DATA_DIR to nothing: exit $code"
grep -q "AGENTSTORM_DATA_DIR=$dir/nowhere holds no scenarios/" "$dir/lone_bad.out" ||
  fail "AGENTSTORM_DATA_DIR to nothing: $(cat "$dir/lone_bad.out")"
echo "PASS"
