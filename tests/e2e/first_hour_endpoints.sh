#!/usr/bin/env bash
# Endpoint mistakes a newcomer makes, against a real (plaintext) sink: a bare HOST:PORT (which
# means TLS) gets exit 3 and a hint to use http://; a port where nothing listens gets a hint that
# nothing does; an OTLP/HTTP --endpoint that already ends in /v1/traces is used as it is (it was
# sent to /v1/traces/v1/traces before, and every span failed with 404).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

start_sink
run bare 3 generate smoke --traces 2 --rate max --endpoint "$sink_grpc"
grep -qF "hint: the TLS handshake failed; if the endpoint speaks plaintext (a collector's default), use http://$sink_grpc (a bare HOST:PORT means TLS)" \
  "$dir/bare.err" || fail "bare: no TLS hint"
run refused 3 generate smoke --traces 2 --rate max --endpoint http://127.0.0.1:1
grep -qF "hint: nothing accepts connections at 127.0.0.1:1" "$dir/refused.err" ||
  fail "refused: no hint"
for protocol in http/protobuf http/json; do
  name=full-url-${protocol#http/}
  run "$name" 0 generate smoke --traces 2 --rate max --protocol "$protocol" \
    --endpoint "http://$sink_http/v1/traces"
  grep -q "spans   acknowledged 8 (100.00%)" "$dir/$name.out" || fail "$name: not acknowledged"
done
echo PASS
