#!/usr/bin/env bash
# Live alerting, runaway loop: the runaway-loop scenario (tests/e2e/testdata/alerts-runaway.yaml)
# generated into `agentstorm sink`, scraped by a real Prometheus evaluating the bundled GenAI rules
# with short windows and routing to a real Alertmanager. AgentRunawayLoop fires for coding_agent and
# reaches Alertmanager, so `agentstorm check --alerts prometheus://.. --alerts alertmanager://..`
# exits 0 and prints the alert's timeline.
set -euo pipefail
source "${AGENTSTORM_SOURCE_DIR:?}/tests/e2e/testdata/alerts_stack.bash"
alerts_stack_start

run_expect gen 0 generate "$src/tests/e2e/testdata/alerts-runaway.yaml" --endpoint "http://$otlp" \
  --ledger "$dir/run.ledger"
run_expect check 0 check --ledger "$dir/run.ledger" --backend "jaeger://$query" --wait 10s --quiet \
  --alerts "prometheus://$prom" --alerts "alertmanager://$am"
grep -Eq '^expected AgentRunawayLoop\{.*gen_ai_agent_name="coding_agent".*\}: firing at .*, in Alertmanager$' \
  "$dir/check.out" || fail "check did not report AgentRunawayLoop firing and delivered"
if grep -q 'alerts\.' "$dir/check.out"; then fail "check reported an alerts finding"; fi
# Prometheus agrees: the alert is still firing for the agent, with the rule's labels.
has_alert "http://$prom/api/v1/alerts" AgentRunawayLoop gen_ai_agent_name=coding_agent severity=warning ||
  fail "Prometheus does not list AgentRunawayLoop"
sed -n "/^alerts:$/,\$p" "$dir/check.out"
echo "PASS alerts_live_runaway"
