#!/usr/bin/env bash
# What agentstorm reports about a load against a real OpenTelemetry Collector must match the
# collector's own telemetry (its Prometheus /metrics): `generate`'s acknowledged spans and
# requests against otelcol_receiver_accepted_spans, otelcol_exporter_sent_spans and the gRPC
# server's call count; `capacity --pipeline-metrics` per probe the same, `bench --endpoint
# --pipeline-metrics` too; and a collector that acknowledges everything but fails to export it
# fails the probe and bench's loss check, naming the failed exports.
# A --pipeline-metrics that is not a collector's is exit 3 before any load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_jaeger
start_otelcol passthrough.yaml

export_method=rpc_method=opentelemetry.proto.collector.trace.v1.TraceService/Export
calls() { metric rpc_server_call_duration_count "$export_method"; }
server_seconds() { metric --micro rpc_server_call_duration_sum "$export_method"; }  # in us

# generate: acknowledged spans = accepted = exported; requests = the server's Export calls.
accepted0=$(metric otelcol_receiver_accepted_spans)
exported0=$(metric otelcol_exporter_sent_spans)
calls0=$(calls)
server_seconds0=$(server_seconds)
run generate 0 generate smoke --traces 1000 --rate 500 --endpoint "http://$otelcol_grpc" \
  --summary-json "$dir/generate.json"
acked=$(sed -n 's/^  spans   acknowledged \([0-9]*\) .*/\1/p' "$dir/generate.out")
requests=$(sed -n 's/^  wire    [0-9]* batches, \([0-9]*\) requests.*/\1/p' "$dir/generate.out")
[[ -n $acked && -n $requests ]] || fail "generate: no acknowledged or request count"
for _ in $(seq 100); do  # the batch processor sends on within 200 ms; 10 s at most
  (($(metric otelcol_exporter_sent_spans) - exported0 >= acked)) && break
  sleep 0.1
done
accepted=$(($(metric otelcol_receiver_accepted_spans) - accepted0))
exported=$(($(metric otelcol_exporter_sent_spans) - exported0))
server_calls=$(($(calls) - calls0))
[[ $accepted == "$acked" && $exported == "$acked" && $server_calls == "$requests" ]] ||
  fail "generate: acknowledged $acked in $requests requests; the collector accepted $accepted, exported $exported, served $server_calls calls"
[[ $(metric otelcol_receiver_refused_spans) == 0 ]] || fail "generate: the collector refused spans"
echo "ok generate: $acked spans in $requests requests, as the collector counted them"
# Its export latency is the collector's time serving those calls plus the loopback round trip:
# not less, and not more than twice it plus 50 ms.
python3 - "$dir/generate.json" "$(($(server_seconds) - server_seconds0))" "$server_calls" \
  >"$dir/latency.txt" <<'PY' || fail "generate: $(cat "$dir/latency.txt")"
import json, sys
ep, = json.load(open(sys.argv[1]))["endpoints"]
client_ms = ep["latency_from_send"]["mean_ms"]
server_ms = int(sys.argv[2]) / int(sys.argv[3]) / 1000
print(f"export latency mean {client_ms:.2f} ms, the collector served each call in {server_ms:.2f} ms")
assert server_ms <= client_ms <= 2 * server_ms + 50, "latency is not the collector's"
PY
echo "ok generate: $(cat "$dir/latency.txt")"

# capacity --pipeline-metrics: each probe's counts are the collector's, all probes together
# are everything it accepted.
accepted0=$(metric otelcol_receiver_accepted_spans)
run capacity 0 capacity smoke --endpoint "http://$otelcol_grpc" --start-rate "2k spans/s" \
  --max-rate "4k spans/s" --probe-duration 1s --max-probes 2 --slo-p99 2s \
  --pipeline-metrics "http://$otelcol_metrics/metrics" --report "$dir/capacity"
accepted=$(($(metric otelcol_receiver_accepted_spans) - accepted0))
python3 - "$dir/capacity/capacity.json" "$accepted" <<'PY' || fail "capacity: $(cat "$dir/capacity.out")"
import json, sys
probes = json.load(open(sys.argv[1]))["probes"]
assert len(probes) == 2, probes
for p in probes:
    c = p["pipeline"]
    assert c["accepted"] == p["spans_acknowledged"] == c["exported"], p
    assert c["refused"] == 0 and c["export_failed"] == 0 and p["passed"], p
total = sum(p["spans_acknowledged"] for p in probes)
assert total == int(sys.argv[2]), f"probes acknowledged {total}, the collector accepted {sys.argv[2]}"
PY
grep -q "pipeline: accepted" "$dir/capacity.out" || fail "capacity: the pipeline's counts not shown"
echo "ok capacity: every probe's counts are the collector's"

# bench --endpoint: the generator into the collector; its count, loss check and CPU split are
# the collector's own, and equal what the collector counted.
accepted0=$(metric otelcol_receiver_accepted_spans)
run bench 0 bench --duration 2s --rate "20k spans/s" --endpoint "http://$otelcol_grpc" \
  --pipeline-metrics "http://$otelcol_metrics/metrics"
acked=$(sed -n 's/^  acknowledged \([0-9]*\), rejected 0, failed 0, not sent 0$/\1/p' "$dir/bench.out")
accepted=$(($(metric otelcol_receiver_accepted_spans) - accepted0))
[[ -n $acked && $acked == "$accepted" ]] ||
  fail "bench: acknowledged ${acked:-?}, the collector accepted $accepted"
grep -q "the pipeline: accepted $acked, refused 0, exported $acked, export failed 0" \
  "$dir/bench.out" || fail "bench: the pipeline's counts are not the collector's"
grep -q "zero loss: yes" "$dir/bench.out" || fail "bench: no zero-loss verdict"
grep -q "CPU: generator .*, pipeline .*s" "$dir/bench.out" || fail "bench: no CPU split"
run bench-no-endpoint 2 bench --pipeline-metrics "http://$otelcol_metrics/metrics"
echo "ok bench: $acked spans, as the collector counted them"

# Not a collector's metrics, or nothing there: exit 3 before any load.
run not-metrics 3 capacity smoke --endpoint "http://$otelcol_grpc" \
  --pipeline-metrics "http://$jaeger_query/api/services" --max-probes 1
grep -q "nothing was sent" "$dir/not-metrics.err" || fail "not-metrics: $(cat "$dir/not-metrics.err")"
run refused 3 capacity smoke --endpoint "http://$otelcol_grpc" \
  --pipeline-metrics "http://127.0.0.1:1/metrics" --max-probes 1
echo "ok a --pipeline-metrics that is not a collector's is exit 3 before any load"

# A collector that acknowledges everything and loses it downstream: the probe fails on its counts.
stop_otelcol
start_otelcol export_fails.yaml
run lossy 0 capacity smoke --endpoint "http://$otelcol_grpc" --start-rate "2k spans/s" \
  --probe-duration 1s --max-probes 1 --slo-p99 2s \
  --pipeline-metrics "http://$otelcol_metrics/metrics" --report "$dir/lossy"
python3 - "$dir/lossy/capacity.json" <<'PY' || fail "lossy: $(cat "$dir/lossy.out")"
import json, sys
p = json.load(open(sys.argv[1]))["probes"][0]
assert p["spans_acknowledged"] == p["spans_scheduled"] > 0, p
assert p["pipeline"]["export_failed"] == p["pipeline"]["accepted"] == p["spans_acknowledged"], p
assert not p["passed"], p
PY
grep -q "FAIL (the pipeline failed to export [0-9]* spans it had acknowledged)" "$dir/lossy.out" ||
  fail "lossy: the probe's failure is not explained"
echo "ok capacity: spans acknowledged but not exported fail the probe"
run lossy-bench 1 bench --duration 1s --rate "10k spans/s" --endpoint "http://$otelcol_grpc" \
  --pipeline-metrics "http://$otelcol_metrics/metrics"
grep -q "zero loss: NO: the pipeline failed to export [0-9]*" "$dir/lossy-bench.out" ||
  fail "lossy-bench: the failed exports are not named"
echo "ok bench: spans acknowledged but not exported are loss"
echo PASS
