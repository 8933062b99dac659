#!/usr/bin/env bash
# Endpoint mistakes a newcomer makes, against a real (plaintext) sink: a bare HOST:PORT (which
# means TLS) gets exit 3 and a hint to use http://; a port where nothing listens gets a hint that
# nothing does; an OTLP/HTTP --endpoint that already ends in /v1/traces is used as it is (it was
# sent to /v1/traces/v1/traces before, and every span failed with 404); checking against a gRPC
# port is exit 3 at once (it waited out --wait on "Received HTTP/0.9").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"

start_sink
run bare 3 generate smoke --traces 2 --rate max --endpoint "$sink_grpc"
grep -qF "hint: the TLS handshake failed; if the endpoint speaks plaintext (a collector's default), use http://$sink_grpc (a bare HOST:PORT means TLS)" \
  "$dir/bare.err" || fail "bare: no TLS hint"
# gRPC's own log lines ("E1207 ... ssl_transport_security.cc ... Handshake failed") read like a
# crash and repeat what the hint says: not shown unless GRPC_VERBOSITY asks for them.
if grep -q "ssl_transport_security\|Handshake failed with fatal error" "$dir/bare.err"; then
  fail "bare: gRPC's raw log lines"
fi
GRPC_VERBOSITY=ERROR run bare-verbose 3 generate smoke --traces 1 --rate max --endpoint "$sink_grpc"
grep -q "Handshake failed" "$dir/bare-verbose.err" || fail "bare-verbose: GRPC_VERBOSITY ignored"
run refused 3 generate smoke --traces 2 --rate max --endpoint http://127.0.0.1:1
grep -qF "hint: nothing accepts connections at 127.0.0.1:1" "$dir/refused.err" ||
  fail "refused: no hint"
for protocol in http/protobuf http/json; do
  name=full-url-${protocol#http/}
  run "$name" 0 generate smoke --traces 2 --rate max --protocol "$protocol" \
    --endpoint "http://$sink_http/v1/traces"
  grep -q "spans   acknowledged 8 (100.00%)" "$dir/$name.out" || fail "$name: not acknowledged"
done
# The check side: the OTLP/gRPC port as a backend (as `jaeger://HOST:16685`, Jaeger's gRPC port)
# is exit 3 at once with the ports to use, not after --wait; the UI's http:// URL is exit 2 with
# the scheme to write.
run gen 0 generate smoke --traces 2 --rate max --endpoint "http://$sink_grpc" --ledger "$dir/l" --quiet
start=$SECONDS
run grpc-port 3 check --ledger "$dir/l" --backend "jaeger://$sink_grpc" --wait 60s
((SECONDS - start < 30)) || fail "grpc-port: waited out --wait"
grep -qF "does not speak HTTP/1.1: a gRPC port? Jaeger's HTTP query API is on 16686" \
  "$dir/grpc-port.out" "$dir/grpc-port.err" || fail "grpc-port: no hint"
run ui-url 2 check --ledger "$dir/l" --backend "http://$sink_query"
grep -qF "a backend URL names the API to read: jaeger://$sink_query for Jaeger's query API" \
  "$dir/ui-url.err" || fail "ui-url: no hint"
echo PASS
