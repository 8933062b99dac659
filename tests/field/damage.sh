#!/usr/bin/env bash
# Damage a real collector does, named by the right finding: research-fanout through
# tests/field/otelcol/damage.yaml into Jaeger. Against the same run's findings on the embedded
# sink, the check must add exactly: fidelity.value_truncated for every string attribute longer
# than 32 characters, fidelity.attribute_dropped for every server.port and
# gen_ai.conversation.id, fidelity.attribute_added for every session.id, fidelity.span_missing
# for every `execute_tool citation_db` span (counts from the dry run of the same seed), each
# example naming that attribute or span; what the damage makes of the stored data: one
# semconv.conditionally_required_missing per span left with server.address but no server.port,
# and check.count_mismatch (fewer spans read than acknowledged); and nothing else. Then a
# memory_limiter that refuses everything: every span counted as failed, none as lost. Then one
# that refuses part of a load (tests/field/otelcol/memory_pressure.yaml): what agentstorm counts
# acknowledged is what the collector accepted and exported, every refused span is counted failed,
# the check finds every acknowledged span in Jaeger and reports nothing lost or damaged, only
# the spans never acknowledged (the default threshold, exit 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../e2e/lib/cli_harness.bash"
source "$here/lib/field.bash"
start_jaeger
start_otelcol damage.yaml

common=(research-fanout --traces 40 --seed 5 --quiet)
sink_reference damage "${common[@]}" --rate max --wait 5s --format json
"$bin" generate "${common[@]}" --dry-run --format otlp-json >"$dir/sent.json" 2>"$dir/sent.err"
run damaged 1 run "${common[@]}" --rate max --format json --endpoint "http://$otelcol_grpc" \
  --backend "jaeger://$jaeger_query" --wait 8s --report "$dir/damaged"

python3 - "$dir/sent.json" "$dir/sink-damage/report.json" "$dir/damaged/report.json" <<'PY' ||
import collections, json, sys
sent, reference, damaged = sys.argv[1:]
want = collections.Counter()
for f in json.load(open(reference))["findings"]:
    want[f["id"]] += f["count"]
for line in open(sent):
    if not line.strip():
        continue
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if span["name"] == "execute_tool citation_db":
                    want["fidelity.span_missing"] += 1
                    continue
                for a in span.get("attributes", []):
                    if len(a["value"].get("stringValue", "")) > 32:
                        want["fidelity.value_truncated"] += 1
                    if a["key"] in ("server.port", "gen_ai.conversation.id"):
                        want["fidelity.attribute_dropped"] += 1
                    if a["key"] == "server.port":  # server.address is left without it
                        want["semconv.conditionally_required_missing"] += 1
                    if a["key"] == "gen_ai.conversation.id":
                        want["fidelity.attribute_added"] += 1
want["check.count_mismatch"] += 1  # the run-level guard: fewer spans read than acknowledged
got = collections.Counter()
named = {"fidelity.value_truncated": {"gen_ai.response.id", "gen_ai.agent.description"},
         "fidelity.attribute_dropped": {"server.port", "gen_ai.conversation.id"},
         "fidelity.attribute_added": {"session.id"},
         "semconv.conditionally_required_missing": {"server.port"}}
bad = []
for f in json.load(open(damaged))["findings"]:
    got[f["id"]] += f["count"]
    for e in f["examples"]:
        if f["id"] in named and e["attribute"] not in named[f["id"]]:
            bad.append(f"{f['id']} names {e['attribute']!r}")
        if f["id"] == "fidelity.span_missing" and e["span_name"] != "execute_tool citation_db":
            bad.append(f"span_missing names {e['span_name']!r}")
got.pop("check.spans_of_another_run", None)
if got != want or bad:
    print("want:", dict(sorted(want.items())))
    print("got: ", dict(sorted(got.items())))
    print("\n".join(bad))
    sys.exit(1)
print("ok damage:", ", ".join(f"{k} {want[k]}" for k in sorted(want) if k.startswith("fidelity")))
PY
  fail "the damage is not named exactly"

run limited 3 run "${common[@]}" --rate max --endpoint "http://$otelcol_grpc2" \
  --backend "jaeger://$jaeger_query" --wait 8s --report "$dir/limited" --format json
# A memory_limiter refusing everything: exit 3, every span counted as failed (none acknowledged,
# none "lost by the pipeline"), and the collector's own reason given.
spans=$(sed -n 's/^scheduled 40 traces, \([0-9]*\) spans.*/\1/p' "$dir/limited.out")
[[ -n $spans ]] || fail "limited: no span count in the summary"
grep -q "spans   acknowledged 0 (0.00%)  rejected 0  failed $spans  not sent 0" "$dir/limited.out" ||
  fail "limited: not every one of the $spans spans counted as failed"
grep -q "accepted no span: .*data refused due to high memory usage" "$dir/limited.err" ||
  fail "limited: the collector's refusal is not named"
echo "ok memory_limiter: $spans spans failed, the refusal named"

stop_otelcol
start_otelcol memory_pressure.yaml
run pressed 1 run research-fanout --traces 2000 --seed 5 --quiet --rate max \
  --endpoint "http://$otelcol_grpc" --backend "jaeger://$jaeger_query" --wait 8s \
  --report "$dir/pressed" --format json
for _ in $(seq 100); do  # the batch processor sends on within 200 ms; 10 s at most
  (($(metric otelcol_exporter_sent_spans) >= $(metric otelcol_receiver_accepted_spans))) && break
  sleep 0.1
done
python3 - "$dir/pressed/report.json" "$(metric otelcol_receiver_accepted_spans)" \
  "$(metric otelcol_exporter_sent_spans)" "$(metric otelcol_receiver_refused_spans)" \
  >"$dir/pressed.verdict" <<'PY' || fail "pressed: $(cat "$dir/pressed.verdict")"
import collections, json, sys
r = json.load(open(sys.argv[1]))
accepted, exported, refused = map(int, sys.argv[2:])
ep, = r["endpoints"]
spans, traces, rb = ep["spans"], ep["traces"], r["readback"]
print(f"acknowledged {spans['acknowledged']} and failed {spans['failed']} of "
      f"{r['load']['spans_scheduled']} spans; the collector accepted {accepted}, exported "
      f"{exported}, refused {refused} (retries included)")
assert spans["acknowledged"] > 0 and spans["failed"] > 0, "the limiter did not refuse part"
assert spans["acknowledged"] + spans["failed"] == r["load"]["spans_scheduled"], spans
assert spans["rejected"] == spans["not_sent"] == 0, spans
assert accepted == exported == spans["acknowledged"], "counts differ from the collector's"
assert refused >= spans["failed"], "more spans failed than the collector refused"
assert "data refused due to high memory usage" in ep["last_error"], ep["last_error"]
assert rb["spans_read"] == rb["spans_expected"] == spans["acknowledged"], rb
assert rb["found"] == traces["acknowledged"] and rb["incomplete"] == 0, rb
ids = collections.Counter()
for f in r["findings"]:
    ids[f["id"]] += f["count"]
    assert not f["id"].startswith(("hierarchy.", "sampling.", "check.count")), f["id"]
    assert not f["id"].startswith("fidelity.") or f["id"] == "fidelity.trace_never_acknowledged", f["id"]
    assert f["level"] != "violation" or f["id"] == "threshold.failed", f["id"]
assert ids["fidelity.trace_never_acknowledged"] == rb["not_found"] == traces["failed"], ids
t, = [t for t in r["thresholds"] if not t["passed"]]
assert t["metric"] == "spans_not_acknowledged" and t["observed"] == spans["failed"], t
PY
echo "ok memory_limiter under load: $(cat "$dir/pressed.verdict")"
echo PASS
