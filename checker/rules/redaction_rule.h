// RedactionRule: when the scenario says the pipeline under test must strip message content,
// no content may reach the backend. Any listed attribute on a span or on one of its events,
// and any content event, is a violation "redaction.content_present" (the attribute or event
// name is the finding's `actual`; the value itself is never copied into the report). Content is
// looked for under every convention an LLM span may follow, not the GenAI one only:
// OpenInference (`input.value`, `llm.input_messages.*`), OpenLLMetry (`gen_ai.prompt.0.content`,
// `llm.prompts`), the Vercel AI SDK (`ai.prompt`, `ai.response.text`, `ai.toolCall.args`).
//
// The check config's `redaction:` section adds keys ('*' wildcards) that must not arrive (the
// same finding) and RE2 patterns no string value of a span or span-event attribute (or element
// of a string array) may contain a match of: "redaction.pattern_matched", naming the key and
// the pattern, never the value.
//
// Only construct this rule when something must be stripped; it has no "off" switch.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checker/finding.h"
#include "checker/rule.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace re2 {
class RE2;
}

namespace agentstorm {

struct RedactionRuleOptions {
  // Attribute keys that carry content (span and span-event attributes).
  std::vector<std::string> content_attributes = {
      "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
      "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.tool.definitions",
      "gen_ai.retrieval.query.text", "gen_ai.retrieval.documents", "gen_ai.memory.query.text",
      "gen_ai.memory.records", "gen_ai.prompt", "gen_ai.completion",
      // OpenInference
      "input.value", "output.value", "retrieval.documents", "tool.parameters",
      // OpenLLMetry
      "llm.prompts", "llm.completions", "traceloop.entity.input", "traceloop.entity.output",
      // the Vercel AI SDK
      "ai.prompt", "ai.response.text", "ai.response.object", "ai.response.toolCalls",
      "ai.toolCall.args", "ai.toolCall.result", "ai.value", "ai.values"};
  // Key prefixes of indexed or nested content attributes (one finding per prefix per span, naming
  // the first key seen): OpenLLMetry's gen_ai.prompt.0.content, OpenInference's
  // llm.input_messages.0.message.content, ... A prefix ending in '#' matches only when a digit
  // follows (gen_ai.prompt.0.content is content; gen_ai.prompt.name, a registry attribute, is
  // not).
  std::vector<std::string> content_prefixes = {
      "gen_ai.prompt.#",       "gen_ai.completion.#",  "llm.input_messages.#",
      "llm.output_messages.#", "llm.prompts.#",        "llm.completions.#",
      "llm.tools.#",           "llm.prompt_template.", "ai.prompt."};
  // Span event names that carry content: the v1.26-27 span events and the pre-v1.37 per-message
  // events (when exported as span events).
  std::vector<std::string> content_events = {
      "gen_ai.content.prompt", "gen_ai.content.completion", "gen_ai.system.message",
      "gen_ai.user.message",   "gen_ai.assistant.message",  "gen_ai.tool.message",
      "gen_ai.choice"};
  // The check config's redaction.keys and redaction.patterns (patterns valid RE2).
  std::vector<std::string> keys;
  std::vector<std::string> patterns;
};

class RedactionRule : public Rule {
 public:
  explicit RedactionRule(RedactionRuleOptions options = {});
  ~RedactionRule() override;

  std::string_view family() const override { return "redaction"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;

 private:
  // The listed key, or the prefix it starts with; "" when it carries no content.
  std::string_view ContentKind(std::string_view key) const;
  // The index of the first configured pattern `value` contains a match of, or -1.
  int MatchingPattern(std::string_view value) const;

  const RedactionRuleOptions options_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // options_.patterns, compiled
};

}  // namespace agentstorm
