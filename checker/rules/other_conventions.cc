#include "checker/rules/other_conventions.h"

#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;

const AnyValue* Find(const Span& span, absl::string_view key) {
  for (const auto& kv : span.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

absl::string_view Text(const Span& span, absl::string_view key) {
  const AnyValue* v = Find(span, key);
  return v != nullptr && v->value_case() == AnyValue::kStringValue
             ? absl::string_view(v->string_value())
             : absl::string_view();
}

bool HasPrefix(const Span& span, absl::string_view prefix) {
  for (const auto& kv : span.attributes())
    if (absl::StartsWith(kv.key(), prefix)) return true;
  return false;
}

// "key = value" for the first key present, then the other keys present (at most `limit`).
std::string Evidence(const Span& span, absl::string_view first,
                     std::initializer_list<absl::string_view> keys, size_t limit = 3) {
  std::vector<std::string> seen;
  if (const absl::string_view v = Text(span, first); !v.empty())
    seen.push_back(absl::StrCat(first, " = ", v));
  for (absl::string_view k : keys)
    if (seen.size() <= limit && Find(span, k) != nullptr) seen.emplace_back(k);
  return absl::StrJoin(seen, ", ");
}

constexpr char kChat[] =
    "a chat span: gen_ai.operation.name \"chat\", gen_ai.provider.name, gen_ai.request.model, "
    "gen_ai.usage.input_tokens and output_tokens, named \"chat {gen_ai.request.model}\", kind "
    "CLIENT";
constexpr char kEmbeddings[] =
    "an embeddings span: gen_ai.operation.name \"embeddings\", gen_ai.provider.name, "
    "gen_ai.request.model, named \"embeddings {gen_ai.request.model}\", kind CLIENT";
constexpr char kTool[] =
    "an execute_tool span: gen_ai.operation.name \"execute_tool\", gen_ai.tool.name, named "
    "\"execute_tool {gen_ai.tool.name}\", kind INTERNAL";
constexpr char kAgent[] =
    "an invoke_agent span: gen_ai.operation.name \"invoke_agent\", gen_ai.agent.name, named "
    "\"invoke_agent {gen_ai.agent.name}\"";
constexpr char kRetrieval[] =
    "a retrieval span: gen_ai.operation.name \"retrieval\", gen_ai.data_source.id, kind CLIENT";

std::optional<OtherConvention> OpenInference(const Span& span) {
  const std::string kind = absl::AsciiStrToUpper(Text(span, "openinference.span.kind"));
  if (kind.empty() && !HasPrefix(span, "llm.") && Find(span, "input.value") == nullptr)
    return std::nullopt;
  if (kind.empty() && Find(span, "llm.model_name") == nullptr &&
      Find(span, "llm.input_messages") == nullptr && !HasPrefix(span, "llm.input_messages."))
    return std::nullopt;  // llm.* without OpenInference's own keys: OpenLLMetry's, below
  OtherConvention c{"OpenInference",
                    Evidence(span, "openinference.span.kind",
                             {"llm.model_name", "llm.provider", "llm.token_count.prompt",
                              "input.value", "tool.name"}),
                    ""};
  if (kind == "LLM" || kind.empty()) {
    c.expected = kChat;
  } else if (kind == "EMBEDDING") {
    c.expected = kEmbeddings;
  } else if (kind == "TOOL") {
    c.expected = kTool;
  } else if (kind == "AGENT") {
    c.expected = kAgent;
  } else if (kind == "RETRIEVER") {
    c.expected = kRetrieval;
  } else {
    c.reported = false;  // CHAIN, RERANKER, GUARDRAIL, EVALUATOR, PROMPT: no GenAI span type
  }
  return c;
}

std::optional<OtherConvention> OpenLlmetry(const Span& span) {
  const absl::string_view type = Text(span, "llm.request.type");
  const absl::string_view kind = Text(span, "traceloop.span.kind");
  const bool indexed = HasPrefix(span, "gen_ai.prompt.") || HasPrefix(span, "gen_ai.completion.");
  if (type.empty() && kind.empty() && !indexed && !HasPrefix(span, "llm.usage.") &&
      !HasPrefix(span, "traceloop."))
    return std::nullopt;
  OtherConvention c{"OpenLLMetry",
                    Evidence(span, type.empty() ? "traceloop.span.kind" : "llm.request.type",
                             {"gen_ai.system", "gen_ai.prompt.0.content", "llm.usage.total_tokens",
                              "traceloop.entity.name"}),
                    ""};
  if (type == "chat" || type == "completion" || (type.empty() && kind.empty())) {
    c.expected = kChat;
  } else if (type == "embedding") {
    c.expected = kEmbeddings;
  } else if (kind == "tool") {
    c.expected = kTool;
  } else if (kind == "agent") {
    c.expected = kAgent;
  } else {
    c.reported = false;  // workflow, task: no GenAI span type
  }
  return c;
}

std::optional<OtherConvention> VercelAi(const Span& span) {
  absl::string_view op = Text(span, "ai.operationId");
  if (op.empty()) op = Text(span, "operation.name");
  if (!absl::StartsWith(op, "ai.") && Find(span, "ai.model.id") == nullptr) return std::nullopt;
  if (op.empty()) op = span.name();
  OtherConvention c{
      "Vercel AI SDK",
      Evidence(span, "ai.operationId",
               {"ai.model.id", "ai.model.provider", "ai.usage.promptTokens", "ai.toolCall.name"}),
      ""};
  if (absl::EndsWith(op, ".doGenerate") || absl::EndsWith(op, ".doStream")) {
    c.expected = kChat;
  } else if (absl::EndsWith(op, ".doEmbed")) {
    c.expected = kEmbeddings;
  } else if (op == "ai.toolCall") {
    c.expected = kTool;
  } else {
    c.reported = false;  // ai.generateText and the like: the call around the provider's
  }
  return c;
}

// Hosts of the providers' public APIs.
constexpr std::array<absl::string_view, 9> kProviderHosts = {"api.openai.com",
                                                             "api.anthropic.com",
                                                             "generativelanguage.googleapis.com",
                                                             "aiplatform.googleapis.com",
                                                             "api.mistral.ai",
                                                             "api.cohere.com",
                                                             "api.cohere.ai",
                                                             "api.groq.com",
                                                             "api.deepseek.com"};

std::string HostOf(const Span& span) {
  for (absl::string_view key : {"server.address", "net.peer.name", "http.host"})
    if (absl::string_view v = Text(span, key); !v.empty()) return std::string(v);
  for (absl::string_view key : {"url.full", "http.url"}) {
    absl::string_view url = Text(span, key);
    if (const size_t scheme = url.find("://"); scheme != absl::string_view::npos) {
      url.remove_prefix(scheme + 3);
      return std::string(url.substr(0, url.find_first_of(":/?")));
    }
  }
  return "";
}

std::optional<OtherConvention> ProviderCall(const Span& span) {
  if (span.kind() != Span::SPAN_KIND_CLIENT) return std::nullopt;
  const std::string host = absl::AsciiStrToLower(HostOf(span));
  bool known =
      absl::EndsWith(host, ".openai.azure.com") ||
      (absl::StartsWith(host, "bedrock-runtime.") && absl::EndsWith(host, ".amazonaws.com"));
  for (absl::string_view h : kProviderHosts) known |= host == h;
  if (!known) return std::nullopt;
  return OtherConvention{"provider API call",
                         absl::StrCat("a CLIENT span to ", host, " with no gen_ai.* attribute"),
                         absl::StrCat("a GenAI span for the call (", kChat,
                                      "), this HTTP span beneath it as its transport")};
}

}  // namespace

std::string_view StringAttribute(const Span& span, std::string_view key) {
  const absl::string_view v = Text(span, absl::string_view(key.data(), key.size()));
  return {v.data(), v.size()};
}

std::optional<OtherConvention> RecognizeOtherConvention(const Span& span) {
  if (auto c = OpenInference(span)) return c;
  if (auto c = VercelAi(span)) return c;
  if (auto c = OpenLlmetry(span)) return c;
  if (!HasPrefix(span, "gen_ai.")) return ProviderCall(span);
  return std::nullopt;
}

}  // namespace agentstorm
