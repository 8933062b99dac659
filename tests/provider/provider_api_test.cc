// The provider's answers: deterministic, in each API's shape, tools until a tool's result, token
// counts, and every fault in each provider's error shape.
#include "provider/provider_api.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace agentstorm::provider {
namespace {

using json = nlohmann::json;

ProviderReply Post(const std::string& path, const json& body, const std::string& fault = "",
                   const ProviderOptions& options = {}, uint64_t index = 0) {
  ProviderRequest r;
  r.method = "POST";
  r.path = path;
  r.body = body.dump();
  if (!fault.empty()) r.headers.emplace_back("X-Agentstorm-Fault", fault);
  return Answer(r, options, index);
}

json Body(const ProviderReply& r) { return json::parse(r.body); }

// The JSON of each `data:` line of a streamed answer ([DONE] left out).
std::vector<json> Events(const ProviderReply& r) {
  std::vector<json> out;
  for (const std::string& e : r.events)
    for (absl::string_view line : absl::StrSplit(e, '\n')) {
      line = absl::StripSuffix(line, "\r");
      if (absl::ConsumePrefix(&line, "data: ") && line != "[DONE]")
        out.push_back(json::parse(std::string(line)));
    }
  return out;
}

const json kWeatherTool = {
    {"type", "function"},
    {"function",
     {{"name", "get_weather"},
      {"parameters",
       {{"type", "object"},
        {"properties",
         {{"city", {{"type", "string"}}},
          {"days", {{"type", "integer"}}},
          {"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}}}},
        {"required", {"city", "unit"}}}}}}};

TEST(ProviderOpenAi, ChatIsDeterministicAndCountsTokens) {
  const json req = {{"model", "gpt-4o-mini"},
                    {"messages", {{{"role", "user"}, {"content", "Say hello to the harness."}}}}};
  const ProviderReply a = Post("/v1/chat/completions", req);
  const ProviderReply b = Post("/v1/chat/completions", req);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.api, "openai.chat");
  const json body = Body(a);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_TRUE(absl::StartsWith(body["id"].get<std::string>(), "chatcmpl-"));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  const std::string text = body["choices"][0]["message"]["content"];
  const auto words = static_cast<int>(std::count(text.begin(), text.end(), ' ') + 1);
  EXPECT_GE(words, 12);
  EXPECT_LE(words, 31);
  EXPECT_EQ(body["usage"]["completion_tokens"], words);
  // "user" + "Say hello to the harness." = 4 + 25 characters: 8 tokens.
  EXPECT_EQ(body["usage"]["prompt_tokens"], 8);
  EXPECT_EQ(body["usage"]["total_tokens"], 8 + words);
  // Another request, another answer.
  json other = req;
  other["messages"][0]["content"] = "Something else.";
  EXPECT_NE(Body(Post("/v1/chat/completions", other))["id"], body["id"]);
}

TEST(ProviderOpenAi, MaxTokensCutsTheAnswer) {
  const json req = {{"model", "m"},
                    {"max_completion_tokens", 3},
                    {"messages", {{{"role", "user"}, {"content", "Long answer please."}}}}};
  const json body = Body(Post("/chat/completions", req));  // without /v1 too
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 3);
}

TEST(ProviderOpenAi, CallsAToolUntilItsResultComesBack) {
  json req = {{"model", "m"},
              {"tools", {kWeatherTool}},
              {"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}}};
  json body = Body(Post("/v1/chat/completions", req));
  ASSERT_EQ(body["choices"][0]["finish_reason"], "tool_calls");
  const json call = body["choices"][0]["message"]["tool_calls"][0];
  EXPECT_EQ(call["function"]["name"], "get_weather");
  const json args = json::parse(call["function"]["arguments"].get<std::string>());
  EXPECT_EQ(args, json({{"city", "agentstorm"}, {"unit", "celsius"}}));  // required only
  req["messages"].push_back(body["choices"][0]["message"]);
  req["messages"].push_back({{"role", "tool"}, {"tool_call_id", call["id"]}, {"content", "18C"}});
  body = Body(Post("/v1/chat/completions", req));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(body["choices"][0]["message"]["content"].is_string());
  // A runaway agent is asked for the same tool again.
  body = Body(Post("/v1/chat/completions", req, "runaway"));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(body["choices"][0]["message"]["tool_calls"][0]["function"], call["function"]);
  // tool_choice none: text.
  req["messages"] = {{{"role", "user"}, {"content", "Weather in Paris?"}}};
  req["tool_choice"] = "none";
  EXPECT_EQ(Body(Post("/v1/chat/completions", req))["choices"][0]["finish_reason"], "stop");
}

TEST(ProviderOpenAi, StreamsChunksThenUsageThenDone) {
  const json req = {{"model", "m"},
                    {"stream", true},
                    {"stream_options", {{"include_usage", true}}},
                    {"messages", {{{"role", "user"}, {"content", "Stream it."}}}}};
  const ProviderReply r = Post("/v1/chat/completions", req);
  EXPECT_EQ(r.content_type, "text/event-stream");
  ASSERT_GE(r.events.size(), 4u);
  EXPECT_EQ(r.events.back(), "data: [DONE]\n\n");
  const std::vector<json> chunks = Events(r);
  std::string text;
  for (const json& c : chunks) {
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (!c["choices"].empty() && c["choices"][0]["delta"].contains("content"))
      text += c["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(chunks[chunks.size() - 2]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(chunks.back()["choices"].empty());
  // The streamed words are the unstreamed answer's.
  json plain = req;
  plain.erase("stream");
  plain.erase("stream_options");
  const json whole = Body(Post("/v1/chat/completions", plain));
  EXPECT_EQ(chunks.back()["usage"]["prompt_tokens"], whole["usage"]["prompt_tokens"]);
  EXPECT_EQ(std::count(text.begin(), text.end(), ' ') + 1,
            chunks.back()["usage"]["completion_tokens"].get<int>());
}

TEST(ProviderOpenAi, EmbeddingsAsFloatsOrBase64) {
  const json req = {
      {"model", "text-embedding-3-small"}, {"input", {"one", "two"}}, {"dimensions", 8}};
  const json floats = Body(Post("/v1/embeddings", req));
  ASSERT_EQ(floats["data"].size(), 2u);
  EXPECT_EQ(floats["data"][1]["index"], 1);
  ASSERT_EQ(floats["data"][0]["embedding"].size(), 8u);
  double norm = 0;
  for (const auto& x : floats["data"][0]["embedding"]) norm += x.get<double>() * x.get<double>();
  EXPECT_NEAR(norm, 1.0, 1e-5);
  json b64 = req;
  b64["encoding_format"] = "base64";
  const json encoded = Body(Post("/v1/embeddings", b64));
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(encoded["data"][0]["embedding"].get<std::string>(), &bytes));
  ASSERT_EQ(bytes.size(), 8 * sizeof(float));
  EXPECT_EQ(encoded["usage"]["prompt_tokens"], 2);  // "one" and "two": 6 characters
}

TEST(ProviderOpenAi, ResponsesApiWithFunctionCallsAndStreaming) {
  json req = {{"model", "gpt-4.1"},
              {"input", "Weather in Paris?"},
              {"tools",
               {{{"type", "function"},
                 {"name", "get_weather"},
                 {"parameters", kWeatherTool["function"]["parameters"]}}}}};
  json body = Body(Post("/v1/responses", req));
  EXPECT_EQ(body["object"], "response");
  EXPECT_EQ(body["status"], "completed");
  ASSERT_EQ(body["output"][0]["type"], "function_call");
  EXPECT_EQ(body["output"][0]["name"], "get_weather");
  req["input"] = {{{"role", "user"}, {"content", "Weather in Paris?"}},
                  body["output"][0],
                  {{"type", "function_call_output"},
                   {"call_id", body["output"][0]["call_id"]},
                   {"output", "18C"}}};
  req["stream"] = true;
  const ProviderReply r = Post("/v1/responses", req);
  const std::vector<json> events = Events(r);
  ASSERT_GE(events.size(), 6u);
  EXPECT_EQ(events.front()["type"], "response.created");
  EXPECT_EQ(events.back()["type"], "response.completed");
  EXPECT_EQ(events.back()["response"]["output"][0]["type"], "message");
  EXPECT_GT(events.back()["response"]["usage"]["output_tokens"].get<int>(), 0);
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i]["sequence_number"], i);
  EXPECT_TRUE(absl::StartsWith(r.events.front(), "event: response.created\ndata: "));
}

TEST(ProviderAnthropic, MessagesWithToolUseAndCacheTokens) {
  json req = {
      {"model", "claude-sonnet-4-5"},
      {"max_tokens", 256},
      {"tools",
       {{{"name", "get_weather"}, {"input_schema", kWeatherTool["function"]["parameters"]}}}},
      {"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}}};
  json body = Body(Post("/v1/messages", req));
  EXPECT_EQ(body["type"], "message");
  ASSERT_EQ(body["stop_reason"], "tool_use");
  const json use = body["content"][0];
  EXPECT_EQ(use["type"], "tool_use");
  EXPECT_EQ(use["input"], json({{"city", "agentstorm"}, {"unit", "celsius"}}));
  req["messages"].push_back({{"role", "assistant"}, {"content", body["content"]}});
  req["messages"].push_back(
      {{"role", "user"},
       {"content", {{{"type", "tool_result"}, {"tool_use_id", use["id"]}, {"content", "18C"}}}}});
  body = Body(Post("/v1/messages", req));
  EXPECT_EQ(body["stop_reason"], "end_turn");
  EXPECT_EQ(body["content"][0]["type"], "text");
  EXPECT_EQ(body["usage"]["cache_read_input_tokens"], 0);

  // A system prompt of 8000 characters (2000 tokens) marked for caching: read from the cache
  // and left out of input_tokens, as Anthropic counts them.
  json cached = {{"model", "claude-sonnet-4-5"},
                 {"max_tokens", 64},
                 {"system",
                  {{{"type", "text"},
                    {"text", std::string(8000, 'x')},
                    {"cache_control", {{"type", "ephemeral"}}}}}},
                 {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  body = Body(Post("/v1/messages", cached));
  const int64_t read = body["usage"]["cache_read_input_tokens"];
  EXPECT_GE(read, 2000);
  EXPECT_LT(body["usage"]["input_tokens"].get<int64_t>(), 10);
  // Under 1024 tokens nothing is cached.
  cached["system"][0]["text"] = std::string(400, 'x');
  EXPECT_EQ(Body(Post("/v1/messages", cached))["usage"]["cache_read_input_tokens"], 0);
  // max_tokens is required, as by Anthropic.
  cached.erase("max_tokens");
  const ProviderReply missing = Post("/v1/messages", cached);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Body(missing)["error"]["type"], "invalid_request_error");
}

TEST(ProviderAnthropic, StreamsTheEventSequence) {
  const json req = {{"model", "claude"},
                    {"max_tokens", 64},
                    {"stream", true},
                    {"messages", {{{"role", "user"}, {"content", "Stream it."}}}}};
  const ProviderReply r = Post("/v1/messages", req);
  std::vector<std::string> types;
  for (const json& e : Events(r)) types.push_back(e["type"]);
  ASSERT_GE(types.size(), 7u);
  EXPECT_EQ(types[0], "message_start");
  EXPECT_EQ(types[1], "content_block_start");
  EXPECT_EQ(types[types.size() - 3], "content_block_stop");
  EXPECT_EQ(types[types.size() - 2], "message_delta");
  EXPECT_EQ(types.back(), "message_stop");
  EXPECT_TRUE(absl::StartsWith(r.events.front(), "event: message_start\n"));
}

TEST(ProviderGemini, GenerateStreamAndEmbed) {
  const json req = {{"contents", {{{"role", "user"}, {"parts", {{{"text", "Hello"}}}}}}},
                    {"generationConfig", {{"maxOutputTokens", 5}}}};
  const ProviderReply r = Post("/v1beta/models/gemini-2.5-flash:generateContent", req);
  const json body = Body(r);
  EXPECT_EQ(r.api, "gemini.generateContent");
  EXPECT_EQ(body["modelVersion"], "gemini-2.5-flash");
  EXPECT_EQ(body["candidates"][0]["finishReason"], "MAX_TOKENS");
  EXPECT_EQ(body["usageMetadata"]["candidatesTokenCount"], 5);
  ProviderRequest stream;
  stream.method = "POST";
  stream.path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
  stream.params = {{"alt", "sse"}};
  stream.body = req.dump();
  const ProviderReply s = Answer(stream, {}, 0);
  ASSERT_EQ(s.events.size(), 5u);
  EXPECT_EQ(Events(s).back()["candidates"][0]["finishReason"], "MAX_TOKENS");
  const json tool_req = {
      {"contents", {{{"role", "user"}, {"parts", {{{"text", "Weather?"}}}}}}},
      {"tools",
       {{{"functionDeclarations",
          {{{"name", "get_weather"}, {"parameters", kWeatherTool["function"]["parameters"]}}}}}}}};
  const json call = Body(Post("/v1beta/models/g:generateContent", tool_req));
  EXPECT_EQ(call["candidates"][0]["content"]["parts"][0]["functionCall"]["name"], "get_weather");
  const json embed = Body(Post(
      "/v1beta/models/text-embedding-004:batchEmbedContents",
      {{"requests",
        {{{"model", "models/text-embedding-004"}, {"content", {{"parts", {{{"text", "a"}}}}}}}}}}));
  EXPECT_EQ(embed["embeddings"][0]["values"].size(), 768u);
}

TEST(ProviderFaults, EachInItsProvidersShape) {
  const json chat = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  ProviderReply r = Post("/v1/chat/completions", chat, "rate-limit");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["error"]["code"], "rate_limit_exceeded");
  bool retry_after = false;
  for (const auto& [k, v] : r.headers) retry_after |= k == "retry-after" && v == "1";
  EXPECT_TRUE(retry_after);
  r = Post("/v1/messages", {{"model", "c"}, {"max_tokens", 5}, {"messages", chat["messages"]}},
           "server-error");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["type"], "error");
  EXPECT_EQ(Body(r)["error"]["type"], "api_error");
  r = Post("/v1beta/models/g:generateContent", {{"contents", {{{"parts", {{{"text", "x"}}}}}}}},
           "context-length");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["status"], "INVALID_ARGUMENT");
  EXPECT_TRUE(absl::StrContains(Body(r)["error"]["message"].get<std::string>(),
                                "exceeds the maximum number of tokens"));
  ProviderOptions slow;
  slow.timeout_delay = absl::Seconds(7);
  r = Post("/v1/chat/completions", chat, "timeout", slow);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.delay, absl::Seconds(7));
  r = Post("/v1/chat/completions", chat, "rate-limitt");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StrContains(r.body, "did you mean rate-limit?")) << r.body;
}

TEST(ProviderFaults, APromptOverTheWindowIsTheContextLengthError) {
  ProviderOptions o;
  o.context_window = 10;
  const json chat = {{"model", "m"},
                     {"messages", {{{"role", "user"}, {"content", std::string(100, 'x')}}}}};
  const ProviderReply r = Post("/v1/chat/completions", chat, "", o);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.fault, Fault::kContextLength);
  EXPECT_EQ(Body(r)["error"]["code"], "context_length_exceeded");
  EXPECT_TRUE(absl::StrContains(Body(r)["error"]["message"].get<std::string>(),
                                "maximum context length is 10 tokens"));
}

TEST(ProviderFaults, AFractionOfRequestsSeeded) {
  ProviderOptions o;
  o.faults = {{Fault::kRateLimit, 0.25}};
  const json chat = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}};
  int limited = 0;
  std::string pattern, again;
  for (uint64_t i = 0; i < 400; ++i) {
    const bool hit = Post("/v1/chat/completions", chat, "", o, i).status == 429;
    limited += hit;
    pattern += hit ? '1' : '0';
    again += Post("/v1/chat/completions", chat, "", o, i).status == 429 ? '1' : '0';
  }
  EXPECT_EQ(pattern, again);  // the n-th request's draw depends on the seed and n only
  EXPECT_GT(limited, 60);
  EXPECT_LT(limited, 140);
  auto spec = ParseFaultSpec("server-error=0.5");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->first, Fault::kServerError);
  EXPECT_EQ(spec->second, 0.5);
  EXPECT_FALSE(ParseFaultSpec("server-error=2").ok());
  EXPECT_FALSE(ParseFaultSpec("timout").ok());
}

TEST(ProviderRouting, UnknownPathsAndMethodsAndBodies) {
  ProviderRequest r;
  r.method = "POST";
  r.path = "/v2/nothing";
  r.body = "{}";
  ProviderReply a = Answer(r, {}, 0);
  EXPECT_EQ(a.status, 404);
  EXPECT_TRUE(absl::StrContains(a.body, "/v1/chat/completions"));
  r.path = "/v1/chat/completions";
  r.method = "GET";
  EXPECT_EQ(Answer(r, {}, 0).status, 405);
  r.method = "POST";
  r.body = "not json";
  a = Answer(r, {}, 0);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(Body(a)["error"]["type"], "invalid_request_error");
}

}  // namespace
}  // namespace agentstorm::provider
