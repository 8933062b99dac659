"""A small app on the OpenAI SDK, instrumented by one library, calling `agentstorm provider`:
inference, streaming, tool calling (an agent's round trip), embeddings, and calls the provider
fails (rate limit, server error, context length exceeded, a timeout),
each under one `invoke_agent`-style parent span of its own so the trace has a root. Spans go over
OTLP/HTTP to the endpoint given.

Usage: openai_app.py INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
  INSTRUMENTATION: official (opentelemetry-instrumentation-genai-openai), openinference
  (openinference-instrumentation-openai), openllmetry (opentelemetry-instrumentation-openai),
  openlit (openlit.init)
"""
from otel_setup import finish, instrument, setup


def empty_price_list():
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write("{}")
    return f.name


library, provider_url, tp, tracer = setup()

instrument(library, tp, {
    "official": "opentelemetry.instrumentation.genai.openai:OpenAIInstrumentor",
    "openinference": "openinference.instrumentation.openai:OpenAIInstrumentor",
    "openllmetry": "opentelemetry.instrumentation.openai:OpenAIInstrumentor",
    # OpenLIT instruments everything it finds (the HTTP clients too) into the tracer provider
    # already set; metrics and log events off (only traces are judged here), and an empty
    # price list instead of the one it downloads (what it uses offline: the same spans anywhere).
    "openlit": lambda tp: __import__("openlit").init(
        disable_metrics=True, disable_events=True, pricing_json=empty_price_list()),
})

import openai  # noqa: E402  (after instrumenting, as the libraries' docs do)

client = openai.OpenAI(base_url=provider_url + "/v1", api_key="none", max_retries=0)
MODEL = "gpt-4o-mini"
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}

with tracer.start_as_current_span("inference"):
    client.chat.completions.create(model=MODEL, temperature=0, max_tokens=64,
                                   messages=[{"role": "user", "content": "Say hello."}])

with tracer.start_as_current_span("streaming"):
    for _ in client.chat.completions.create(model=MODEL, stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Stream."}]):
        pass

with tracer.start_as_current_span("tool_calling"):
    convo = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model=MODEL, messages=convo, tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    convo += [first.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    client.chat.completions.create(model=MODEL, messages=convo, tools=[WEATHER])

with tracer.start_as_current_span("embeddings"):
    client.embeddings.create(model="text-embedding-3-small", input="hello")

# The provider's faults, each in OpenAI's own error shape: a 429, a 500, the 400 a prompt over
# the context window gets (code context_length_exceeded), and an answer held past the client's
# 2-second timeout.
for fault, error in (("rate-limit", openai.RateLimitError),
                     ("server-error", openai.InternalServerError),
                     ("context-length", openai.BadRequestError),
                     ("timeout", openai.APITimeoutError)):
    with tracer.start_as_current_span(fault.replace("-", "_")):
        try:
            client.with_options(timeout=2.0).chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "x"}],
                extra_headers={"x-agentstorm-fault": fault})
        except error:
            pass

finish(tp)
