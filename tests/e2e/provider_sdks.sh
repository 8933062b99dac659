#!/usr/bin/env bash
# `agentstorm provider` with the real provider SDK clients (openai, anthropic, google-genai from
# PyPI, pinned in tests/provider/requirements.txt, installed by ci/pip-cached under the build
# dir): every API, streaming, tools, prompt caching and each fault, as an app sees them
# (tests/provider/sdk_clients.py); the SDK's retries against a provider limiting a fraction of
# requests; bad flags are exit 2 with a did-you-mean, a port in use exit 3. Exit 77 (skip) when
# Python or PyPI is missing here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"
src=${AGENTSTORM_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
venv=${AGENTSTORM_BUILD_DIR:-$dir}/provider-venv
code=0
"$src/ci/pip-cached" "$src/tests/provider/requirements.txt" "$venv" || code=$?
if ((code == 77)); then
  echo "SKIP: the provider SDKs cannot be installed here (python3 venv or PyPI missing)" >&2
  exit 77
fi
((code == 0)) || fail "ci/pip-cached failed"

provider_pids=()
stop_providers() {
  for pid in "${provider_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  cleanup
}
trap stop_providers EXIT

# start_provider NAME ARGS...: sets url (http://127.0.0.1:PORT) from its first line.
start_provider() {
  local name=$1
  shift
  "$bin" provider --listen 127.0.0.1:0 "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  provider_pids+=($!)
  url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/^provider   listening on \(http:[^ ]*\) .*/\1/p' "$dir/$name.out")
    [[ -n $url ]] && return 0
    kill -0 "${provider_pids[-1]}" 2>/dev/null || fail "$name exited early"
    sleep 0.1
  done
  fail "$name printed no address within 10 s"
}

start_provider plain --timeout-delay 5s
plain=$url
start_provider limiting --fault rate-limit=0.5 --fault-seed 3 --log
limiting=$url
timeout 300 "$venv/bin/python" "$src/tests/provider/sdk_clients.py" "$plain" "$limiting" \
  >"$dir/sdk.out" 2>&1 || fail "the SDK clients failed: $(tail -30 "$dir/sdk.out")"
cat "$dir/sdk.out"
limited=$(grep -c 'fault rate-limit' "$dir/limiting.out" || true)
answered=$(grep -c -- '-> 200 openai.chat' "$dir/limiting.out" || true)
((limited > 0 && answered == 6)) ||
  fail "the limiting provider answered $answered of 6 calls, limited $limited: $(cat "$dir/limiting.out")"
echo "ok the SDK retried $limited rate-limited calls and got all 6 through"

# SIGTERM: it says how many requests it answered and exits 0.
kill -TERM "${provider_pids[0]}"
wait "${provider_pids[0]}" || fail "the provider did not exit 0 on SIGTERM"
grep -q '^received SIGTERM: answered [0-9]* requests' "$dir/plain.out" ||
  fail "no closing line: $(cat "$dir/plain.out")"

# Mistakes: a misspelt fault, a bad fraction, a bad address, a port in use.
run badfault 2 provider --fault rate-limt
grep -q 'did you mean rate-limit?' "$dir/badfault.err" || fail "no did-you-mean: $(cat "$dir/badfault.err")"
run badfraction 2 provider --fault timeout=1.5
grep -q 'in (0, 1]' "$dir/badfraction.err" || fail "bad fraction not explained"
run badlisten 2 provider --listen nowhere
port=${limiting##*:}
run inuse 3 provider --listen "127.0.0.1:$port"
echo PASS
