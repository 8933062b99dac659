#include "checker/rules/redaction_rule.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/ids.h"

namespace agentstorm {

using opentelemetry::proto::trace::v1::Span;

RedactionRule::RedactionRule(RedactionRuleOptions options) : options_(std::move(options)) {}

bool RedactionRule::IsContentAttribute(std::string_view key) const {
  return std::find(options_.content_attributes.begin(), options_.content_attributes.end(), key) !=
         options_.content_attributes.end();
}

void RedactionRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  for (const auto& rs : trace.received->resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        bool clean = true;
        auto report = [&](std::string what, std::string where) {
          clean = false;
          Finding f;
          f.id = "redaction.content_present";
          f.level = FindingLevel::kViolation;
          f.trace_id = span.trace_id().empty() ? trace.trace_id : HexEncode(span.trace_id());
          f.span_id = HexEncode(span.span_id());
          f.span_name = span.name();
          f.attribute = what;
          f.message = absl::StrCat("content must be stripped, but ", where, " reached the backend");
          f.expected = "absent";
          f.actual = std::move(what);
          f.variant = trace.variant;
          findings->Add(std::move(f));
        };
        for (const auto& kv : span.attributes()) {
          if (IsContentAttribute(kv.key())) {
            report(kv.key(), absl::StrCat("span attribute ", kv.key()));
          }
        }
        for (const auto& event : span.events()) {
          bool content_event =
              std::find(options_.content_events.begin(), options_.content_events.end(),
                        event.name()) != options_.content_events.end();
          if (content_event) {
            report(event.name(), absl::StrCat("content event ", event.name()));
            continue;
          }
          for (const auto& kv : event.attributes()) {
            if (IsContentAttribute(kv.key())) {
              report(kv.key(), absl::StrCat("attribute ", kv.key(), " of event ", event.name()));
            }
          }
        }
        findings->RecordEvaluation("redaction", clean);
      }
    }
  }
}

}  // namespace agentstorm
