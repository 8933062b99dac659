#include "core/load_summary.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace agentstorm {
namespace {

double Ms(uint64_t nanos) { return static_cast<double>(nanos) / 1e6; }

nlohmann::json LatencyJson(const Histogram& h) {
  return {{"count", h.count()},
          {"min_ms", Ms(h.min())},
          {"mean_ms", h.Mean() / 1e6},
          {"p50_ms", Ms(h.Percentile(50))},
          {"p90_ms", Ms(h.Percentile(90))},
          {"p99_ms", Ms(h.Percentile(99))},
          {"p999_ms", Ms(h.Percentile(99.9))},
          {"max_ms", Ms(h.max())}};
}

std::string LatencyLine(const Histogram& h) {
  if (h.count() == 0) return "none";
  return absl::StrFormat("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", HumanNanos(h.Percentile(50)),
                         HumanNanos(h.Percentile(90)), HumanNanos(h.Percentile(99)),
                         HumanNanos(h.Percentile(99.9)), HumanNanos(h.max()));
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  return absl::StrFormat("%.2f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

bool LoadSummary::AnyEndpointUnreachable() const {
  return std::any_of(endpoints.begin(), endpoints.end(),
                     [](const EndpointStats& e) { return e.unreachable(); });
}

bool LoadSummary::AccountingAddsUp() const {
  return std::all_of(endpoints.begin(), endpoints.end(), [this](const EndpointStats& e) {
    return e.spans_accounted() == spans_scheduled &&
           e.traces_acknowledged + e.traces_rejected + e.traces_failed + e.traces_not_sent ==
               traces_scheduled;
  });
}

std::string HumanCount(double v) {
  if (v >= 1e9) return absl::StrFormat("%.2fG", v / 1e9);
  if (v >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (v >= 1e4) return absl::StrFormat("%.1fk", v / 1e3);
  if (v == static_cast<double>(static_cast<uint64_t>(v))) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.1f", v);
}

std::string HumanNanos(uint64_t n) {
  if (n < 1000) return absl::StrFormat("%uns", n);
  if (n < 1000000) return absl::StrFormat("%.0fus", static_cast<double>(n) / 1e3);
  if (n < 1000000000) return absl::StrFormat("%.1fms", static_cast<double>(n) / 1e6);
  return absl::StrFormat("%.2fs", static_cast<double>(n) / 1e9);
}

std::string FormatSummaryText(const LoadSummary& s) {
  std::string out;
  if (!s.run_id.empty())
    absl::StrAppendFormat(&out,
                          "run id    %s  seed %u  (--run-id and --seed send these IDs again)\n",
                          s.run_id, s.seed);
  absl::StrAppendFormat(
      &out, "load      %s%s\n", s.load,
      s.shard_count > 1 ? absl::StrFormat("  (shard %u/%u)", s.shard_index, s.shard_count) : "");
  absl::StrAppendFormat(&out, "run       %.2fs sending, %.2fs with flush%s%s\n", s.elapsed_seconds,
                        s.total_seconds, s.interrupted ? "  INTERRUPTED" : "",
                        s.deadline_hit ? "  (some traces could not be sent in time)" : "");
  absl::StrAppendFormat(
      &out, "scheduled %u traces, %u spans; sent %u traces, %u spans in %u batches\n",
      s.traces_scheduled, s.spans_scheduled, s.traces_sent, s.spans_sent, s.batches);
  if (s.closed_loop) {
    absl::StrAppendFormat(&out, "rate      max (closed loop): achieved %s traces/s, %s spans/s\n",
                          HumanCount(s.achieved_traces_per_second),
                          HumanCount(s.achieved_spans_per_second));
  } else {
    absl::StrAppendFormat(
        &out, "rate      intended %s traces/s, achieved %s traces/s (%s spans/s)\n",
        HumanCount(s.intended_traces_per_second), HumanCount(s.achieved_traces_per_second),
        HumanCount(s.achieved_spans_per_second));
    absl::StrAppendFormat(&out, "lag       %s\n", LatencyLine(s.scheduling_lag));
  }
  for (const EndpointStats& e : s.endpoints) {
    absl::StrAppendFormat(&out, "endpoint  %s%s\n", e.endpoint,
                          e.unreachable() ? "  UNREACHABLE" : "");
    absl::StrAppendFormat(&out,
                          "  spans   acknowledged %u (%s)  rejected %u  failed %u  not sent %u\n",
                          e.spans_acknowledged, Percent(e.spans_acknowledged, s.spans_scheduled),
                          e.spans_rejected, e.spans_failed, e.spans_not_sent);
    absl::StrAppendFormat(&out, "  traces  acknowledged %u  rejected %u  failed %u  not sent %u\n",
                          e.traces_acknowledged, e.traces_rejected, e.traces_failed,
                          e.traces_not_sent);
    absl::StrAppendFormat(&out, "  wire    %u batches, %u requests, %s bytes\n", e.batches,
                          e.attempts, HumanCount(static_cast<double>(e.bytes_sent)));
    absl::StrAppendFormat(&out, "  latency from intended time: %s\n",
                          LatencyLine(e.latency_from_intended));
    absl::StrAppendFormat(&out, "  latency from send:          %s\n",
                          LatencyLine(e.latency_from_send));
    if (!e.last_error.empty()) absl::StrAppendFormat(&out, "  last error: %s\n", e.last_error);
  }
  return out;
}

nlohmann::json SummaryToJson(const LoadSummary& s) {
  nlohmann::json j;
  j["load"] = s.load;
  j["closed_loop"] = s.closed_loop;
  j["shard"] = {{"index", s.shard_index}, {"count", s.shard_count}};
  j["run_id"] = s.run_id;
  j["seed"] = s.seed;
  j["run_start_unix_nano"] = s.run_start_unix_nano;
  j["planned_seconds"] = s.planned_seconds;
  j["elapsed_seconds"] = s.elapsed_seconds;
  j["total_seconds"] = s.total_seconds;
  j["interrupted"] = s.interrupted;
  j["deadline_hit"] = s.deadline_hit;
  j["traces"] = {{"scheduled", s.traces_scheduled}, {"sent", s.traces_sent}};
  j["spans"] = {{"scheduled", s.spans_scheduled}, {"sent", s.spans_sent}};
  j["batches"] = s.batches;
  j["rate"] = {{"intended_traces_per_second", s.intended_traces_per_second},
               {"achieved_traces_per_second", s.achieved_traces_per_second},
               {"achieved_spans_per_second", s.achieved_spans_per_second}};
  j["scheduling_lag"] = LatencyJson(s.scheduling_lag);
  j["accounting_adds_up"] = s.AccountingAddsUp();
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStats& e : s.endpoints) {
    endpoints.push_back({
        {"endpoint", e.endpoint},
        {"reached", e.reached},
        {"unreachable", e.unreachable()},
        {"spans",
         {{"acknowledged", e.spans_acknowledged},
          {"rejected", e.spans_rejected},
          {"failed", e.spans_failed},
          {"not_sent", e.spans_not_sent}}},
        {"traces",
         {{"acknowledged", e.traces_acknowledged},
          {"rejected", e.traces_rejected},
          {"failed", e.traces_failed},
          {"not_sent", e.traces_not_sent}}},
        {"batches", e.batches},
        {"requests", e.attempts},
        {"bytes_sent", e.bytes_sent},
        {"connection_failures", e.connection_failures},
        {"last_error", e.last_error},
        {"latency_from_intended", LatencyJson(e.latency_from_intended)},
        {"latency_from_send", LatencyJson(e.latency_from_send)},
    });
  }
  j["endpoints"] = std::move(endpoints);
  nlohmann::json timeline = nlohmann::json::array();
  for (size_t i = 0; i < s.timeline.size(); ++i) {
    const SecondSample& t = s.timeline[i];
    nlohmann::json point = {{"second", i},
                            {"seconds", t.seconds},
                            {"traces_sent", t.traces_sent},
                            {"spans_sent", t.spans_sent},
                            {"spans_acknowledged", t.spans_acknowledged},
                            {"spans_errors", t.spans_errors},
                            {"latency_p50_ms", Ms(t.latency_p50_ns)},
                            {"latency_p99_ms", Ms(t.latency_p99_ns)},
                            {"lag_p99_ms", Ms(t.lag_p99_ns)}};
    if (t.seconds > 0) point["traces_per_second"] = t.traces_sent / t.seconds;
    if (t.traces_intended >= 0 && t.seconds > 0)
      point["intended_traces_per_second"] = t.traces_intended / t.seconds;
    timeline.push_back(std::move(point));
  }
  j["timeline"] = std::move(timeline);
  return j;
}

}  // namespace agentstorm
