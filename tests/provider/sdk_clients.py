"""The real provider SDK clients (openai, anthropic, google-genai; pinned in requirements.txt)
against `agentstorm provider`: every API and fault the README documents, as an app would use it.

Usage: sdk_clients.py BASE_URL [LIMITING_BASE_URL]   (e.g. http://127.0.0.1:8080; the provider
runs with --timeout-delay 5s; the second, if given, with --fault rate-limit=FRACTION). Prints
"ok NAME" per check; any failure raises (exit 1).
"""
import json
import sys
import time

import anthropic
import openai
from google import genai
from google.genai import types

base = sys.argv[1]
checks = 0


def ok(name):
    global checks
    checks += 1
    print("ok", name, flush=True)


def fault(name):
    return {"x-agentstorm-fault": name}


WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
    "required": ["city"],
}

# ---------------------------------------------------------------- OpenAI
oa = openai.OpenAI(base_url=base + "/v1", api_key="none", max_retries=0)
messages = [{"role": "user", "content": "Say hello to the harness."}]
first = oa.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0)
again = oa.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0)
assert first.model_dump() == again.model_dump(), "same request, another answer"
assert first.choices[0].finish_reason == "stop"
assert first.usage.prompt_tokens > 0 and first.usage.completion_tokens >= 12
assert len(first.choices[0].message.content.split()) == first.usage.completion_tokens
ok("openai chat: deterministic, usage counts the words")

text = ""
usage = None
for chunk in oa.chat.completions.create(model="gpt-4o-mini", messages=messages, temperature=0, stream=True,
                                        stream_options={"include_usage": True}):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage
assert text == first.choices[0].message.content, (text, first.choices[0].message.content)
assert usage.completion_tokens == first.usage.completion_tokens
ok("openai chat stream: the same words, usage in the last chunk")

tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]
convo = [{"role": "user", "content": "Weather in Paris?"}]
call = oa.chat.completions.create(model="gpt-4o-mini", messages=convo, tools=tools)
assert call.choices[0].finish_reason == "tool_calls"
tc = call.choices[0].message.tool_calls[0]
assert tc.function.name == "get_weather" and json.loads(tc.function.arguments) == {"city": "agentstorm"}
convo += [call.choices[0].message.model_dump(exclude_none=True),
          {"role": "tool", "tool_call_id": tc.id, "content": "18C"}]
final = oa.chat.completions.create(model="gpt-4o-mini", messages=convo, tools=tools)
assert final.choices[0].finish_reason == "stop" and final.choices[0].message.content
ok("openai tools: a call, then text after its result")

for round_ in range(4):
    loop = oa.chat.completions.create(model="gpt-4o-mini", messages=convo, tools=tools,
                                      extra_headers=fault("runaway"))
    assert loop.choices[0].message.tool_calls[0].function.name == "get_weather", round_
    convo += [loop.choices[0].message.model_dump(exclude_none=True),
              {"role": "tool", "tool_call_id": loop.choices[0].message.tool_calls[0].id,
               "content": "18C"}]
ok("openai runaway: the same tool, round after round")

emb = oa.embeddings.create(model="text-embedding-3-small", input=["one", "two"])  # base64 on the wire
assert len(emb.data) == 2 and len(emb.data[0].embedding) == 1536
assert abs(sum(x * x for x in emb.data[0].embedding) - 1) < 1e-3
emb8 = oa.embeddings.create(model="text-embedding-3-small", input="one", dimensions=8,
                            encoding_format="float")
assert len(emb8.data[0].embedding) == 8
ok("openai embeddings: base64 and float")

resp = oa.responses.create(model="gpt-4.1", input="Say hello.")
assert resp.status == "completed" and resp.output_text and resp.usage.output_tokens > 0
streamed = ""
with oa.responses.stream(model="gpt-4.1", input="Say hello.") as stream:
    for event in stream:
        if event.type == "response.output_text.delta":
            streamed += event.delta
    final_resp = stream.get_final_response()
assert streamed == resp.output_text == final_resp.output_text, (streamed, resp.output_text)
fc = oa.responses.create(model="gpt-4.1", input="Weather in Paris?",
                         tools=[{"type": "function", "name": "get_weather", "parameters": WEATHER}])
assert fc.output[0].type == "function_call" and fc.output[0].name == "get_weather"
ok("openai responses: text, stream, function call")

try:
    oa.chat.completions.create(model="gpt-4o-mini", messages=messages, extra_headers=fault("rate-limit"))
    raise AssertionError("no rate limit")
except openai.RateLimitError as e:
    assert e.status_code == 429 and e.response.headers["retry-after"] == "1"
    assert e.code == "rate_limit_exceeded", e.code
try:
    oa.chat.completions.create(model="gpt-4o-mini", messages=messages, extra_headers=fault("context-length"))
    raise AssertionError("no context-length error")
except openai.BadRequestError as e:
    assert e.code == "context_length_exceeded", e.code
try:
    oa.chat.completions.create(model="gpt-4o-mini", messages=messages, extra_headers=fault("server-error"))
    raise AssertionError("no server error")
except openai.InternalServerError as e:
    assert e.status_code == 500
started = time.monotonic()
try:
    oa.with_options(timeout=1.0).chat.completions.create(
        model="gpt-4o-mini", messages=messages, extra_headers=fault("timeout"))
    raise AssertionError("no timeout")
except openai.APITimeoutError:
    assert time.monotonic() - started < 4.5
ok("openai faults: RateLimitError (Retry-After), context_length_exceeded, 500, timeout")

if len(sys.argv) > 2:  # a provider run with --fault rate-limit=FRACTION
    retrying = openai.OpenAI(base_url=sys.argv[2] + "/v1", api_key="none", max_retries=8)
    for i in range(6):
        r = retrying.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"question {i}"}])
        assert r.choices[0].message.content
    ok("openai retries: Retry-After honoured, every call through a provider limiting some")

# ---------------------------------------------------------------- Anthropic
an = anthropic.Anthropic(base_url=base, api_key="none", max_retries=0)
msg = an.messages.create(model="claude-sonnet-4-5", max_tokens=256,
                         messages=[{"role": "user", "content": "Say hello."}])
assert msg.stop_reason == "end_turn" and msg.content[0].type == "text"
assert msg.usage.output_tokens == len(msg.content[0].text.split())
with an.messages.stream(model="claude-sonnet-4-5", max_tokens=256,
                        messages=[{"role": "user", "content": "Say hello."}]) as stream:
    streamed = "".join(stream.text_stream)
    final_msg = stream.get_final_message()
assert streamed == msg.content[0].text and final_msg.usage.output_tokens == msg.usage.output_tokens
ok("anthropic messages: text and stream alike")

atools = [{"name": "get_weather", "input_schema": WEATHER}]
convo = [{"role": "user", "content": "Weather in Paris?"}]
use = an.messages.create(model="claude-sonnet-4-5", max_tokens=256, tools=atools, messages=convo)
assert use.stop_reason == "tool_use" and use.content[0].input == {"city": "agentstorm"}
convo += [{"role": "assistant", "content": [b.model_dump() for b in use.content]},
          {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.content[0].id,
                                        "content": "18C"}]}]
done = an.messages.create(model="claude-sonnet-4-5", max_tokens=256, tools=atools, messages=convo)
assert done.stop_reason == "end_turn"
with an.messages.stream(model="claude-sonnet-4-5", max_tokens=256, tools=atools,
                        messages=convo[:1]) as stream:
    streamed_use = stream.get_final_message()
assert streamed_use.content[0].type == "tool_use" and streamed_use.content[0].input == {"city": "agentstorm"}
ok("anthropic tool use: non-streamed and streamed")

cached = an.messages.create(
    model="claude-sonnet-4-5", max_tokens=64,
    system=[{"type": "text", "text": "policy " * 1500, "cache_control": {"type": "ephemeral"}}],
    messages=[{"role": "user", "content": "Hi"}])
assert cached.usage.cache_read_input_tokens >= 1024 and cached.usage.input_tokens < 20, cached.usage
ok("anthropic prompt caching: cache_read_input_tokens apart from input_tokens")

try:
    an.messages.create(model="c", max_tokens=5, messages=convo[:1], extra_headers=fault("rate-limit"))
    raise AssertionError("no rate limit")
except anthropic.RateLimitError as e:
    assert e.response.headers["retry-after"] == "1"
    assert e.body["error"]["type"] == "rate_limit_error"
try:
    an.messages.create(model="c", max_tokens=5, messages=convo[:1], extra_headers=fault("context-length"))
    raise AssertionError("no context-length error")
except anthropic.BadRequestError as e:
    assert "prompt is too long" in e.body["error"]["message"]
try:
    an.messages.create(model="c", max_tokens=5, messages=convo[:1], extra_headers=fault("server-error"))
    raise AssertionError("no server error")
except anthropic.InternalServerError as e:
    assert e.status_code == 500
ok("anthropic faults: RateLimitError, prompt too long, 500")

# ---------------------------------------------------------------- Gemini
gm = genai.Client(api_key="none", http_options=types.HttpOptions(base_url=base))
g = gm.models.generate_content(model="gemini-2.5-flash", contents="Say hello.")
assert g.text and g.usage_metadata.candidates_token_count == len(g.text.split())
gs = "".join(c.text or "" for c in gm.models.generate_content_stream(model="gemini-2.5-flash",
                                                                      contents="Say hello."))
assert gs == g.text, (gs, g.text)
ge = gm.models.embed_content(model="text-embedding-004", contents=["one", "two"])
assert len(ge.embeddings) == 2 and len(ge.embeddings[0].values) == 768
gf = gm.models.generate_content(
    model="gemini-2.5-flash", contents="Weather in Paris?",
    config=types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[types.FunctionDeclaration(
            name="get_weather", parameters_json_schema=WEATHER)])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)))
assert gf.function_calls[0].name == "get_weather" and gf.function_calls[0].args == {"city": "agentstorm"}, gf.function_calls
try:
    gm.models.generate_content(model="gemini-2.5-flash", contents="x",
                               config=types.GenerateContentConfig(
                                   http_options=types.HttpOptions(headers=fault("rate-limit"))))
    raise AssertionError("no rate limit")
except genai.errors.ClientError as e:
    assert e.code == 429 and e.status == "RESOURCE_EXHAUSTED", (e.code, e.status)
ok("gemini: generate, stream, embed, function call, RESOURCE_EXHAUSTED")

print(f"{checks} SDK checks passed")
