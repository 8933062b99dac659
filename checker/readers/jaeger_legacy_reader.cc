#include "checker/readers/jaeger_legacy_reader.h"

#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "checker/readers/json_values.h"
#include "checker/readers/reader_util.h"

namespace agentstorm::readers {
namespace {

using json = nlohmann::json;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::ScopeSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("jaeger trace: ", what));
}

// A JSON number or decimal string as int64 (Jaeger writes values beyond 2^53 as strings).
bool ToInt64(const json& v, int64_t* out) {
  if (v.is_number_integer()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_string()) return absl::SimpleAtoi(v.get_ref<const std::string&>(), out);
  if (v.is_number_float()) {
    const double d = v.get<double>();
    *out = static_cast<int64_t>(d);
    return static_cast<double>(*out) == d;
  }
  return false;
}

// Jaeger's span model has no array type: its OTLP translator stores an array attribute as the
// array's JSON (`["stop"]`, `[1,2]`), which the legacy API then serves as a string. An array of
// one scalar type written that way is read back as the array. (A pipeline that stringified the
// array before Jaeger looks the same through this API: jaeger:// tells them apart.)
bool FromJaegerArrayString(const std::string& text, AnyValue* out) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return false;
  for (const json& e : j)
    if (e.type() != j.front().type() || !(e.is_string() || e.is_boolean() || e.is_number()))
      return false;
  auto* values = out->mutable_array_value()->mutable_values();  // `[]`: an empty array
  for (const json& e : j) {
    AnyValue* v = values->Add();
    if (e.is_string()) {
      v->set_string_value(e.get<std::string>());
    } else if (e.is_boolean()) {
      v->set_bool_value(e.get<bool>());
    } else if (e.is_number_integer()) {
      v->set_int_value(e.get<int64_t>());
    } else {
      v->set_double_value(e.get<double>());
    }
  }
  return true;
}

absl::Status ToAnyValue(const json& tag, AnyValue* out) {
  const std::string key = tag.value("key", std::string());
  const std::string type = absl::AsciiStrToLower(tag.value("type", std::string()));
  static const json kNull;
  auto it = tag.find("value");
  const json& v = it == tag.end() ? kNull : *it;
  auto bad = [&] {
    return Malformed(absl::StrCat("tag \"", key, "\": bad ", type, " value ", v.dump()));
  };
  if (type == "string" || (type.empty() && v.is_string())) {
    if (v.is_string() && FromJaegerArrayString(v.get_ref<const std::string&>(), out))
      return absl::OkStatus();
    out->set_string_value(v.is_string() ? v.get<std::string>() : v.dump());
  } else if (type == "bool" || (type.empty() && v.is_boolean())) {
    if (v.is_boolean()) {
      out->set_bool_value(v.get<bool>());
    } else if (v.is_string() && (v == "true" || v == "false")) {
      out->set_bool_value(v == "true");
    } else {
      return bad();
    }
  } else if (type == "int64" || (type.empty() && v.is_number_integer())) {
    int64_t n = 0;
    if (!ToInt64(v, &n)) return bad();
    out->set_int_value(n);
  } else if (type == "float64" || (type.empty() && v.is_number_float())) {
    double d = 0;
    if (v.is_number()) {
      d = v.get<double>();
    } else if (!v.is_string() || !absl::SimpleAtod(v.get_ref<const std::string&>(), &d)) {
      return bad();
    }
    out->set_double_value(d);
  } else if (type == "binary") {
    std::string bytes;
    if (!v.is_string() || !absl::Base64Unescape(v.get_ref<const std::string&>(), &bytes))
      return bad();
    out->set_bytes_value(std::move(bytes));
  } else {
    return bad();
  }
  return absl::OkStatus();
}

absl::Status AppendTags(const json& tags, google::protobuf::RepeatedPtrField<KeyValue>* out) {
  if (tags.is_null()) return absl::OkStatus();
  if (!tags.is_array()) return Malformed("tags is not an array");
  for (const json& tag : tags) {
    if (!tag.is_object()) return Malformed("a tag is not an object");
    KeyValue* kv = out->Add();
    kv->set_key(tag.value("key", std::string()));
    if (absl::Status s = ToAnyValue(tag, kv->mutable_value()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Removes and returns the attribute `key` (nullopt when absent).
std::optional<AnyValue> Take(google::protobuf::RepeatedPtrField<KeyValue>* attrs,
                             std::string_view key) {
  for (int i = 0; i < attrs->size(); ++i) {
    if (attrs->Get(i).key() == key) {
      AnyValue v = attrs->Get(i).value();
      attrs->DeleteSubrange(i, 1);
      return v;
    }
  }
  return std::nullopt;
}

std::string AsText(const std::optional<AnyValue>& v) {
  if (!v) return "";
  if (v->has_string_value()) return v->string_value();
  if (v->has_bool_value()) return v->bool_value() ? "true" : "false";
  if (v->has_int_value()) return absl::StrCat(v->int_value());
  return "";
}

Span::SpanKind KindFromTag(absl::string_view tag) {
  const std::string kind = absl::AsciiStrToLower(tag);
  if (kind == "client") return Span::SPAN_KIND_CLIENT;
  if (kind == "server") return Span::SPAN_KIND_SERVER;
  if (kind == "producer") return Span::SPAN_KIND_PRODUCER;
  if (kind == "consumer") return Span::SPAN_KIND_CONSUMER;
  if (kind == "internal") return Span::SPAN_KIND_INTERNAL;
  return Span::SPAN_KIND_UNSPECIFIED;
}

// Moves the tags the Jaeger translator derives from OTLP fields back into those fields.
void ApplySpecialTags(Span* span, std::string* scope_name, std::string* scope_version) {
  auto* attrs = span->mutable_attributes();
  if (auto kind = Take(attrs, "span.kind")) {
    const Span::SpanKind k = KindFromTag(AsText(kind));
    if (k != Span::SPAN_KIND_UNSPECIFIED) {
      span->set_kind(k);
    } else {  // not a kind OTLP knows: keep the tag as it was
      KeyValue* kv = attrs->Add();
      kv->set_key("span.kind");
      *kv->mutable_value() = *kind;
    }
  }
  // The error tag is Jaeger's ultimate truth; otel.status_code counts only without it.
  Status* status = span->mutable_status();
  const std::optional<AnyValue> description = Take(attrs, "otel.status_description");
  bool decided = false;
  for (int i = 0; i < attrs->size(); ++i) {
    const KeyValue& kv = attrs->Get(i);
    if (kv.key() == "error" && kv.value().has_bool_value() && kv.value().bool_value()) {
      status->set_code(Status::STATUS_CODE_ERROR);
      attrs->DeleteSubrange(i, 1);
      decided = true;
      break;
    }
  }
  if (auto code = Take(attrs, "otel.status_code"); code && !decided) {
    const std::string text = absl::AsciiStrToUpper(AsText(code));
    if (text == "OK") status->set_code(Status::STATUS_CODE_OK);
    if (text == "ERROR") status->set_code(Status::STATUS_CODE_ERROR);
  }
  if (description) status->set_message(AsText(description));
  if (auto name = Take(attrs, "otel.scope.name")) *scope_name = AsText(name);
  if (auto name = Take(attrs, "otel.library.name"); name && scope_name->empty())
    *scope_name = AsText(name);
  if (auto version = Take(attrs, "otel.scope.version")) *scope_version = AsText(version);
  if (auto version = Take(attrs, "otel.library.version"); version && scope_version->empty()) {
    *scope_version = AsText(version);
  }
  if (auto state = Take(attrs, "w3c.tracestate")) span->set_trace_state(AsText(state));
}

absl::Status ParseHexId(const json& j, absl::string_view what, bool trace, std::string* out) {
  if (!j.is_string()) return Malformed(absl::StrCat(what, " is not a string"));
  const std::string& hex = j.get_ref<const std::string&>();
  if (trace) {
    auto id = ParseTraceId(hex);
    if (!id) return Malformed(absl::StrCat(what, " \"", hex, "\" is not a trace ID"));
    *out = std::string(AsBytes(*id));
  } else {
    auto id = ParseSpanId(hex);
    if (!id) return Malformed(absl::StrCat(what, " \"", hex, "\" is not a span ID"));
    *out = std::string(AsBytes(*id));
  }
  return absl::OkStatus();
}

uint64_t MicrosToNanos(const json& j) {
  int64_t us = 0;
  if (!ToInt64(j, &us) || us < 0) return 0;
  return static_cast<uint64_t>(us) * 1000;
}

struct ResourceGroup {
  ResourceSpans* resource_spans;
  std::map<std::pair<std::string, std::string>, ScopeSpans*> scopes;
};

absl::Status FillResource(const json& process, ResourceSpans* rs) {
  auto* attrs = rs->mutable_resource()->mutable_attributes();
  if (process.is_object()) {
    if (auto name = process.find("serviceName"); name != process.end() && name->is_string()) {
      KeyValue* kv = attrs->Add();
      kv->set_key("service.name");
      kv->mutable_value()->set_string_value(name->get<std::string>());
    }
    if (auto tags = process.find("tags"); tags != process.end()) return AppendTags(*tags, attrs);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendJaegerLegacyTrace(const json& trace, TracesData* out) {
  if (!trace.is_object()) return Malformed("a trace is not an object");
  auto spans = trace.find("spans");
  if (spans == trace.end() || spans->is_null()) return absl::OkStatus();
  if (!spans->is_array()) return Malformed("spans is not an array");
  static const json kEmpty = json::object();
  auto processes_it = trace.find("processes");
  const json& processes = processes_it == trace.end() ? kEmpty : *processes_it;

  std::map<std::string, ResourceGroup> groups;
  for (const json& js : *spans) {
    if (!js.is_object()) return Malformed("a span is not an object");
    // Which resource: the trace's processes map, or a process inlined in the span.
    std::string process_key;
    const json* process = nullptr;
    if (auto inline_process = js.find("process");
        inline_process != js.end() && inline_process->is_object()) {
      process_key = "inline:" + inline_process->dump();
      process = &*inline_process;
    } else {
      process_key = js.value("processID", std::string());
      if (auto p = processes.find(process_key); processes.is_object() && p != processes.end())
        process = &*p;
    }
    ResourceGroup& group = groups[process_key];
    if (group.resource_spans == nullptr) {
      group.resource_spans = out->add_resource_spans();
      if (process != nullptr) {
        if (absl::Status s = FillResource(*process, group.resource_spans); !s.ok()) return s;
      }
    }

    Span span;
    if (absl::Status s =
            ParseHexId(js.value("traceID", json()), "traceID", true, span.mutable_trace_id());
        !s.ok())
      return s;
    if (absl::Status s =
            ParseHexId(js.value("spanID", json()), "spanID", false, span.mutable_span_id());
        !s.ok())
      return s;
    span.set_name(js.value("operationName", std::string()));
    const uint64_t start = MicrosToNanos(js.value("startTime", json(0)));
    span.set_start_time_unix_nano(start);
    span.set_end_time_unix_nano(start + MicrosToNanos(js.value("duration", json(0))));
    if (auto tags = js.find("tags"); tags != js.end()) {
      if (absl::Status s = AppendTags(*tags, span.mutable_attributes()); !s.ok()) return s;
    }
    std::string scope_name, scope_version;
    ApplySpecialTags(&span, &scope_name, &scope_version);

    if (auto refs = js.find("references"); refs != js.end() && refs->is_array()) {
      int parent = -1;
      for (size_t i = 0; i < refs->size() && parent < 0; ++i) {
        const json& ref = (*refs)[i];
        std::string ref_trace;
        if (ref.value("refType", std::string()) == "CHILD_OF" &&
            ParseHexId(ref.value("traceID", json()), "traceID", true, &ref_trace).ok() &&
            ref_trace == span.trace_id()) {
          parent = static_cast<int>(i);
        }
      }
      for (size_t i = 0; i < refs->size(); ++i) {
        const json& ref = (*refs)[i];
        if (!ref.is_object()) return Malformed("a reference is not an object");
        if (static_cast<int>(i) == parent) {
          if (absl::Status s = ParseHexId(ref.value("spanID", json()), "reference spanID", false,
                                          span.mutable_parent_span_id());
              !s.ok()) {
            return s;
          }
          continue;
        }
        auto* link = span.add_links();
        if (absl::Status s = ParseHexId(ref.value("traceID", json()), "reference traceID", true,
                                        link->mutable_trace_id());
            !s.ok())
          return s;
        if (absl::Status s = ParseHexId(ref.value("spanID", json()), "reference spanID", false,
                                        link->mutable_span_id());
            !s.ok())
          return s;
        if (ref.value("refType", std::string()) == "CHILD_OF") {
          KeyValue* kv = link->add_attributes();
          kv->set_key("opentracing.ref_type");
          kv->mutable_value()->set_string_value("child_of");
        }
      }
    }

    if (auto logs = js.find("logs"); logs != js.end() && logs->is_array()) {
      for (const json& log : *logs) {
        if (!log.is_object()) return Malformed("a log is not an object");
        auto* event = span.add_events();
        event->set_time_unix_nano(MicrosToNanos(log.value("timestamp", json(0))));
        if (auto fields = log.find("fields"); fields != log.end()) {
          if (absl::Status s = AppendTags(*fields, event->mutable_attributes()); !s.ok()) return s;
        }
        auto* attrs = event->mutable_attributes();
        for (int i = 0; i < attrs->size(); ++i) {
          if (attrs->Get(i).key() == "event" && attrs->Get(i).value().has_string_value()) {
            event->set_name(attrs->Get(i).value().string_value());
            attrs->DeleteSubrange(i, 1);
            break;
          }
        }
      }
    }

    ScopeSpans*& scope = group.scopes[{scope_name, scope_version}];
    if (scope == nullptr) {
      scope = group.resource_spans->add_scope_spans();
      if (!scope_name.empty()) scope->mutable_scope()->set_name(scope_name);
      if (!scope_version.empty()) scope->mutable_scope()->set_version(scope_version);
    }
    scope->add_spans()->Swap(&span);
  }
  return absl::OkStatus();
}

absl::Status DecodeJaegerLegacyBody(std::string_view body, TracesData* out) {
  out->Clear();
  auto parsed = ParseBoundedJson(body);
  if (!parsed.ok()) return Malformed(absl::StrCat("response: ", parsed.status().message()));
  const json& j = *parsed;
  if (!j.is_object()) return Malformed("response is not a JSON object");
  if (auto errors = j.find("errors"); errors != j.end() && errors->is_array()) {
    for (const json& e : *errors) {
      if (e.is_object() && e.value("code", 0) == 404) {
        return absl::NotFoundError(e.value("msg", std::string("trace not found")));
      }
    }
    if (!errors->empty() && (j.find("data") == j.end() || j["data"].is_null())) {
      return absl::InternalError(absl::StrCat("jaeger errors: ", errors->dump()));
    }
  }
  auto data = j.find("data");
  if (data == j.end() || data->is_null()) return absl::OkStatus();
  if (!data->is_array()) return Malformed("data is not an array");
  for (const json& trace : *data) {
    if (absl::Status s = AppendJaegerLegacyTrace(trace, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

JaegerLegacyReader::JaegerLegacyReader(BackendUrl url, const ReaderOptions& options)
    : url_(std::move(url)), http_(HttpOptionsFor(url_, options)) {}

absl::StatusOr<FetchedTrace> JaegerLegacyReader::GetTrace(const TraceId& id) {
  const std::string target = absl::StrCat(url_.HttpBase(), "/api/traces/", HexEncode(id));
  return FetchJsonTrace(http_, id, target, DecodeJaegerLegacyBody);
}

absl::StatusOr<std::vector<TraceId>> JaegerLegacyReader::FindTraces(const TraceSearch& search) {
  const std::string target = absl::StrCat(
      url_.HttpBase(), "/api/traces?service=", HttpClient::Escape(search.service),
      "&start=", absl::ToUnixMicros(ClampQueryTime(search.start)),
      "&end=", absl::ToUnixMicros(ClampQueryTime(search.end)), "&limit=", search.limit);
  auto response = http_.Get(target, {{"Accept", "application/json"}});
  if (!response.ok()) return response.status();
  if (response->status == 404) return std::vector<TraceId>{};
  if (response->status != 200) return HttpStatusError(*response, target);
  TracesData data;
  absl::Status s = DecodeJaegerLegacyBody(response->body, &data);
  if (absl::IsNotFound(s)) return std::vector<TraceId>{};
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("GET ", target, ": ", s.message()));
  return DistinctTraceIds(data, search.limit);
}

}  // namespace agentstorm::readers
