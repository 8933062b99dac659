#!/usr/bin/env bash
# The `run` step of the agentstorm GitHub Action (action.yml): runs SCENARIO against ENDPOINT,
# reads BACKEND back and writes the reports to REPORT_DIR, then records the exit code as the
# step's output `exit-code` and appends report.md to the job's step summary. It never fails the
# step itself; the action's last step gates on the exit code (FAIL_ON_VIOLATION).
# Inputs come as environment variables (the action maps its inputs to them): SCENARIO ENDPOINT
# BACKEND PROTOCOL INSECURE WAIT CONFIG BASELINE ARGS REPORT_DIR IMAGE; GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY are the runner's files.
set -uo pipefail
: "${SCENARIO:?the scenario input is required}" "${ENDPOINT:?the endpoint input is required}"
: "${BACKEND:?the backend input is required}" "${GITHUB_OUTPUT:?}"
report_dir=${REPORT_DIR:-agentstorm-report}
args=(run "$SCENARIO" --endpoint "$ENDPOINT" --backend "$BACKEND" --wait "${WAIT:-3m}"
  --report "$report_dir")
[[ -n ${PROTOCOL:-} ]] && args+=(--protocol "$PROTOCOL")
[[ ${INSECURE:-false} == true ]] && args+=(--insecure)
[[ -n ${CONFIG:-} ]] && args+=(--config "$CONFIG")
if [[ -n ${BASELINE:-} ]]; then
  if [[ -f $BASELINE ]]; then
    args+=(--baseline "$BASELINE")
  else
    echo "agentstorm action: no baseline at $BASELINE (a first run has none); running without" >&2
  fi
fi
# ARGS: further flags, split on whitespace as a shell would (no quoting inside).
read -ra extra <<<"${ARGS:-}"
args+=("${extra[@]}")

mkdir -p "$report_dir"
if [[ -n ${IMAGE:-} ]]; then
  # The image runs as its own user; give it the runner's so the reports are the runner's files.
  cmd=(docker run --rm --network host --user "$(id -u):$(id -g)" -e HOME=/tmp
    -v "$PWD:$PWD" -w "$PWD" "$IMAGE")
else
  cmd=(agentstorm)
fi
echo "agentstorm action: ${cmd[*]} ${args[*]}"
code=0
"${cmd[@]}" "${args[@]}" || code=$?
echo "exit-code=$code" >>"$GITHUB_OUTPUT"
echo "report-dir=$report_dir" >>"$GITHUB_OUTPUT"
if [[ -n ${GITHUB_STEP_SUMMARY:-} && -f $report_dir/report.md ]]; then
  cat "$report_dir/report.md" >>"$GITHUB_STEP_SUMMARY"
fi
case $code in
  0) echo "agentstorm action: pass" ;;
  1) echo "agentstorm action: violations (exit 1)" ;;
  2) echo "agentstorm action: usage error (exit 2): a flag, scenario or file is wrong" ;;
  3) echo "agentstorm action: the endpoint or backend was unreachable (exit 3)" ;;
  *) echo "agentstorm action: exit $code" ;;
esac
exit 0
