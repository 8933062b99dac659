// LLM-like spans under another convention than OpenTelemetry's GenAI one: OpenInference
// (Arize Phoenix), OpenLLMetry's legacy attributes (Traceloop), the Vercel AI SDK's `ai.*`
// spans, and plain HTTP calls to a known provider's API. The semconv rule names each with
// `semconv.other_convention` (what was seen, what the GenAI conventions expect instead) rather
// than passing it silently as a span it does not judge, and counts every span read by class.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace agentstorm {

struct OtherConvention {
  // "OpenInference", "OpenLLMetry", "Vercel AI SDK", "provider API call": a literal, so the
  // class of every span read is counted without a copy.
  std::string_view convention;
  std::string seen;      // the evidence, e.g. "openinference.span.kind = LLM, llm.model_name"
  std::string expected;  // what the GenAI conventions expect instead
  // False for a span of that convention the GenAI conventions have no span type for (an
  // OpenInference CHAIN, a Traceloop workflow): counted, not reported.
  bool reported = true;
};

// The convention `span` follows, when it is one of those above; the caller has found it is not a
// GenAI-conventions span. A provider API call is only recognised here; whether it is a finding
// depends on the trace (a GenAI span for the call makes it transport), which the caller decides.
std::optional<OtherConvention> RecognizeOtherConvention(
    const opentelemetry::proto::trace::v1::Span& span);

// The span classes counted for the `semconv.span_classes` statistic, besides the conventions'
// names above.
inline constexpr std::string_view kGenAiClass = "GenAI conventions";
inline constexpr std::string_view kOtherClass = "no LLM convention";
inline constexpr std::string_view kProviderCallClass = "provider API call";

// The value of a string attribute of `span`, "" when absent or of another type (a view into the
// span).
std::string_view StringAttribute(const opentelemetry::proto::trace::v1::Span& span,
                                 std::string_view key);

}  // namespace agentstorm
