"""An agent on the OpenAI Agents SDK calling `agentstorm provider` through the Responses API:
a run that calls a tool and answers with its result, a streamed run, a run the provider
rate-limits, and a run the provider drives into a tool loop (the runaway fault) until the
SDK's turn limit ends it. Spans go over OTLP/HTTP to the endpoint given.

Usage: openai_agents_app.py INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
  INSTRUMENTATION: official (opentelemetry-instrumentation-genai-openai-agents for the agent
  and tool spans, with -genai-openai for the model calls' spans, as its docs pair them)
"""
import asyncio

from otel_setup import finish, setup

library, provider_url, tp, tracer = setup()
if library != "official":
    raise SystemExit(f"unknown instrumentation {library}")

from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor  # noqa: E402
from opentelemetry.instrumentation.genai.openai_agents import OpenAIAgentsInstrumentor  # noqa: E402

# Only OpenTelemetry receives the SDK's traces (not OpenAI's hosted tracing backend).
OpenAIAgentsInstrumentor().instrument(tracer_provider=tp, disable_openai_trace_export=True)
OpenAIInstrumentor().instrument(tracer_provider=tp)

import openai  # noqa: E402
from agents import (Agent, MaxTurnsExceeded, OpenAIResponsesModel, Runner,  # noqa: E402
                    function_tool)


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "18C"


def agent(headers=None):
    client = openai.AsyncOpenAI(base_url=provider_url + "/v1", api_key="none", max_retries=0,
                                default_headers=headers or {})
    return Agent(name="weather_agent", instructions="Answer with the weather.",
                 model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
                 tools=[get_weather])


async def main():
    await Runner.run(agent(), "Weather in Paris?")
    streamed = Runner.run_streamed(agent(), "Weather in Rome?")
    async for _ in streamed.stream_events():
        pass
    try:
        await Runner.run(agent({"x-agentstorm-fault": "rate-limit"}), "Weather in Oslo?")
    except openai.APIError:
        pass
    # The runaway fault: the provider asks for the same tool call after every result, and the
    # agent loops until the SDK's turn limit stops it.
    try:
        await Runner.run(agent({"x-agentstorm-fault": "runaway"}), "Weather in Lima?", max_turns=4)
    except MaxTurnsExceeded:
        pass


asyncio.run(main())
finish(tp)
