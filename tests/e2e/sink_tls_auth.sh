#!/usr/bin/env bash
# `agentstorm sink` with TLS, mTLS and a bearer token on every listener, driven as a user would:
# certificates made with the openssl CLI, `generate` over gRPC and OTLP/HTTP with --ca, --cert,
# --key and the token as a header, `check` through jaeger+https:// with ca=, cert=, key= and
# token=. Without the token an export is refused (UNAUTHENTICATED / 401, counted failed, never
# stored) and a query gets 401; /healthz stays open; a client without a certificate is turned
# away; a bad certificate file, a key that is not the certificate's or a token file that is empty
# is exit 2 naming the file (before, a mismatched key was exit 3 "cannot listen"); and a
# listener on every interface without a token gets a warning. Then `run` with its embedded sink
# guarded the same way (--sink-tls-*, --sink-auth-token-file): one command sends and checks over
# mTLS with the token, over gRPC and OTLP/HTTP, and with a self-signed certificate and no --ca;
# mTLS without --cert, or --sink-* with --endpoint, is exit 2.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cli_harness.bash"
command -v openssl >/dev/null || { echo "SKIP: the openssl CLI is missing" >&2; exit 77; }

certs=$dir/certs
mkdir -p "$certs"
(
  cd "$certs"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj /CN=agentstorm-test-ca
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -extfile server.ext
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
    -days 2 -extfile client.ext
  openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1
) >"$dir/openssl.log" 2>&1 || fail "openssl: $(tail -5 "$dir/openssl.log")"
token=s3cret-$RANDOM$RANDOM
echo "$token" >"$dir/token"

start_sink --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" \
  --tls-client-ca "$certs/ca.pem" --auth-token-file "$dir/token"
grep -qx "security   mTLS, bearer token" "$dir/sink.out" || fail "the sink does not say what guards it"

tls=(--ca "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key")
run grpc 0 generate smoke --traces 10 --rate max --endpoint "https://$sink_grpc" "${tls[@]}" \
  --header "Authorization=Bearer $token" --ledger "$dir/grpc.ledger"
grep -q "spans   acknowledged 40 (100.00%)" "$dir/grpc.out" || fail "grpc: not all acknowledged"
run http 0 generate smoke --traces 10 --rate max --protocol http/protobuf \
  --endpoint "https://$sink_http" "${tls[@]}" --header "Authorization=Bearer $token" \
  --ledger "$dir/http.ledger" --seed 2
grep -q "spans   acknowledged 40 (100.00%)" "$dir/http.out" || fail "http: not all acknowledged"
echo "ok exports over gRPC and OTLP/HTTP with mTLS and the token"

backend="jaeger+https://$sink_query?ca=$certs/ca.pem&cert=$certs/client.pem&key=$certs/client.key"
for l in grpc http; do
  run "check-$l" 0 check --ledger "$dir/$l.ledger" --backend "$backend&token=$token" --wait 10s
done
grep -q "token=\*\*\*" "$dir/check-grpc.out" || fail "check: the token is not masked"
! grep -q "$token" "$dir/check-grpc.out" "$dir/check-grpc.err" || fail "check: the token is shown"
echo "ok check reads them back through jaeger+https:// with mTLS and the token"

# Without the token: refused, counted failed, nothing stored; a query gets 401.
run no-token 3 generate smoke --traces 10 --rate max --endpoint "https://$sink_grpc" "${tls[@]}" \
  --seed 3
grep -q "failed 40" "$dir/no-token.out" || fail "no-token: not every span counted failed"
grep -q "missing or wrong bearer token" "$dir/no-token.err" ||
  fail "no-token: the sink's reason is not shown"
run wrong-token 3 generate smoke --traces 10 --rate max --protocol http/protobuf \
  --endpoint "https://$sink_http" "${tls[@]}" --header "Authorization=Bearer x$token" --seed 3
grep -q "failed 40" "$dir/wrong-token.out" || fail "wrong-token: not every span counted failed"
curl_tls=(-sS -m 10 --cacert "$certs/ca.pem" --cert "$certs/client.pem" --key "$certs/client.key")
code=$(curl "${curl_tls[@]}" -o "$dir/query.body" -w "%{http_code}" \
  "https://$sink_query/api/v3/services")
[[ $code == 401 ]] && grep -q "bearer token" "$dir/query.body" || fail "query without a token: $code"
code=$(curl "${curl_tls[@]}" -o /dev/null -w "%{http_code}" "https://$sink_query/healthz")
[[ $code == 200 ]] || fail "/healthz: $code, want 200 without a token"
curl "${curl_tls[@]}" -H "Authorization: Bearer $token" "https://$sink_query/metrics" \
  >"$dir/metrics.txt" || fail "metrics with the token"
grep -q 'result="unauthenticated"' "$dir/metrics.txt" || fail "refusals not counted as unauthenticated"
grep -qx "agentstorm_sink_store_spans 80" "$dir/metrics.txt" ||
  fail "want the 80 spans acknowledged stored, and nothing refused: $(grep store_spans "$dir/metrics.txt")"
echo "ok without the token: exports refused and counted failed, queries 401, /healthz open"

# Without a client certificate: no TLS handshake on gRPC, 401 on HTTP; plaintext to TLS fails.
run no-cert 3 generate smoke --traces 5 --rate max --endpoint "https://$sink_grpc" \
  --ca "$certs/ca.pem" --header "Authorization=Bearer $token" --seed 4
code=$(curl -sS -m 10 --cacert "$certs/ca.pem" -o "$dir/no-cert.body" -w "%{http_code}" \
  -H "Authorization: Bearer $token" "https://$sink_query/api/v3/services") || true
[[ $code == 401 ]] && grep -q "client certificate" "$dir/no-cert.body" ||
  fail "query without a client certificate: $code"
run plaintext 3 generate smoke --traces 5 --rate max --endpoint "http://$sink_grpc" \
  --header "Authorization=Bearer $token" --seed 4
echo "ok a client without a certificate is turned away"

# Mistakes: a bad certificate file, an empty token file; an open listener is warned about.
kill "$sink_pid"
sink_pid=""
run bad-cert 2 sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 \
  --tls-cert "$dir/token" --tls-key "$certs/server.key"
grep -q -- "--tls-cert $dir/token: not a PEM file" "$dir/bad-cert.err" || fail "bad-cert: $(cat "$dir/bad-cert.err")"
run not-a-pair 2 sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 127.0.0.1:0 \
  --tls-cert "$certs/server.pem" --tls-key "$certs/client.key"
grep -q "and --tls-key $certs/client.key: The certificate and the given key do not match" \
  "$dir/not-a-pair.err" || fail "not-a-pair: $(cat "$dir/not-a-pair.err")"
: >"$dir/empty"
run empty-token 2 sink --grpc 127.0.0.1:0 --auth-token-file "$dir/empty"
grep -q "the first line is empty" "$dir/empty-token.err" || fail "empty-token: $(cat "$dir/empty-token.err")"
"$bin" sink --grpc 127.0.0.1:0 --http 127.0.0.1:0 --query 0.0.0.0:0 >"$dir/open.out" \
  2>"$dir/open.err" &
open_pid=$!
for _ in $(seq 100); do grep -q "^query API" "$dir/open.out" && break; sleep 0.1; done
kill "$open_pid"
wait "$open_pid" || true
grep -q "warning: the query API listens on 0.0.0.0:[0-9]* with no authentication" "$dir/open.err" ||
  fail "no warning for an open listener: $(cat "$dir/open.err")"
! grep -q "OTLP/gRPC listens" "$dir/open.err" || fail "a loopback listener was warned about"
echo "ok mistakes are exit 2 naming the file; an open listener is warned about"

guarded=(--sink-tls-cert "$certs/server.pem" --sink-tls-key "$certs/server.key"
  --sink-tls-client-ca "$certs/ca.pem" --sink-auth-token-file "$dir/token")
for protocol in grpc http/protobuf; do
  name=run-${protocol%%/*}
  run "$name" 0 run smoke --traces 10 --protocol "$protocol" "${guarded[@]}" "${tls[@]}"
  grep -q "^embedded sink: OTLP https://127.0.0.1:[0-9]*, query jaeger+https://127.0.0.1:[0-9]*, mTLS, bearer token, holds 1.00M spans$" \
    "$dir/$name.out" || fail "$name: $(grep "embedded sink" "$dir/$name.out")"
  grep -q "spans   acknowledged 40 (100.00%)" "$dir/$name.out" || fail "$name: not all acknowledged"
  ! grep -q "$token" "$dir/$name.out" "$dir/$name.err" || fail "$name: the token is shown"
done
run run-self-signed 0 run smoke --traces 10 --sink-tls-cert "$certs/self.pem" \
  --sink-tls-key "$certs/self.key" --sink-auth-token-file "$dir/token"
grep -q "spans   acknowledged 40 (100.00%)" "$dir/run-self-signed.out" ||
  fail "run-self-signed: not all acknowledged"
run run-no-cert 2 run smoke --traces 10 "${guarded[@]}"
grep -q "give --cert and --key" "$dir/run-no-cert.err" || fail "run-no-cert: $(cat "$dir/run-no-cert.err")"
run run-endpoint 2 run smoke --traces 10 --sink-auth-token-file "$dir/token" \
  --endpoint http://127.0.0.1:4317 --backend jaeger://127.0.0.1:16686
grep -q "apply to the embedded sink" "$dir/run-endpoint.err" || fail "run-endpoint: $(cat "$dir/run-endpoint.err")"
run run-empty-token 2 run smoke --traces 10 --sink-auth-token-file "$dir/empty"
grep -q -- "--sink-auth-token-file $dir/empty: the first line is empty" "$dir/run-empty-token.err" ||
  fail "run-empty-token: $(cat "$dir/run-empty-token.err")"
run run-bad-key 2 run smoke --traces 10 --sink-tls-cert "$certs/server.pem" \
  --sink-tls-key "$certs/client.key"
grep -q -- "--sink-tls-key $certs/client.key: The certificate and the given key do not match" \
  "$dir/run-bad-key.err" || fail "run-bad-key: $(cat "$dir/run-bad-key.err")"
echo "ok run's embedded sink with mTLS and a token: sent and checked in one command"
echo PASS
