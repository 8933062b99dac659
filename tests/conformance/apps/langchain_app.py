"""LangChain's OpenAI chat model and a LangChain agent (LangGraph underneath) calling
`agentstorm provider`: an inference, a streamed inference, embeddings, an agent run that calls
a tool and answers with its result, a call the provider rate-limits, and an agent run the
provider drives into a tool loop (the runaway fault) until LangGraph's recursion limit ends it;
each under a parent span of its own. Spans go over OTLP/HTTP to the endpoint given.

Usage: langchain_app.py INSTRUMENTATION PROVIDER_URL OTLP_HTTP_URL SERVICE_NAME
  INSTRUMENTATION: official (opentelemetry-instrumentation-genai-langchain)
"""
from otel_setup import finish, instrument, setup

library, provider_url, tp, tracer = setup()
instrument(library, tp, {
    "official": "opentelemetry.instrumentation.genai.langchain:LangChainInstrumentor",
})

import openai  # noqa: E402
from langchain.agents import create_agent  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI, OpenAIEmbeddings  # noqa: E402
from langgraph.errors import GraphRecursionError  # noqa: E402


def llm(headers=None, **kwargs):
    return ChatOpenAI(model="gpt-4o-mini", base_url=provider_url + "/v1", api_key="none",
                      max_retries=0, default_headers=headers or {}, **kwargs)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "18C"


def agent(headers=None):
    return create_agent(llm(headers), tools=[get_weather], name="weather_agent")


with tracer.start_as_current_span("inference"):
    llm(temperature=0, max_tokens=64).invoke("Say hello.")
with tracer.start_as_current_span("streaming"):
    for _ in llm().stream("Stream."):
        pass
with tracer.start_as_current_span("embeddings"):
    # No tokenizer download (tiktoken fetches its tables from the internet).
    OpenAIEmbeddings(model="text-embedding-3-small", base_url=provider_url + "/v1",
                     api_key="none", max_retries=0,
                     check_embedding_ctx_length=False).embed_query("hello")
with tracer.start_as_current_span("agent"):
    agent().invoke({"messages": [{"role": "user", "content": "Weather in Paris?"}]})
with tracer.start_as_current_span("rate_limit"):
    try:
        llm({"x-agentstorm-fault": "rate-limit"}).invoke("x")
    except openai.RateLimitError:
        pass
# The runaway fault: the provider asks for the same tool call after every result, and the
# agent loops until LangGraph's recursion limit (steps, two per round) stops it.
with tracer.start_as_current_span("runaway"):
    try:
        agent({"x-agentstorm-fault": "runaway"}).invoke(
            {"messages": [{"role": "user", "content": "Weather in Lima?"}]},
            {"recursion_limit": 8})
    except GraphRecursionError:
        pass
finish(tp)
