#include "sink/request_decoder.h"

#include <google/protobuf/arena.h>

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/gzip.h"
#include "core/otlp_json.h"

namespace agentstorm::sink {
namespace {

using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

struct ArenaHolder {
  google::protobuf::Arena arena;
};

bool AllZero(const std::string& bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

absl::Status CheckId(const std::string& id, size_t want, bool may_be_empty, int r, int s, int i,
                     const char* field) {
  if (may_be_empty && id.empty()) return absl::OkStatus();
  if (id.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat("resourceSpans[", r, "].scopeSpans[", s,
                                                   "].spans[", i, "].", field, ": must be ", want,
                                                   " bytes, got ", id.size()));
  }
  if (AllZero(id)) {
    return absl::InvalidArgumentError(absl::StrCat("resourceSpans[", r, "].scopeSpans[", s,
                                                   "].spans[", i, "].", field,
                                                   ": all zero (an invalid ID)"));
  }
  return absl::OkStatus();
}

absl::Status DecodeBody(std::string_view body, BodyEncoding encoding, bool gzip,
                        const DecodeLimits& limits, google::protobuf::Message* out,
                        const char* message_name) {
  std::string inflated;
  if (gzip) {
    absl::StatusOr<std::string> s = GzipDecompress(body, limits.max_decoded_bytes);
    if (!s.ok()) {
      if (absl::IsResourceExhausted(s.status())) {
        return absl::ResourceExhaustedError(
            absl::StrCat("decompressed request body exceeds ", limits.max_decoded_bytes, " bytes"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("Content-Encoding gzip: ", s.status().message()));
    }
    inflated = *std::move(s);
    body = inflated;
  } else if (body.size() > limits.max_decoded_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request body of ", body.size(), " bytes exceeds ", limits.max_decoded_bytes));
  }
  if (encoding == BodyEncoding::kJson) {
    absl::Status s;
    // A receiver must answer 400, never die, whatever the body: nlohmann::json throws more
    // than parse_error (out_of_range for "1e999", type errors), so nothing may escape here.
    try {
      s = DecodeOtlpJson(body, out);
    } catch (const std::exception& e) {
      out->Clear();
      s = absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
    }
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid OTLP/JSON ", message_name, ": ", s.message()));
    }
    return absl::OkStatus();
  }
  if (!out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("body of ", body.size(), " bytes is not a valid protobuf ", message_name));
  }
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<ExportTraceServiceRequest> NewTraceRequest() {
  auto holder = std::make_shared<ArenaHolder>();
  auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&holder->arena);
  return std::shared_ptr<ExportTraceServiceRequest>(std::move(holder), request);
}

absl::Status DecodeTraceRequest(std::string_view body, BodyEncoding encoding, bool gzip,
                                const DecodeLimits& limits, ExportTraceServiceRequest* out) {
  if (absl::Status s = DecodeBody(body, encoding, gzip, limits, out, "ExportTraceServiceRequest");
      !s.ok()) {
    return s;
  }
  return ValidateTraceRequest(*out);
}

absl::Status EncodeTraceRequest(const ExportTraceServiceRequest& request,
                                DecodedTraceRequest* out) {
  out->bytes.clear();
  if (!request.SerializeToString(&out->bytes)) {
    return absl::InvalidArgumentError("request cannot be serialized (over 2 GiB)");
  }
  if (!wire::ScanTraceRequest(out->bytes, &out->index)) {
    return absl::InternalError(
        "the sink's wire scanner declined libprotobuf's serialization of an accepted request");
  }
  return absl::OkStatus();
}

absl::Status DecodeTraceBody(std::string body, BodyEncoding encoding, bool gzip,
                             const DecodeLimits& limits, DecodedTraceRequest* out) {
  if (gzip) {
    absl::StatusOr<std::string> inflated = GzipDecompress(body, limits.max_decoded_bytes);
    if (!inflated.ok()) {
      // The same errors as the parsing path gives.
      ExportTraceServiceRequest unused;
      return DecodeTraceRequest(body, encoding, gzip, limits, &unused);
    }
    body = *std::move(inflated);
  }
  if (body.size() > limits.max_decoded_bytes) {
    ExportTraceServiceRequest unused;
    return DecodeTraceRequest(body, encoding, false, limits, &unused);
  }
  if (encoding == BodyEncoding::kJson) {
    // Straight from JSON to the wire form, which the scanner then vouches for as for a protobuf
    // body: no document and no message is built, so memory stays a small multiple of the body.
    if (absl::Status s =
            TranscodeOtlpJson(body, ExportTraceServiceRequest::descriptor(), &out->bytes);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid OTLP/JSON ExportTraceServiceRequest: ", s.message()));
    }
  } else {
    out->bytes = std::move(body);
  }
  if (wire::ScanTraceRequest(out->bytes, &out->index)) return absl::OkStatus();
  // Declined (valid but unusual encodings, an ID of the wrong length, ...): libprotobuf and the
  // validation decide, and an accepted request is stored re-encoded.
  body = std::move(out->bytes);
  auto request = NewTraceRequest();
  if (absl::Status s =
          DecodeTraceRequest(body, BodyEncoding::kProtobuf, false, limits, request.get());
      !s.ok()) {
    return s;
  }
  return EncodeTraceRequest(*request, out);
}

absl::Status DecodeMetricsRequest(std::string_view body, BodyEncoding encoding, bool gzip,
                                  const DecodeLimits& limits, ExportMetricsServiceRequest* out) {
  return DecodeBody(body, encoding, gzip, limits, out, "ExportMetricsServiceRequest");
}

absl::Status ValidateTraceRequest(const ExportTraceServiceRequest& request) {
  for (int r = 0; r < request.resource_spans_size(); ++r) {
    const auto& rs = request.resource_spans(r);
    for (int s = 0; s < rs.scope_spans_size(); ++s) {
      const auto& ss = rs.scope_spans(s);
      for (int i = 0; i < ss.spans_size(); ++i) {
        const auto& span = ss.spans(i);
        if (absl::Status st = CheckId(span.trace_id(), 16, false, r, s, i, "traceId"); !st.ok()) {
          return st;
        }
        if (absl::Status st = CheckId(span.span_id(), 8, false, r, s, i, "spanId"); !st.ok()) {
          return st;
        }
        if (absl::Status st = CheckId(span.parent_span_id(), 8, true, r, s, i, "parentSpanId");
            !st.ok()) {
          return st;
        }
      }
    }
  }
  return absl::OkStatus();
}

size_t CountSpans(const ExportTraceServiceRequest& request) {
  size_t n = 0;
  for (const auto& rs : request.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) n += ss.spans_size();
  }
  return n;
}

size_t CountDataPoints(const ExportMetricsServiceRequest& request) {
  using opentelemetry::proto::metrics::v1::Metric;
  size_t n = 0;
  for (const auto& rm : request.resource_metrics()) {
    for (const auto& sm : rm.scope_metrics()) {
      for (const Metric& m : sm.metrics()) {
        switch (m.data_case()) {
          case Metric::kGauge:
            n += m.gauge().data_points_size();
            break;
          case Metric::kSum:
            n += m.sum().data_points_size();
            break;
          case Metric::kHistogram:
            n += m.histogram().data_points_size();
            break;
          case Metric::kExponentialHistogram:
            n += m.exponential_histogram().data_points_size();
            break;
          case Metric::kSummary:
            n += m.summary().data_points_size();
            break;
          default:
            break;
        }
      }
    }
  }
  return n;
}

}  // namespace agentstorm::sink
