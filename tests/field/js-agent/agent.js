#!/usr/bin/env node
// A small GenAI agent instrumented by hand with the real OpenTelemetry JS SDK, as an app team
// would, following the GenAI semantic conventions this repository's model pins
// (../shared/upstream/semconv): per conversation one `invoke_agent` span, under it a `chat`
// span that asks for a tool, the `execute_tool` span, and a final `chat`. It exports over OTLP
// (gRPC) and exits when every span was acknowledged, or 1.
//
// usage: node agent.js --endpoint http://127.0.0.1:4317 --service NAME --conversations N
//            [--defect]
// --defect: the chat spans carry no gen_ai.provider.name and have kind SERVER, two mistakes a
// hand-written instrumentation makes. The packages come from tests/interop/otel-js (NODE_PATH).
'use strict';

const { context, trace, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { ExportResultCode } = require('@opentelemetry/core');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');

function parseArgs(argv) {
  const args = { conversations: 5, defect: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--defect') { args.defect = true; continue; }
    const value = argv[++i];
    if (value === undefined) throw new Error(`missing value for ${flag}`);
    if (flag === '--endpoint') args.endpoint = value;
    else if (flag === '--service') args.service = value;
    else if (flag === '--conversations') args.conversations = Number(value);
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!args.endpoint || !args.service) throw new Error('--endpoint and --service are required');
  return args;
}

class CountingExporter {
  constructor(inner) { this.inner = inner; this.acked = 0; this.errors = []; }
  export(spans, done) {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.acked += spans.length;
      else this.errors.push(result.error ? result.error.message : 'export failed');
      done(result);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush(); }
}

function chat(tracer, parent, args, n, step, finish) {
  const attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.id': `chatcmpl-${n}-${step}`,
    'gen_ai.response.finish_reasons': [finish],
    'gen_ai.usage.input_tokens': 200 + 10 * step,
    'gen_ai.usage.output_tokens': 40 + step,
    'gen_ai.request.temperature': 0.2,
    'server.address': 'api.openai.com',
    'server.port': 443,
  };
  if (!args.defect) attributes['gen_ai.provider.name'] = 'openai';
  const span = tracer.startSpan('chat gpt-4o', {
    kind: args.defect ? SpanKind.SERVER : SpanKind.CLIENT, attributes,
  }, parent);
  span.end();
}

function conversation(tracer, args, n) {
  const agent = tracer.startSpan('invoke_agent weather_assistant', {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
      'gen_ai.agent.name': 'weather_assistant',
      'gen_ai.agent.id': 'asst_weather_1',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.conversation.id': `conv_${n}`,
    },
  });
  // The parent passed explicitly: a BasicTracerProvider registers no context manager.
  const parent = trace.setSpan(context.active(), agent);
  chat(tracer, parent, args, n, 1, 'tool_calls');
  const tool = tracer.startSpan('execute_tool get_weather', {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.call.id': `call_${n}`,
    },
  }, parent);
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end();
  chat(tracer, parent, args, n, 2, 'stop');
  agent.end();
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: args.endpoint }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': args.service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('agentstorm.field.js-agent', '1.0.0');
  for (let n = 0; n < args.conversations; n++) conversation(tracer, args, n);
  await provider.forceFlush();
  await provider.shutdown();
  const want = 4 * args.conversations;
  if (exporter.acked !== want) {
    console.error(`exported ${exporter.acked}/${want} spans: ${exporter.errors.join('; ')}`);
    process.exit(1);
  }
  console.log(`${args.service}: ${want} spans of ${args.conversations} conversations acknowledged`);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
