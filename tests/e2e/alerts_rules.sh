#!/usr/bin/env bash
# The bundled GenAI alerting rules pass `promtool check rules` as shipped and as rendered with
# short windows, and `promtool test rules` proves each alert fires on the series the sink
# exports (and not on healthy ones); the same for the canary's alerts.
set -euo pipefail
src=${AGENTSTORM_SOURCE_DIR:?}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (ci/setup installs prometheus)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

promtool check rules "$src/scenarios/alerts/genai.rules.yml"
"$src/scenarios/alerts/render-rules" --window 20s --for 5s --silence 20 > "$tmp/short.rules.yml"
promtool check rules "$tmp/short.rules.yml"
grep -q 'rate(agentstorm_gen_ai_tool_calls_total\[20s\])' "$tmp/short.rules.yml"
grep -q '^        for: 5s$' "$tmp/short.rules.yml"
grep -q '> 20$' "$tmp/short.rules.yml"
if grep -q '\[10m\]' <(grep -v '^ *#' "$tmp/short.rules.yml"); then
  echo "FAIL: a window was left at 10m"; exit 1
fi
if "$src/scenarios/alerts/render-rules" --window soon >/dev/null 2>&1; then
  echo "FAIL: render-rules accepted a bad window"; exit 1
fi

cp "$src/scenarios/alerts/genai.rules.yml" "$src/tests/e2e/testdata/genai.rules.test.yml" "$tmp/"
promtool test rules "$tmp/genai.rules.test.yml"

# The canary's alerts (agentstorm canary's /metrics; e2e.canary_cli checks it serves every
# series they read) fire on a troubled canary's series and stay quiet on a healthy one.
promtool check rules "$src/scenarios/alerts/canary.rules.yml"
cp "$src/scenarios/alerts/canary.rules.yml" "$src/tests/e2e/testdata/canary.rules.test.yml" "$tmp/"
(cd "$tmp" && promtool test rules canary.rules.test.yml)
echo "PASS alerts_rules"
