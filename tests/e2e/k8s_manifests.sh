#!/usr/bin/env bash
# The Kubernetes manifests (ci/k8s) do what they say, without a cluster: kustomize (pinned, from
# the Go module proxy by ci/field-build) renders the example overlay with local parameters
# (3 shards of `smoke` into an embedded sink), then every pod the rendered Jobs would make runs
# here as a process with the pod's environment (its ConfigMap, JOB_COMPLETION_INDEX per
# generator pod, the Job's UID from the downward API) and its command, the volume's mount path
# mapped to a folder: the check Job's pod first (it must wait for every shard), then the
# generator pods at once. The check passes, and the union of the shard ledgers is exactly the
# single-process run's (same trace IDs). The rendered example keeps IfNotPresent, RWX, the
# Jaeger HTTP query port and completions = parallelism = SHARDS; a RUN used before is refused.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:?}
build=${AGENTSTORM_BUILD_DIR:?}

code=0
kustomize=$("$src/ci/field-build" --path kustomize 2>"$dir/field-build.err") || code=$?
((code != 77)) || { echo "SKIP: kustomize cannot be built here: $(tail -3 "$dir/field-build.err")"; exit 77; }
((code == 0)) || fail "ci/field-build kustomize exited $code: $(tail -5 "$dir/field-build.err")"
venv="$build/venv-yaml"
code=0
"$src/ci/pip-cached" "$src/tests/e2e/yaml-requirements.txt" "$venv" >"$dir/pip.out" 2>&1 || code=$?
((code != 77)) || { echo "SKIP: PyYAML cannot be installed here: $(tail -3 "$dir/pip.out")"; exit 77; }
((code == 0)) || fail "pip-cached exited $code"

# The example overlay as a user would render it.
"$kustomize" build "$src/ci/k8s/overlays/example" >"$dir/example.yaml" 2>"$dir/example.err" ||
  fail "kustomize build overlays/example: $(cat "$dir/example.err")"
"$kustomize" build "$src/ci/k8s/reports" >"$dir/reports.yaml" 2>"$dir/reports.err" ||
  fail "kustomize build reports: $(cat "$dir/reports.err")"

start_sink
# A local overlay over the example: the parameters a user changes, pointed at the sink.
mkdir -p "$dir/overlay"
rel=$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' \
  "$src/ci/k8s/overlays/example" "$dir/overlay")
comp=$(python3 -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' \
  "$src/ci/k8s/components/shards" "$dir/overlay")
cat >"$dir/overlay/kustomization.yaml" <<YAML
resources: [$rel]
components: [$comp]
configMapGenerator:
  - name: agentstorm-params
    behavior: merge
    literals:
      - RUN=local-1
      - SHARDS=3
      - SCENARIO=smoke
      - RATE=200/s
      - DURATION=2s
      - SEED=7
      - ENDPOINT=http://$sink_grpc
      - BACKEND=jaeger://$sink_query
      - WAIT=60s
      - SHARD_WAIT_SECONDS=240
YAML
"$kustomize" build "$dir/overlay" >"$dir/local.yaml" 2>"$dir/local.err" ||
  fail "kustomize build of the local overlay: $(cat "$dir/local.err")"

mkdir -p "$dir/path" "$dir/volume"
ln -s "$bin" "$dir/path/agentstorm"
"$venv/bin/python" - "$dir" <<'PY' >"$dir/pods.out" 2>&1 || fail "the pods: $(tail -30 "$dir/pods.out")"
import os, subprocess, sys, time, uuid
import yaml

d = sys.argv[1]

def docs(path):
    return [x for x in yaml.safe_load_all(open(path)) if x]

def by_kind(objs, kind):
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}

# The example as rendered for users.
ex = docs(f"{d}/example.yaml")
jobs = by_kind(ex, "Job")
assert set(jobs) == {"agentstorm-generate", "agentstorm-check"}, sorted(jobs)
gen = jobs["agentstorm-generate"]
cms = by_kind(ex, "ConfigMap")
params = next(iter(cms.values()))["data"]
assert gen["spec"]["completionMode"] == "Indexed"
assert gen["spec"]["completions"] == gen["spec"]["parallelism"] == int(params["SHARDS"]) == 8, gen["spec"]
assert gen["spec"]["backoffLimit"] == 0
assert ":16686" in params["BACKEND"] and params["BACKEND"].startswith("jaeger://"), params["BACKEND"]
pvc = by_kind(ex, "PersistentVolumeClaim")["agentstorm-ledgers"]
assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], pvc["spec"]
pods = [j["spec"]["template"]["spec"] for j in jobs.values()]
pods += [o["spec"] for o in docs(f"{d}/reports.yaml") if o["kind"] == "Pod"]
for spec in pods:
    for c in spec["containers"]:
        assert c["imagePullPolicy"] == "IfNotPresent", c["name"]
for j in jobs.values():
    assert j["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/agentstorm:0.1.0"

# The local overlay: every pod's process.
objs = docs(f"{d}/local.yaml")
jobs = by_kind(objs, "Job")
cms = by_kind(objs, "ConfigMap")
vol = f"{d}/volume"

started = 0


def pod_process(job, index, uid):
    spec = job["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    env = {"PATH": f"{d}/path:/usr/bin:/bin", "HOME": d}
    for ref in c.get("envFrom", []):
        env.update(cms[ref["configMapRef"]["name"]]["data"])
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            path = e["valueFrom"]["fieldRef"]["fieldPath"]
            assert path == "metadata.labels['batch.kubernetes.io/controller-uid']", path
            env[e["name"]] = uid
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    argv = c["command"] + c.get("args", [])
    for m in c["volumeMounts"]:
        argv = [a.replace(m["mountPath"], vol) for a in argv]
    global started
    started += 1
    log = open(f"{d}/pod{started}-{job['metadata']['name']}.log", "w")
    return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)

def wait(p, what, limit):
    try:
        return p.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        raise SystemExit(f"{what} did not finish in {limit}s")

gen, check = jobs["agentstorm-generate"], jobs["agentstorm-check"]
n = gen["spec"]["completions"]
assert n == gen["spec"]["parallelism"] == 3, gen["spec"]
uid = str(uuid.uuid4())
checker = pod_process(check, None, "")
time.sleep(3)
assert checker.poll() is None, "the check pod did not wait for the shards"
shards = [pod_process(gen, i, uid) for i in range(n)]
for i, p in enumerate(shards):
    assert wait(p, f"shard {i}", 120) == 0, f"shard {i} exited {p.returncode}"
shards_done = time.time()
assert wait(checker, "the check", 240) == 0, f"the check exited {checker.returncode}"
assert time.time() >= shards_done
assert os.path.exists(f"{vol}/local-1/report/report.json")
# The same RUN again: refused, nothing overwritten.
again = pod_process(gen, 0, str(uuid.uuid4()))
assert wait(again, "shard 0 again", 60) == 2, again.returncode
recheck = pod_process(check, None, "")
assert wait(recheck, "the check again", 60) == 2, recheck.returncode
open(f"{d}/uid", "w").write(uid)
print("PODS OK")
PY
grep -q 'PODS OK' "$dir/pods.out" || fail "the pods did not finish"
# pod1: the check; pod2-4: the shards; pod5, pod6: the same RUN again.
grep -q 'ran before; give this run a new RUN' "$dir/pod5-agentstorm-generate.log" ||
  fail "a generator pod of a RUN used before does not say so"
grep -q 'was checked before; give this run a new RUN' "$dir/pod6-agentstorm-check.log" ||
  fail "a check of a RUN checked before does not say so"

# The single-process run with the same parameters and run ID: the shards' union is exactly it.
uid=$(cat "$dir/uid")
run single 0 generate smoke --rate 200/s --duration 2s --seed 7 --run-id "$uid" \
  --endpoint "http://$sink_grpc" --ledger "$dir/single.ledger" --quiet
PYTHONPATH="$(dirname "$0")/lib" python3 - "$dir" <<'PY' || fail "the shards' union differs from the single-process run"
import sys
from ledger_ids import ledger_ids as ids
d = sys.argv[1]
_, single = ids(f"{d}/single.ledger")
union = {}
for i in range(3):
    shard, part = ids(f"{d}/volume/local-1/shard-{i}.ledger")
    assert shard == (i, 3), shard
    assert not set(part) & set(union)
    union.update(part)
assert len(single) == 400, len(single)
assert union == single, f"{len(union)} vs {len(single)} traces"
PY
grep -q 'run [0-9a-f]*, 3 shards' "$dir/pod1-agentstorm-check.log" || fail "the check did not read 3 shards"
grep -q '400 read back' "$dir/pod1-agentstorm-check.log" || fail "the check did not read every trace back"
grep -q '^PASS' "$dir/pod1-agentstorm-check.log" || fail "the check did not pass"
echo "PASS"
