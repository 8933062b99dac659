#include "checker/rules/redaction_rule.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ids.h"

namespace agentstorm {

using opentelemetry::proto::trace::v1::Span;

RedactionRule::RedactionRule(RedactionRuleOptions options) : options_(std::move(options)) {}

std::string_view RedactionRule::ContentKind(std::string_view key) const {
  for (const std::string& k : options_.content_attributes)
    if (k == key) return k;
  for (const std::string& p : options_.content_prefixes) {
    const bool digit = !p.empty() && p.back() == '#';
    const std::string_view prefix = std::string_view(p).substr(0, p.size() - (digit ? 1 : 0));
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
        (!digit || (key[prefix.size()] >= '0' && key[prefix.size()] <= '9')))
      return p;
  }
  return "";
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
        // One finding per listed key or prefix (an indexed message list is one leak, not one per
        // field of each message).
        std::vector<std::string_view> seen;
        auto first_of_kind = [&](std::string_view key) {
          const std::string_view kind = ContentKind(key);
          if (kind.empty() || std::find(seen.begin(), seen.end(), kind) != seen.end()) return false;
          seen.push_back(kind);
          return true;
        };
        for (const auto& kv : span.attributes()) {
          if (first_of_kind(kv.key())) report(kv.key(), absl::StrCat("span attribute ", kv.key()));
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
            if (!ContentKind(kv.key()).empty()) {
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
