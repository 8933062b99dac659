#!/usr/bin/env bash
# The container image (Dockerfile) builds and runs here: podman (with runc) from Debian's
# packages, on a Debian bookworm base made with debootstrap (cached), builds the Dockerfile's
# runtime stage from the package this build makes (cpack; given as the build context that
# replaces the Dockerfile's build stage, so the test does not compile everything again), then
# runs the image: it is a non-root user with agentstorm as its entry point, `run smoke` passes
# inside it, and `agentstorm sink` in the container takes a run from the host's agentstorm and
# answers its check.
# Skips (77) where podman cannot run containers (not root, no runc); ci/setup installs them.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:?}
build=${AGENTSTORM_BUILD_DIR:?}

for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null || { echo "SKIP: no $tool here (ci/setup installs it)"; exit 77; }
done
[[ $(id -u) == 0 ]] || { echo "SKIP: podman needs root here (rootless podman is not set up)"; exit 77; }
# This sandbox may not raise a limit (no CAP_SYS_RESOURCE) and mounts cgroups v1 and v2 at once
# (crun refuses that; runc does not): the container gets the current limits and runc.
pod=(podman --runtime runc)
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=20000:20000")
tag="localhost/agentstorm-test:$$"
base=localhost/agentstorm-base:bookworm
containers=()
cleanup_image() {
  for c in "${containers[@]}"; do "${pod[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  "${pod[@]}" rmi -f "$tag" >/dev/null 2>&1 || true
  cleanup
}
trap cleanup_image EXIT

# The base: debootstrap's minimal bookworm from Debian's mirror, once per machine.
cache=${XDG_CACHE_HOME:-$HOME/.cache}/agentstorm-ci
mkdir -p "$cache"
if ! "${pod[@]}" image exists "$base"; then
  if [[ ! -s $cache/bookworm-minbase.tar ]]; then
    debootstrap --variant=minbase bookworm "$dir/rootfs" http://deb.debian.org/debian \
      >"$dir/debootstrap.out" 2>&1 || fail "debootstrap: $(tail -5 "$dir/debootstrap.out")"
    tar -C "$dir/rootfs" -cf "$cache/bookworm-minbase.tar.part" . && mv "$cache/bookworm-minbase.tar.part" "$cache/bookworm-minbase.tar"
    rm -rf "$dir/rootfs"
  fi
  "${pod[@]}" import "$cache/bookworm-minbase.tar" "$base" >"$dir/import.out" 2>&1 ||
    fail "podman import: $(tail -5 "$dir/import.out")"
fi

# The package of this build, as the build context named `build`.
mkdir -p "$dir/pkgctx/out"
(cd "$dir" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$dir/pkg") >"$dir/cpack.out" 2>&1 ||
  fail "cpack: $(tail -5 "$dir/cpack.out")"
cp "$dir"/pkg/agentstorm_*.deb "$dir/pkgctx/out/"

# The Dockerfile itself, from the source tree (its .dockerignore keeps build trees out).
timeout 900 "${pod[@]}" build --network host "${limits[@]}" -t "$tag" \
  --build-arg "BASE=$base" --build-context "build=$dir/pkgctx" \
  -f "$src/Dockerfile" "$src" >"$dir/build.out" 2>&1 || fail "podman build: $(tail -20 "$dir/build.out")"

[[ $("${pod[@]}" image inspect --format '{{.Config.User}}' "$tag") == agentstorm ]] ||
  fail "the image does not run as the agentstorm user"
[[ $("${pod[@]}" image inspect --format '{{json .Config.Entrypoint}}' "$tag") == '["agentstorm"]' ]] ||
  fail "the entry point is not agentstorm"
prun=("${pod[@]}" run --rm --network host "${limits[@]}")
"${prun[@]}" --entrypoint id "$tag" -u >"$dir/uid.out" 2>&1 || fail "id in the image"
[[ $(cat "$dir/uid.out") != 0 ]] || fail "the image runs as root"
"${prun[@]}" "$tag" --version >"$dir/version.out" 2>&1 || fail "--version in the image"
grep -q '^data: /usr/share/agentstorm$' "$dir/version.out" || fail "data folder: $(cat "$dir/version.out")"
timeout 300 "${prun[@]}" "$tag" run smoke --traces 20 >"$dir/smoke.out" 2>&1 ||
  fail "run smoke in the image: $(tail -20 "$dir/smoke.out")"
grep -q '^PASS' "$dir/smoke.out" || fail "run smoke in the image did not pass: $(tail -5 "$dir/smoke.out")"

# The sink in the container on the documented ports' roles (free ones here: host network), a run
# from the host into it, checked through its query API.
read -r grpc http query < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
name="agentstorm-sink-$$"
containers+=("$name")
"${pod[@]}" run -d --name "$name" --network host "${limits[@]}" "$tag" \
  sink --grpc "127.0.0.1:$grpc" --http "127.0.0.1:$http" --query "127.0.0.1:$query" >"$dir/sinkc.out" 2>&1 ||
  fail "sink container: $(cat "$dir/sinkc.out")"
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$query/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$query/healthz" >/dev/null || fail "the sink in the container never answered: $("${pod[@]}" logs "$name" 2>&1 | tail -5)"
run host_run 0 run smoke --traces 30 --endpoint "http://127.0.0.1:$grpc" \
  --backend "jaeger://127.0.0.1:$query" --wait 60s
grep -q '^PASS' "$dir/host_run.out" || fail "the run into the container's sink did not pass"
# The mistake the README warns of: the sink's default loopback addresses in a container, which
# a published port cannot reach; it says so, with the flags that fix it.
name2="agentstorm-sink-default-$$"
containers+=("$name2")
"${pod[@]}" run -d --name "$name2" --network host "${limits[@]}" "$tag" \
  sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 >"$dir/sinkc2.out" 2>&1 ||
  fail "second sink container: $(cat "$dir/sinkc2.out")"
for _ in $(seq 50); do
  "${pod[@]}" logs "$name2" 2>&1 | grep -q 'query API' && break
  sleep 0.2
done
"${pod[@]}" logs "$name2" >"$dir/sinkc2.log" 2>&1
grep -q 'note: running in a container and listening on 127.0.0.1:.*give --grpc 0.0.0.0:4317' "$dir/sinkc2.log" ||
  fail "no note about loopback addresses in a container: $(cat "$dir/sinkc2.log")"
echo "PASS"
