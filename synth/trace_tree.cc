#include "synth/trace_tree.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::trace::v1::Span;

struct Node {
  const Span* span;
  const std::string* service;
  std::vector<int> children;
};

const opentelemetry::proto::common::v1::AnyValue* Find(const Span& s, std::string_view key) {
  for (const auto& kv : s.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

void Render(const std::vector<Node>& nodes, int i, int depth, const std::string* parent_service,
            bool orphan, std::string* out) {
  const Node& n = nodes[i];
  const Span& s = *n.span;
  out->append(2 * static_cast<size_t>(depth), ' ');
  absl::StrAppend(out, s.name(), " ",
                  FormatDurationNanos(s.end_time_unix_nano() - s.start_time_unix_nano()));
  if (parent_service == nullptr || *parent_service != *n.service)
    absl::StrAppend(out, " [", *n.service, "]");
  if (s.kind() == Span::SPAN_KIND_CLIENT) absl::StrAppend(out, " client");
  if (s.kind() == Span::SPAN_KIND_SERVER) absl::StrAppend(out, " server");
  const auto* in = Find(s, "gen_ai.usage.input_tokens");
  const auto* outt = Find(s, "gen_ai.usage.output_tokens");
  if (in || outt)
    absl::StrAppend(out, " tokens=", in ? in->int_value() : 0, "/", outt ? outt->int_value() : 0);
  if (const auto* fr = Find(s, "gen_ai.response.finish_reasons");
      fr && fr->array_value().values_size() > 0)
    absl::StrAppend(out, " finish=", fr->array_value().values(0).string_value());
  if (s.status().code() == opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR) {
    const auto* et = Find(s, "error.type");
    absl::StrAppend(out, " ERROR ", et ? et->string_value() : "");
  }
  if (orphan) absl::StrAppend(out, " (orphan: parent not in trace)");
  out->push_back('\n');
  for (int c : n.children) Render(nodes, c, depth + 1, n.service, false, out);
}

}  // namespace

std::string FormatDurationNanos(uint64_t nanos) {
  const double s = static_cast<double>(nanos) / 1e9;
  if (s < 1) return absl::StrFormat("%dms", static_cast<int64_t>(s * 1000 + 0.5));
  if (s < 60) return absl::StrFormat("%.1fs", s);
  const int64_t whole = static_cast<int64_t>(s + 0.5);
  return absl::StrFormat("%dm%02ds", whole / 60, whole % 60);
}

std::string RenderTraceTree(const SynthesizedTrace& trace) {
  std::vector<Node> nodes;
  std::map<std::string, int> by_id;
  static const std::string kUnknown = "?";
  for (const auto& rs : trace.resource_spans) {
    const std::string* service = &kUnknown;
    for (const auto& kv : rs.resource().attributes())
      if (kv.key() == "service.name") service = &kv.value().string_value();
    for (const auto& ss : rs.scope_spans())
      for (const auto& sp : ss.spans()) {
        by_id[sp.span_id()] = static_cast<int>(nodes.size());
        nodes.push_back({&sp, service, {}});
      }
  }
  std::vector<std::pair<int, bool>> roots;  // index, orphan
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    const std::string& parent = nodes[i].span->parent_span_id();
    auto it = parent.empty() ? by_id.end() : by_id.find(parent);
    if (it == by_id.end())
      roots.push_back({i, !parent.empty()});
    else
      nodes[it->second].children.push_back(i);
  }
  auto by_start = [&nodes](int a, int b) {
    return nodes[a].span->start_time_unix_nano() < nodes[b].span->start_time_unix_nano();
  };
  for (Node& n : nodes) std::stable_sort(n.children.begin(), n.children.end(), by_start);
  std::stable_sort(roots.begin(), roots.end(),
                   [&](const auto& a, const auto& b) { return by_start(a.first, b.first); });
  std::string out;
  for (const auto& [i, orphan] : roots) Render(nodes, i, 0, nullptr, orphan, &out);
  return out;
}

}  // namespace agentstorm
