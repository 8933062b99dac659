// GenAI client metrics: aggregated from the synthesized spans (exact sums), shaped as the
// conventions say (names, units, buckets, cumulative), and delivered to the sink over
// OTLP/gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON.
#include "synth/genai_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "export/exporter_factory.h"
#include "generator/load_engine.h"
#include "generator/periodic_metrics_export.h"
#include "scenario/scenario_loader.h"
#include "sink/sink.h"
#include "synth/trace_synthesizer.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::trace::v1::Span;

std::shared_ptr<const Scenario> Bundled(const std::string& name) {
  auto sc =
      LoadScenario((fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string());
  EXPECT_TRUE(sc.ok()) << sc.status();
  return sc.ok() ? *sc : nullptr;
}

const AnyValue* Attr(const Span& s, const std::string& key) {
  for (const auto& kv : s.attributes())
    if (kv.key() == key) return &kv.value();
  return nullptr;
}
std::string Str(const Span& s, const std::string& key) {
  const AnyValue* v = Attr(s, key);
  return v ? v->string_value() : "";
}
std::string SeriesAttr(const GenAiMetricsAggregator::Series& s, const std::string& key) {
  for (const auto& kv : s.attributes)
    if (kv.key() == key) return kv.value().string_value();
  return "";
}

// What a test expects, computed straight from the spans.
struct SpanFigures {
  uint64_t inference_spans = 0;  // chat / text_completion / generate_content
  uint64_t embeddings_spans = 0;
  int64_t input_tokens = 0, output_tokens = 0;
  uint64_t input_points = 0, output_points = 0;
  uint64_t tool_spans = 0;   // execute_tool without mcp.method.name
  uint64_t agent_spans = 0;  // invoke_agent, not CLIENT
  uint64_t mcp_client = 0, mcp_server = 0;
  double inference_seconds = 0;
};

SpanFigures Figures(const TraceSynthesizer& synth, uint64_t traces, GenAiMetricsAggregator* agg) {
  SpanFigures f;
  SynthesizedTrace t;
  for (uint64_t i = 0; i < traces; ++i) {
    synth.Synthesize(i, -1, &t);
    agg->Add(t);
    for (const auto& rs : t.resource_spans)
      for (const auto& ss : rs.scope_spans())
        for (const Span& s : ss.spans()) {
          const std::string op = Str(s, "gen_ai.operation.name");
          const bool mcp = Attr(s, "mcp.method.name") != nullptr;
          if (mcp) {
            f.mcp_client += s.kind() == Span::SPAN_KIND_CLIENT;
            f.mcp_server += s.kind() == Span::SPAN_KIND_SERVER;
            continue;
          }
          const bool inference =
              op == "chat" || op == "text_completion" || op == "generate_content";
          if (inference || op == "embeddings") {
            (inference ? f.inference_spans : f.embeddings_spans)++;
            if (inference)
              f.inference_seconds += (s.end_time_unix_nano() - s.start_time_unix_nano()) / 1e9;
            if (const AnyValue* v = Attr(s, "gen_ai.usage.input_tokens")) {
              f.input_tokens += v->int_value();
              ++f.input_points;
            }
            if (const AnyValue* v = Attr(s, "gen_ai.usage.output_tokens")) {
              f.output_tokens += v->int_value();
              ++f.output_points;
            }
          }
          if (op == "execute_tool") ++f.tool_spans;
          if (op == "invoke_agent" && s.kind() != Span::SPAN_KIND_CLIENT) ++f.agent_spans;
        }
  }
  return f;
}

struct Totals {
  uint64_t count = 0;
  double sum = 0;
};
Totals Sum(const GenAiMetricsAggregator& agg, GenAiMetric m, const std::string& key = "",
           const std::string& value = "") {
  Totals t;
  for (const auto& s : agg.SeriesOf(m)) {
    if (!key.empty() && SeriesAttr(s, key) != value) continue;
    t.count += s.count;
    t.sum += s.sum;
  }
  return t;
}

TEST(GenAiMetrics, TokenUsageSumsEqualTheSpansUsageAttributes) {
  for (const char* name : {"smoke", "research-fanout", "rag-pipeline", "context-overflow"}) {
    SCOPED_TRACE(name);
    TraceSynthesizer synth(Bundled(name), SynthesizerOptions{});
    GenAiMetricsAggregator agg(1);
    const SpanFigures f = Figures(synth, 300, &agg);
    ASSERT_GT(f.inference_spans, 0u);
    const Totals in = Sum(agg, GenAiMetric::kTokenUsage, "gen_ai.token.type", "input");
    const Totals out = Sum(agg, GenAiMetric::kTokenUsage, "gen_ai.token.type", "output");
    EXPECT_EQ(in.sum, static_cast<double>(f.input_tokens));
    EXPECT_EQ(out.sum, static_cast<double>(f.output_tokens));
    EXPECT_EQ(in.count, f.input_points);
    EXPECT_EQ(out.count, f.output_points);
  }
}

TEST(GenAiMetrics, OperationDurationCoversEveryInferenceSpanWithItsDuration) {
  TraceSynthesizer synth(Bundled("research-fanout"), SynthesizerOptions{});
  GenAiMetricsAggregator agg(1);
  const SpanFigures f = Figures(synth, 200, &agg);
  Totals chat;
  for (const auto& s : agg.SeriesOf(GenAiMetric::kOperationDuration)) {
    const std::string op = SeriesAttr(s, "gen_ai.operation.name");
    if (op == "chat" || op == "text_completion" || op == "generate_content") {
      chat.count += s.count;
      chat.sum += s.sum;
      EXPECT_FALSE(SeriesAttr(s, "gen_ai.request.model").empty());
    }
  }
  EXPECT_EQ(chat.count, f.inference_spans);
  EXPECT_NEAR(chat.sum, f.inference_seconds, 1e-6 * f.inference_seconds);
}

TEST(GenAiMetrics, AgentCallCountsAddUpToTheInferenceAndToolSpans) {
  for (const char* name : {"smoke", "research-fanout", "tool-failures"}) {
    SCOPED_TRACE(name);
    TraceSynthesizer synth(Bundled(name), SynthesizerOptions{});
    GenAiMetricsAggregator agg(1);
    const SpanFigures f = Figures(synth, 200, &agg);
    ASSERT_GT(f.agent_spans, 0u);
    EXPECT_EQ(Sum(agg, GenAiMetric::kInvokeAgentDuration).count, f.agent_spans);
    EXPECT_EQ(Sum(agg, GenAiMetric::kInvokeAgentInferenceCalls).count, f.agent_spans);
    // Every inference and tool span of these scenarios runs inside an agent.
    EXPECT_EQ(Sum(agg, GenAiMetric::kInvokeAgentInferenceCalls).sum,
              static_cast<double>(f.inference_spans));
    EXPECT_EQ(Sum(agg, GenAiMetric::kInvokeAgentToolCalls).sum, static_cast<double>(f.tool_spans));
    EXPECT_EQ(Sum(agg, GenAiMetric::kExecuteToolDuration).count, f.tool_spans);
  }
}

TEST(GenAiMetrics, McpSpansFeedTheMcpOperationDurations) {
  TraceSynthesizer synth(Bundled("mcp-tools"), SynthesizerOptions{});
  GenAiMetricsAggregator agg(1);
  const SpanFigures f = Figures(synth, 200, &agg);
  ASSERT_GT(f.mcp_client, 0u);
  EXPECT_EQ(Sum(agg, GenAiMetric::kMcpClientOperationDuration).count, f.mcp_client);
  EXPECT_EQ(Sum(agg, GenAiMetric::kMcpServerOperationDuration).count, f.mcp_server);
  for (const auto& s : agg.SeriesOf(GenAiMetric::kMcpClientOperationDuration))
    EXPECT_FALSE(SeriesAttr(s, "mcp.method.name").empty());
}

TEST(GenAiMetrics, CollectGivesCumulativeHistogramsWithTheConventionsBuckets) {
  const std::vector<double> tokens = {1,     4,     16,     64,      256,     1024,     4096,
                                      16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  const std::vector<double> seconds = {0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                       1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
  EXPECT_EQ(GenAiMetricSpecOf(GenAiMetric::kTokenUsage).boundaries, tokens);
  EXPECT_EQ(GenAiMetricSpecOf(GenAiMetric::kOperationDuration).boundaries, seconds);

  TraceSynthesizer synth(Bundled("smoke"), SynthesizerOptions{});
  GenAiMetricsAggregator agg(111);
  ExportMetricsServiceRequest empty;
  agg.Collect(222, &empty);
  EXPECT_EQ(empty.resource_metrics_size(), 0);  // nothing before the first span
  Figures(synth, 50, &agg);
  ExportMetricsServiceRequest req;
  agg.Collect(222, &req);
  ASSERT_GT(req.resource_metrics_size(), 0);
  std::map<std::string, std::string> units;
  uint64_t points = 0;
  for (const auto& rm : req.resource_metrics()) {
    bool has_service = false;
    for (const auto& kv : rm.resource().attributes()) has_service |= kv.key() == "service.name";
    EXPECT_TRUE(has_service);
    for (const auto& sm : rm.scope_metrics())
      for (const auto& m : sm.metrics()) {
        units[m.name()] = m.unit();
        ASSERT_TRUE(m.has_histogram()) << m.name();
        EXPECT_EQ(m.histogram().aggregation_temporality(),
                  opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
        for (const auto& p : m.histogram().data_points()) {
          ++points;
          EXPECT_EQ(p.start_time_unix_nano(), 111u);
          EXPECT_EQ(p.time_unix_nano(), 222u);
          ASSERT_EQ(p.bucket_counts_size(), p.explicit_bounds_size() + 1);
          uint64_t in_buckets = 0;
          for (uint64_t c : p.bucket_counts()) in_buckets += c;
          EXPECT_EQ(in_buckets, p.count());
          EXPECT_LE(p.min(), p.max());
        }
      }
  }
  EXPECT_EQ(points, agg.DataPoints());
  EXPECT_EQ(units["gen_ai.client.token.usage"], "{token}");
  EXPECT_EQ(units["gen_ai.client.operation.duration"], "s");
  EXPECT_EQ(units["gen_ai.invoke_agent.duration"], "s");

  // Cumulative: more traces only grow the counts.
  const Totals before = Sum(agg, GenAiMetric::kOperationDuration);
  SynthesizedTrace t;
  synth.Synthesize(50, -1, &t);
  agg.Add(t);
  EXPECT_GT(Sum(agg, GenAiMetric::kOperationDuration).count, before.count);
}

TEST(GenAiMetrics, ValueOnABoundaryFallsInThatBucket) {
  // OTLP explicit bounds are inclusive upper bounds: a 4-token input lands in (1, 4].
  SynthesizedTrace t;
  t.resource_spans.resize(1);
  Span* s = t.resource_spans[0].add_scope_spans()->add_spans();
  s->set_span_id("\1\1\1\1\1\1\1\1");
  s->set_kind(Span::SPAN_KIND_CLIENT);
  auto add = [&](const char* k, const char* v) {
    auto* kv = s->add_attributes();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  };
  add("gen_ai.operation.name", "chat");
  auto* kv = s->add_attributes();
  kv->set_key("gen_ai.usage.input_tokens");
  kv->mutable_value()->set_int_value(4);
  GenAiMetricsAggregator agg(0);
  agg.Add(t);
  auto series = agg.SeriesOf(GenAiMetric::kTokenUsage);
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].bucket_counts[1], 1u);
  EXPECT_EQ(SeriesAttr(series[0], "gen_ai.token.type"), "input");
}

TEST(MetricsExporterOptions, HttpMetricsGoToV1MetricsAndTheMetricsVariableWins) {
  ExporterOptions trace;
  trace.protocol = OtlpProtocol::kHttpProtobuf;
  trace.endpoint = "http://collector:4318/v1/traces";
  auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(MetricsExporterOptions(trace, true, none).endpoint, "http://collector:4318/v1/metrics");
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") return "http://m:9999/custom";
    return std::nullopt;
  };
  EXPECT_EQ(MetricsExporterOptions(trace, false, env).endpoint, "http://m:9999/custom");
  EXPECT_EQ(MetricsExporterOptions(trace, true, env).endpoint, "http://collector:4318/v1/metrics");
  trace.protocol = OtlpProtocol::kGrpc;
  trace.endpoint = "http://collector:4317";
  EXPECT_EQ(MetricsExporterOptions(trace, true, none).endpoint, "http://collector:4317");
}

uint64_t SinkMetricPoints(sink::Sink& s) {
  const std::string text = s.metrics().RenderPrometheus(s.store().Stats());
  const std::string key = "\nagentstorm_sink_metric_data_points_received_total ";
  size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::stoull(text.substr(at + key.size()));
}

std::unique_ptr<sink::Sink> StartSink() {
  sink::SinkOptions o;
  o.grpc_address = "127.0.0.1:0";
  o.http_address = "127.0.0.1:0";
  o.query_address = "";
  auto s = sink::Sink::Start(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(OtlpMetricsExporter, EveryProtocolDeliversEveryDataPointToTheSink) {
  auto sink = StartSink();
  ASSERT_TRUE(sink);
  TraceSynthesizer synth(Bundled("smoke"), SynthesizerOptions{});
  GenAiMetricsAggregator agg(1);
  Figures(synth, 20, &agg);
  ExportMetricsServiceRequest req;
  agg.Collect(2, &req);
  const uint64_t points = agg.DataPoints();
  ASSERT_GT(points, 0u);

  struct Case {
    OtlpProtocol protocol;
    int port;
    const char* receiver;
  } cases[] = {{OtlpProtocol::kGrpc, sink->grpc_port(), "grpc"},
               {OtlpProtocol::kHttpProtobuf, sink->http_port(), "http"},
               {OtlpProtocol::kHttpJson, sink->http_port(), "http"}};
  uint64_t expected = 0;
  for (const Case& c : cases) {
    ExporterOptions o;
    o.protocol = c.protocol;
    o.endpoint = "http://127.0.0.1:" + std::to_string(c.port) +
                 (c.protocol == OtlpProtocol::kGrpc ? "" : "/v1/traces");
    o.compression =
        c.protocol == OtlpProtocol::kHttpJson ? OtlpCompression::kGzip : OtlpCompression::kNone;
    auto e = OtlpMetricsExporter::Create(MetricsExporterOptions(o, true));
    ASSERT_TRUE(e.ok()) << e.status();
    ASSERT_TRUE((*e)->Export(req).ok()) << ProtocolName(c.protocol);
    expected += points;
    EXPECT_EQ(SinkMetricPoints(*sink), expected) << ProtocolName(c.protocol);
  }
  EXPECT_EQ(sink->metrics().requests("grpc", "metrics", "ok"), 1u);
  EXPECT_EQ(sink->metrics().requests("http", "metrics", "ok"), 2u);
}

TEST(OtlpMetricsExporter, AnEndpointThatIsDownIsUnavailable) {
  auto sink = StartSink();
  ASSERT_TRUE(sink);
  const int port = sink->http_port();
  sink.reset();  // nothing listens there now
  ExporterOptions o;
  o.protocol = OtlpProtocol::kHttpProtobuf;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/metrics";
  o.timeout = 2s;
  auto e = OtlpMetricsExporter::Create(o);
  ASSERT_TRUE(e.ok());
  ExportMetricsServiceRequest req;
  req.add_resource_metrics();
  EXPECT_EQ((*e)->Export(req).code(), absl::StatusCode::kUnavailable);
}

TEST(PeriodicMetricsExport, ALoadRunsMetricsMatchItsTracesAndReachTheSink) {
  auto sink = StartSink();
  ASSERT_TRUE(sink);
  std::shared_ptr<const Scenario> scenario = Bundled("smoke");
  TraceSynthesizer synth(scenario, SynthesizerOptions{});
  ExporterOptions o;
  o.protocol = OtlpProtocol::kGrpc;
  o.endpoint = "http://127.0.0.1:" + std::to_string(sink->grpc_port());
  auto traces = MakeExporter(o);
  ASSERT_TRUE(traces.ok());
  auto metrics = OtlpMetricsExporter::Create(MetricsExporterOptions(o, true));
  ASSERT_TRUE(metrics.ok());

  GenAiMetricsAggregator agg(1);
  PeriodicMetricsExport periodic(&agg, {metrics->get()}, 200ms);
  LoadOptions lo;
  RatePhase p;
  p.start_rate = p.end_rate = 200;
  p.duration_seconds = 1;
  lo.profile.phases.push_back(p);
  lo.threads = 2;
  lo.progress = ProgressMode::kQuiet;
  lo.on_trace = [&](const SynthesizedTrace& t) { agg.Add(t); };
  periodic.Start();
  LoadSummary summary = LoadEngine(lo, synth, {traces->get()}).Run();
  periodic.Stop();

  EXPECT_EQ(agg.traces_added(), summary.traces_scheduled);
  // Same traces, synthesized again: the same token totals.
  GenAiMetricsAggregator again(1);
  const SpanFigures f = Figures(synth, summary.traces_scheduled, &again);
  EXPECT_EQ(Sum(agg, GenAiMetric::kTokenUsage, "gen_ai.token.type", "input").sum,
            static_cast<double>(f.input_tokens));
  const MetricsExportStats stats = periodic.stats();
  EXPECT_GE(stats.exports_ok, 2u);  // periodic, then the final one
  EXPECT_EQ(stats.exports_failed, 0u);
  EXPECT_EQ(stats.data_points_last, agg.DataPoints());
  EXPECT_EQ(sink->metrics().requests("grpc", "metrics", "ok"), stats.exports_ok);
}

}  // namespace
}  // namespace agentstorm
