// OTLP/JSON codec throughput on a GenAI-shaped batch: 100 traces x 10 spans, each span with a
// handful of typed attributes and one event. Reports bytes/s and spans/s.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/otlp_json.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

constexpr int kTraces = 100;
constexpr int kSpansPerTrace = 10;

ExportTraceServiceRequest MakeBatch() {
  ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* service = rs->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("bench-agent");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("agentstorm.bench");
  for (int t = 0; t < kTraces; ++t) {
    for (int s = 0; s < kSpansPerTrace; ++s) {
      auto* span = ss->add_spans();
      span->set_trace_id(std::string(15, '\x11') + static_cast<char>(t));
      span->set_span_id(std::string(7, '\x22') + static_cast<char>(s + 1));
      if (s > 0) span->set_parent_span_id(std::string(7, '\x22') + static_cast<char>(s));
      span->set_name(s == 0 ? "invoke_agent planner" : "chat gpt-4o");
      span->set_kind(s == 0 ? opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER
                            : opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
      span->set_start_time_unix_nano(1767225600000000000ULL + t * 1000000ULL + s);
      span->set_end_time_unix_nano(span->start_time_unix_nano() + 250000000ULL);
      auto add = [&](const char* key) {
        auto* kv = span->add_attributes();
        kv->set_key(key);
        return kv->mutable_value();
      };
      add("gen_ai.operation.name")->set_string_value("chat");
      add("gen_ai.request.model")->set_string_value("gpt-4o");
      add("gen_ai.usage.input_tokens")->set_int_value(1536 + s);
      add("gen_ai.usage.output_tokens")->set_int_value(212);
      add("gen_ai.request.temperature")->set_double_value(0.25);
      add("gen_ai.response.finish_reasons")
          ->mutable_array_value()
          ->add_values()
          ->set_string_value("stop");
      auto* event = span->add_events();
      event->set_name("gen_ai.content.prompt");
      event->set_time_unix_nano(span->start_time_unix_nano() + 1000);
      span->mutable_status()->set_code(opentelemetry::proto::trace::v1::Status::STATUS_CODE_OK);
    }
  }
  return request;
}

void BM_OtlpJsonDecode(benchmark::State& state) {
  const std::string json = EncodeOtlpJson(MakeBatch());
  ExportTraceServiceRequest out;
  for (auto _ : state) {
    absl::Status status = DecodeOtlpJson(json, &out);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);  // spans
}
BENCHMARK(BM_OtlpJsonDecode);

void BM_OtlpJsonEncode(benchmark::State& state) {
  const ExportTraceServiceRequest batch = MakeBatch();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = EncodeOtlpJson(batch);
    bytes += json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
}
BENCHMARK(BM_OtlpJsonEncode);

}  // namespace
}  // namespace agentstorm

namespace agentstorm {
namespace {
// Baseline for BM_OtlpJsonDecode: the JSON parse alone, without filling the message.
void BM_OtlpJsonParseOnly(benchmark::State& state) {
  const std::string json = EncodeOtlpJson(MakeBatch());
  for (auto _ : state) {
    nlohmann::json parsed = nlohmann::json::parse(json);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.SetItemsProcessed(state.iterations() * kTraces * kSpansPerTrace);
}
BENCHMARK(BM_OtlpJsonParseOnly);
}  // namespace
}  // namespace agentstorm
