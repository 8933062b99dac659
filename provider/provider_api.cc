#include "provider/provider_api.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/did_you_mean.h"
#include "core/rng.h"
#include "nlohmann/json.hpp"

namespace agentstorm::provider {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr std::array<std::pair<Fault, std::string_view>, 5> kFaults = {{
    {Fault::kRateLimit, "rate-limit"},
    {Fault::kServerError, "server-error"},
    {Fault::kTimeout, "timeout"},
    {Fault::kContextLength, "context-length"},
    {Fault::kRunaway, "runaway"},
}};

// The words answers are made of, one token each.
constexpr std::array<const char*, 32> kWords = {
    "agent",  "answer", "bright",  "cache",  "delta",  "echo",   "field",  "graph",
    "harbor", "index",  "journey", "kernel", "lumen",  "matrix", "nimbus", "orbit",
    "prism",  "quartz", "relay",   "signal", "token",  "umbra",  "vector", "window",
    "xenon",  "yield",  "zephyr",  "anchor", "beacon", "cipher", "drift",  "ember"};

// Every request's figures start from one hash of its body: same request, same bytes.
constexpr int64_t kEpoch = 1767225600;  // 2026-01-01T00:00:00Z

enum class Family { kOpenAi, kAnthropic, kGemini };

struct Turn {
  bool tools_offered = false;
  bool after_tool_result = false;  // the conversation's last turn is a tool's result
  bool tool_choice_none = false;
  std::string chosen_tool;  // the one tool_choice names, "" for the model's pick
};

struct Call {
  std::string name;
  ojson arguments = ojson::object();
};

// Debian's abseil has its own string_view.
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

std::string Hex(uint64_t v, int digits) {
  std::string s = absl::StrFormat("%016x", v);
  while (static_cast<int>(s.size()) < digits) s += absl::StrFormat("%016x", Mix64(v + s.size()));
  return s.substr(0, digits);
}

int64_t Tokens(int64_t characters) { return std::max<int64_t>(1, (characters + 3) / 4); }

// The characters of every string value below `j` (keys not counted).
int64_t Characters(const json& j) {
  if (j.is_string()) return static_cast<int64_t>(j.get_ref<const std::string&>().size());
  int64_t n = 0;
  if (j.is_structured())
    for (const auto& v : j) n += Characters(v);
  return n;
}

int64_t PromptCharacters(const json& req, std::initializer_list<const char*> fields) {
  int64_t n = 0;
  for (const char* f : fields)
    if (req.contains(f)) n += Characters(req[f]);
  return n;
}

std::string Header(const ProviderRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (absl::EqualsIgnoreCase(k, A(name))) return v;
  return "";
}

std::optional<std::string> Param(const ProviderRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.params)
    if (k == name) return v;
  return std::nullopt;
}

// Arguments a tool's JSON schema accepts: every required property (every property when none is
// required) with a value of its type.
ojson ArgumentsFor(const json& schema) {
  ojson args = ojson::object();
  if (!schema.is_object() || !schema.contains("properties") || !schema["properties"].is_object())
    return args;
  std::vector<std::string> names;
  if (schema.contains("required") && schema["required"].is_array()) {
    for (const auto& n : schema["required"])
      if (n.is_string()) names.push_back(n.get<std::string>());
  } else {
    for (const auto& [k, v] : schema["properties"].items()) names.push_back(k);
  }
  for (const std::string& name : names) {
    const json& p = schema["properties"].value(name, json::object());
    std::string type = "string";
    if (p.contains("type") && p["type"].is_string())
      type = absl::AsciiStrToLower(p["type"].get<std::string>());
    if (p.contains("enum") && p["enum"].is_array() && !p["enum"].empty()) {
      args[name] = p["enum"][0];
    } else if (type == "integer") {
      args[name] = 1;
    } else if (type == "number") {
      args[name] = 1.5;
    } else if (type == "boolean") {
      args[name] = true;
    } else if (type == "array") {
      args[name] = ojson::array();
    } else if (type == "object") {
      args[name] = ArgumentsFor(p);
    } else {
      args[name] = "agentstorm";
    }
  }
  return args;
}

// The words of an answer and whether max tokens cut it.
struct Text {
  std::vector<const char*> words;
  bool cut = false;
  std::string Joined() const { return absl::StrJoin(words, " "); }
};

Text Words(uint64_t key, std::optional<int64_t> max_tokens) {
  CounterRng rng(key);
  Text t;
  int64_t n = 12 + static_cast<int64_t>(rng.Next() % 20);
  if (max_tokens && *max_tokens >= 0 && *max_tokens < n) {
    n = std::max<int64_t>(*max_tokens, 1);
    t.cut = true;
  }
  for (int64_t i = 0; i < n; ++i) t.words.push_back(kWords[rng.Next() % kWords.size()]);
  return t;
}

std::optional<int64_t> MaxTokens(const json& req, std::initializer_list<const char*> fields) {
  for (const char* f : fields)
    if (req.contains(f) && req[f].is_number_integer()) return req[f].get<int64_t>();
  return std::nullopt;
}

std::string DataEvent(const ojson& j) { return "data: " + j.dump() + "\n\n"; }
std::string NamedEvent(std::string_view name, const ojson& j) {
  return absl::StrCat("event: ", A(name), "\ndata: ", j.dump(), "\n\n");
}

// ---------------------------------------------------------------- errors

ProviderReply Error(Family family, int status, std::string_view kind, std::string_view message,
                    std::string_view code = "", std::string_view param = "") {
  ProviderReply r;
  r.status = status;
  r.content_type = "application/json";
  ojson body;
  switch (family) {
    case Family::kOpenAi:
      body["error"] = {{"message", message},
                       {"type", kind},
                       {"param", param.empty() ? ojson(nullptr) : ojson(param)},
                       {"code", code.empty() ? ojson(nullptr) : ojson(code)}};
      break;
    case Family::kAnthropic:
      body = {{"type", "error"}, {"error", {{"type", kind}, {"message", message}}}};
      break;
    case Family::kGemini:
      body["error"] = {{"code", status}, {"message", message}, {"status", kind}};
      break;
  }
  r.body = body.dump();
  return r;
}

ProviderReply BadRequest(Family family, std::string_view message) {
  switch (family) {
    case Family::kOpenAi:
      return Error(family, 400, "invalid_request_error", message);
    case Family::kAnthropic:
      return Error(family, 400, "invalid_request_error", message);
    case Family::kGemini:
      return Error(family, 400, "INVALID_ARGUMENT", message);
  }
  return {};
}

ProviderReply FaultReply(Family family, Fault fault, int64_t prompt_tokens, int64_t window) {
  if (fault == Fault::kRateLimit) {
    ProviderReply r =
        family == Family::kOpenAi
            ? Error(family, 429, "requests",
                    "Rate limit reached for requests (agentstorm provider: fault rate-limit). "
                    "Please try again in 1s.",
                    "rate_limit_exceeded")
        : family == Family::kAnthropic
            ? Error(family, 429, "rate_limit_error",
                    "This request would exceed the rate limit (agentstorm provider: fault "
                    "rate-limit).")
            : Error(family, 429, "RESOURCE_EXHAUSTED",
                    "Resource has been exhausted (e.g. check quota). (agentstorm provider: fault "
                    "rate-limit)");
    r.headers.emplace_back("retry-after", "1");
    return r;
  }
  if (fault == Fault::kServerError) {
    switch (family) {
      case Family::kOpenAi:
        return Error(family, 500, "server_error",
                     "The server had an error while processing your request. (agentstorm "
                     "provider: fault server-error)");
      case Family::kAnthropic:
        return Error(family, 500, "api_error",
                     "Internal server error (agentstorm provider: fault server-error)");
      case Family::kGemini:
        return Error(family, 500, "INTERNAL",
                     "An internal error has occurred. (agentstorm provider: fault server-error)");
    }
  }
  // The context-length error, with the prompt's size made to exceed the window.
  const int64_t tokens = std::max(prompt_tokens, window + 1);
  switch (family) {
    case Family::kOpenAi:
      return Error(family, 400, "invalid_request_error",
                   absl::StrFormat("This model's maximum context length is %d tokens. However, "
                                   "your messages resulted in %d tokens. Please reduce the "
                                   "length of the messages.",
                                   window, tokens),
                   "context_length_exceeded", "messages");
    case Family::kAnthropic:
      return Error(family, 400, "invalid_request_error",
                   absl::StrFormat("prompt is too long: %d tokens > %d maximum", tokens, window));
    case Family::kGemini:
      return Error(family, 400, "INVALID_ARGUMENT",
                   absl::StrFormat("The input token count (%d) exceeds the maximum number of "
                                   "tokens allowed (%d).",
                                   tokens, window));
  }
  return {};
}

// ---------------------------------------------------------------- tools

// The tool to call, or nullopt for a text answer.
std::optional<Call> ToolCall(const std::vector<std::pair<std::string, json>>& tools,
                             const Turn& turn, bool runaway) {
  if (tools.empty() || turn.tool_choice_none) return std::nullopt;
  if (turn.after_tool_result && !runaway) return std::nullopt;
  const auto* chosen = &tools.front();
  for (const auto& t : tools)
    if (t.first == turn.chosen_tool) chosen = &t;
  return Call{chosen->first, ArgumentsFor(chosen->second)};
}

int64_t CallTokens(const Call& c) {
  return Tokens(static_cast<int64_t>(c.name.size() + c.arguments.dump().size()));
}

// ---------------------------------------------------------------- OpenAI chat completions

ProviderReply OpenAiChat(const json& req, uint64_t h, Fault fault, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = "openai.chat";
  if (!req.contains("messages") || !req["messages"].is_array())
    return Error(Family::kOpenAi, 400, "invalid_request_error",
                 "Missing required parameter: 'messages'.", "missing_required_parameter",
                 "messages");
  const std::string model = req.value("model", "");
  std::vector<std::pair<std::string, json>> tools;
  if (req.contains("tools") && req["tools"].is_array())
    for (const auto& t : req["tools"])
      if (t.contains("function") && t["function"].is_object())
        tools.emplace_back(t["function"].value("name", ""),
                           t["function"].value("parameters", json::object()));
  Turn turn;
  const json& messages = req["messages"];
  turn.after_tool_result = !messages.empty() && messages.back().is_object() &&
                           messages.back().value("role", "") == "tool";
  if (req.contains("tool_choice")) {
    const json& c = req["tool_choice"];
    if (c.is_string()) turn.tool_choice_none = c.get<std::string>() == "none";
    if (c.is_object() && c.contains("function") && c["function"].is_object())
      turn.chosen_tool = c["function"].value("name", "");
  }
  const auto max = MaxTokens(req, {"max_completion_tokens", "max_tokens"});
  int n = 1;
  if (req.contains("n") && req["n"].is_number_integer()) n = std::clamp(req["n"].get<int>(), 1, 8);
  const std::string id = "chatcmpl-" + Hex(h, 24);
  const int64_t created = kEpoch + static_cast<int64_t>(h % 86400);
  const bool stream = req.value("stream", false);
  const bool include_usage = stream && req.contains("stream_options") &&
                             req["stream_options"].is_object() &&
                             req["stream_options"].value("include_usage", false);

  ojson choices = ojson::array();
  int64_t completion_tokens = 0;
  std::vector<std::string> chunks;
  auto chunk = [&](ojson choice_list, const ojson* usage = nullptr) {
    ojson c = {{"id", id},
               {"object", "chat.completion.chunk"},
               {"created", created},
               {"model", model},
               {"service_tier", "default"},
               {"system_fingerprint", "fp_agentstorm"},
               {"choices", std::move(choice_list)}};
    if (usage != nullptr) c["usage"] = *usage;
    chunks.push_back(DataEvent(c));
  };
  for (int i = 0; i < n; ++i) {
    const auto call = ToolCall(tools, turn, fault == Fault::kRunaway);
    ojson message = {{"role", "assistant"}};
    std::string finish;
    if (call) {
      const std::string args = call->arguments.dump();
      const std::string call_id = "call_" + Hex(MixKeys(h, i), 24);
      message["content"] = nullptr;
      message["refusal"] = nullptr;
      message["tool_calls"] =
          ojson::array({{{"id", call_id},
                         {"type", "function"},
                         {"function", {{"name", call->name}, {"arguments", args}}}}});
      finish = "tool_calls";
      completion_tokens += CallTokens(*call);
      if (stream) {
        chunk(ojson::array(
            {{{"index", i},
              {"delta",
               {{"role", "assistant"},
                {"content", nullptr},
                {"tool_calls",
                 ojson::array({{{"index", 0},
                                {"id", call_id},
                                {"type", "function"},
                                {"function", {{"name", call->name}, {"arguments", ""}}}}})}}},
              {"logprobs", nullptr},
              {"finish_reason", nullptr}}}));
        chunk(ojson::array(
            {{{"index", i},
              {"delta",
               {{"tool_calls",
                 ojson::array({{{"index", 0}, {"function", {{"arguments", args}}}}})}}},
              {"logprobs", nullptr},
              {"finish_reason", nullptr}}}));
      }
    } else {
      const Text text = Words(MixKeys(h, i), max);
      message["content"] = text.Joined();
      message["refusal"] = nullptr;
      message["annotations"] = ojson::array();
      finish = text.cut ? "length" : "stop";
      completion_tokens += static_cast<int64_t>(text.words.size());
      if (stream) {
        chunk(ojson::array(
            {{{"index", i},
              {"delta", {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}},
              {"logprobs", nullptr},
              {"finish_reason", nullptr}}}));
        for (size_t w = 0; w < text.words.size(); ++w)
          chunk(ojson::array({{{"index", i},
                               {"delta", {{"content", absl::StrCat(w ? " " : "", text.words[w])}}},
                               {"logprobs", nullptr},
                               {"finish_reason", nullptr}}}));
      }
    }
    if (stream)
      chunk(ojson::array({{{"index", i},
                           {"delta", ojson::object()},
                           {"logprobs", nullptr},
                           {"finish_reason", finish}}}));
    choices.push_back(
        {{"index", i}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", finish}});
  }
  const ojson usage = {{"prompt_tokens", prompt_tokens},
                       {"completion_tokens", completion_tokens},
                       {"total_tokens", prompt_tokens + completion_tokens},
                       {"prompt_tokens_details", {{"cached_tokens", 0}, {"audio_tokens", 0}}},
                       {"completion_tokens_details",
                        {{"reasoning_tokens", 0},
                         {"audio_tokens", 0},
                         {"accepted_prediction_tokens", 0},
                         {"rejected_prediction_tokens", 0}}}};
  if (stream) {
    if (include_usage) chunk(ojson::array(), &usage);
    chunks.push_back("data: [DONE]\n\n");
    r.content_type = "text/event-stream";
    r.events = std::move(chunks);
    return r;
  }
  const ojson body = {{"id", id},
                      {"object", "chat.completion"},
                      {"created", created},
                      {"model", model},
                      {"choices", choices},
                      {"usage", usage},
                      {"service_tier", "default"},
                      {"system_fingerprint", "fp_agentstorm"}};
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

// ---------------------------------------------------------------- embeddings

std::vector<float> Embedding(uint64_t key, int dimensions) {
  CounterRng rng(key);
  std::vector<float> v(static_cast<size_t>(dimensions));
  double norm = 0;
  for (float& x : v) {
    x = static_cast<float>(rng.NextNormal());
    norm += static_cast<double>(x) * x;
  }
  norm = std::sqrt(norm);
  for (float& x : v) x = static_cast<float>(x / (norm > 0 ? norm : 1));
  return v;
}

ProviderReply OpenAiEmbeddings(const json& req, uint64_t h, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = "openai.embeddings";
  if (!req.contains("input"))
    return Error(Family::kOpenAi, 400, "invalid_request_error",
                 "Missing required parameter: 'input'.", "missing_required_parameter", "input");
  const json& input = req["input"];
  size_t count = 1;
  if (input.is_array() && !input.empty() && !input[0].is_number()) count = input.size();
  int dimensions = 1536;
  if (req.contains("dimensions") && req["dimensions"].is_number_integer())
    dimensions = std::clamp(req["dimensions"].get<int>(), 1, 4096);
  const bool base64 = req.value("encoding_format", "float") == "base64";
  ojson data = ojson::array();
  for (size_t i = 0; i < count; ++i) {
    const std::vector<float> v = Embedding(MixKeys(h, i), dimensions);
    ojson e = {{"object", "embedding"}, {"index", i}};
    if (base64) {
      std::string bytes(v.size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian float32, as OpenAI's
      e["embedding"] = absl::Base64Escape(bytes);
    } else {
      e["embedding"] = v;
    }
    data.push_back(std::move(e));
  }
  const ojson body = {
      {"object", "list"},
      {"data", std::move(data)},
      {"model", req.value("model", "")},
      {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

// ---------------------------------------------------------------- OpenAI Responses

ProviderReply OpenAiResponses(const json& req, uint64_t h, Fault fault, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = "openai.responses";
  if (!req.contains("input"))
    return Error(Family::kOpenAi, 400, "invalid_request_error",
                 "Missing required parameter: 'input'.", "missing_required_parameter", "input");
  std::vector<std::pair<std::string, json>> tools;
  if (req.contains("tools") && req["tools"].is_array())
    for (const auto& t : req["tools"])
      if (t.is_object() && t.value("type", "") == "function")
        tools.emplace_back(t.value("name", ""), t.value("parameters", json::object()));
  Turn turn;
  const json& input = req["input"];
  turn.after_tool_result = input.is_array() && !input.empty() && input.back().is_object() &&
                           input.back().value("type", "") == "function_call_output";
  if (req.contains("tool_choice")) {
    const json& c = req["tool_choice"];
    if (c.is_string()) turn.tool_choice_none = c.get<std::string>() == "none";
    if (c.is_object()) turn.chosen_tool = c.value("name", "");
  }
  const auto max = MaxTokens(req, {"max_output_tokens"});
  const std::string model = req.value("model", "");
  const std::string id = "resp_" + Hex(h, 32);
  const auto call = ToolCall(tools, turn, fault == Fault::kRunaway);
  ojson item;
  int64_t output_tokens = 0;
  bool cut = false;
  Text text;
  if (call) {
    item = {{"type", "function_call"},
            {"id", "fc_" + Hex(MixKeys(h, 1), 32)},
            {"call_id", "call_" + Hex(MixKeys(h, 2), 24)},
            {"name", call->name},
            {"arguments", call->arguments.dump()},
            {"status", "completed"}};
    output_tokens = CallTokens(*call);
  } else {
    text = Words(h, max);
    cut = text.cut;
    item = {{"type", "message"},
            {"id", "msg_" + Hex(MixKeys(h, 1), 32)},
            {"status", cut ? "incomplete" : "completed"},
            {"role", "assistant"},
            {"content", ojson::array({{{"type", "output_text"},
                                       {"text", text.Joined()},
                                       {"annotations", ojson::array()},
                                       {"logprobs", ojson::array()}}})}};
    output_tokens = static_cast<int64_t>(text.words.size());
  }
  auto response = [&](std::string_view status, bool with_output) {
    ojson tools_echo = req.contains("tools") ? ojson::parse(req["tools"].dump()) : ojson::array();
    return ojson{
        {"id", id},
        {"object", "response"},
        {"created_at", kEpoch + static_cast<int64_t>(h % 86400)},
        {"status", status},
        {"error", nullptr},
        {"incomplete_details",
         cut && with_output ? ojson{{"reason", "max_output_tokens"}} : ojson(nullptr)},
        {"instructions",
         req.contains("instructions") ? ojson::parse(req["instructions"].dump()) : ojson(nullptr)},
        {"max_output_tokens", max ? ojson(*max) : ojson(nullptr)},
        {"model", model},
        {"output", with_output ? ojson::array({item}) : ojson::array()},
        {"parallel_tool_calls", true},
        {"previous_response_id", nullptr},
        {"temperature", req.value("temperature", 1.0)},
        {"top_p", req.value("top_p", 1.0)},
        {"tool_choice", "auto"},
        {"tools", tools_echo},
        {"text", {{"format", {{"type", "text"}}}}},
        {"truncation", "disabled"},
        {"metadata", ojson::object()},
        {"usage", with_output ? ojson{{"input_tokens", prompt_tokens},
                                      {"input_tokens_details", {{"cached_tokens", 0}}},
                                      {"output_tokens", output_tokens},
                                      {"output_tokens_details", {{"reasoning_tokens", 0}}},
                                      {"total_tokens", prompt_tokens + output_tokens}}
                              : ojson(nullptr)}};
  };
  const std::string final_status = cut ? "incomplete" : "completed";
  if (!req.value("stream", false)) {
    r.content_type = "application/json";
    r.body = response(final_status, true).dump();
    return r;
  }
  int sequence = 0;
  auto event = [&](std::string_view type, ojson j) {
    j["type"] = type;
    j["sequence_number"] = sequence++;
    r.events.push_back(NamedEvent(type, j));
  };
  event("response.created", {{"response", response("in_progress", false)}});
  event("response.in_progress", {{"response", response("in_progress", false)}});
  ojson added = item;
  if (call) {
    added["arguments"] = "";
    added["status"] = "in_progress";
    event("response.output_item.added", {{"output_index", 0}, {"item", added}});
    event("response.function_call_arguments.delta",
          {{"item_id", item["id"]}, {"output_index", 0}, {"delta", item["arguments"]}});
    event("response.function_call_arguments.done",
          {{"item_id", item["id"]}, {"output_index", 0}, {"arguments", item["arguments"]}});
  } else {
    added["content"] = ojson::array();
    added["status"] = "in_progress";
    event("response.output_item.added", {{"output_index", 0}, {"item", added}});
    const ojson empty_part = {
        {"type", "output_text"}, {"text", ""}, {"annotations", ojson::array()}};
    event(
        "response.content_part.added",
        {{"item_id", item["id"]}, {"output_index", 0}, {"content_index", 0}, {"part", empty_part}});
    for (size_t w = 0; w < text.words.size(); ++w)
      event("response.output_text.delta", {{"item_id", item["id"]},
                                           {"output_index", 0},
                                           {"content_index", 0},
                                           {"delta", absl::StrCat(w ? " " : "", text.words[w])},
                                           {"logprobs", ojson::array()}});
    event("response.output_text.done", {{"item_id", item["id"]},
                                        {"output_index", 0},
                                        {"content_index", 0},
                                        {"text", text.Joined()},
                                        {"logprobs", ojson::array()}});
    event("response.content_part.done", {{"item_id", item["id"]},
                                         {"output_index", 0},
                                         {"content_index", 0},
                                         {"part", item["content"][0]}});
  }
  event("response.output_item.done", {{"output_index", 0}, {"item", item}});
  event(cut ? "response.incomplete" : "response.completed",
        {{"response", response(final_status, true)}});
  r.content_type = "text/event-stream";
  return r;
}

// ---------------------------------------------------------------- Anthropic Messages

// Anthropic caches a prompt prefix of at least this many tokens.
constexpr int64_t kAnthropicMinCacheTokens = 1024;

// The characters up to and including the last block marked `cache_control`, in the order
// Anthropic builds its prefix (tools, system, messages); 0 when none is marked.
int64_t CachedCharacters(const json& req) {
  int64_t seen = 0, cached = 0;
  auto walk = [&](const json& blocks) {
    if (blocks.is_string()) {
      seen += Characters(blocks);
      return;
    }
    if (!blocks.is_array()) return;
    for (const auto& b : blocks) {
      seen += Characters(b);
      if (b.is_object() && b.contains("cache_control")) cached = seen;
    }
  };
  if (req.contains("tools")) walk(req["tools"]);
  if (req.contains("system")) walk(req["system"]);
  if (req.contains("messages") && req["messages"].is_array())
    for (const auto& m : req["messages"])
      if (m.is_object() && m.contains("content")) walk(m["content"]);
  return cached;
}

ProviderReply AnthropicMessages(const json& req, uint64_t h, Fault fault, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = "anthropic.messages";
  if (!req.contains("messages") || !req["messages"].is_array())
    return Error(Family::kAnthropic, 400, "invalid_request_error", "messages: Field required");
  if (!req.contains("max_tokens") || !req["max_tokens"].is_number_integer())
    return Error(Family::kAnthropic, 400, "invalid_request_error", "max_tokens: Field required");
  std::vector<std::pair<std::string, json>> tools;
  if (req.contains("tools") && req["tools"].is_array())
    for (const auto& t : req["tools"])
      if (t.is_object() && t.contains("input_schema"))
        tools.emplace_back(t.value("name", ""), t["input_schema"]);
  Turn turn;
  const json& messages = req["messages"];
  if (!messages.empty() && messages.back().is_object() && messages.back().contains("content") &&
      messages.back()["content"].is_array())
    for (const auto& b : messages.back()["content"])
      if (b.is_object() && b.value("type", "") == "tool_result") turn.after_tool_result = true;
  if (req.contains("tool_choice") && req["tool_choice"].is_object()) {
    const json& c = req["tool_choice"];
    turn.tool_choice_none = c.value("type", "") == "none";
    if (c.value("type", "") == "tool") turn.chosen_tool = c.value("name", "");
  }
  int64_t cache_read = Tokens(CachedCharacters(req));
  if (CachedCharacters(req) == 0 || cache_read < kAnthropicMinCacheTokens) cache_read = 0;
  const int64_t input_tokens = std::max<int64_t>(prompt_tokens - cache_read, 1);
  const std::string model = req.value("model", "");
  const std::string id = "msg_" + Hex(h, 24);
  const auto call = ToolCall(tools, turn, fault == Fault::kRunaway);
  ojson block;
  std::string stop;
  int64_t output_tokens = 0;
  Text text;
  if (call) {
    block = {{"type", "tool_use"},
             {"id", "toolu_" + Hex(MixKeys(h, 1), 24)},
             {"name", call->name},
             {"input", call->arguments}};
    stop = "tool_use";
    output_tokens = CallTokens(*call);
  } else {
    text = Words(h, req["max_tokens"].get<int64_t>());
    block = {{"type", "text"}, {"text", text.Joined()}};
    stop = text.cut ? "max_tokens" : "end_turn";
    output_tokens = static_cast<int64_t>(text.words.size());
  }
  auto usage = [&](int64_t out) {
    return ojson{{"input_tokens", input_tokens},
                 {"cache_creation_input_tokens", 0},
                 {"cache_read_input_tokens", cache_read},
                 {"output_tokens", out},
                 {"service_tier", "standard"}};
  };
  if (!req.value("stream", false)) {
    const ojson body = {{"id", id},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", model},
                        {"content", ojson::array({block})},
                        {"stop_reason", stop},
                        {"stop_sequence", nullptr},
                        {"usage", usage(output_tokens)}};
    r.content_type = "application/json";
    r.body = body.dump();
    return r;
  }
  r.content_type = "text/event-stream";
  r.events.push_back(NamedEvent("message_start", {{"type", "message_start"},
                                                  {"message",
                                                   {{"id", id},
                                                    {"type", "message"},
                                                    {"role", "assistant"},
                                                    {"model", model},
                                                    {"content", ojson::array()},
                                                    {"stop_reason", nullptr},
                                                    {"stop_sequence", nullptr},
                                                    {"usage", usage(1)}}}}));
  ojson start = block;
  if (call)
    start["input"] = ojson::object();
  else
    start["text"] = "";
  r.events.push_back(
      NamedEvent("content_block_start",
                 {{"type", "content_block_start"}, {"index", 0}, {"content_block", start}}));
  r.events.push_back(NamedEvent("ping", {{"type", "ping"}}));
  if (call) {
    r.events.push_back(NamedEvent(
        "content_block_delta",
        {{"type", "content_block_delta"},
         {"index", 0},
         {"delta", {{"type", "input_json_delta"}, {"partial_json", call->arguments.dump()}}}}));
  } else {
    for (size_t w = 0; w < text.words.size(); ++w)
      r.events.push_back(NamedEvent(
          "content_block_delta",
          {{"type", "content_block_delta"},
           {"index", 0},
           {"delta",
            {{"type", "text_delta"}, {"text", absl::StrCat(w ? " " : "", text.words[w])}}}}));
  }
  r.events.push_back(
      NamedEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}}));
  r.events.push_back(
      NamedEvent("message_delta", {{"type", "message_delta"},
                                   {"delta", {{"stop_reason", stop}, {"stop_sequence", nullptr}}},
                                   {"usage", {{"output_tokens", output_tokens}}}}));
  r.events.push_back(NamedEvent("message_stop", {{"type", "message_stop"}}));
  return r;
}

// ---------------------------------------------------------------- Gemini

// A field of a Gemini request, spelt camelCase or snake_case (the API takes both, as protobuf
// JSON does; the google-genai SDK sends some of each). Null when absent or `obj` is not an
// object (or null).
const json* Field(const json* obj, const char* camel) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  if (auto it = obj->find(camel); it != obj->end()) return &*it;
  std::string snake;
  for (const char* c = camel; *c != '\0'; ++c) {
    if (absl::ascii_isupper(static_cast<unsigned char>(*c))) {
      snake += '_';
      snake += absl::ascii_tolower(static_cast<unsigned char>(*c));
    } else {
      snake += *c;
    }
  }
  if (auto it = obj->find(snake); it != obj->end()) return &*it;
  return nullptr;
}
const json* Field(const json& obj, const char* camel) { return Field(&obj, camel); }

ProviderReply GeminiGenerate(const json& req, const std::string& model, bool stream, bool sse,
                             uint64_t h, Fault fault, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = stream ? "gemini.streamGenerateContent" : "gemini.generateContent";
  if (!req.contains("contents") || !req["contents"].is_array())
    return Error(Family::kGemini, 400, "INVALID_ARGUMENT",
                 "* GenerateContentRequest.contents: contents is not specified");
  std::vector<std::pair<std::string, json>> tools;
  if (const json* list = Field(req, "tools"); list != nullptr && list->is_array())
    for (const auto& t : *list)
      if (const json* fns = Field(t, "functionDeclarations"); fns != nullptr && fns->is_array())
        for (const auto& f : *fns) {
          const json* schema = Field(f, "parametersJsonSchema");
          if (schema == nullptr) schema = Field(f, "parameters");
          tools.emplace_back(f.is_object() ? f.value("name", "") : "",
                             schema != nullptr ? *schema : json::object());
        }
  Turn turn;
  const json& contents = req["contents"];
  if (!contents.empty())
    if (const json* parts = Field(contents.back(), "parts"); parts != nullptr && parts->is_array())
      for (const auto& p : *parts)
        if (Field(p, "functionResponse") != nullptr) turn.after_tool_result = true;
  if (const json* c = Field(Field(req, "toolConfig"), "functionCallingConfig"); c != nullptr) {
    turn.tool_choice_none = c->is_object() && c->value("mode", "") == "NONE";
    const json* allowed = Field(*c, "allowedFunctionNames");
    if (allowed != nullptr && allowed->is_array() && !allowed->empty() && (*allowed)[0].is_string())
      turn.chosen_tool = (*allowed)[0].get<std::string>();
  }
  std::optional<int64_t> max;
  if (const json* max_tokens = Field(Field(req, "generationConfig"), "maxOutputTokens");
      max_tokens != nullptr && max_tokens->is_number_integer())
    max = max_tokens->get<int64_t>();
  const auto call = ToolCall(tools, turn, fault == Fault::kRunaway);
  const std::string response_id = Hex(h, 22);
  auto respond = [&](ojson parts, std::optional<std::string> finish, int64_t out) {
    ojson candidate = {{"content", {{"parts", std::move(parts)}, {"role", "model"}}}};
    if (finish) candidate["finishReason"] = *finish;
    candidate["index"] = 0;
    return ojson{{"candidates", ojson::array({candidate})},
                 {"usageMetadata",
                  {{"promptTokenCount", prompt_tokens},
                   {"candidatesTokenCount", out},
                   {"totalTokenCount", prompt_tokens + out},
                   {"promptTokensDetails",
                    ojson::array({{{"modality", "TEXT"}, {"tokenCount", prompt_tokens}}})}}},
                 {"modelVersion", model},
                 {"responseId", response_id}};
  };
  std::vector<ojson> pieces;
  if (call) {
    const ojson part = {{"functionCall",
                         {{"id", "fc_" + Hex(MixKeys(h, 1), 16)},
                          {"name", call->name},
                          {"args", call->arguments}}}};
    pieces.push_back(respond(ojson::array({part}), "STOP", CallTokens(*call)));
  } else {
    const Text text = Words(h, max);
    const std::string finish = text.cut ? "MAX_TOKENS" : "STOP";
    const auto total = static_cast<int64_t>(text.words.size());
    if (!stream) {
      pieces.push_back(respond(ojson::array({{{"text", text.Joined()}}}), finish, total));
    } else {
      for (size_t w = 0; w < text.words.size(); ++w) {
        const bool last = w + 1 == text.words.size();
        pieces.push_back(respond(
            ojson::array({{{"text", absl::StrCat(w ? " " : "", text.words[w])}}}),
            last ? std::optional<std::string>(finish) : std::nullopt, static_cast<int64_t>(w + 1)));
      }
    }
  }
  if (!stream) {
    r.content_type = "application/json";
    r.body = pieces.front().dump();
  } else if (sse) {
    r.content_type = "text/event-stream";
    for (const ojson& p : pieces) r.events.push_back("data: " + p.dump() + "\r\n\r\n");
  } else {
    ojson all = ojson::array();
    for (ojson& p : pieces) all.push_back(std::move(p));
    r.content_type = "application/json";
    r.body = all.dump();
  }
  return r;
}

ProviderReply GeminiEmbed(const json& req, bool batch, uint64_t h, int64_t prompt_tokens) {
  ProviderReply r;
  r.api = batch ? "gemini.batchEmbedContents" : "gemini.embedContent";
  (void)prompt_tokens;
  auto dims = [](const json& one) {
    const json* d = Field(one, "outputDimensionality");
    if (d == nullptr) d = Field(Field(one, "config"), "outputDimensionality");
    return d != nullptr && d->is_number_integer() ? std::clamp(d->get<int>(), 1, 4096) : 768;
  };
  if (!batch) {
    if (!req.contains("content"))
      return Error(Family::kGemini, 400, "INVALID_ARGUMENT",
                   "* EmbedContentRequest.content: contents is not specified");
    r.content_type = "application/json";
    r.body = ojson{{"embedding", {{"values", Embedding(h, dims(req))}}}}.dump();
    return r;
  }
  if (!req.contains("requests") || !req["requests"].is_array())
    return Error(Family::kGemini, 400, "INVALID_ARGUMENT",
                 "* BatchEmbedContentsRequest.requests: requests is not specified");
  ojson embeddings = ojson::array();
  for (size_t i = 0; i < req["requests"].size(); ++i)
    embeddings.push_back({{"values", Embedding(MixKeys(h, i), dims(req["requests"][i]))}});
  r.content_type = "application/json";
  r.body = ojson{{"embeddings", std::move(embeddings)}}.dump();
  return r;
}

// ---------------------------------------------------------------- routing

struct Route {
  Family family = Family::kOpenAi;
  std::string api;      // "chat", "embeddings", "responses", "messages", "generate", "embed"
  std::string model;    // Gemini's, from the path
  bool stream = false;  // Gemini streamGenerateContent
  bool batch = false;   // Gemini batchEmbedContents
};

std::optional<Route> RouteOf(std::string_view path) {
  absl::string_view p = A(path);
  if (absl::StartsWith(p, "/openai/")) p.remove_prefix(7);  // Azure-style prefix
  for (absl::string_view prefix : {"/v1beta/models/", "/v1/models/", "/v1alpha/models/"}) {
    if (!absl::StartsWith(p, prefix)) continue;
    absl::string_view rest = p.substr(prefix.size());
    const size_t colon = rest.rfind(':');
    if (colon == absl::string_view::npos) return std::nullopt;
    Route r{Family::kGemini, "", std::string(rest.substr(0, colon))};
    const absl::string_view method = rest.substr(colon + 1);
    if (method == "generateContent") r.api = "generate";
    if (method == "streamGenerateContent") r.api = "generate", r.stream = true;
    if (method == "embedContent") r.api = "embed";
    if (method == "batchEmbedContents") r.api = "embed", r.batch = true;
    if (r.api.empty()) return std::nullopt;
    return r;
  }
  if (absl::StartsWith(p, "/v1/")) p.remove_prefix(3);
  if (p == "/chat/completions") return Route{Family::kOpenAi, "chat", "", false, false};
  if (p == "/embeddings") return Route{Family::kOpenAi, "embeddings", "", false, false};
  if (p == "/responses") return Route{Family::kOpenAi, "responses", "", false, false};
  if (p == "/messages") return Route{Family::kAnthropic, "messages", "", false, false};
  return std::nullopt;
}

constexpr char kServed[] =
    "POST /v1/chat/completions, /v1/embeddings, /v1/responses (OpenAI), /v1/messages "
    "(Anthropic), /v1beta/models/MODEL:generateContent, :streamGenerateContent, :embedContent, "
    ":batchEmbedContents (Gemini)";

}  // namespace

std::string_view FaultName(Fault fault) {
  for (const auto& [f, name] : kFaults)
    if (f == fault) return name;
  return "";
}

absl::StatusOr<Fault> ParseFault(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& [f, n] : kFaults) {
    if (n == name) return f;
    names.emplace_back(n);
  }
  std::string message = absl::StrCat("unknown provider fault \"", A(name), "\"");
  const std::string guess = ClosestMatch(name, names);
  if (!guess.empty()) absl::StrAppend(&message, "; did you mean ", guess, "?");
  absl::StrAppend(&message, " (one of ", absl::StrJoin(names, ", "), ")");
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::pair<Fault, double>> ParseFaultSpec(std::string_view spec) {
  const size_t eq = spec.find('=');
  auto fault = ParseFault(spec.substr(0, eq));
  if (!fault.ok()) return fault.status();
  double fraction = 1;
  if (eq != std::string_view::npos &&
      (!absl::SimpleAtod(A(spec.substr(eq + 1)), &fraction) || !(fraction > 0 && fraction <= 1)))
    return absl::InvalidArgumentError(
        absl::StrCat(A(spec), ": the fraction of requests must be a number in (0, 1], e.g. ",
                     A(spec.substr(0, eq)), "=0.1"));
  return std::make_pair(*fault, fraction);
}

ProviderReply Answer(const ProviderRequest& request, const ProviderOptions& options,
                     uint64_t request_index) {
  const std::optional<Route> route = RouteOf(request.path);
  if (!route) {
    ProviderReply r = Error(Family::kOpenAi, 404, "invalid_request_error",
                            absl::StrCat("agentstorm provider: no API at ", request.method, " ",
                                         request.path, "; it serves ", kServed));
    return r;
  }
  const Family family = route->family;
  if (request.method != "POST") {
    ProviderReply r = Error(
        family, 405, family == Family::kGemini ? "INVALID_ARGUMENT" : "invalid_request_error",
        absl::StrCat("agentstorm provider: ", request.path, " takes POST, not ", request.method));
    r.headers.emplace_back("allow", "POST");
    return r;
  }
  const json req = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded() || !req.is_object())
    return BadRequest(family, "agentstorm provider: the request body is not a JSON object");

  Fault fault = Fault::kNone;
  if (const std::string asked = Header(request, "x-agentstorm-fault"); !asked.empty()) {
    auto f = ParseFault(std::string(absl::StripAsciiWhitespace(asked)));
    if (!f.ok())
      return BadRequest(family, absl::StrCat("x-agentstorm-fault: ", f.status().message()));
    fault = *f;
  } else {
    CounterRng rng(MixKeys(options.fault_seed, request_index));
    for (const auto& [f, fraction] : options.faults)
      if (rng.Bernoulli(fraction)) {
        fault = f;
        break;
      }
  }

  // The answer depends on what was asked, not on how it is delivered or spelt: the hash is of
  // the body without its streaming fields, keys sorted, no spaces.
  json asked = req;
  asked.erase("stream");
  asked.erase("stream_options");
  const uint64_t h = HashName(asked.dump());
  int64_t prompt_tokens = 0;
  if (route->api == "chat") prompt_tokens = Tokens(PromptCharacters(req, {"messages", "tools"}));
  if (route->api == "embeddings") prompt_tokens = Tokens(PromptCharacters(req, {"input"}));
  if (route->api == "responses")
    prompt_tokens = Tokens(PromptCharacters(req, {"input", "instructions", "tools"}));
  if (route->api == "messages")
    prompt_tokens = Tokens(PromptCharacters(req, {"system", "messages", "tools"}));
  if (route->api == "generate")
    prompt_tokens = Tokens(
        PromptCharacters(req, {"contents", "systemInstruction", "system_instruction", "tools"}));
  if (route->api == "embed") prompt_tokens = Tokens(PromptCharacters(req, {"content", "requests"}));
  if (fault == Fault::kNone && prompt_tokens > options.context_window)
    fault = Fault::kContextLength;

  ProviderReply r;
  if (fault == Fault::kRateLimit || fault == Fault::kServerError ||
      fault == Fault::kContextLength) {
    r = FaultReply(family, fault, prompt_tokens, options.context_window);
    r.api = absl::StrCat(family == Family::kOpenAi      ? "openai."
                         : family == Family::kAnthropic ? "anthropic."
                                                        : "gemini.",
                         route->api);
  } else if (route->api == "chat") {
    r = OpenAiChat(req, h, fault, prompt_tokens);
  } else if (route->api == "embeddings") {
    r = OpenAiEmbeddings(req, h, prompt_tokens);
  } else if (route->api == "responses") {
    r = OpenAiResponses(req, h, fault, prompt_tokens);
  } else if (route->api == "messages") {
    r = AnthropicMessages(req, h, fault, prompt_tokens);
  } else if (route->api == "generate") {
    const auto alt = Param(request, "alt");
    r = GeminiGenerate(req, route->model, route->stream, alt && *alt == "sse", h, fault,
                       prompt_tokens);
  } else {
    r = GeminiEmbed(req, route->batch, h, prompt_tokens);
  }
  if (family == Family::kOpenAi) r.headers.emplace_back("x-request-id", "req_" + Hex(h, 32));
  if (family == Family::kAnthropic) r.headers.emplace_back("request-id", "req_" + Hex(h, 24));
  r.fault = fault;
  if (fault == Fault::kTimeout) r.delay = options.timeout_delay;
  return r;
}

}  // namespace agentstorm::provider
