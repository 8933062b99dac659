#!/usr/bin/env bash
# The GitHub Action (action.yml) and the example nightly workflow (ci/github) as written:
# both pass action-validator (from the npm registry, pinned in tests/e2e/action-validator; the
# GitHub Actions schemas of SchemaStore), which rejects a broken copy of each; the workflow's
# use of the action gives every required input and only inputs the action has; and the action's
# run step (ci/github/action-run.sh) runs here with the environment the action maps its inputs
# to (the workflow's values, the action's defaults), into an embedded sink: the step output
# carries agentstorm's exit code (0 pass, 2 for a bad scenario, 3 for an unreachable endpoint)
# and the step itself never fails, the reports are written and report.md goes to the summary.
set -euo pipefail
source "$(dirname "$0")/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:?}
build=${AGENTSTORM_BUILD_DIR:?}

validator_dir="$build/npm-action-validator"
code=0
"$src/ci/npm-ci-cached" "$src/tests/e2e/action-validator" "$validator_dir" >"$dir/npm.out" 2>&1 || code=$?
((code != 77)) || { echo "SKIP: action-validator cannot be installed here: $(tail -3 "$dir/npm.out")"; exit 77; }
((code == 0)) || fail "npm-ci-cached exited $code"
validate() { node "$validator_dir/node_modules/@action-validator/cli/cli.mjs" "$1" >"$dir/validate.out" 2>&1; }
validate "$src/action.yml" || fail "action.yml: $(head -40 "$dir/validate.out")"
validate "$src/ci/github/nightly-conformance.yml" || fail "the nightly workflow: $(head -40 "$dir/validate.out")"
# The validator is live: a composite step without its shell, a job without runs-on.
mkdir -p "$dir/broken/.github/workflows"
sed '0,/      shell: bash/{/      shell: bash/d}' "$src/action.yml" >"$dir/broken/action.yml"
! cmp -s "$src/action.yml" "$dir/broken/action.yml" || fail "could not break action.yml"
validate "$dir/broken/action.yml" && fail "action-validator accepted a composite step without shell"
sed 's/runs-on:/runs_on:/' "$src/ci/github/nightly-conformance.yml" >"$dir/broken/.github/workflows/n.yml"
validate "$dir/broken/.github/workflows/n.yml" && fail "action-validator accepted a job without runs-on"

venv="$build/venv-yaml"
code=0
"$src/ci/pip-cached" "$src/tests/e2e/yaml-requirements.txt" "$venv" >"$dir/pip.out" 2>&1 || code=$?
((code != 77)) || { echo "SKIP: PyYAML cannot be installed here: $(tail -3 "$dir/pip.out")"; exit 77; }
((code == 0)) || fail "pip-cached exited $code"

start_sink
mkdir -p "$dir/path" "$dir/work"
ln -s "$bin" "$dir/path/agentstorm"
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/python" - "$src" "$dir" "$sink_grpc" "$sink_query" "$closed" <<'PY' >"$dir/action.out" 2>&1 ||
import os, re, subprocess, sys
import yaml

src, d, grpc, query, closed = sys.argv[1:]
action = yaml.safe_load(open(f"{src}/action.yml"))
inputs = action["inputs"]
workflow = yaml.safe_load(open(f"{src}/ci/github/nightly-conformance.yml"))
(job,) = workflow["jobs"].values()
uses = [s for s in job["steps"] if s.get("uses") == "./"]
assert len(uses) == 1, "the workflow does not use this repository's action once"
given = uses[0]["with"]
assert set(given) <= set(inputs), f"inputs the action has not: {set(given) - set(inputs)}"
missing = {k for k, v in inputs.items() if v.get("required") and k not in given}
assert not missing, f"required inputs not given: {missing}"
(run_step,) = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
assert "action-run.sh" in run_step["run"]
used = set(re.findall(r"inputs\.([a-z-]+)", yaml.safe_dump(action["runs"])))
assert used <= set(inputs), f"the steps read inputs the action does not declare: {used - set(inputs)}"

def step_env(with_values):
    values = {k: str(v.get("default", "")) for k, v in inputs.items()}
    values.update({k: str(v) for k, v in with_values.items()})
    env = {}
    for name, expr in run_step["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expr)
        assert m, f"{name}: {expr}"
        env[name] = values[m.group(1)]
    return env

def run(case, with_values):
    out, summary = f"{d}/{case}.output", f"{d}/{case}.summary"
    env = {"PATH": f"{d}/path:/usr/bin:/bin", "HOME": d, "GITHUB_OUTPUT": out,
           "GITHUB_STEP_SUMMARY": summary, "GITHUB_ACTION_PATH": src}
    env.update(step_env(with_values))
    with open(f"{d}/{case}.log", "w") as log:
        p = subprocess.run(["bash", "-c", run_step["run"]], env=env, cwd=f"{d}/work",
                           stdout=log, stderr=subprocess.STDOUT, timeout=300)
    assert p.returncode == 0, f"{case}: the step failed ({p.returncode})"
    print(f"--- {case}:", open(f"{d}/{case}.log").read()[-1500:])
    outputs = dict(l.split("=", 1) for l in open(out).read().splitlines())
    return outputs, summary

# The workflow's own inputs, pointed at the sink (its config is a path in the repository): a
# verdict, not a usage error. The sink does not tail-sample as the suite's pipeline does, so
# the suite's sampling expectations may fail here.
nightly = dict(given, endpoint=f"http://{grpc}", backend=f"jaeger://{query}", wait="60s",
               config=f"{src}/{given['config']}", args="--traces 40", **{"report-dir": "out0"})
outputs, _ = run("nightly", nightly)
assert outputs["exit-code"] in ("0", "1"), outputs
assert os.path.exists(f"{d}/work/out0/report.json")
# smoke into the sink: a pass.
ok = dict(nightly, scenario="smoke", config="", **{"report-dir": "out"})
outputs, summary = run("pass", ok)
assert outputs["exit-code"] == "0", outputs
assert outputs["report-dir"] == "out", outputs
for f in ("report.json", "report.md", "report.html", "junit.xml"):
    assert os.path.exists(f"{d}/work/out/{f}"), f
assert open(summary).read() == open(f"{d}/work/out/report.md").read()
assert "no baseline at baseline/report.json" in open(f"{d}/pass.log").read()
# The report of that run as the next night's baseline.
os.makedirs(f"{d}/work/baseline", exist_ok=True)
os.replace(f"{d}/work/out/report.json", f"{d}/work/baseline/report.json")
outputs, _ = run("baseline", dict(ok, **{"report-dir": "out2"}))
assert outputs["exit-code"] in ("0", "1"), outputs
assert "--baseline baseline/report.json" in open(f"{d}/baseline.log").read()
outputs, _ = run("usage", dict(ok, scenario="no-such-scenario", **{"report-dir": "out3"}))
assert outputs["exit-code"] == "2", outputs
outputs, _ = run("unreachable", dict(ok, endpoint=f"http://127.0.0.1:{closed}", wait="5s",
                                     args="--traces 5", **{"report-dir": "out4"}))
assert outputs["exit-code"] == "3", outputs
print("ACTION OK")
PY
  fail "the action: $(tail -30 "$dir/action.out")"
grep -q 'ACTION OK' "$dir/action.out" || fail "the action checks did not finish"
echo "PASS"
