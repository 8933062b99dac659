#!/usr/bin/env bash
# Mistyped names, as a newcomer types them, get what was probably meant (exit 2, nothing sent):
# a flag (`--endpont`), telemetrygen's flags (`--otlp-endpoint`, `--otlp-insecure`), a
# subcommand (`genrate`), a bundled scenario (`run smok`, `validate smok`), a scenario file that
# does not exist. Before, CLI11 said "The following arguments were not expected: x --endpont"
# and `run smok` said "smok: cannot read file".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

expect() {  # NAME TEXT: $dir/NAME.err holds TEXT
  grep -qF -- "$2" "$dir/$1.err" || fail "$1: want \"$2\", got: $(cat "$dir/$1.err")"
}
run flag 2 generate smoke --endpont http://127.0.0.1:4317
expect flag "agentstorm generate: unknown option --endpont; did you mean --endpoint?"
run telemetrygen 2 generate smoke --otlp-endpoint 127.0.0.1:4317 --otlp-insecure
expect telemetrygen "unknown option --otlp-endpoint; did you mean --endpoint?"
expect telemetrygen "unknown option --otlp-insecure; did you mean --insecure?"
run equals 2 run smoke --tls-crt=a --traces 1
expect equals "agentstorm run: unknown option --tls-crt"
run sink-flag 2 sink --tls-crt a
expect sink-flag "agentstorm sink: unknown option --tls-crt; did you mean --tls-cert?"
run far 2 generate smoke --bogus-thing 3
expect far "agentstorm generate: unknown option --bogus-thing (agentstorm generate --help lists them)"
run command 2 genrate smoke
expect command "agentstorm: unknown command \"genrate\"; did you mean generate?"
run missing-required 2 check --ledgr x
expect missing-required "agentstorm check: unknown option --ledgr; did you mean --ledger?"
run scenario 2 run smok --traces 1
expect scenario "unknown scenario \"smok\": no such file and no bundled scenario of that name; did you mean smoke?"
run validate 2 validate smok
grep -qF "did you mean smoke?" "$dir/validate.out" || fail "validate: $(cat "$dir/validate.out")"
run no-file 2 generate ./no-such-scenario.yaml --dry-run
expect no-file "scenario file ./no-such-scenario.yaml: no such file"
# A finding ID mistyped in a check config would silently keep its level or suppression from
# applying: exit 2 naming file, line and the closest ID, before anything is sent.
printf 'levels:\n  semconv.recommended_coverag: information\n' >"$dir/typo.yaml"
run config-typo 2 run smoke --traces 5 --config "$dir/typo.yaml"
expect config-typo "typo.yaml:2:3: levels.semconv.recommended_coverag: unknown finding ID \"semconv.recommended_coverag\"; did you mean semconv.recommended_coverage?"
if grep -q "== generate ==" "$dir/config-typo.out"; then fail "config-typo: sent before the config was read"; fi
# What is right still works, and an unexpected word that is not a name keeps CLI11's message.
run fine 0 validate smoke
run extra-word 2 generate smoke x y
expect extra-word "The following arguments were not expected"
echo PASS
