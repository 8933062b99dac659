// The Node counterpart of openai_app.py: the OpenAI Node SDK, instrumented by one library,
// calling `agentstorm provider`: inference, streaming, tool calling (an agent's round trip),
// embeddings, and calls the provider fails (rate limit, server error, context length exceeded, a
// timeout),
// each under a parent span of its own so the trace has a root. Spans go over OTLP/HTTP to the
// endpoint given, one by one as they end. Packages come from NODE_PATH (the library folder's
// pinned node_modules, installed by ci/npm-ci-cached).
//
// Usage: node openai_app.cjs INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
//   INSTRUMENTATION: official (@opentelemetry/instrumentation-openai), openinference
//   (@arizeai/openinference-instrumentation-openai), openllmetry (@traceloop/instrumentation-openai)
'use strict';
const [library, providerUrl, otlpUrl, service] = process.argv.slice(2);
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': service }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }))],
});
provider.register();
// Each library's instrumentation class, registered as its README shows.
const instrumentations = {
  official: () => require('@opentelemetry/instrumentation-openai').OpenAIInstrumentation,
  openinference: () => require('@arizeai/openinference-instrumentation-openai').OpenAIInstrumentation,
  openllmetry: () => require('@traceloop/instrumentation-openai').OpenAIInstrumentation,
};
if (!instrumentations[library]) throw new Error(`unknown instrumentation ${library}`);
registerInstrumentations({ instrumentations: [new (instrumentations[library]())()] });
const OpenAI = require('openai');  // after instrumenting, as the libraries' docs do

const client = new OpenAI({ baseURL: `${providerUrl}/v1`, apiKey: 'none', maxRetries: 0 });
const tracer = trace.getTracer('conformance-app');
const MODEL = 'gpt-4o-mini';
const WEATHER = { type: 'function', function: { name: 'get_weather', parameters: {
  type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

function under(name, fn) {
  return tracer.startActiveSpan(name, async (span) => {
    try { await fn(); } finally { span.end(); }
  });
}

async function main() {
  await under('inference', () => client.chat.completions.create({
    model: MODEL, temperature: 0, max_tokens: 64,
    messages: [{ role: 'user', content: 'Say hello.' }] }));
  await under('streaming', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL, stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Stream.' }] });
    for await (const _ of stream) { /* drain */ }
  });
  await under('tool_calling', async () => {
    const convo = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.chat.completions.create({ model: MODEL, messages: convo,
                                                         tools: [WEATHER] });
    const message = first.choices[0].message;
    convo.push(message, { role: 'tool', tool_call_id: message.tool_calls[0].id, content: '18C' });
    await client.chat.completions.create({ model: MODEL, messages: convo, tools: [WEATHER] });
  });
  await under('embeddings', () => client.embeddings.create({
    model: 'text-embedding-3-small', input: 'hello' }));
  // The last answer is held past the client's 2-second timeout.
  for (const fault of ['rate-limit', 'server-error', 'context-length', 'timeout']) {
    await under(fault.replace('-', '_'), async () => {
      try {
        await client.chat.completions.create({ model: MODEL,
          messages: [{ role: 'user', content: 'x' }] },
          { headers: { 'x-agentstorm-fault': fault }, timeout: 2000 });
      } catch (e) {
        if (!(e instanceof OpenAI.APIError)) throw e;
      }
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  console.log('sent');
}

main().catch((e) => { console.error(e); process.exit(1); });
