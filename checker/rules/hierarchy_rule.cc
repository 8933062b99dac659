#include "checker/rules/hierarchy_rule.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checker/rules/trace_view.h"
#include "core/ids.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::trace::v1::Span;

const char* KindName(int kind) {
  switch (kind) {
    case Span::SPAN_KIND_INTERNAL:
      return "INTERNAL";
    case Span::SPAN_KIND_SERVER:
      return "SERVER";
    case Span::SPAN_KIND_CLIENT:
      return "CLIENT";
    case Span::SPAN_KIND_PRODUCER:
      return "PRODUCER";
    case Span::SPAN_KIND_CONSUMER:
      return "CONSUMER";
    default:
      return "UNSPECIFIED";
  }
}

std::string ParentLabel(const std::string& parent) {
  return IsZeroId(parent) ? "(root)" : HexEncode(parent);
}

}  // namespace

HierarchyRule::HierarchyRule(HierarchyRuleOptions options) : options_(options) {}

void HierarchyRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  const std::vector<SpanRef> spans = CollectSpans(*trace.received);
  if (spans.empty()) return;  // nothing arrived: fidelity and the guards say so
  bool clean = true;
  auto add = [&](const char* id, FindingLevel level, const Span* span, std::string message,
                 std::string expected = "", std::string actual = "") {
    clean = false;
    Finding f;
    f.id = id;
    f.level = level;
    f.trace_id = trace.trace_id;
    if (span != nullptr) {
      f.span_id = HexEncode(span->span_id());
      f.span_name = span->name();
    }
    f.message = std::move(message);
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    f.variant = trace.variant;
    findings->Add(std::move(f));
  };

  // Index: span ID -> first span with it; duplicates noted. `firsts` holds those first spans in
  // the order received, so that findings come in the same order on every run.
  SpanIdMap<const Span*> by_id;
  by_id.reserve(spans.size());
  std::vector<const Span*> firsts;
  firsts.reserve(spans.size());
  std::string first_service;
  bool several_services = false;
  std::set<std::string> trace_ids;
  const opentelemetry::proto::resource::v1::Resource* last_resource = nullptr;
  for (const SpanRef& ref : spans) {
    const Span& s = *ref.span;
    if (trace_ids.empty() || *trace_ids.begin() != s.trace_id() || trace_ids.size() > 1) {
      trace_ids.insert(s.trace_id());
    }
    if (ref.resource != last_resource) {  // a resource's spans come together
      if (last_resource == nullptr) {
        first_service = ServiceName(*ref.resource);
      } else if (!several_services) {
        several_services = ServiceName(*ref.resource) != first_service;
      }
      last_resource = ref.resource;
    }
    auto [it, inserted] = by_id.emplace(s.span_id(), &s);
    if (inserted) firsts.push_back(&s);
    if (!inserted) {
      const bool identical = it->second->SerializeAsString() == s.SerializeAsString();
      if (!identical || trace.expected == nullptr) {
        add("hierarchy.duplicate_span_id", FindingLevel::kViolation, &s,
            absl::StrCat("span ID ", HexEncode(s.span_id()), " is used by more than one span",
                         identical ? " (identical copies)" : ""),
            "unique span IDs", absl::StrCat(it->second->name(), " and ", s.name()));
      }
    }
  }
  if (several_services) remote_traces_.fetch_add(1, std::memory_order_relaxed);
  if (trace_ids.size() > 1) {
    std::vector<std::string> hex;
    for (const std::string& t : trace_ids) hex.push_back(HexEncode(t));
    add("hierarchy.mixed_trace_ids", FindingLevel::kViolation, nullptr,
        absl::StrCat(trace_ids.size(), " trace IDs among the spans of one trace"), trace.trace_id,
        absl::StrJoin(hex, ", "));
  }

  // What was sent, by span ID.
  SpansById own_index;
  const SpansById& sent = SentSpansOf(trace, &own_index);
  // A parent that was sent but is not here: its absence is fidelity's finding, not ours.
  auto lost = [&](const std::string& id) { return sent.count(id) > 0 && by_id.count(id) == 0; };

  std::vector<const Span*> roots;
  std::map<std::string, std::vector<const Span*>> absent_parents;  // parent ID -> children
  for (const Span* span : firsts) {
    if (IsZeroId(span->parent_span_id())) {
      roots.push_back(span);
    } else if (by_id.count(span->parent_span_id()) == 0) {
      absent_parents[span->parent_span_id()].push_back(span);
    }
  }
  std::string missing_root;  // the absent parent taken as the missing root
  if (roots.empty() && !absent_parents.empty()) {
    size_t best = 0;
    for (const auto& [parent, children] : absent_parents) {
      if (children.size() > best) {
        best = children.size();
        missing_root = parent;
      }
    }
    if (!lost(missing_root)) {
      add("hierarchy.missing_root", FindingLevel::kViolation, nullptr,
          absl::StrCat("no root span: ", best, " span(s) point at absent parent ",
                       HexEncode(missing_root)),
          "one span without a parent", "none");
    }
  } else if (roots.empty()) {
    add("hierarchy.missing_root", FindingLevel::kViolation, nullptr,
        "no root span, and every span has a parent in the trace", "one span without a parent",
        "none");
  }
  if (roots.size() > 1) {
    std::vector<std::string> names;
    for (const Span* r : roots) names.push_back(r->name());
    std::sort(names.begin(), names.end());
    add("hierarchy.multiple_roots", FindingLevel::kViolation, nullptr,
        absl::StrCat(roots.size(), " spans without a parent"), "1", absl::StrJoin(names, ", "));
  }
  std::set<const Span*> orphans;
  for (const auto& [parent, children] : absent_parents) {
    if (parent == missing_root || lost(parent)) continue;
    for (const Span* child : children) {
      orphans.insert(child);
      std::string expected_parent;
      auto it = sent.find(child->span_id());
      if (trace.arrived_as_sent) {
        expected_parent = ParentLabel(child->parent_span_id());  // sent with this parent
      } else if (it != sent.end()) {
        expected_parent = ParentLabel(it->second->parent_span_id());
      }
      add("hierarchy.orphan_span", FindingLevel::kViolation, child,
          absl::StrCat("parent ", HexEncode(parent), " is not in the trace"), expected_parent,
          HexEncode(parent));
    }
  }

  // Cycles: walk parent links; a walk that meets its own path has found a loop.
  {
    absl::flat_hash_map<const Span*, int> state;  // 1 = on the current path, 2 = done
    state.reserve(firsts.size());
    for (const Span* start : firsts) {
      std::vector<const Span*> path;
      const Span* s = start;
      while (s != nullptr && state[s] == 0) {
        state[s] = 1;
        path.push_back(s);
        auto it = IsZeroId(s->parent_span_id()) ? by_id.end() : by_id.find(s->parent_span_id());
        s = it == by_id.end() ? nullptr : it->second;
      }
      if (s != nullptr && state[s] == 1) {
        std::vector<std::string> names;
        for (auto p = std::find(path.begin(), path.end(), s); p != path.end(); ++p)
          names.push_back(absl::StrCat((*p)->name(), " ", HexEncode((*p)->span_id())));
        add("hierarchy.cycle", FindingLevel::kViolation, s,
            absl::StrCat("parent links form a cycle of ", names.size(), " span(s)"), "a tree",
            absl::StrJoin(names, " -> "));
      }
      for (const Span* p : path) state[p] = 2;
    }
  }

  // Against what was sent.
  if (trace.expected != nullptr) {
    for (const Span* span : firsts) {
      auto it = sent.find(span->span_id());
      if (it == sent.end()) continue;  // not sent: fidelity's business
      const Span& want = *it->second;
      const bool parent_differs =
          IsZeroId(want.parent_span_id()) != IsZeroId(span->parent_span_id()) ||
          (!IsZeroId(want.parent_span_id()) && want.parent_span_id() != span->parent_span_id());
      if (parent_differs && orphans.count(span) == 0) {
        add("hierarchy.parent_mismatch", FindingLevel::kViolation, span,
            "parent differs from the one sent", ParentLabel(want.parent_span_id()),
            ParentLabel(span->parent_span_id()));
      }
      if (want.kind() != span->kind()) {
        add("hierarchy.kind_mismatch", FindingLevel::kViolation, span,
            "span kind differs from the one sent", KindName(want.kind()), KindName(span->kind()));
      }
    }
  }

  // Children inside their parent's time window.
  const uint64_t tol = static_cast<uint64_t>(absl::ToInt64Nanoseconds(options_.time_tolerance));
  const FindingLevel window_level =
      trace.expected != nullptr ? FindingLevel::kViolation : FindingLevel::kImprovement;
  for (const Span* span : firsts) {
    if (IsZeroId(span->parent_span_id())) continue;
    auto it = by_id.find(span->parent_span_id());
    if (it == by_id.end() || it->second == span) continue;
    const Span& parent = *it->second;
    const bool early = span->start_time_unix_nano() + tol < parent.start_time_unix_nano();
    const bool late = span->end_time_unix_nano() > parent.end_time_unix_nano() + tol;
    if (early || late) {
      add("hierarchy.child_outside_parent", window_level, span,
          absl::StrCat(early ? "starts before" : "ends after", " its parent ", parent.name()),
          absl::StrCat("[", parent.start_time_unix_nano(), ", ", parent.end_time_unix_nano(), "]"),
          absl::StrCat("[", span->start_time_unix_nano(), ", ", span->end_time_unix_nano(), "]"));
    }
  }
  findings->RecordEvaluation("hierarchy", clean);
}

void HierarchyRule::Finish(FindingSet* findings) {
  findings->SetStatistic("hierarchy", "traces_with_remote_services",
                         static_cast<double>(remote_traces_.load()));
}

}  // namespace agentstorm
