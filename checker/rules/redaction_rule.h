// RedactionRule: when the scenario says the pipeline under test must strip message content,
// no content may reach the backend. Any listed attribute on a span or on one of its events,
// and any content event, is a violation "redaction.content_present" (the attribute or event
// name is the finding's `actual`; the value itself is never copied into the report).
//
// Only construct this rule when content must be stripped; it has no "off" switch.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checker/finding.h"
#include "checker/rule.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

struct RedactionRuleOptions {
  // Attribute keys that carry content (span and span-event attributes).
  std::vector<std::string> content_attributes = {"gen_ai.input.messages",
                                                 "gen_ai.output.messages",
                                                 "gen_ai.system_instructions",
                                                 "gen_ai.tool.call.arguments",
                                                 "gen_ai.tool.call.result",
                                                 "gen_ai.tool.definitions",
                                                 "gen_ai.retrieval.query.text",
                                                 "gen_ai.retrieval.documents",
                                                 "gen_ai.memory.query.text",
                                                 "gen_ai.memory.records",
                                                 "gen_ai.prompt",
                                                 "gen_ai.completion"};
  // Span event names that carry content: the v1.26-27 span events and the pre-v1.37 per-message
  // events (when exported as span events).
  std::vector<std::string> content_events = {
      "gen_ai.content.prompt", "gen_ai.content.completion", "gen_ai.system.message",
      "gen_ai.user.message",   "gen_ai.assistant.message",  "gen_ai.tool.message",
      "gen_ai.choice"};
};

class RedactionRule : public Rule {
 public:
  explicit RedactionRule(RedactionRuleOptions options = {});

  std::string_view family() const override { return "redaction"; }
  void CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) override;

 private:
  bool IsContentAttribute(std::string_view key) const;

  const RedactionRuleOptions options_;
};

}  // namespace agentstorm
