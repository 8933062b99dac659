#!/usr/bin/env bash
# Live alerting, runaway loop: the runaway-loop scenario (tests/e2e/testdata/alerts-runaway.yaml)
# generated into `agentstorm sink`, scraped by a real Prometheus evaluating the bundled GenAI rules
# with short windows and routing to a real Alertmanager. AgentRunawayLoop fires for coding_agent and
# reaches Alertmanager, so `agentstorm check --alerts prometheus://.. --alerts alertmanager://..`
# exits 0 and prints the alert's timeline; a scenario file that forbids every other alert fails
# with alerts.unexpected_alert_fired (AgentLatencyHigh: runaway runs last minutes).
set -euo pipefail
source "${AGENTSTORM_SOURCE_DIR:?}/tests/e2e/testdata/alerts_stack.bash"
alerts_stack_start

check_args() {  # check_args LEDGER
  echo check --ledger "$1" --backend "jaeger://$query" --wait 10s --quiet \
    --alerts "prometheus://$prom" --alerts "alertmanager://$am"
}
# Two runs at once: alerts-runaway.yaml (AgentRunawayLoop must fire, only the context-window and
# missing-traces alerts must stay silent) and alerts-runaway-strict.yaml (every other alert must
# stay silent, but the long runaway runs raise AgentLatencyHigh).
run_expect gen 0 generate "$src/tests/e2e/testdata/alerts-runaway.yaml" --endpoint "http://$otlp" \
  --ledger "$dir/run.ledger" &
gen=$!
run_expect gen-strict 0 generate "$src/tests/e2e/testdata/alerts-runaway-strict.yaml" \
  --endpoint "http://$otlp" --seed 2 --ledger "$dir/strict.ledger" &
gen_strict=$!
wait "$gen" || exit 1
wait "$gen_strict" || exit 1
run_expect check 0 $(check_args "$dir/run.ledger") &
check=$!
run_expect check-strict 1 $(check_args "$dir/strict.ledger") &
check_strict=$!
wait "$check" || exit 1
wait "$check_strict" || exit 1

grep -Eq '^expected AgentRunawayLoop\{.*gen_ai_agent_name="coding_agent".*\}: firing at .*, in Alertmanager$' \
  "$dir/check.out" || fail "check did not report AgentRunawayLoop firing and delivered"
if grep -q 'alerts\.' "$dir/check.out"; then fail "check reported an alerts finding"; fi
# Prometheus agrees: its ALERTS series shows the alert firing for the agent, with the rule's labels.
curl -s "http://$prom/api/v1/query" --data-urlencode \
  'query=count_over_time(ALERTS{alertname="AgentRunawayLoop",alertstate="firing",gen_ai_agent_name="coding_agent",severity="warning"}[2m])' |
  grep -q '"result":\[{' || fail "Prometheus's ALERTS series has no firing AgentRunawayLoop"
sed -n "/^alerts:$/,\$p" "$dir/check.out"

# The strict file: AgentRunawayLoop fired as expected, AgentLatencyHigh is reported as unexpected.
grep -Eq 'alert AgentLatencyHigh\{.*span_name="invoke_agent coding_agent".*\} fired at .* but the scenario expects it to stay silent' \
  "$dir/check-strict.out" || fail "check-strict: no alerts.unexpected_alert_fired for AgentLatencyHigh"
grep -Eq '^unexpected AgentLatencyHigh\{.*\}: firing at ' "$dir/check-strict.out" ||
  fail "check-strict: no timeline for the unexpected AgentLatencyHigh"
grep -Eq '^expected AgentRunawayLoop\{gen_ai_agent_name="coding_agent"\}: firing at .*, in Alertmanager$' \
  "$dir/check-strict.out" || fail "check-strict: AgentRunawayLoop not reported firing"
if grep -q 'alerts\.expected_alert_not_fired' "$dir/check-strict.out"; then
  fail "check-strict: AgentRunawayLoop reported as not fired"
fi
sed -n "/^alerts$/,/^$/p;/^alerts:$/,\$p" "$dir/check-strict.out"
echo "PASS alerts_live_runaway"
