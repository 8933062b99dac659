#include "checker/rules/fidelity_rule.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checker/rules/trace_view.h"
#include "checker/semconv/model.h"
#include "core/ids.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;
using Attributes = google::protobuf::RepeatedPtrField<KeyValue>;

enum class Diff { kSame, kTruncated, kChanged, kTypeChanged };

Diff Worse(Diff a, Diff b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

Diff CompareValues(const AnyValue& want, const AnyValue& got) {
  if (want.value_case() != got.value_case()) return Diff::kTypeChanged;
  switch (want.value_case()) {
    case AnyValue::kStringValue: {
      const std::string& w = want.string_value();
      const std::string& g = got.string_value();
      if (w == g) return Diff::kSame;
      if (g.size() < w.size() && w.compare(0, g.size(), g) == 0) return Diff::kTruncated;
      return Diff::kChanged;
    }
    case AnyValue::kIntValue:
      return want.int_value() == got.int_value() ? Diff::kSame : Diff::kChanged;
    case AnyValue::kDoubleValue: {
      const double w = want.double_value(), g = got.double_value();
      return (w == g || (std::isnan(w) && std::isnan(g))) ? Diff::kSame : Diff::kChanged;
    }
    case AnyValue::kBoolValue:
      return want.bool_value() == got.bool_value() ? Diff::kSame : Diff::kChanged;
    case AnyValue::kBytesValue:
      return want.bytes_value() == got.bytes_value() ? Diff::kSame : Diff::kChanged;
    case AnyValue::kArrayValue: {
      const auto& w = want.array_value().values();
      const auto& g = got.array_value().values();
      if (w.size() != g.size()) return Diff::kChanged;
      Diff d = Diff::kSame;
      for (int i = 0; i < w.size(); ++i) d = Worse(d, CompareValues(w[i], g[i]));
      return d;
    }
    case AnyValue::kKvlistValue:
      return want.SerializeAsString() == got.SerializeAsString() ? Diff::kSame : Diff::kChanged;
    default:
      return Diff::kSame;
  }
}

const AnyValue* Find(const Attributes& attrs, const std::string& key) {
  for (const KeyValue& kv : attrs) {
    if (kv.key() == key) return &kv.value();
  }
  return nullptr;
}

// Find, looking at position *next first and leaving *next after the attribute found: attributes
// mostly arrive in the order sent, so comparing two lists is linear rather than quadratic. The
// value found is the first of its key only in a list without a repeated key; whether a key is
// there at all it answers for any list.
const AnyValue* FindFrom(const Attributes& attrs, const std::string& key, int* next) {
  if (*next < attrs.size() && attrs[*next].key() == key) return &attrs[(*next)++].value();
  for (int i = 0; i < attrs.size(); ++i) {
    if (attrs[i].key() == key) {
      *next = i + 1;
      return &attrs[i].value();
    }
  }
  return nullptr;
}

// The first difference between two attribute lists, as "key: what" ("" when equal).
bool Listed(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string FirstAttributeDifference(const Attributes& want, const Attributes& got,
                                     const std::vector<std::string>& may_be_absent) {
  for (const KeyValue& kv : want) {
    const AnyValue* g = Find(got, kv.key());
    if (g == nullptr && Listed(may_be_absent, kv.key())) continue;
    if (g == nullptr) return absl::StrCat(kv.key(), " dropped");
    switch (CompareValues(kv.value(), *g)) {
      case Diff::kSame:
        break;
      case Diff::kTruncated:
        return absl::StrCat(kv.key(), " truncated");
      case Diff::kTypeChanged:
        return absl::StrCat(kv.key(), " type changed");
      case Diff::kChanged:
        return absl::StrCat(kv.key(), " changed");
    }
  }
  for (const KeyValue& kv : got) {
    if (Find(want, kv.key()) == nullptr) return absl::StrCat(kv.key(), " added");
  }
  return "";
}

// Whether any key appears twice. A span has tens of attributes: an open-addressing table on the
// stack, one probe per key (a sort of the keys was a tenth of the checker's time).
bool HasRepeatedKey(const Attributes& attrs) {
  const int n = attrs.size();
  if (n < 2) return false;
  constexpr int kSlots = 256;  // a power of two, at least twice the keys it takes
  if (n > kSlots / 2) {
    thread_local std::vector<std::string_view> keys;
    keys.clear();
    for (const auto& kv : attrs) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }
  uint8_t slots[kSlots] = {};  // 1 + the index of the key held, 0 = empty
  for (int i = 0; i < n; ++i) {
    const std::string& key = attrs[i].key();
    for (size_t h = semconv::AttributeKeyHash{}(key) & (kSlots - 1);; h = (h + 1) & (kSlots - 1)) {
      if (slots[h] == 0) {
        slots[h] = static_cast<uint8_t>(i + 1);
        break;
      }
      if (attrs[slots[h] - 1].key() == key) return true;
    }
  }
  return false;
}

// Keys that appear more than once, each with the values it carries, in order.
std::vector<std::pair<std::string, std::vector<std::string>>> RepeatedKeys(
    const Attributes& attrs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  if (!HasRepeatedKey(attrs)) return out;  // the common case
  for (int i = 0; i < attrs.size(); ++i) {
    const std::string& key = attrs[i].key();
    bool seen_before = false;
    for (int j = 0; j < i && !seen_before; ++j) seen_before = attrs[j].key() == key;
    if (seen_before) continue;
    bool repeated = false;
    for (int j = i + 1; j < attrs.size() && !repeated; ++j) repeated = attrs[j].key() == key;
    if (!repeated) continue;  // the common case: nothing to describe
    std::vector<std::string> values;
    for (int j = i; j < attrs.size(); ++j)
      if (attrs[j].key() == key) values.push_back(DescribeValue(attrs[j].value()));
    out.emplace_back(key, std::move(values));
  }
  return out;
}

const char* StatusName(int code) {
  switch (code) {
    case 1:
      return "OK";
    case 2:
      return "ERROR";
    default:
      return "UNSET";
  }
}

}  // namespace

FidelityRule::FidelityRule(FidelityRuleOptions options) : options_(options) {}

// Without a ledger nothing says what was sent: only what OTLP itself requires of any span.
void FidelityRule::CheckInvariants(const TraceUnderCheck& trace, FindingSet* findings) {
  uint64_t spans = 0, passed = 0;
  for (const SpanRef& r : CollectSpans(*trace.received)) {
    ++spans;
    bool clean = true;
    for (const auto& [key, values] : RepeatedKeys(r.span->attributes())) {
      clean = false;
      Finding f;
      f.id = "fidelity.duplicate_attribute_key";
      f.level = FindingLevel::kViolation;
      f.trace_id = trace.trace_id;
      f.span_id = HexEncode(r.span->span_id());
      f.span_name = r.span->name();
      f.attribute = key;
      f.message = absl::StrCat("attribute key appears ", values.size(),
                               " times on the span; OTLP requires unique keys");
      f.expected = "1";
      f.actual = absl::StrJoin(values, ", ");
      f.variant = trace.variant;
      findings->Add(std::move(f));
    }
    passed += clean ? 1 : 0;
  }
  findings->RecordEvaluations("fidelity", spans, passed);
}

void FidelityRule::CheckTrace(const TraceUnderCheck& trace, FindingSet* findings) {
  // Arrived as sent: nothing differs from what was sent, and what OTLP requires of any span is
  // all there is to check (a key twice was sent so, and arrived so).
  if (trace.expected == nullptr || trace.arrived_as_sent) {
    CheckInvariants(trace, findings);
    return;
  }
  const std::vector<SpanRef> got = CollectSpans(*trace.received);
  const std::vector<SpanRef> want = CollectSpans(trace.expected->resource_spans);
  auto make = [&](const char* id, FindingLevel level, const Span* span, std::string message,
                  std::string attribute = "", std::string expected = "", std::string actual = "") {
    Finding f;
    f.id = id;
    f.level = level;
    f.trace_id = trace.trace_id;
    if (span != nullptr) {
      f.span_id = HexEncode(span->span_id());
      f.span_name = span->name();
    }
    f.attribute = std::move(attribute);
    f.message = std::move(message);
    f.expected = std::move(expected);
    f.actual = std::move(actual);
    f.variant = trace.variant;
    findings->Add(std::move(f));
  };

  if (got.empty()) {
    if (options_.traces_may_be_dropped) return;  // the sampling rule judges absent traces
    if (trace.acknowledged) {
      make("fidelity.trace_missing", FindingLevel::kViolation, nullptr,
           absl::StrCat("acknowledged trace of ", want.size(),
                        " span(s) is not in the backend: lost by the pipeline"),
           "", absl::StrCat(want.size(), " spans"), "absent");
    } else {
      make("fidelity.trace_never_acknowledged", FindingLevel::kInformation, nullptr,
           "trace was never acknowledged and is not in the backend", "",
           absl::StrCat(want.size(), " spans"), "absent");
    }
    findings->RecordEvaluations("fidelity", want.size(), 0);
    return;
  }

  struct Received {
    const SpanRef* first = nullptr;
    size_t copies = 0;
  };
  SpanIdMap<Received> by_id;
  by_id.reserve(got.size());
  for (const SpanRef& r : got) {
    Received& received = by_id[r.span->span_id()];
    if (received.copies++ == 0) received.first = &r;
  }
  std::set<std::tuple<std::string, std::string, std::string>> resource_diffs, scope_diffs,
      schema_diffs;

  uint64_t passed = 0;
  for (const SpanRef& w : want) {
    const Span& ws = *w.span;
    auto it = by_id.find(ws.span_id());
    const size_t copies = it == by_id.end() ? 0 : it->second.copies;
    if (copies == 0) {
      if (options_.traces_may_be_dropped) continue;  // sampling.partial_trace
      if (trace.acknowledged) {
        make("fidelity.span_missing", FindingLevel::kViolation, &ws,
             "acknowledged span is not in the backend: lost by the pipeline", "", "present",
             "absent");
      } else {
        make("fidelity.span_never_acknowledged", FindingLevel::kInformation, &ws,
             "span is absent, and the ledger says its trace was not acknowledged", "", "present",
             "absent");
      }
      continue;
    }
    bool clean = true;
    auto add = [&](const char* id, FindingLevel level, std::string message,
                   std::string attribute = "", std::string expected = "", std::string actual = "") {
      clean = false;
      make(id, level, &ws, std::move(message), std::move(attribute), std::move(expected),
           std::move(actual));
    };
    if (copies > 1) {
      add("fidelity.duplicate_span", FindingLevel::kViolation,
          absl::StrCat("span arrived ", copies, " times"), "", "1", absl::StrCat(copies));
    }
    const SpanRef& g = *it->second.first;
    const Span& gs = *g.span;
    if (!gs.trace_id().empty() && gs.trace_id() != ws.trace_id()) {
      const bool upper_zeroed = gs.trace_id().size() == 16 && ws.trace_id().size() == 16 &&
                                IsZeroId(std::string_view(gs.trace_id()).substr(0, 8)) &&
                                gs.trace_id().compare(8, 8, ws.trace_id(), 8, 8) == 0;
      add("fidelity.trace_id_changed", FindingLevel::kViolation,
          upper_zeroed ? "the upper 64 bits of the trace ID were lost (stored as a 64-bit ID)"
                       : "span arrived under another trace ID",
          "", HexEncode(ws.trace_id()), HexEncode(gs.trace_id()));
    }
    const auto repeated_keys = RepeatedKeys(gs.attributes());
    for (const auto& [key, values] : repeated_keys) {
      add("fidelity.duplicate_attribute_key", FindingLevel::kViolation,
          absl::StrCat("attribute key appears ", values.size(),
                       " times on the span; OTLP requires unique keys"),
          key, "1", absl::StrJoin(values, ", "));
    }
    if (gs.name() != ws.name()) {
      add("fidelity.name_changed", FindingLevel::kViolation, "span name differs from the one sent",
          "", ws.name(), gs.name());
    }
    if (gs.status().code() != ws.status().code() ||
        gs.status().message() != ws.status().message()) {
      add("fidelity.status_changed", FindingLevel::kViolation, "status differs from the one sent",
          "", absl::StrCat(StatusName(ws.status().code()), " ", ws.status().message()),
          absl::StrCat(StatusName(gs.status().code()), " ", gs.status().message()));
    }
    auto off = [tolerance = options_.time_tolerance_nanos](uint64_t a, uint64_t b) {
      return (a > b ? a - b : b - a) > tolerance;
    };
    if (off(gs.start_time_unix_nano(), ws.start_time_unix_nano()) ||
        off(gs.end_time_unix_nano(), ws.end_time_unix_nano())) {
      add("fidelity.time_changed", FindingLevel::kViolation,
          absl::StrCat("start or end time differs from the one sent by more than ",
                       options_.time_tolerance_nanos / 1000, "us"),
          "", absl::StrCat("[", ws.start_time_unix_nano(), ", ", ws.end_time_unix_nano(), "]"),
          absl::StrCat("[", gs.start_time_unix_nano(), ", ", gs.end_time_unix_nano(), "]"));
    }
    // Attributes: every one sent, with its value and type.
    // Whether each key sent arrived at its own position, and nothing more: then no attribute
    // was added, and the lists need not be compared the other way.
    bool positional = repeated_keys.empty() && gs.attributes_size() == ws.attributes_size();
    int next_got = 0;
    for (const KeyValue& kv : ws.attributes()) {
      const int at = next_got;
      const AnyValue* gv = repeated_keys.empty() ? FindFrom(gs.attributes(), kv.key(), &next_got)
                                                 : Find(gs.attributes(), kv.key());
      positional = positional && at < gs.attributes_size() && gv == &gs.attributes(at).value();
      if (gv == nullptr && Listed(options_.redacted_attributes, kv.key())) continue;
      if (gv == nullptr) {
        add("fidelity.attribute_dropped", FindingLevel::kViolation, "attribute sent but absent",
            kv.key(), DescribeValue(kv.value()), "absent");
        continue;
      }
      switch (CompareValues(kv.value(), *gv)) {
        case Diff::kSame:
          break;
        case Diff::kTruncated:
          add("fidelity.value_truncated", FindingLevel::kViolation, "value arrived cut short",
              kv.key(), DescribeValue(kv.value()), DescribeValue(*gv));
          break;
        case Diff::kTypeChanged:
          add("fidelity.type_changed", FindingLevel::kViolation,
              absl::StrCat("type changed from ", ValueTypeLabel(kv.value()), " to ",
                           ValueTypeLabel(*gv)),
              kv.key(), DescribeValue(kv.value()), DescribeValue(*gv));
          break;
        case Diff::kChanged:
          add("fidelity.value_changed", FindingLevel::kViolation, "value differs from the one sent",
              kv.key(), DescribeValue(kv.value()), DescribeValue(*gv));
          break;
      }
    }
    int next_sent = 0;
    for (const KeyValue& kv : gs.attributes()) {
      if (positional) break;
      if (FindFrom(ws.attributes(), kv.key(), &next_sent) == nullptr) {
        make("fidelity.attribute_added", FindingLevel::kInformation, &ws,
             "attribute that was not sent", kv.key(), "absent", DescribeValue(kv.value()));
      }
    }
    // Events (but the content events redaction may remove) and links, in order.
    std::vector<const opentelemetry::proto::trace::v1::Span::Event*> wevents, gevents;
    for (const auto& e : ws.events())
      if (!Listed(options_.redacted_events, e.name())) wevents.push_back(&e);
    for (const auto& e : gs.events())
      if (!Listed(options_.redacted_events, e.name())) gevents.push_back(&e);
    if (gevents.size() != wevents.size()) {
      add("fidelity.event_changed", FindingLevel::kViolation, "number of events differs", "",
          absl::StrCat(wevents.size()), absl::StrCat(gevents.size()));
    } else {
      for (size_t i = 0; i < wevents.size(); ++i) {
        const auto& we = *wevents[i];
        const auto& ge = *gevents[i];
        std::string diff;
        if (we.name() != ge.name())
          diff = absl::StrCat("name ", ge.name());
        else if (off(we.time_unix_nano(), ge.time_unix_nano()))
          diff = "time changed";
        else
          diff = FirstAttributeDifference(we.attributes(), ge.attributes(),
                                          options_.redacted_attributes);
        if (!diff.empty()) {
          add("fidelity.event_changed", FindingLevel::kViolation,
              absl::StrCat("event ", i, " (", we.name(), ") differs: ", diff), we.name(), we.name(),
              diff);
        }
      }
    }
    if (gs.links_size() != ws.links_size()) {
      add("fidelity.link_changed", FindingLevel::kViolation, "number of links differs", "",
          absl::StrCat(ws.links_size()), absl::StrCat(gs.links_size()));
    } else {
      for (int i = 0; i < ws.links_size(); ++i) {
        const auto& wl = ws.links(i);
        const auto& gl = gs.links(i);
        std::string diff;
        if (wl.trace_id() != gl.trace_id() || wl.span_id() != gl.span_id())
          diff = "target changed";
        else
          diff = FirstAttributeDifference(wl.attributes(), gl.attributes(), {});
        if (!diff.empty()) {
          add("fidelity.link_changed", FindingLevel::kViolation,
              absl::StrCat("link ", i, " differs: ", diff), "",
              absl::StrCat(HexEncode(wl.trace_id()), "/", HexEncode(wl.span_id())), diff);
        }
      }
    }
    // Resource: collected per trace, reported once per difference.
    for (const KeyValue& kv : w.resource->attributes()) {
      const AnyValue* gv = Find(g.resource->attributes(), kv.key());
      if (gv == nullptr) {
        resource_diffs.emplace(kv.key(), DescribeValue(kv.value()), "absent");
      } else if (CompareValues(kv.value(), *gv) != Diff::kSame) {
        resource_diffs.emplace(kv.key(), DescribeValue(kv.value()), DescribeValue(*gv));
      }
    }
    // Scope and schema URLs: collected per trace like the resource.
    const auto& wscope = *w.scope;
    const auto& gscope = *g.scope;
    if (wscope.name() != gscope.name())
      scope_diffs.emplace("scope name", wscope.name(), gscope.name());
    if (wscope.version() != gscope.version())
      scope_diffs.emplace("scope version", wscope.version(), gscope.version());
    if (options_.compare_scope_attributes) {
      const std::string diff =
          FirstAttributeDifference(wscope.attributes(), gscope.attributes(), {});
      if (!diff.empty()) scope_diffs.emplace("scope attributes", "as sent", diff);
    }
    if (options_.compare_schema_urls) {
      if (*w.resource_schema_url != *g.resource_schema_url)
        schema_diffs.emplace("resource", *w.resource_schema_url, *g.resource_schema_url);
      if (*w.scope_schema_url != *g.scope_schema_url)
        schema_diffs.emplace("scope", *w.scope_schema_url, *g.scope_schema_url);
    }
    if (clean) ++passed;
  }
  for (const auto& [key, expected, actual] : resource_diffs) {
    make("fidelity.resource_changed", FindingLevel::kViolation, nullptr,
         absl::StrCat("resource attribute ", key, " differs from the one sent"), key, expected,
         actual);
  }
  auto shown = [](const std::string& s) { return s.empty() ? std::string("(none)") : s; };
  for (const auto& [what, expected, actual] : scope_diffs) {
    make("fidelity.scope_changed", FindingLevel::kViolation, nullptr,
         absl::StrCat("instrumentation ", what, " differs from the one sent"), what,
         shown(expected), shown(actual));
  }
  for (const auto& [where, expected, actual] : schema_diffs) {
    make("fidelity.schema_url_changed", FindingLevel::kViolation, nullptr,
         absl::StrCat(where, " schema URL differs from the one sent"), where, shown(expected),
         shown(actual));
  }

  // Spans nobody sent.
  SpanIdSet sent;
  sent.reserve(want.size());
  for (const SpanRef& w : want) sent.insert(w.span->span_id());
  for (const SpanRef& g : got) {
    if (sent.count(g.span->span_id()) == 0) {
      make("fidelity.span_added", FindingLevel::kInformation, g.span,
           "span that was not sent in this trace", "", "absent", g.span->name());
    }
  }
  findings->RecordEvaluations("fidelity", want.size(), passed);
}

}  // namespace agentstorm
