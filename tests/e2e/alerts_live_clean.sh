#!/usr/bin/env bash
# Live alerting, healthy traffic: the smoke scenario generated into `agentstorm sink`, scraped by a
# real Prometheus evaluating the bundled GenAI rules with short windows, routing to a real
# Alertmanager. Two runs share the stack, at the same time:
#   - tests/e2e/testdata/alerts-clean.yaml expects no alert: nothing fires and
#     `agentstorm check --alerts .. --alerts ..` exits 0 without alerts.unexpected_alert_fired;
#   - tests/e2e/testdata/alerts-clean-expects.yaml declares AgentRunawayLoop and ToolErrorRateHigh
#     as expected: the check exits 1 with alerts.expected_alert_not_fired for both.
set -euo pipefail
source "${AGENTSTORM_SOURCE_DIR:?}/tests/e2e/testdata/alerts_stack.bash"
alerts_stack_start

check_args() {  # check_args LEDGER
  echo check --ledger "$1" --backend "jaeger://$query" --wait 10s --quiet \
    --alerts "prometheus://$prom" --alerts "alertmanager://$am"
}
run_expect gen-clean 0 generate "$src/tests/e2e/testdata/alerts-clean.yaml" --endpoint "http://$otlp" \
  --ledger "$dir/clean.ledger" &
gen_clean=$!
run_expect gen-expects 0 generate "$src/tests/e2e/testdata/alerts-clean-expects.yaml" \
  --endpoint "http://$otlp" --seed 2 --ledger "$dir/expects.ledger" &
gen_expects=$!
wait "$gen_clean" || exit 1
wait "$gen_expects" || exit 1

run_expect check-clean 0 $(check_args "$dir/clean.ledger") &
check_clean=$!
run_expect check-expects 1 $(check_args "$dir/expects.ledger") &
check_expects=$!
wait "$check_clean" || exit 1
wait "$check_expects" || exit 1

# (d) No expectations, nothing fired: no alerts finding, no timeline, Prometheus holds no alert.
if grep -q 'alerts\.' "$dir/check-clean.out"; then fail "the clean check reported an alerts finding"; fi
grep -Eq 'passed: alerts 1/1' "$dir/check-clean.out" || fail "the clean check did not evaluate the alerts"
[[ $(sed -n '/^alerts:$/,$p' "$dir/check-clean.out") == "alerts:" ]] ||
  fail "the clean check printed alert timelines"
curl -s "http://$prom/api/v1/alerts" | grep -q '"alerts":\[\]' || fail "Prometheus holds alerts"

# (c) Declared but impossible: both expected alerts are reported as not fired, nothing else.
for alert in AgentRunawayLoop ToolErrorRateHigh; do
  grep -Eq "alert $alert\\{\\} did not fire within 30s of the fault phase" "$dir/check-expects.out" ||
    fail "check-expects: no alerts.expected_alert_not_fired for $alert"
  grep -Eq "^expected $alert\\{\\}: never fired$" "$dir/check-expects.out" ||
    fail "check-expects: no 'never fired' timeline for $alert"
done
grep -Eq '^  violation +alerts\.expected_alert_not_fired +2$' "$dir/check-expects.out" ||
  fail "check-expects: want exactly 2 alerts.expected_alert_not_fired"
if grep -q 'alerts\.unexpected_alert_fired\|alerts\.rule_unhealthy' "$dir/check-expects.out"; then
  fail "check-expects: unexpected alerts finding"
fi
sed -n "/^alerts$/,/^$/p;/^alerts:$/,\$p" "$dir/check-expects.out"
echo "PASS alerts_live_clean"
