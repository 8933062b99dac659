#!/usr/bin/env bash
# Live alerting, tool failures: the tool-failures scenario with an incident phase that fails the
# payments tool (tests/e2e/testdata/alerts-tool-failures.yaml) generated into `agentstorm sink`,
# scraped by a real Prometheus evaluating the bundled GenAI rules with short windows and routing to
# a real Alertmanager. ToolErrorRateHigh fires for charge_card within the deadline counted from the
# incident phase and reaches Alertmanager, so `agentstorm check --alerts .. --alerts ..` exits 0.
set -euo pipefail
source "${AGENTSTORM_SOURCE_DIR:?}/tests/e2e/testdata/alerts_stack.bash"
alerts_stack_start

run_expect gen 0 generate "$src/tests/e2e/testdata/alerts-tool-failures.yaml" --endpoint "http://$otlp" \
  --ledger "$dir/run.ledger"
run_expect check 0 check --ledger "$dir/run.ledger" --backend "jaeger://$query" --wait 10s --quiet \
  --alerts "prometheus://$prom" --alerts "alertmanager://$am"
grep -Eq '^expected ToolErrorRateHigh\{.*gen_ai_tool_name="charge_card".*\}: firing at .* after the fault phase\), in Alertmanager$' \
  "$dir/check.out" || fail "check did not report ToolErrorRateHigh for charge_card firing and delivered"
if grep -q 'alerts\.' "$dir/check.out"; then fail "check reported an alerts finding"; fi
has_alert "http://$am/api/v2/alerts" ToolErrorRateHigh gen_ai_tool_name=charge_card service_name=billing-app ||
  fail "Alertmanager does not hold ToolErrorRateHigh for charge_card"
sed -n "/^alerts:$/,\$p" "$dir/check.out"
echo "PASS alerts_live_tools"
