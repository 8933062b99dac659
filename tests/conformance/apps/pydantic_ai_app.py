"""An agent on pydantic-ai (which emits the GenAI conventions itself) calling `agentstorm
provider` through its OpenAI model: an agent run that calls a tool and answers with its
result, a streamed run, a run the provider rate-limits, and a run the provider drives into a
tool loop (the runaway fault) until the agent's request limit ends it. Spans go over OTLP/HTTP to the
endpoint given.

Usage: pydantic_ai_app.py INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
  INSTRUMENTATION: native (pydantic-ai's own, InstrumentationSettings defaults)
"""
import asyncio

from otel_setup import finish, setup

library, provider_url, tp, tracer = setup()
if library != "native":
    raise SystemExit(f"unknown instrumentation {library}")

import openai  # noqa: E402
from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.exceptions import ModelHTTPError, UsageLimitExceeded  # noqa: E402
from pydantic_ai.models.instrumented import InstrumentationSettings  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402
from pydantic_ai.usage import UsageLimits  # noqa: E402


def agent(headers=None):
    client = openai.AsyncOpenAI(base_url=provider_url + "/v1", api_key="none", max_retries=0,
                                default_headers=headers or {})
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(openai_client=client))
    a = Agent(model, name="weather_agent")

    @a.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "18C"

    return a


Agent.instrument_all(InstrumentationSettings(tracer_provider=tp))


async def main():
    await agent().run("Weather in Paris?")
    async with agent().run_stream("Weather in Rome?") as result:
        async for _ in result.stream_text():
            pass
    try:
        await agent({"x-agentstorm-fault": "rate-limit"}).run("Weather in Oslo?")
    except ModelHTTPError:
        pass
    # The runaway fault: the provider asks for the same tool call after every result, and the
    # agent loops until its own request limit stops it.
    try:
        await agent({"x-agentstorm-fault": "runaway"}).run(
            "Weather in Lima?", usage_limits=UsageLimits(request_limit=4))
    except UsageLimitExceeded:
        pass


asyncio.run(main())
finish(tp)
