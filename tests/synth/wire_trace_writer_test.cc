// Templated wire encoding: its bytes decode to exactly the messages the reference path builds.
#include "synth/wire_trace_writer.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <new>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "scenario/scenario_loader.h"
#include "synth/otlp_wire_format.h"
#include "synth/trace_synthesizer.h"

// Counts heap allocations made by the calling thread (for the steady-state test below).
namespace {
thread_local uint64_t tls_allocations = 0;
}  // namespace
void* operator new(size_t n) {
  ++tls_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace agentstorm {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::MessageDifferencer;
using opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

std::vector<std::string> BundledScenarioNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios"))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::shared_ptr<const Scenario> Bundled(const std::string& name) {
  auto sc =
      LoadScenario((fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (name + ".yaml")).string());
  EXPECT_TRUE(sc.ok()) << name << ": " << sc.status();
  return sc.ok() ? *sc : nullptr;
}

// The same scenario with every part switched to `profile`.
std::shared_ptr<const Scenario> WithProfile(const Scenario& sc, SemconvProfile profile) {
  auto copy = std::make_shared<Scenario>(sc);
  for (ScenarioPart& p : copy->parts) p.semconv = profile;
  return copy;
}

// Compares `traces` traces of `synth`'s two paths; returns the number of spans compared.
uint64_t ExpectSamePaths(const TraceSynthesizer& synth, const std::string& label, int traces) {
  SynthesizedTrace ref, meta;
  std::string encoded;
  ExportTraceServiceRequest want, got;
  uint64_t spans = 0;
  const Scenario& sc = synth.scenario();
  const int phases = sc.load ? static_cast<int>(sc.load->phases.size()) : 0;
  for (int i = 0; i < traces; ++i) {
    const uint64_t index = static_cast<uint64_t>(i) * 7919 % 100000;  // spread over the run
    const int phase = phases > 0 ? i % (phases + 1) - 1 : -1;
    synth.Synthesize(index, phase, &ref);
    encoded.clear();
    synth.SynthesizeEncoded(index, phase, &meta, &encoded);

    want.Clear();
    for (const auto& rs : ref.resource_spans) *want.add_resource_spans() = rs;
    got.Clear();
    if (!got.ParseFromString(encoded)) {
      ADD_FAILURE() << label << " trace " << index << ": the templated bytes do not parse";
      return spans;
    }
    std::string diff;
    MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    if (!d.Compare(want, got)) {
      ADD_FAILURE() << label << " trace " << index << " differs:\n" << diff.substr(0, 2000);
      return spans;
    }
    EXPECT_EQ(meta.trace_id, ref.trace_id);
    EXPECT_EQ(meta.span_count, ref.span_count);
    EXPECT_EQ(meta.faults, ref.faults);
    EXPECT_EQ(meta.expected_class, ref.expected_class);
    EXPECT_EQ(meta.start_unix_nano, ref.start_unix_nano);
    EXPECT_EQ(meta.end_unix_nano, ref.end_unix_nano);
    EXPECT_EQ(meta.variant, ref.variant);
    spans += ref.span_count;
  }
  return spans;
}

TEST(WireTraceWriter, DecodesToTheReferenceMessagesForEveryBundledScenarioSeedAndProfile) {
  const std::vector<std::string> names = BundledScenarioNames();
  ASSERT_GE(names.size(), 9u);
  uint64_t spans = 0;
  for (const std::string& name : names) {
    auto sc = Bundled(name);
    ASSERT_NE(sc, nullptr);
    for (uint64_t seed : {1ULL, 42ULL, 0xdeadbeefULL}) {
      SynthesizerOptions opt;
      opt.seed = seed;
      opt.trace_interval_nanos = 1'000'000;
      spans +=
          ExpectSamePaths(TraceSynthesizer(sc, opt), name + " seed " + std::to_string(seed), 150);
    }
    {
      SynthesizerOptions opt;
      opt.seed = 3;
      opt.run_id = 0x0123456789abcdefULL;  // both paths mix the run ID into every ID
      spans += ExpectSamePaths(TraceSynthesizer(sc, opt), name + " with a run ID", 50);
    }
    for (SemconvProfile p :
         {SemconvProfile::kLatest, SemconvProfile::kV136, SemconvProfile::kDual}) {
      SynthesizerOptions opt;
      opt.seed = 7;
      spans += ExpectSamePaths(TraceSynthesizer(WithProfile(*sc, p), opt),
                               name + " profile " + SemconvProfileName(p), 100);
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(spans, 10000u);
}

TEST(WireTraceWriter, ContentCaptureOffStillMatches) {
  auto sc = Bundled("nightly-conformance");
  ASSERT_NE(sc, nullptr);
  SynthesizerOptions opt;
  opt.skip_content = true;
  EXPECT_GT(ExpectSamePaths(TraceSynthesizer(sc, opt), "skip_content", 200), 0u);
}

TEST(WireTraceWriter, ReferenceEncodingOptionSerializesTheMessages) {
  auto sc = Bundled("smoke");
  ASSERT_NE(sc, nullptr);
  SynthesizerOptions fast_opt, ref_opt;
  ref_opt.reference_encoding = true;
  TraceSynthesizer fast(sc, fast_opt), ref(sc, ref_opt);
  SynthesizedTrace meta, msg;
  for (uint64_t i = 0; i < 50; ++i) {
    std::string a, b;
    fast.SynthesizeEncoded(i, -1, &meta, &a);
    ref.SynthesizeEncoded(i, -1, &meta, &b);
    // The reference path is libprotobuf's serialization of Synthesize's messages, byte for byte.
    ref.Synthesize(i, -1, &msg);
    std::string c;
    for (const auto& rs : msg.resource_spans) AppendResourceSpans(rs, &c);
    EXPECT_EQ(b, c);
    ExportTraceServiceRequest ra, rb;
    ASSERT_TRUE(ra.ParseFromString(a));
    ASSERT_TRUE(rb.ParseFromString(b));
    EXPECT_TRUE(MessageDifferencer::Equals(ra, rb)) << "trace " << i;
  }
}

TEST(WireTraceWriter, AppendsSoTracesConcatenateIntoOneRequest) {
  auto sc = Bundled("research-fanout");
  ASSERT_NE(sc, nullptr);
  TraceSynthesizer synth(sc, SynthesizerOptions{});
  SynthesizedTrace meta;
  std::string batch;
  uint32_t spans = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    synth.SynthesizeEncoded(i, -1, &meta, &batch);
    spans += meta.span_count;
  }
  ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(batch));
  uint32_t decoded = 0;
  for (const auto& rs : req.resource_spans())
    for (const auto& ss : rs.scope_spans()) decoded += ss.spans_size();
  EXPECT_EQ(decoded, spans);
}

TEST(WireTraceWriter, SteadyStateAllocatesNothing) {
  for (const fs::path& file : {fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / "smoke.yaml",
                               fs::path(AGENTSTORM_SOURCE_DIR) / "bench" / "agent7.yaml"}) {
    auto sc = LoadScenario(file.string());
    ASSERT_TRUE(sc.ok()) << sc.status();
    TraceSynthesizer synth(*sc, SynthesizerOptions{});
    SynthesizedTrace meta;
    std::string batch;
    batch.reserve(1 << 20);
    for (uint64_t i = 0; i < 2000; ++i) {  // warm up: buffers reach their working size
      batch.clear();
      synth.SynthesizeEncoded(i, -1, &meta, &batch);
    }
    const uint64_t before = tls_allocations;
    uint64_t spans = 0;
    for (uint64_t i = 2000; i < 4000; ++i) {
      batch.clear();
      synth.SynthesizeEncoded(i, -1, &meta, &batch);
      spans += meta.span_count;
    }
    EXPECT_EQ(tls_allocations - before, 0u) << file << ": allocations over " << spans << " spans";

    // The counter does count: the reference path allocates (oneof strings, messages).
    SynthesizerOptions ref_opt;
    ref_opt.reference_encoding = true;
    TraceSynthesizer ref(*sc, ref_opt);
    for (uint64_t i = 0; i < 2000; ++i) ref.SynthesizeEncoded(i, -1, &meta, &batch);
    const uint64_t ref_before = tls_allocations;
    ref.SynthesizeEncoded(2000, -1, &meta, &batch);
    EXPECT_GT(tls_allocations - ref_before, 0u);
  }
}

}  // namespace
}  // namespace agentstorm
