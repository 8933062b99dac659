"""A small app on the Anthropic SDK, instrumented by one library, calling `agentstorm provider`:
inference, streaming, tool use (an agent's round trip), a cached system prompt, and a
rate-limited call, each under a parent span of its own so the trace has a root. Spans go over
OTLP/HTTP to the endpoint given.

Usage: anthropic_app.py INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
  INSTRUMENTATION: official (opentelemetry-instrumentation-genai-anthropic), openllmetry
  (opentelemetry-instrumentation-anthropic), openinference (openinference-instrumentation-anthropic)
"""
from otel_setup import finish, instrument, setup

library, provider_url, tp, tracer = setup()

instrument(library, tp, {
    "official": "opentelemetry.instrumentation.genai.anthropic:AnthropicInstrumentor",
    "openllmetry": "opentelemetry.instrumentation.anthropic:AnthropicInstrumentor",
    "openinference": "openinference.instrumentation.anthropic:AnthropicInstrumentor",
})

import anthropic  # noqa: E402  (after instrumenting, as the libraries' docs do)

client = anthropic.Anthropic(base_url=provider_url, api_key="none", max_retries=0)
MODEL = "claude-sonnet-4-5"
WEATHER = {"name": "get_weather", "input_schema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}

with tracer.start_as_current_span("inference"):
    client.messages.create(model=MODEL, max_tokens=64,
                           messages=[{"role": "user", "content": "Say hello."}])

with tracer.start_as_current_span("streaming"):
    with client.messages.stream(model=MODEL, max_tokens=64,
                                messages=[{"role": "user", "content": "Stream."}]) as s:
        s.get_final_message()

with tracer.start_as_current_span("tool_calling"):
    convo = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(model=MODEL, max_tokens=256, tools=[WEATHER], messages=convo)
    use = first.content[0]
    convo += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
              {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                            "content": "18C"}]}]
    client.messages.create(model=MODEL, max_tokens=256, tools=[WEATHER], messages=convo)

with tracer.start_as_current_span("cached_prompt"):
    client.messages.create(
        model=MODEL, max_tokens=64,
        system=[{"type": "text", "text": "policy " * 1500, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Hi"}])

with tracer.start_as_current_span("rate_limited"):
    try:
        client.messages.create(model=MODEL, max_tokens=64,
                               messages=[{"role": "user", "content": "x"}],
                               extra_headers={"x-agentstorm-fault": "rate-limit"})
    except anthropic.RateLimitError:
        pass

# The provider holds its answer past the client's 2-second timeout.
with tracer.start_as_current_span("timeout"):
    try:
        client.with_options(timeout=2.0).messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-agentstorm-fault": "timeout"})
    except anthropic.APITimeoutError:
        pass

finish(tp)
