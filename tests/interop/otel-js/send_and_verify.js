#!/usr/bin/env node
// Interop check with the real OpenTelemetry JS SDK: builds a known three-span tree, exports it
// through one OTLP exporter (grpc | http/protobuf | http/json), then reads the trace back from
// agentstorm sink's Jaeger-API-v3 query endpoint and asserts that every span arrived intact:
// parent links, kind, status, events, and attribute *types* (an int stays intValue, a double
// stays doubleValue, arrays stay arrayValue with typed elements), in the order they were set.
//
// usage: node send_and_verify.js --protocol grpc|http/protobuf|http/json
//            --endpoint http://127.0.0.1:4317 --query http://127.0.0.1:16686
//            [--compression gzip|none] [--timeout-ms 30000]
// For the HTTP protocols --endpoint is the base URL; "/v1/traces" is appended, as with
// OTEL_EXPORTER_OTLP_ENDPOINT. Exit 0 when everything matched, 1 on any mismatch or error.
'use strict';

const assert = require('node:assert/strict');
const { context, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

function parseArgs(argv) {
  const args = { compression: 'none', timeoutMs: 30000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    switch (flag) {
      case '--protocol': args.protocol = value; break;
      case '--endpoint': args.endpoint = value.replace(/\/+$/, ''); break;
      case '--query': args.query = value.replace(/\/+$/, ''); break;
      case '--compression': args.compression = value; break;
      case '--timeout-ms': args.timeoutMs = Number(value); break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (!['grpc', 'http/protobuf', 'http/json'].includes(args.protocol)) {
    throw new Error('--protocol must be grpc, http/protobuf or http/json');
  }
  if (!args.endpoint || !args.query) throw new Error('--endpoint and --query are required');
  return args;
}

function makeExporter({ protocol, endpoint, compression }) {
  const options = { compression, timeoutMillis: 10000 };
  if (protocol === 'grpc') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
    return new OTLPTraceExporter({ ...options, url: endpoint });  // http:// scheme = plaintext
  }
  const url = `${endpoint}/v1/traces`;
  if (protocol === 'http/protobuf') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter({ ...options, url });
  }
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ ...options, url });
}

// Wraps an exporter to remember every export result: a failed export must fail the test, not
// just print a diag warning.
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.results = [];
    this.exportedSpans = 0;
  }
  export(spans, resultCallback) {
    this.inner.export(spans, (result) => {
      this.results.push(result);
      if (result.code === ExportResultCode.SUCCESS) this.exportedSpans += spans.length;
      resultCallback(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
}

// Fixed timestamps (seconds, nanoseconds) so the test can check 64-bit nanosecond values exactly.
const T0 = [1767225600, 123456789];  // 2026-01-01T00:00:00.123456789Z
function at(offsetNanos) {
  const total = BigInt(T0[0]) * 1000000000n + BigInt(T0[1]) + BigInt(offsetNanos);
  return [Number(total / 1000000000n), Number(total % 1000000000n)];
}
function nanos(hrtime) {
  return (BigInt(hrtime[0]) * 1000000000n + BigInt(hrtime[1])).toString();
}

// The tree that is sent, and what the backend must show for it. Attribute values are listed in
// the order they are set, with the OTLP AnyValue each must arrive as.
function buildExpectedTree(protocol) {
  return {
    serviceName: `agentstorm-interop-${protocol.replace('/', '-')}`,
    scope: { name: 'agentstorm.interop', version: '1.2.3' },
    spans: [
      {
        role: 'root', name: 'POST /v1/agent/run', kind: SpanKind.SERVER, otlpKind: 2,
        start: at(0), end: at(900000000),
        status: { code: SpanStatusCode.OK }, otlpStatus: { code: 1 },
        attributes: [
          ['http.request.method', 'POST', { stringValue: 'POST' }],
          ['http.response.status_code', 200, { intValue: '200' }],
          ['agent.sampled', true, { boolValue: true }],
          ['agent.disabled', false, { boolValue: false }],
          ['gen_ai.request.temperature', 0.25, { doubleValue: 0.25 }],
          ['agent.max_safe_int', 9007199254740991, { intValue: '9007199254740991' }],
          ['agent.negative', -42, { intValue: '-42' }],
          ['agent.tools', ['search', 'calc', ''],
           { arrayValue: { values: [{ stringValue: 'search' }, { stringValue: 'calc' },
                                    { stringValue: '' }] } }],
          ['agent.retry_delays_ms', [100, 250, 0],
           { arrayValue: { values: [{ intValue: '100' }, { intValue: '250' }, { intValue: '0' }] } }],
          ['agent.scores', [0.5, 1.25],
           { arrayValue: { values: [{ doubleValue: 0.5 }, { doubleValue: 1.25 }] } }],
          ['agent.flags', [true, false],
           { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } }],
          ['unicode.text', 'héllo ✓ 世界', { stringValue: 'héllo ✓ 世界' }],
        ],
        events: [
          { name: 'request.received', time: at(1000),
            attributes: [['http.request.body.size', 1234, { intValue: '1234' }],
                         ['note', 'hello', { stringValue: 'hello' }]] },
          { name: 'response.sent', time: at(899000000), attributes: [] },
        ],
      },
      {
        role: 'child', parent: 'root', name: 'chat gpt-4o', kind: SpanKind.CLIENT, otlpKind: 3,
        start: at(100000000), end: at(700000000),
        status: { code: SpanStatusCode.ERROR, message: 'upstream timeout after 30s' },
        otlpStatus: { code: 2, message: 'upstream timeout after 30s' },
        attributes: [
          ['gen_ai.operation.name', 'chat', { stringValue: 'chat' }],
          ['gen_ai.usage.input_tokens', 1536, { intValue: '1536' }],
          ['gen_ai.request.top_p', 0.9, { doubleValue: 0.9 }],
          ['error.type', 'timeout', { stringValue: 'timeout' }],
        ],
        events: [
          { name: 'exception', time: at(699000000),
            attributes: [['exception.type', 'TimeoutError', { stringValue: 'TimeoutError' }],
                         ['exception.escaped', true, { boolValue: true }],
                         ['retry.attempt', 3, { intValue: '3' }],
                         ['retry.backoff_s', 1.5, { doubleValue: 1.5 }]] },
        ],
      },
      {
        role: 'grandchild', parent: 'child', name: 'tokenize', kind: SpanKind.INTERNAL, otlpKind: 1,
        start: at(110000000), end: at(120000000),
        status: null, otlpStatus: {},
        attributes: [['tokenizer.chunks', [1, 2, 3],
                      { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' },
                                               { intValue: '3' }] } }]],
        events: [],
      },
    ],
  };
}

async function sendTree(args, tree) {
  const exporter = new RecordingExporter(makeExporter(args));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': tree.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 512 })],
  });
  const tracer = provider.getTracer(tree.scope.name, tree.scope.version);
  const started = {};
  for (const s of tree.spans) {
    const parentContext = s.parent
        ? trace.setSpan(context.active(), started[s.parent])
        : context.active();
    const span = tracer.startSpan(s.name, { kind: s.kind, startTime: s.start }, parentContext);
    for (const [key, value] of s.attributes) span.setAttribute(key, value);
    for (const e of s.events) {
      span.addEvent(e.name, Object.fromEntries(e.attributes.map(([k, v]) => [k, v])), e.time);
    }
    if (s.status) span.setStatus(s.status);
    started[s.role] = span;
  }
  // End children first, as a real program would.
  for (const s of [...tree.spans].reverse()) started[s.role].end(s.end);
  await provider.forceFlush();
  await provider.shutdown();

  const failures = exporter.results.filter((r) => r.code !== ExportResultCode.SUCCESS);
  if (failures.length > 0 || exporter.exportedSpans !== tree.spans.length) {
    const why = failures.map((r) => (r.error ? r.error.message : 'unknown error')).join('; ');
    throw new Error(`export via ${args.protocol} failed: exported ${exporter.exportedSpans}/` +
                    `${tree.spans.length} spans; ${why}`);
  }
  const ids = {};
  for (const s of tree.spans) ids[s.role] = started[s.role].spanContext();
  return ids;
}

async function fetchTrace(query, traceId, wantSpans, timeoutMs) {
  const url = `${query}/api/v3/traces/${traceId}`;
  const deadline = Date.now() + timeoutMs;
  let last = 'no response';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      const text = await response.text();
      last = `HTTP ${response.status}: ${text.slice(0, 300)}`;
      if (response.status === 200) {
        const body = JSON.parse(text);
        if (body.result && Array.isArray(body.result.resourceSpans)) {
          const count = body.result.resourceSpans
              .flatMap((rs) => rs.scopeSpans || []).flatMap((ss) => ss.spans || []).length;
          if (count >= wantSpans) return body.result;
          last = `only ${count} of ${wantSpans} spans visible`;
        }
      } else if (response.status !== 404) {
        throw new Error(`GET ${url}: ${last}`);
      }
    } catch (err) {
      if (err.message.startsWith('GET ')) throw err;
      last = err.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`trace ${traceId} not visible at ${url} within ${timeoutMs} ms (${last})`);
}

// OTLP/JSON allows 64-bit integers as strings or numbers; compare them as decimal strings.
function normalizeAnyValue(v) {
  assert.equal(typeof v, 'object', `AnyValue must be an object, got ${JSON.stringify(v)}`);
  const keys = Object.keys(v);
  assert.equal(keys.length, 1, `AnyValue must have exactly one value field: ${JSON.stringify(v)}`);
  const [key] = keys;
  switch (key) {
    case 'intValue': return { intValue: BigInt(v.intValue).toString() };
    case 'arrayValue':
      return { arrayValue: { values: (v.arrayValue.values || []).map(normalizeAnyValue) } };
    default: return { [key]: v[key] };
  }
}

function checkAttributes(where, actual, expected) {
  const got = (actual || []).map((kv) => [kv.key, normalizeAnyValue(kv.value)]);
  const want = expected.map(([key, , anyValue]) => [key, anyValue]);
  assert.deepStrictEqual(got, want, `${where}: attributes differ (keys, order, types or values)`);
}

function verifyTrace(result, tree, ids) {
  const traceId = ids.root.traceId;
  const resourceSpans = result.resourceSpans;
  const byId = new Map();
  for (const rs of resourceSpans) {
    const service = (rs.resource && rs.resource.attributes || [])
        .find((kv) => kv.key === 'service.name');
    assert.ok(service, 'resource has no service.name');
    assert.deepStrictEqual(service.value, { stringValue: tree.serviceName }, 'service.name');
    for (const ss of rs.scopeSpans || []) {
      assert.equal(ss.scope && ss.scope.name, tree.scope.name, 'scope name');
      assert.equal(ss.scope && ss.scope.version, tree.scope.version, 'scope version');
      for (const span of ss.spans || []) {
        assert.match(span.traceId, /^[0-9a-f]{32}$/, 'traceId must be lowercase hex');
        assert.match(span.spanId, /^[0-9a-f]{16}$/, 'spanId must be lowercase hex');
        assert.equal(span.traceId, traceId, 'span from another trace');
        assert.ok(!byId.has(span.spanId), `span ${span.spanId} returned twice`);
        byId.set(span.spanId, span);
      }
    }
  }
  assert.equal(byId.size, tree.spans.length, `expected ${tree.spans.length} spans, got ${byId.size}`);

  for (const s of tree.spans) {
    const where = `span "${s.name}" (${s.role})`;
    const span = byId.get(ids[s.role].spanId);
    assert.ok(span, `${where}: missing`);
    assert.equal(span.name, s.name, `${where}: name`);
    assert.equal(Number(span.kind), s.otlpKind, `${where}: kind`);
    const parent = s.parent ? ids[s.parent].spanId : '';
    assert.equal(span.parentSpanId || '', parent, `${where}: parentSpanId`);
    assert.equal(BigInt(span.startTimeUnixNano).toString(), nanos(s.start), `${where}: start time`);
    assert.equal(BigInt(span.endTimeUnixNano).toString(), nanos(s.end), `${where}: end time`);
    const status = span.status || {};
    assert.deepStrictEqual({ code: Number(status.code || 0), message: status.message || '' },
                           { code: s.otlpStatus.code || 0, message: s.otlpStatus.message || '' },
                           `${where}: status`);
    checkAttributes(where, span.attributes, s.attributes);
    const events = span.events || [];
    assert.equal(events.length, s.events.length, `${where}: number of events`);
    s.events.forEach((e, i) => {
      const got = events[i];
      assert.equal(got.name, e.name, `${where}: event ${i} name`);
      assert.equal(BigInt(got.timeUnixNano).toString(), nanos(e.time), `${where}: event ${i} time`);
      checkAttributes(`${where} event "${e.name}"`, got.attributes, e.attributes);
    });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tree = buildExpectedTree(args.protocol);
  const ids = await sendTree(args, tree);
  const result = await fetchTrace(args.query, ids.root.traceId, tree.spans.length, args.timeoutMs);
  verifyTrace(result, tree, ids);
  console.log(`ok ${args.protocol}${args.compression !== 'none' ? ` (${args.compression})` : ''}: ` +
              `${tree.spans.length} spans of trace ${ids.root.traceId} arrived intact`);
}

main().catch((err) => {
  console.error(`FAIL: ${err && err.message !== undefined ? err.message : String(err)}`);
  if (err.actual !== undefined && err.expected !== undefined) {
    console.error(`  actual:   ${JSON.stringify(err.actual, null, 0)}`);
    console.error(`  expected: ${JSON.stringify(err.expected, null, 0)}`);
  }
  process.exit(1);
});
