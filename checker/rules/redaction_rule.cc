#include "checker/rules/redaction_rule.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "re2/re2.h"

namespace agentstorm {

using opentelemetry::proto::trace::v1::Span;

RedactionRule::RedactionRule(RedactionRuleOptions options) : options_(std::move(options)) {
  for (const std::string& p : options_.patterns)
    patterns_.push_back(std::make_unique<re2::RE2>(p, re2::RE2::Quiet));
}

RedactionRule::~RedactionRule() = default;

int RedactionRule::MatchingPattern(std::string_view value) const {
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (patterns_[i]->ok() &&
        re2::RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *patterns_[i]))
      return static_cast<int>(i);
  }
  return -1;
}

std::string_view RedactionRule::ContentKind(std::string_view key) const {
  for (const std::string& k : options_.content_attributes)
    if (k == key) return k;
  for (const std::string& k : options_.keys)
    if (WildcardMatch(k, key)) return k;
  for (const std::string& p : options_.content_prefixes) {
    const bool digit = !p.empty() && p.back() == '#';
    const std::string_view prefix = std::string_view(p).substr(0, p.size() - (digit ? 1 : 0));
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
        (!digit || (key[prefix.size()] >= '0' && key[prefix.size()] <= '9')))
      return p;
  }
  return "";
}

namespace {

// A violation about `span`, its place filled in.
Finding SpanViolation(const char* id, const Span& span, const TraceUnderCheck& trace) {
  Finding f;
  f.id = id;
  f.level = FindingLevel::kViolation;
  f.trace_id = span.trace_id().empty() ? trace.trace_id : HexEncode(span.trace_id());
  f.span_id = HexEncode(span.span_id());
  f.span_name = span.name();
  f.variant = trace.variant;
  return f;
}

}  // namespace

void RedactionRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  for (const auto& rs : trace.received->resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        bool clean = true;
        auto report = [&](std::string what, std::string where) {
          clean = false;
          Finding f = SpanViolation("redaction.content_present", span, trace);
          f.attribute = what;
          f.message = absl::StrCat("content must be stripped, but ", where, " reached the backend");
          f.expected = "absent";
          f.actual = std::move(what);
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
        // A configured pattern in a string value: one finding per key, naming the pattern.
        auto check_value = [&](const std::string& key,
                               const opentelemetry::proto::common::v1::AnyValue& v,
                               const std::string& where) {
          if (patterns_.empty()) return;
          int matched = -1;
          if (v.has_string_value()) {
            matched = MatchingPattern(v.string_value());
          } else if (v.has_array_value()) {
            for (const auto& e : v.array_value().values()) {
              if (e.has_string_value()) matched = MatchingPattern(e.string_value());
              if (matched >= 0) break;
            }
          }
          if (matched < 0) return;
          clean = false;
          Finding f = SpanViolation("redaction.pattern_matched", span, trace);
          f.attribute = key;
          f.message =
              absl::StrCat("the value of ", where, " contains a match of redaction.patterns[",
                           matched, "] (the value is not copied here)");
          f.expected = absl::StrCat("no match of ", options_.patterns[matched]);
          f.actual = key;
          findings->Add(std::move(f));
        };
        for (const auto& kv : span.attributes()) {
          if (first_of_kind(kv.key())) {
            report(kv.key(), absl::StrCat("span attribute ", kv.key()));
            continue;  // its value is reported already
          }
          check_value(kv.key(), kv.value(), absl::StrCat("span attribute ", kv.key()));
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
            const std::string where =
                absl::StrCat("attribute ", kv.key(), " of event ", event.name());
            if (!ContentKind(kv.key()).empty()) {
              report(kv.key(), where);
            } else {
              check_value(kv.key(), kv.value(), where);
            }
          }
        }
        findings->RecordEvaluation("redaction", clean);
      }
    }
  }
}

}  // namespace agentstorm
