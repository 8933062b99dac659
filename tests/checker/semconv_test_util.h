// Hand-built OTLP spans for the semconv and redaction rule tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm::semconv_testing {

using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::TracesData;

class SpanBuilder {
 public:
  explicit SpanBuilder(std::string name, Span::SpanKind kind = Span::SPAN_KIND_CLIENT) {
    span_.set_name(std::move(name));
    span_.set_kind(kind);
    span_.set_trace_id(std::string(16, '\x11'));
    span_.set_span_id(std::string(8, '\x22'));
  }
  SpanBuilder& Str(const std::string& key, const std::string& value) {
    Attr(key)->set_string_value(value);
    return *this;
  }
  SpanBuilder& Int(const std::string& key, int64_t value) {
    Attr(key)->set_int_value(value);
    return *this;
  }
  SpanBuilder& Double(const std::string& key, double value) {
    Attr(key)->set_double_value(value);
    return *this;
  }
  SpanBuilder& Bool(const std::string& key, bool value) {
    Attr(key)->set_bool_value(value);
    return *this;
  }
  SpanBuilder& Strings(const std::string& key, const std::vector<std::string>& values) {
    auto* array = Attr(key)->mutable_array_value();
    for (const auto& v : values) array->add_values()->set_string_value(v);
    return *this;
  }
  SpanBuilder& Error() {
    span_.mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
    return *this;
  }
  SpanBuilder& Event(const std::string& name, const std::string& attr_key = "",
                     const std::string& attr_value = "") {
    auto* e = span_.add_events();
    e->set_name(name);
    if (!attr_key.empty()) {
      auto* kv = e->add_attributes();
      kv->set_key(attr_key);
      kv->mutable_value()->set_string_value(attr_value);
    }
    return *this;
  }
  const Span& span() const { return span_; }
  Span& span_ref() { return span_; }  // IDs and parents, for tests of a trace's shape

 private:
  opentelemetry::proto::common::v1::AnyValue* Attr(const std::string& key) {
    auto* kv = span_.add_attributes();
    kv->set_key(key);
    return kv->mutable_value();
  }
  Span span_;
};

// A good chat span under the latest conventions.
inline SpanBuilder GoodChatSpan() {
  SpanBuilder b("chat gpt-4o");
  b.Str("gen_ai.operation.name", "chat")
      .Str("gen_ai.provider.name", "openai")
      .Str("gen_ai.request.model", "gpt-4o")
      .Str("gen_ai.response.model", "gpt-4o-2024-08-06")
      .Str("gen_ai.response.id", "chatcmpl-1")
      .Int("gen_ai.usage.input_tokens", 120)
      .Int("gen_ai.usage.output_tokens", 42)
      .Strings("gen_ai.response.finish_reasons", {"stop"})
      .Str("server.address", "api.openai.com")
      .Int("server.port", 443);
  return b;
}

inline TracesData TraceOf(const std::vector<Span>& spans) {
  TracesData data;
  auto* ss = data.add_resource_spans()->add_scope_spans();
  for (const Span& s : spans) *ss->add_spans() = s;
  return data;
}

}  // namespace agentstorm::semconv_testing
