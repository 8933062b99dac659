#!/usr/bin/env node
// The peer of `agentstorm bench --peer otel-js`: the OpenTelemetry JS SDK (BatchSpanProcessor +
// OTLP/gRPC exporter) creating the bench trace shape of bench/agent7.yaml, span for span and
// attribute for attribute, as fast as it can for DURATION seconds, then shutting down (which
// flushes). Only the sink's count matters; the SDK's own view is printed for comparison.
//
// usage: node generate.js ENDPOINT(host:port) DURATION_SECONDS
// Prints "started" when the first span is created and "otel-js: ..." at the end.
'use strict';

const { context, trace, SpanKind } = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');

const [endpoint, durationArg] = process.argv.slice(2);
if (!endpoint || !durationArg) {
  console.error('usage: node generate.js HOST:PORT DURATION_SECONDS');
  process.exit(2);
}
const durationMs = Number(durationArg) * 1000;

class CountingExporter {
  constructor(inner) {
    this.inner = inner;
    this.exported = 0;
    this.failed = 0;
  }
  export(spans, done) {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      else this.failed += spans.length;
      done(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve(); }
}

const exporter = new CountingExporter(new OTLPTraceExporter({ url: `http://${endpoint}`, timeoutMillis: 10000 }));
// The SDK's defaults are maxQueueSize 2048 and a 5 s delay; a larger queue and a short delay give
// it its best chance at this rate (spans beyond the queue are dropped by the SDK, by design).
const processor = new BatchSpanProcessor(exporter, {
  maxQueueSize: 16384,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 200,
  exportTimeoutMillis: 10000,
});
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'otel-js-bench',
    'service.version': '1.0.0',
    'deployment.environment.name': 'bench',
  }),
  spanProcessors: [processor],
});
const tracer = provider.getTracer('agentstorm', undefined, {
  schemaUrl: 'https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev',
});

const HEX = '0123456789abcdef';
function hex(n) {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[(Math.random() * 16) | 0];
  return s;
}
function randInt(lo, hi) { return lo + Math.floor(Math.random() * (hi - lo + 1)); }
function lognormal(p50, p99) {
  const sigma = Math.log(p99 / p50) / 2.3263478740408408;
  const u = 1 - Math.random(), v = Math.random();
  return p50 * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

let created = 0;
let t = Date.now() - 60000;  // synthetic clock, like agentstorm's

function child(parent, name, kind, start) {
  return tracer.startSpan(name, { kind, startTime: start }, trace.setSpan(context.active(), parent));
}

function tool(parent, toolName, description, start) {
  const s = child(parent, `execute_tool ${toolName}`, SpanKind.INTERNAL, start);
  s.setAttribute('gen_ai.operation.name', 'execute_tool');
  s.setAttribute('gen_ai.tool.name', toolName);
  s.setAttribute('gen_ai.tool.type', 'function');
  s.setAttribute('gen_ai.tool.call.id', `call_${hex(24)}`);
  if (description) s.setAttribute('gen_ai.tool.description', description);
  s.setAttribute('gen_ai.agent.name', 'support_agent');
  const end = start + Math.max(0.1, lognormal(80, 400));
  s.end(end);
  created++;
  return end;
}

function chat(parent, conversation, finish, start, usage) {
  const s = child(parent, 'chat gpt-4o-mini', SpanKind.CLIENT, start);
  s.setAttribute('gen_ai.operation.name', 'chat');
  s.setAttribute('gen_ai.provider.name', 'openai');
  s.setAttribute('gen_ai.request.model', 'gpt-4o-mini');
  s.setAttribute('server.address', 'api.openai.com');
  s.setAttribute('server.port', 443);
  s.setAttribute('gen_ai.request.temperature', 0.2);
  s.setAttribute('gen_ai.request.max_tokens', 1024);
  s.setAttribute('gen_ai.conversation.id', conversation);
  const input = Math.max(1, Math.round(lognormal(600, 3000))) + usage.context;
  const output = randInt(40, 400);
  s.setAttribute('gen_ai.response.id', `chatcmpl-${hex(24)}`);
  s.setAttribute('gen_ai.response.model', 'gpt-4o-mini-2024-07-18');
  s.setAttribute('gen_ai.response.finish_reasons', [finish]);
  s.setAttribute('gen_ai.usage.input_tokens', input);
  s.setAttribute('gen_ai.usage.output_tokens', output);
  usage.input += input;
  usage.output += output;
  usage.context += output;
  const end = start + Math.max(1, lognormal(700, 3000));
  s.end(end);
  created++;
  return end;
}

// invoke_agent + execute_tool + (chat, execute_tool) x2 + chat = 7 spans.
function agentTrace() {
  const start = t;
  t += 1;
  const conversation = `conv_${randInt(0, 999)}`;
  const root = tracer.startSpan('invoke_agent support_agent', { kind: SpanKind.INTERNAL, startTime: start });
  root.setAttribute('gen_ai.operation.name', 'invoke_agent');
  root.setAttribute('gen_ai.agent.name', 'support_agent');
  root.setAttribute('gen_ai.agent.description', 'Answers questions about orders');
  root.setAttribute('gen_ai.request.model', 'gpt-4o-mini');
  root.setAttribute('gen_ai.conversation.id', conversation);
  const usage = { input: 0, output: 0, context: 0 };
  let now = tool(root, 'check_policy', '', start + 2);
  for (let i = 0; i < 2; i++) {
    now = chat(root, conversation, 'tool_call', now + 1, usage);
    now = tool(root, 'lookup_order', 'Looks up an order by its number', now);
    usage.context += 200;
  }
  now = chat(root, conversation, 'stop', now + 1, usage);
  root.setAttribute('gen_ai.usage.input_tokens', usage.input);
  root.setAttribute('gen_ai.usage.output_tokens', usage.output);
  root.end(now + 2);
  created++;
}

async function main() {
  console.log('started');
  const deadline = Date.now() + durationMs;
  // As fast as it can, yielding to the event loop every few traces so the exporter can send.
  while (Date.now() < deadline) {
    for (let i = 0; i < 64; i++) agentTrace();
    await new Promise((r) => setImmediate(r));
  }
  // Shutdown flushes the queue; with the exporter's concurrency limit reached it can reject
  // ("Concurrent export limit reached"): those spans are lost, which the sink's count shows.
  let shutdownError = '';
  try {
    await provider.shutdown();
  } catch (e) {
    shutdownError = `, shutdown failed: ${e.message}`;
  }
  console.log(`otel-js: created ${created} spans, exporter acknowledged ${exporter.exported}, ` +
              `failed ${exporter.failed}, dropped by the SDK ${created - exporter.exported - exporter.failed}` +
              shutdownError);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
