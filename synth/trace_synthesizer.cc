#include "synth/trace_synthesizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "synth/encoder_tables.h"
#include "synth/wire_trace_writer.h"

namespace agentstorm {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::ResourceSpans;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

constexpr int64_t kMs = 1'000'000;
constexpr int kMaxRunawayIterations = 1000;

int64_t Nanos(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1e9)); }

// gen_ai.system (v1.36) for a gen_ai.provider.name (latest) value; the only renamed member.
std::string_view SystemForProvider(std::string_view provider) {
  if (provider == "x_ai") return "xai";
  return provider;
}

// Synthetic content: deterministic filler cut from a fixed text (no quotes or backslashes, so it
// needs no JSON escaping).
constexpr std::string_view kCorpus =
    "the agent reviewed the quarterly figures and compared them with the forecast from the "
    "planning team before drafting a summary for the customer who asked about delivery times "
    "in the northern region while the search tool returned three relevant documents about "
    "shipping delays caused by weather and a supplier change that happened in the spring so "
    "the answer explains the cause and proposes two options with their costs and risks ";

void AppendFiller(CounterRng& rng, size_t bytes, std::string* out) {
  size_t pos = static_cast<size_t>(rng.NextInt(0, static_cast<int64_t>(kCorpus.size()) - 1));
  while (bytes > 0) {
    const size_t n = std::min(bytes, kCorpus.size() - pos);
    out->append(kCorpus.data() + pos, n);
    bytes -= n;
    pos = 0;
  }
}

const std::string& PickWeighted(const std::vector<WeightedString>& v, CounterRng& rng) {
  double total = 0;
  for (const auto& w : v) total += w.weight;
  double u = rng.NextDouble() * total;
  for (const auto& w : v) {
    if (u < w.weight) return w.value;
    u -= w.weight;
  }
  return v.back().value;
}

// ---------------------------------------------------------------- attribute writers

void SetResourceStr(opentelemetry::proto::resource::v1::Resource* r, std::string_view key,
                    std::string_view v) {
  KeyValue* kv = r->add_attributes();
  kv->set_key(key.data(), key.size());
  kv->mutable_value()->set_string_value(v.data(), v.size());
}

void WriteExtra(const ExtraAttribute& a, CounterRng& rng, std::string* scratch, KeyValue* kv) {
  kv->set_key(a.key);
  AnyValue* v = kv->mutable_value();
  switch (a.type) {
    case ExtraAttribute::Type::kString:
      v->set_string_value(a.string_value);
      break;
    case ExtraAttribute::Type::kInt:
      v->set_int_value(a.int_value);
      break;
    case ExtraAttribute::Type::kDouble:
      v->set_double_value(a.double_value);
      break;
    case ExtraAttribute::Type::kBool:
      v->set_bool_value(a.bool_value);
      break;
    case ExtraAttribute::Type::kStringArray: {
      auto* arr = v->mutable_array_value();
      arr->clear_values();
      for (const auto& s : a.strings) arr->add_values()->set_string_value(s);
      break;
    }
    case ExtraAttribute::Type::kPool:
      scratch->assign(a.string_value);
      scratch->append(std::to_string(rng.NextInt(0, a.int_value - 1)));
      v->set_string_value(*scratch);
      break;
  }
}

// Where the structure of the current invoke_agent or workflow is accumulated.
struct Frame {
  int service = 0;
  const Agent* agent = nullptr;  // null inside a workflow
  int model = -1;                // default model for chat steps
  int64_t context_tokens = 0;    // grows with tool results and answers during the agent's run
  int64_t input_total = 0;
  int64_t output_total = 0;
  bool failed = false;
  std::string error_type;
};

struct ChatOutcome {
  int64_t end = 0;
  bool failed = false;
};

// Per-thread scratch, reused so steady-state synthesis does not allocate.
struct Scratch {
  std::string text;
  std::string text2;
  std::string text3;
};
thread_local Scratch tls_scratch;

// The attributes of the spans a trace on this thread was cleared of, each with its value still
// allocated, for the next trace's spans: a span's Clear() would free every value (KeyValue's
// Clear deletes its AnyValue, and with it a string value) for the next trace to allocate again.
// Holds at most the attributes of the largest trace built on the thread.
thread_local std::vector<std::unique_ptr<KeyValue>> tls_attribute_pool;

// Clears `spans` for reuse, their attributes to tls_attribute_pool. The pool is a stack: the
// first span's first attribute comes back first, to the attribute most likely of the same key
// and type.
void ClearSpansKeepingAttributes(google::protobuf::RepeatedPtrField<Span>* spans) {
  for (int i = spans->size() - 1; i >= 0; --i) {
    auto* attributes = spans->Mutable(i)->mutable_attributes();
    while (!attributes->empty()) tls_attribute_pool.emplace_back(attributes->ReleaseLast());
  }
  spans->Clear();
}

// The reference output: libprotobuf messages in SynthesizedTrace::resource_spans (one
// ResourceSpans per service slot, reused across calls).
class ProtoOut {
 public:
  using SpanHandle = Span*;
  static constexpr SpanHandle kNoSpan = nullptr;

  ProtoOut(SynthesizedTrace* out, const ScenarioPart& part, bool latest)
      : out_(out), latest_(latest) {
    slot_of_service_.assign(part.services.size(), -1);
  }

  SpanHandle NewSpan(int service, const Service& svc, CounterRng* attrs, SpanHandle parent,
                     int kind, uint64_t start, uint64_t id) {
    Span* span = Slot(service, svc, attrs)->mutable_scope_spans(0)->add_spans();
    span->set_trace_id(out_->trace_id.data(), out_->trace_id.size());
    char bytes[8];
    std::memcpy(bytes, &id, 8);
    span->set_span_id(bytes, 8);
    if (parent) span->set_parent_span_id(parent->span_id());
    span->set_kind(static_cast<Span::SpanKind>(kind));
    span->set_start_time_unix_nano(start);
    return span;
  }
  void SetKind(Span* s, int kind) { s->set_kind(static_cast<Span::SpanKind>(kind)); }
  void SetName(Span* s, std::string_view a, std::string_view b) {
    std::string* n = s->mutable_name();
    n->assign(a.data(), a.size());
    if (!b.empty()) {
      n->push_back(' ');
      n->append(b.data(), b.size());
    }
  }
  void SetEnd(Span* s, uint64_t end) { s->set_end_time_unix_nano(end); }
  void Str(Span* s, std::string_view key, std::string_view v) {
    AnyValue* value = NewAttr(s, key)->mutable_value();
    // A pooled attribute mostly held this key's value of the previous trace: often the same
    // text (a model, an operation), and a compare costs less than an assignment.
    if (value->value_case() != AnyValue::kStringValue) {
      value->set_string_value(v.data(), v.size());
    } else if (value->string_value() != v) {
      value->mutable_string_value()->assign(v.data(), v.size());
    }
  }
  void Int(Span* s, std::string_view key, int64_t v) {
    NewAttr(s, key)->mutable_value()->set_int_value(v);
  }
  void Double(Span* s, std::string_view key, double v) {
    NewAttr(s, key)->mutable_value()->set_double_value(v);
  }
  void Bool(Span* s, std::string_view key, bool v) {
    NewAttr(s, key)->mutable_value()->set_bool_value(v);
  }
  void StrArray(Span* s, std::string_view key, const std::string_view* v, size_t n) {
    auto* arr = NewAttr(s, key)->mutable_value()->mutable_array_value();
    arr->clear_values();
    for (size_t i = 0; i < n; ++i) arr->add_values()->set_string_value(v[i].data(), v[i].size());
  }
  void SetError(Span* s, std::string_view message) {
    Status* st = s->mutable_status();
    st->set_code(Status::STATUS_CODE_ERROR);
    st->set_message(message.data(), message.size());
  }
  void BeginEvent(Span* s, uint64_t time, std::string_view name) {
    ev_ = s->add_events();
    ev_->set_time_unix_nano(time);
    ev_->set_name(name.data(), name.size());
  }
  void EventStr(std::string_view key, std::string_view v) {
    auto* a = ev_->add_attributes();
    a->set_key(key.data(), key.size());
    a->mutable_value()->set_string_value(v.data(), v.size());
  }
  void EventInt(std::string_view key, int64_t v) {
    auto* a = ev_->add_attributes();
    a->set_key(key.data(), key.size());
    a->mutable_value()->set_int_value(v);
  }
  void EndEvent() { ev_ = nullptr; }
  void CollectParented(std::vector<Span*>* out) const {
    out->clear();
    for (int i = 0; i < used_slots_; ++i)
      for (Span& sp : *out_->resource_spans[i].mutable_scope_spans(0)->mutable_spans())
        if (!sp.parent_span_id().empty()) out->push_back(&sp);
  }
  void SetParent(Span* s, uint64_t id) {
    char bytes[8];
    std::memcpy(bytes, &id, 8);
    s->set_parent_span_id(bytes, 8);
  }
  void RemoveRoot() {
    auto* root_spans = out_->resource_spans[0].mutable_scope_spans(0)->mutable_spans();
    root_spans->erase(root_spans->begin());
  }
  int used_slots() const { return static_cast<int>(used_slots_); }

 private:
  // Every caller sets the value (of whatever type the pooled attribute held).
  static KeyValue* NewAttr(Span* s, std::string_view key) {
    KeyValue* kv;
    if (tls_attribute_pool.empty()) {
      kv = s->add_attributes();
    } else {
      kv = tls_attribute_pool.back().release();
      tls_attribute_pool.pop_back();
      s->mutable_attributes()->AddAllocated(kv);
    }
    if (kv->key() != key) kv->set_key(key.data(), key.size());  // pooled: mostly the same key
    return kv;
  }

  ResourceSpans* Slot(int service, const Service& svc, CounterRng* attrs) {
    int& slot = slot_of_service_[service];
    if (slot >= 0) return &out_->resource_spans[slot];
    slot = used_slots_++;
    if (static_cast<int>(out_->resource_spans.size()) < used_slots_)
      out_->resource_spans.emplace_back();
    ResourceSpans* rs = &out_->resource_spans[slot];
    auto* res = rs->mutable_resource();
    // Reuse the resource when the slot already describes this service (and has no pooled values).
    const int expected = 2 + !svc.version.empty() + !svc.environment.empty() +
                         static_cast<int>(svc.attributes.size());
    bool pooled = false;
    for (const ExtraAttribute& a : svc.attributes) pooled |= a.type == ExtraAttribute::Type::kPool;
    if (pooled || res->attributes_size() != expected ||
        res->attributes(0).value().string_value() != svc.name) {
      res->Clear();
      SetResourceStr(res, "service.name", svc.name);
      if (!svc.version.empty()) SetResourceStr(res, "service.version", svc.version);
      if (!svc.environment.empty())
        SetResourceStr(res, "deployment.environment.name", svc.environment);
      SetResourceStr(res, "telemetry.sdk.name", "agentstorm");
      for (const ExtraAttribute& a : svc.attributes)
        WriteExtra(a, *attrs, &scratch_, res->add_attributes());
    }
    if (rs->scope_spans_size() == 0) rs->add_scope_spans();
    while (rs->scope_spans_size() > 1) rs->mutable_scope_spans()->RemoveLast();
    auto* ss = rs->mutable_scope_spans(0);
    ss->mutable_scope()->set_name("agentstorm");
    ss->set_schema_url(ScopeSchemaUrl(latest_));
    return rs;
  }

  SynthesizedTrace* out_;
  const bool latest_;
  std::vector<int> slot_of_service_;
  int used_slots_ = 0;
  std::string scratch_;
  Span::Event* ev_ = nullptr;
};

// The templated path's output (synth/wire_trace_writer.h).
using WireOut = WireTraceWriter;

// Builds one trace: every decision (structure, timing, IDs, attribute values) is made here, and
// written through `Out`: ProtoOut (libprotobuf messages, the reference) or WireOut (wire format).
// Lives for one Synthesize call.
// The stream span IDs (and the other identifiers a trace carries) are drawn from: the run ID
// joins (seed, index), so two runs of one seed share content but no identifier. Run ID 0 keeps
// the streams of ledger version 1.
CounterRng IdStream(const CounterRng& root, uint64_t run_id) {
  const CounterRng ids = root.Fork("ids");
  return run_id == 0 ? ids : ids.Fork(run_id);
}

template <class Out>
class TraceBuilder {
 public:
  using SpanKindEnum = Span::SpanKind;
  using SpanH = typename Out::SpanHandle;

  TraceBuilder(const Scenario& sc, const Variant& variant, const ScenarioPart& part,
               const SynthesizerOptions& opt, uint64_t index, int phase, SynthesizedTrace* out,
               CounterRng root, Out* o)
      : o_(*o),
        part_(part),
        variant_(variant),
        opt_(opt),
        out_(out),
        latest_(part.semconv != SemconvProfile::kV136),
        old_(part.semconv != SemconvProfile::kLatest),
        ids_(IdStream(root, opt.run_id)),
        structure_(root.Fork("structure")),
        timing_(root.Fork("timing")),
        tokens_(root.Fork("tokens")),
        errors_(root.Fork("errors")),
        content_(root.Fork("content")),
        attrs_(root.Fork("attributes")),
        s_(tls_scratch) {
    content_on_ = part.content.enabled && !opt.skip_content;
    if (part.conversation_pool > 0) {
      CounterRng conv = root.Fork("conversation");
      conversation_ = "conv_" + std::to_string(conv.NextInt(0, part.conversation_pool - 1));
    }
    // Which faults fire in this trace: variant override, then phase override, else the part's.
    CounterRng fault_rng = root.Fork("faults");
    const LoadProfile* load = opt.load ? opt.load : (sc.load ? &*sc.load : nullptr);
    for (const FaultSpec& f : part.faults) {
      double rate = f.rate;
      if (auto it = variant.fault_rates.find(f.kind); it != variant.fault_rates.end())
        rate = it->second;
      if (load && phase >= 0 && phase < static_cast<int>(load->phases.size())) {
        const auto& ov = load->phases[phase].fault_overrides;
        if (auto it = ov.find(FaultKindName(f.kind)); it != ov.end()) rate = it->second;
      }
      CounterRng r = fault_rng.Fork(static_cast<uint64_t>(f.kind) + 1);
      if (r.Bernoulli(rate)) {
        pending_ |= FaultBit(f.kind);
        auto own = variant.fault_specs.find(f.kind);
        spec_[static_cast<int>(f.kind)] = own != variant.fault_specs.end() ? &own->second : &f;
      }
    }
  }

  void Build() {
    const int64_t t0 = 0;
    int64_t end;
    if (variant_.entry_is_workflow) {
      end = EmitWorkflow(part_.workflows[variant_.entry], Out::kNoSpan, -1, t0);
    } else {
      Frame dummy;
      end = EmitInvokeAgent(part_.agents[variant_.entry], Out::kNoSpan, -1, t0, &dummy);
    }
    duration_ns_ = end - t0;
    PostProcessDefects();
  }

  int64_t duration_ns() const { return duration_ns_; }
  uint32_t applied() const { return applied_; }
  bool any_error() const { return any_error_; }
  uint32_t span_count() const { return span_count_; }
  int used_slots() const { return o_.used_slots(); }

 private:
  bool Pending(FaultKind k) const { return pending_ & FaultBit(k); }
  void Apply(FaultKind k) {
    pending_ &= ~FaultBit(k);
    applied_ |= FaultBit(k);
  }
  const FaultSpec& Spec(FaultKind k) const { return *spec_[static_cast<int>(k)]; }

  SpanH NewSpan(int service, SpanH parent, SpanKindEnum kind, int64_t start) {
    uint64_t id = 0;
    while (id == 0) id = ids_.Next();
    SpanH span = o_.NewSpan(service, part_.services[service], &attrs_, parent, kind,
                            base_ + static_cast<uint64_t>(start), id);
    ++span_count_;
    for (const ExtraAttribute& a : part_.span_attributes) WriteExtra(a, span);
    return span;
  }
  void End(SpanH span, int64_t end) { o_.SetEnd(span, base_ + static_cast<uint64_t>(end)); }

  void SetStr(SpanH s, std::string_view key, std::string_view v) { o_.Str(s, key, v); }
  void SetInt(SpanH s, std::string_view key, int64_t v) { o_.Int(s, key, v); }
  void SetDouble(SpanH s, std::string_view key, double v) { o_.Double(s, key, v); }
  void SetBool(SpanH s, std::string_view key, bool v) { o_.Bool(s, key, v); }
  void SetStrArray(SpanH s, std::string_view key, std::initializer_list<std::string_view> values) {
    o_.StrArray(s, key, values.begin(), values.size());
  }
  void WriteExtra(const ExtraAttribute& a, SpanH span) {
    switch (a.type) {
      case ExtraAttribute::Type::kString:
        o_.Str(span, a.key, a.string_value);
        break;
      case ExtraAttribute::Type::kInt:
        o_.Int(span, a.key, a.int_value);
        break;
      case ExtraAttribute::Type::kDouble:
        o_.Double(span, a.key, a.double_value);
        break;
      case ExtraAttribute::Type::kBool:
        o_.Bool(span, a.key, a.bool_value);
        break;
      case ExtraAttribute::Type::kStringArray: {
        std::string_view views[16];
        if (a.strings.size() <= 16) {
          for (size_t i = 0; i < a.strings.size(); ++i) views[i] = a.strings[i];
          o_.StrArray(span, a.key, views, a.strings.size());
        } else {
          std::vector<std::string_view> many(a.strings.begin(), a.strings.end());
          o_.StrArray(span, a.key, many.data(), many.size());
        }
        break;
      }
      case ExtraAttribute::Type::kPool:
        s_.text3.assign(a.string_value);
        s_.text3.append(std::to_string(attrs_.NextInt(0, a.int_value - 1)));
        o_.Str(span, a.key, s_.text3);
        break;
    }
  }

  void Fail(SpanH span, std::string_view error_type, std::string_view message) {
    SetStr(span, "error.type", error_type);
    o_.SetError(span, message);
    any_error_ = true;
  }

  void ExceptionEvent(SpanH span, int64_t at, std::string_view type, std::string_view message) {
    o_.BeginEvent(span, base_ + static_cast<uint64_t>(at), "exception");
    o_.EventStr("exception.type", type);
    o_.EventStr("exception.message", message);
    o_.EndEvent();
  }

  void Provider(SpanH span, std::string_view provider) {
    if (provider.empty()) return;
    if (latest_) SetStr(span, "gen_ai.provider.name", provider);
    if (old_) SetStr(span, "gen_ai.system", SystemForProvider(provider));
  }

  void Server(SpanH span, const std::string& address, int port) {
    if (address.empty()) return;
    SetStr(span, "server.address", address);
    SetInt(span, "server.port", port);
  }

  void Name(SpanH span, std::string_view a, std::string_view b) { o_.SetName(span, a, b); }

  void RandomHex(CounterRng& rng, int chars, std::string* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t v = 0;
    for (int i = 0; i < chars; ++i) {
      if (i % 16 == 0) v = rng.Next();
      out->push_back(kHex[v & 15]);
      v >>= 4;
    }
  }

  int64_t Overhead(int64_t lo_ms, int64_t hi_ms) {
    return timing_.NextInt(lo_ms * kMs, hi_ms * kMs);
  }

  // ---------------------------------------------------------------- invoke_agent

  // Runs `agent` called from `caller_service` (-1 for the root). A different service makes the
  // call remote: a CLIENT invoke_agent span on the caller's side, the agent's spans under it.
  int64_t EmitInvokeAgent(const Agent& agent, SpanH parent, int caller_service, int64_t start,
                          Frame* caller) {
    const bool remote = caller_service >= 0 && agent.service != caller_service;
    const Model* model = agent.model >= 0 ? &part_.models[agent.model] : nullptr;
    std::string_view provider = !agent.provider.empty() ? std::string_view(agent.provider)
                                : model                 ? std::string_view(model->provider)
                                                        : std::string_view();
    SpanH client = Out::kNoSpan;
    int64_t t = start;
    if (remote) {
      client = NewSpan(caller_service, parent, Span::SPAN_KIND_CLIENT, start);
      FillInvokeAgent(client, agent, model, provider, /*remote=*/true);
      Server(
          client,
          agent.server_address.empty() ? part_.services[agent.service].name : agent.server_address,
          agent.server_address.empty() ? 443 : agent.server_port);
      t += Overhead(2, 15);  // network
    }
    // An agent in the caller's process is INTERNAL where the conventions allow it (the latest:
    // "MAY be INTERNAL"); v1.36 has only the CLIENT invoke_agent span.
    SpanH span = NewSpan(agent.service, remote ? client : parent,
                         latest_ ? Span::SPAN_KIND_INTERNAL : Span::SPAN_KIND_CLIENT, t);
    FillInvokeAgent(span, agent, model, provider, /*remote=*/false);

    Frame f;
    f.service = agent.service;
    f.agent = &agent;
    f.model = agent.model;
    t += Overhead(1, 5);
    t = RunSteps(agent.steps, span, &f, t);
    t += Overhead(1, 5);

    if (f.input_total > 0) SetInt(span, "gen_ai.usage.input_tokens", f.input_total);
    if (f.output_total > 0) SetInt(span, "gen_ai.usage.output_tokens", f.output_total);
    if (f.failed) Fail(span, f.error_type, "agent run failed");
    End(span, t);
    if (remote) {
      t += Overhead(2, 15);
      if (f.input_total > 0) SetInt(client, "gen_ai.usage.input_tokens", f.input_total);
      if (f.output_total > 0) SetInt(client, "gen_ai.usage.output_tokens", f.output_total);
      if (f.failed) Fail(client, f.error_type, "remote agent failed");
      End(client, t);
    }
    if (f.failed && caller) {
      caller->failed = true;
      caller->error_type = f.error_type;
    }
    return t;
  }

  void FillInvokeAgent(SpanH span, const Agent& agent, const Model* model,
                       std::string_view provider, bool remote) {
    Name(span, "invoke_agent", agent.name);
    SetStr(span, "gen_ai.operation.name", "invoke_agent");
    // Latest: the provider is on the CLIENT span only; v1.36 requires gen_ai.system on it.
    if (remote)
      Provider(span, provider);
    else if (old_ && !provider.empty())
      SetStr(span, "gen_ai.system", SystemForProvider(provider));
    SetStr(span, "gen_ai.agent.name", agent.name);
    if (!agent.description.empty()) SetStr(span, "gen_ai.agent.description", agent.description);
    if (remote || old_) {
      if (!agent.id.empty()) SetStr(span, "gen_ai.agent.id", agent.id);
    }
    if (remote && latest_ && !agent.version.empty())
      SetStr(span, "gen_ai.agent.version", agent.version);
    if (model) SetStr(span, "gen_ai.request.model", model->request_model);
    if (!conversation_.empty()) SetStr(span, "gen_ai.conversation.id", conversation_);
    if (!remote)
      for (const ExtraAttribute& a : agent.attributes) WriteExtra(a, span);
  }

  // ---------------------------------------------------------------- steps

  int64_t RunSteps(const std::vector<Step>& steps, SpanH parent, Frame* f, int64_t t) {
    for (const Step& step : steps) {
      if (f->failed) break;  // an agent stops at its first unrecovered failure
      switch (step.kind) {
        case Step::Kind::kChat: {
          const int m = step.model >= 0 ? step.model : f->model;
          t = EmitInference(part_.models[m], parent, f, t, /*tool_call=*/false).end;
          break;
        }
        case Step::Kind::kTool:
          t = EmitExecuteTool(part_.tools[step.tools[0]], parent, f, t);
          break;
        case Step::Kind::kToolLoop:
          t = EmitToolLoop(step, parent, f, t);
          break;
        case Step::Kind::kFanOut:
        case Step::Kind::kHandoff: {
          int64_t end = t;
          int64_t cursor = t;
          for (size_t i = 0; i < step.agents.size(); ++i) {
            const int64_t s =
                step.parallel ? t + Overhead(0, 3) * static_cast<int64_t>(i > 0) : cursor;
            const int64_t e =
                EmitInvokeAgent(part_.agents[step.agents[i]], parent, f->service, s, f);
            cursor = e;
            end = std::max(end, e);
          }
          t = end;
          break;
        }
        case Step::Kind::kEmbeddings:
          t = EmitEmbeddings(part_.models[step.model], parent, f, t);
          break;
        case Step::Kind::kRetrieval:
          t = EmitRetrieval(step, parent, f, t);
          break;
        case Step::Kind::kCreateAgent:
          t = EmitCreateAgent(part_.agents[step.agents[0]], parent, f, t);
          break;
        case Step::Kind::kInvokeWorkflow:
          t = EmitWorkflow(part_.workflows[step.workflow], parent, f->service, t, f);
          break;
      }
      t += Overhead(0, 2);
    }
    return t;
  }

  int64_t EmitToolLoop(const Step& step, SpanH parent, Frame* f, int64_t t) {
    const Model& model = part_.models[step.model >= 0 ? step.model : f->model];
    int iterations = static_cast<int>(std::lround(step.iterations.Sample(structure_)));
    iterations = std::clamp(iterations, 1, step.max_iterations);
    bool runaway = false;
    if (Pending(FaultKind::kRunawayLoop)) {
      const FaultSpec& spec = Spec(FaultKind::kRunawayLoop);
      iterations = static_cast<int>(std::lround(spec.iterations.Sample(structure_)));
      iterations = std::clamp(iterations, step.max_iterations + 1, kMaxRunawayIterations);
      runaway = true;
      Apply(FaultKind::kRunawayLoop);
    }
    for (int i = 0; i < iterations && !f->failed; ++i) {
      t = EmitInference(model, parent, f, t, /*tool_call=*/true).end;
      if (f->failed) break;
      int64_t end = t;
      for (int k = 0; k < step.tools_per_iteration; ++k) {
        const int pick =
            static_cast<int>(structure_.NextInt(0, static_cast<int64_t>(step.tools.size()) - 1));
        const int64_t s = t + Overhead(0, 2) * static_cast<int64_t>(k > 0);
        end = std::max(end, EmitExecuteTool(part_.tools[step.tools[pick]], parent, f, s));
      }
      t = end + Overhead(0, 2);
    }
    if (runaway) {
      if (!f->failed) {
        f->failed = true;
        f->error_type = Spec(FaultKind::kRunawayLoop).error_type;
      }
      return t;
    }
    if (!f->failed) t = EmitInference(model, parent, f, t, /*tool_call=*/false).end;
    return t;
  }

  // ---------------------------------------------------------------- inference (chat)

  ChatOutcome EmitInference(const Model& model, SpanH parent, Frame* f, int64_t start,
                            bool tool_call) {
    SpanH span = NewSpan(f->service, parent, Span::SPAN_KIND_CLIENT, start);
    const bool first_chat = !seen_chat_;
    seen_chat_ = true;
    Name(span, model.operation, model.request_model);

    // Broken-instrumentation defects land on the trace's first inference span.
    bool drop_operation = false, deprecated_only = false;
    if (first_chat) {
      if (Pending(FaultKind::kWrongSpanKind)) {
        o_.SetKind(span, Span::SPAN_KIND_SERVER);
        Apply(FaultKind::kWrongSpanKind);
      }
      if (Pending(FaultKind::kMissingRequiredAttribute)) {
        drop_operation = true;
        Apply(FaultKind::kMissingRequiredAttribute);
      }
      if (Pending(FaultKind::kDeprecatedAttributeOnly)) {
        deprecated_only = true;
        Apply(FaultKind::kDeprecatedAttributeOnly);
      }
    }
    if (!drop_operation) SetStr(span, "gen_ai.operation.name", model.operation);
    if (deprecated_only)
      SetStr(span, "gen_ai.system", SystemForProvider(model.provider));
    else
      Provider(span, model.provider);
    SetStr(span, "gen_ai.request.model", model.request_model);
    Server(span, model.server_address, model.server_port);
    if (model.temperature) SetDouble(span, "gen_ai.request.temperature", *model.temperature);
    if (model.max_tokens) SetInt(span, "gen_ai.request.max_tokens", *model.max_tokens);
    if (!conversation_.empty()) SetStr(span, "gen_ai.conversation.id", conversation_);
    for (const ExtraAttribute& a : model.attributes) WriteExtra(a, span);

    int64_t input =
        std::max<int64_t>(1, std::llround(model.input_tokens.Sample(tokens_))) + f->context_tokens;
    int64_t output = std::max<int64_t>(1, std::llround(model.output_tokens.Sample(tokens_)));
    int64_t duration = std::max<int64_t>(kMs, Nanos(model.latency.Sample(timing_)));
    std::string_view finish =
        tool_call ? std::string_view("tool_call")
                  : std::string_view(PickWeighted(model.finish_reasons, structure_));
    bool failed = false;
    std::string_view error_type;
    std::string_view error_message;

    if (model.context_window > 0) {
      if (Pending(FaultKind::kContextOverflow)) {
        const FaultSpec& spec = Spec(FaultKind::kContextOverflow);
        input = static_cast<int64_t>(std::ceil(model.context_window * spec.overflow_factor));
        Apply(FaultKind::kContextOverflow);
        if (spec.overflow_as_error) {
          failed = true;
          error_type = spec.error_type;
          error_message = "input exceeds the model's context window";
          duration = std::max<int64_t>(kMs, duration / 10);
        } else {
          finish = "length";
        }
      } else if (input > model.context_window * 9 / 10) {
        input = model.context_window * 9 / 10;  // a healthy trace never overflows by accident
      }
      SetDouble(span, "agentstorm.context_window.utilization",
                static_cast<double>(input) / static_cast<double>(model.context_window));
    }
    if (!failed && Pending(FaultKind::kRateLimit)) {
      const FaultSpec& spec = Spec(FaultKind::kRateLimit);
      Apply(FaultKind::kRateLimit);
      const bool give_up = errors_.Bernoulli(spec.give_up_fraction);
      int64_t wait = 0;
      for (int i = 0; i < spec.rate_limit_retries; ++i) {
        const int64_t attempt = Overhead(20, 80);
        ExceptionEvent(span, start + wait + attempt, "RateLimitError",
                       "Error code: 429 - rate limit exceeded, retrying");
        wait += attempt + Nanos(spec.backoff.Sample(timing_));
      }
      if (give_up) {
        failed = true;
        error_type = spec.error_type;
        error_message = "rate limit exceeded after retries";
        duration = wait;
      } else {
        duration += wait;  // the span covers the whole logical operation, retries included
      }
    }
    if (!failed && Pending(FaultKind::kTimeout) && Spec(FaultKind::kTimeout).tools.empty()) {
      const FaultSpec& spec = Spec(FaultKind::kTimeout);
      Apply(FaultKind::kTimeout);
      failed = true;
      error_type = spec.error_type;
      error_message = "request timed out";
      duration = Nanos(spec.timeout_seconds);
    }

    if (!failed) {
      s_.text.assign(model.operation == "chat" ? "chatcmpl-" : "resp-");
      RandomHex(ids_, 24, &s_.text);
      SetStr(span, "gen_ai.response.id", s_.text);
      SetStr(span, "gen_ai.response.model", model.response_model);
      SetStrArray(span, "gen_ai.response.finish_reasons", {finish});
      if (deprecated_only) {
        SetInt(span, "gen_ai.usage.prompt_tokens", input);
        SetInt(span, "gen_ai.usage.completion_tokens", output);
      } else {
        SetInt(span, "gen_ai.usage.input_tokens", input);
        SetInt(span, "gen_ai.usage.output_tokens", output);
      }
      if (model.streaming) {
        if (latest_) {
          SetBool(span, "gen_ai.request.stream", true);
          const int64_t ttfc = std::min<int64_t>(Nanos(model.time_to_first_chunk.Sample(timing_)),
                                                 duration * 9 / 10);
          SetDouble(span, "gen_ai.response.time_to_first_chunk", static_cast<double>(ttfc) / 1e9);
        }
      }
      f->input_total += input;
      f->output_total += output;
      f->context_tokens += output;
      if (content_on_) CaptureChatContent(span, model, start, start + duration, finish);
    } else {
      SetInt(span, "gen_ai.usage.input_tokens", input);
      Fail(span, error_type, error_message);
      f->failed = true;
      f->error_type = std::string(error_type);
    }
    const int64_t end = start + duration;
    End(span, end);
    return {end, failed};
  }

  // Prompt and completion where the profile puts them: latest on span attributes
  // (gen_ai.input.messages / gen_ai.output.messages, JSON), v1.36 as per-message span events.
  void CaptureChatContent(SpanH span, const Model& model, int64_t start, int64_t end,
                          std::string_view finish) {
    const size_t in_bytes = static_cast<size_t>(part_.content.size_bytes.Sample(content_));
    const size_t out_bytes = std::max<size_t>(16, in_bytes / 4);
    std::string& prompt = s_.text;
    std::string& answer = s_.text2;
    prompt.clear();
    answer.clear();
    AppendFiller(content_, in_bytes, &prompt);
    AppendFiller(content_, out_bytes, &answer);
    if (latest_) {
      std::string* v = &s_.text3;
      v->assign(R"([{"role":"user","parts":[{"type":"text","content":")");
      v->append(prompt);
      v->append(R"("}]}])");
      SetStr(span, "gen_ai.input.messages", *v);
      v->assign(R"([{"role":"assistant","parts":[{"type":"text","content":")");
      v->append(answer);
      v->append(R"("}],"finish_reason":")");
      v->append(finish.data(), finish.size());
      v->append(R"("}])");
      SetStr(span, "gen_ai.output.messages", *v);
    }
    if (old_) {
      const std::string_view system = SystemForProvider(model.provider);
      o_.BeginEvent(span, base_ + static_cast<uint64_t>(start), "gen_ai.user.message");
      o_.EventStr("gen_ai.system", system);
      o_.EventStr("content", prompt);
      o_.EndEvent();
      o_.BeginEvent(span, base_ + static_cast<uint64_t>(end), "gen_ai.choice");
      o_.EventStr("gen_ai.system", system);
      o_.EventInt("index", 0);
      o_.EventStr("finish_reason", finish);
      std::string* v = &s_.text3;
      v->assign(R"({"role":"assistant","content":")");
      v->append(answer);
      v->append(R"("})");
      o_.EventStr("message", *v);
      o_.EndEvent();
    }
  }

  // ---------------------------------------------------------------- execute_tool (+ MCP)

  static bool Targets(const FaultSpec& spec, const Tool& tool, const ScenarioPart& part) {
    if (spec.tools.empty()) return true;
    for (int t : spec.tools)
      if (&part.tools[t] == &tool) return true;
    return false;
  }

  int64_t EmitExecuteTool(const Tool& tool, SpanH parent, Frame* f, int64_t start) {
    bool forced_failure = false;
    if (Pending(FaultKind::kToolFailure) && Targets(Spec(FaultKind::kToolFailure), tool, part_)) {
      forced_failure = true;  // every attempt fails: the tool is down
      Apply(FaultKind::kToolFailure);
    }
    bool timeout = false;
    if (Pending(FaultKind::kTimeout) && Targets(Spec(FaultKind::kTimeout), tool, part_)) {
      timeout = true;  // the first attempt hangs until the deadline
      Apply(FaultKind::kTimeout);
    }
    int64_t t = start;
    for (int attempt = 0; attempt <= tool.retries; ++attempt) {
      if (attempt > 0) t += Overhead(50, 250);  // retry backoff
      SpanH span = NewSpan(f->service, parent, Span::SPAN_KIND_INTERNAL, t);
      Name(span, "execute_tool", tool.name);
      SetStr(span, "gen_ai.operation.name", "execute_tool");
      SetStr(span, "gen_ai.tool.name", tool.name);
      SetStr(span, "gen_ai.tool.type", tool.type);
      s_.text.assign("call_");
      RandomHex(ids_, 24, &s_.text);
      SetStr(span, "gen_ai.tool.call.id", s_.text);
      if (!tool.description.empty()) SetStr(span, "gen_ai.tool.description", tool.description);
      if (f->agent && latest_) SetStr(span, "gen_ai.agent.name", f->agent->name);
      for (const ExtraAttribute& a : tool.attributes) WriteExtra(a, span);

      int64_t duration = std::max<int64_t>(kMs / 10, Nanos(tool.latency.Sample(timing_)));
      bool failed = forced_failure || errors_.Bernoulli(tool.error_rate);
      std::string_view error_type;
      if (timeout && attempt == 0) {
        failed = true;
        duration = Nanos(Spec(FaultKind::kTimeout).timeout_seconds);
        error_type = Spec(FaultKind::kTimeout).error_type;
      } else if (forced_failure && !Spec(FaultKind::kToolFailure).error_type.empty()) {
        error_type = Spec(FaultKind::kToolFailure).error_type;
      } else if (failed) {
        error_type = PickWeighted(tool.error_types, errors_);
      }
      if (content_on_ && latest_) {
        std::string* v = &s_.text3;
        v->assign(R"({"query":")");
        AppendFiller(content_, 48, v);
        v->append(R"("})");
        SetStr(span, "gen_ai.tool.call.arguments", *v);
      }
      if (tool.mcp) EmitMcp(tool, *tool.mcp, span, f, t, duration, failed);
      if (failed) {
        ExceptionEvent(span, t + duration, error_type, "tool call failed");
        Fail(span, error_type, "tool call failed");
      } else {
        f->context_tokens += 200;  // the tool result goes back into the conversation
        if (content_on_ && latest_) {
          std::string* v = &s_.text3;
          v->assign(R"({"result":")");
          AppendFiller(content_, 96, v);
          v->append(R"("})");
          SetStr(span, "gen_ai.tool.call.result", *v);
        }
      }
      t += duration;
      End(span, t);
      if (!failed) break;
    }
    return t;
  }

  // mcp.client under the execute_tool span, mcp.server in the MCP server's own service.
  void EmitMcp(const Tool& tool, const McpBinding& mcp, SpanH tool_span, Frame* f, int64_t start,
               int64_t duration, bool failed) {
    const int64_t pad = std::min<int64_t>(duration / 10, kMs);
    SpanH client = NewSpan(f->service, tool_span, Span::SPAN_KIND_CLIENT, start + pad);
    s_.text2.assign(std::to_string(++jsonrpc_id_));
    FillMcp(client, tool, mcp);
    Server(client, mcp.server_address, mcp.server_port);
    const int64_t net = std::min<int64_t>(duration / 10, 2 * kMs);
    SpanH server = NewSpan(mcp.server_service, client, Span::SPAN_KIND_SERVER, start + pad + net);
    FillMcp(server, tool, mcp);
    if (failed) {
      Fail(client, "tool_error", "tool returned isError");
      Fail(server, "tool_error", "tool returned isError");
    }
    End(server, start + duration - pad - net);
    End(client, start + duration - pad);
  }

  void FillMcp(SpanH span, const Tool& tool, const McpBinding& mcp) {
    Name(span, mcp.method, tool.name);
    SetStr(span, "mcp.method.name", mcp.method);
    SetStr(span, "gen_ai.tool.name", tool.name);
    SetStr(span, "gen_ai.operation.name", "execute_tool");
    SetStr(span, "jsonrpc.request.id", s_.text2);
    if (mcp_session_.empty()) {
      mcp_session_.reserve(32);
      RandomHex(ids_, 32, &mcp_session_);
    }
    SetStr(span, "mcp.session.id", mcp_session_);
    SetStr(span, "mcp.protocol.version", mcp.protocol_version);
    SetStr(span, "network.transport", mcp.transport);
  }

  // ---------------------------------------------------------------- RAG, create_agent, workflow

  int64_t EmitEmbeddings(const Model& model, SpanH parent, Frame* f, int64_t start) {
    SpanH span = NewSpan(f->service, parent, Span::SPAN_KIND_CLIENT, start);
    Name(span, "embeddings", model.request_model);
    SetStr(span, "gen_ai.operation.name", "embeddings");
    Provider(span, model.provider);
    SetStr(span, "gen_ai.request.model", model.request_model);
    SetStr(span, "gen_ai.response.model", model.response_model);
    Server(span, model.server_address, model.server_port);
    SetStrArray(span, "gen_ai.request.encoding_formats", {"float"});
    SetInt(span, "gen_ai.usage.input_tokens",
           std::max<int64_t>(1, std::llround(model.input_tokens.Sample(tokens_))));
    if (latest_ && model.embedding_dimensions > 0)
      SetInt(span, "gen_ai.embeddings.dimension.count", model.embedding_dimensions);
    const int64_t end = start + std::max<int64_t>(kMs, Nanos(model.latency.Sample(timing_)));
    End(span, end);
    return end;
  }

  int64_t EmitRetrieval(const Step& step, SpanH parent, Frame* f, int64_t start) {
    SpanH span;
    if (latest_) {
      span = NewSpan(f->service, parent, Span::SPAN_KIND_CLIENT, start);
      Name(span, "retrieval", step.data_source);
      SetStr(span, "gen_ai.operation.name", "retrieval");
      SetStr(span, "gen_ai.data_source.id", step.data_source);
      SetInt(span, "gen_ai.retrieval.top_k", step.top_k);
      Provider(span, step.provider);
    } else {
      // v1.36 has no retrieval operation: instrumentations report a datastore tool.
      span = NewSpan(f->service, parent, Span::SPAN_KIND_INTERNAL, start);
      Name(span, "execute_tool", step.data_source);
      SetStr(span, "gen_ai.operation.name", "execute_tool");
      SetStr(span, "gen_ai.tool.name", step.data_source);
      SetStr(span, "gen_ai.tool.type", "datastore");
      SetStr(span, "gen_ai.data_source.id", step.data_source);
    }
    Server(span, step.server_address, step.server_port);
    f->context_tokens += 100 * step.top_k;
    const int64_t end = start + std::max<int64_t>(kMs / 10, Nanos(step.latency.Sample(timing_)));
    End(span, end);
    return end;
  }

  int64_t EmitCreateAgent(const Agent& agent, SpanH parent, Frame* f, int64_t start) {
    const Model* model = agent.model >= 0 ? &part_.models[agent.model] : nullptr;
    SpanH span = NewSpan(f->service, parent, Span::SPAN_KIND_CLIENT, start);
    Name(span, "create_agent", agent.name);
    SetStr(span, "gen_ai.operation.name", "create_agent");
    Provider(span, !agent.provider.empty() ? std::string_view(agent.provider)
                   : model                 ? std::string_view(model->provider)
                                           : std::string_view());
    SetStr(span, "gen_ai.agent.name", agent.name);
    if (!agent.id.empty()) SetStr(span, "gen_ai.agent.id", agent.id);
    if (!agent.description.empty()) SetStr(span, "gen_ai.agent.description", agent.description);
    if (latest_ && !agent.version.empty()) SetStr(span, "gen_ai.agent.version", agent.version);
    if (model) {
      SetStr(span, "gen_ai.request.model", model->request_model);
      Server(span, model->server_address, model->server_port);
    }
    const int64_t end = start + Overhead(80, 300);
    End(span, end);
    return end;
  }

  int64_t EmitWorkflow(const Workflow& wf, SpanH parent, int caller_service, int64_t start,
                       Frame* caller = nullptr) {
    (void)caller_service;
    SpanH span = NewSpan(wf.service, parent, Span::SPAN_KIND_INTERNAL, start);
    if (latest_) {
      Name(span, "invoke_workflow", wf.name);
      SetStr(span, "gen_ai.operation.name", "invoke_workflow");
      SetStr(span, "gen_ai.workflow.name", wf.name);
    } else {
      Name(span, wf.name, "");  // v1.36 has no workflow span: a plain framework span
    }
    if (!conversation_.empty() && latest_) SetStr(span, "gen_ai.conversation.id", conversation_);
    Frame f;
    f.service = wf.service;
    int64_t t = start + Overhead(1, 3);
    t = RunSteps(wf.steps, span, &f, t);
    t += Overhead(1, 3);
    if (f.failed) {
      Fail(span, f.error_type, "workflow failed");
      if (caller) {
        caller->failed = true;
        caller->error_type = f.error_type;
      }
    }
    End(span, t);
    return t;
  }

  // ---------------------------------------------------------------- broken instrumentation

  void PostProcessDefects() {
    if (!Pending(FaultKind::kOrphanSpan) && !Pending(FaultKind::kMissingRoot)) return;
    // The root is the first span of the first slot (it is created first).
    if (Pending(FaultKind::kOrphanSpan) && span_count_ >= 2) {
      // Re-parent one non-root span onto an ID that is not in the trace.
      static thread_local std::vector<SpanH> parented;
      o_.CollectParented(&parented);
      if (!parented.empty()) {
        SpanH victim = parented[structure_.NextInt(0, static_cast<int64_t>(parented.size()) - 1)];
        uint64_t id = 0;
        while (id == 0) id = ids_.Next();
        o_.SetParent(victim, id);
        Apply(FaultKind::kOrphanSpan);
      }
    }
    if (Pending(FaultKind::kMissingRoot) && span_count_ >= 2) {
      o_.RemoveRoot();
      --span_count_;
      Apply(FaultKind::kMissingRoot);
    }
  }

  Out& o_;
  const ScenarioPart& part_;
  const Variant& variant_;
  const SynthesizerOptions& opt_;
  SynthesizedTrace* out_;
  const bool latest_, old_;
  CounterRng ids_, structure_, timing_, tokens_, errors_, content_, attrs_;
  Scratch& s_;

 public:
  uint64_t base_ = 0;

 private:
  bool content_on_ = false;
  std::string conversation_;
  std::string mcp_session_;
  uint32_t pending_ = 0;
  uint32_t applied_ = 0;
  const FaultSpec* spec_[kFaultKindCount] = {};
  bool seen_chat_ = false;
  bool any_error_ = false;
  uint32_t span_count_ = 0;
  int64_t duration_ns_ = 0;
  uint64_t jsonrpc_id_ = 0;
};

int ClassRank(TraceClass c) {
  switch (c) {
    case TraceClass::kNormal:
      return 0;
    case TraceClass::kSlow:
      return 1;
    case TraceClass::kError:
      return 2;
    case TraceClass::kOverflow:
      return 3;
    case TraceClass::kRunaway:
      return 4;
  }
  return 0;
}

// ---------------------------------------------------------------- analytic maximum

struct MaxCounter {
  const ScenarioPart& part;
  double runaway_max;  // 0 when no runaway can happen

  double Agent(const agentstorm::Agent& a, int caller_service) const {
    double n = (caller_service >= 0 && caller_service != a.service) ? 2 : 1;
    return n + Steps(a.steps, a.service);
  }
  double Tool(const agentstorm::Tool& t) const { return (t.retries + 1) * (t.mcp ? 3.0 : 1.0); }
  double Steps(const std::vector<Step>& steps, int service) const {
    double n = 0;
    for (const Step& s : steps) {
      switch (s.kind) {
        case Step::Kind::kChat:
        case Step::Kind::kEmbeddings:
        case Step::Kind::kRetrieval:
        case Step::Kind::kCreateAgent:
          n += 1;
          break;
        case Step::Kind::kTool:
          n += Tool(part.tools[s.tools[0]]);
          break;
        case Step::Kind::kToolLoop: {
          double worst_tool = 0;
          for (int t : s.tools) worst_tool = std::max(worst_tool, Tool(part.tools[t]));
          double iters =
              std::min<double>(s.max_iterations, std::max(1.0, std::round(s.iterations.Max())));
          iters = std::max(iters, runaway_max);
          n += iters * (1 + s.tools_per_iteration * worst_tool) + 1;
          break;
        }
        case Step::Kind::kFanOut:
        case Step::Kind::kHandoff:
          for (int a : s.agents) n += Agent(part.agents[a], service);
          break;
        case Step::Kind::kInvokeWorkflow: {
          const Workflow& w = part.workflows[s.workflow];
          n += 1 + Steps(w.steps, w.service);
          break;
        }
      }
    }
    return n;
  }
};

}  // namespace

TraceSynthesizer::TraceSynthesizer(std::shared_ptr<const Scenario> scenario,
                                   SynthesizerOptions options)
    : scenario_(std::move(scenario)),
      options_(options),
      tables_(std::make_shared<EncoderTables>(*scenario_)) {
  double acc = 0;
  for (const Variant& v : scenario_->variants) {
    acc += v.weight;
    variant_cumulative_.push_back(acc);
  }
  if (!variant_cumulative_.empty()) variant_cumulative_.back() = std::max(acc, 1.0);
  if (options_.estimate_shapes) ComputeShapes();
}

int TraceSynthesizer::VariantOf(uint64_t index) const {
  CounterRng r = CounterRng(MixKeys(options_.seed, index)).Fork("variant");
  const double u = r.NextDouble() * variant_cumulative_.back();
  const auto it = std::upper_bound(variant_cumulative_.begin(), variant_cumulative_.end(), u);
  return static_cast<int>(
      std::min<size_t>(it - variant_cumulative_.begin(), variant_cumulative_.size() - 1));
}

TraceId TraceSynthesizer::TraceIdOf(uint64_t index) const {
  // Two independent 64-bit halves of a bijective mix of (seed, run ID, index): distinct indices
  // give distinct high halves, so IDs never collide within a run.
  uint64_t key = MixKeys(options_.seed, 0x7472616365ULL);  // "trace"
  if (options_.run_id != 0) key = MixKeys(key, options_.run_id);
  const uint64_t hi = Mix64(key ^ Mix64(index));
  uint64_t lo = Mix64(hi ^ 0x5bd1e9955bd1e995ULL ^ key);
  if (hi == 0 && lo == 0) lo = 1;
  TraceId id;
  for (int i = 0; i < 8; ++i) {
    id[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    id[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return id;
}

namespace {

// The facts the ledger records, common to both outputs.
template <class Out>
void FinishMeta(const TraceBuilder<Out>& b, const Variant& variant, const ScenarioPart& part,
                SynthesizedTrace* out) {
  out->span_count = b.span_count();
  out->faults = b.applied();
  out->start_unix_nano = b.base_;
  out->end_unix_nano = b.base_ + static_cast<uint64_t>(b.duration_ns());
  TraceClass cls = variant.expected_class;
  auto raise = [&cls](TraceClass c) {
    if (ClassRank(c) > ClassRank(cls)) cls = c;
  };
  if (part.slow_threshold_seconds > 0 && b.duration_ns() > Nanos(part.slow_threshold_seconds))
    raise(TraceClass::kSlow);
  if (b.any_error()) raise(TraceClass::kError);
  if (b.applied() & FaultBit(FaultKind::kContextOverflow)) raise(TraceClass::kOverflow);
  if (b.applied() & FaultBit(FaultKind::kRunawayLoop)) raise(TraceClass::kRunaway);
  out->expected_class = cls;
}

thread_local WireTraceWriter tls_wire;

}  // namespace

void TraceSynthesizer::Synthesize(uint64_t index, int phase, SynthesizedTrace* out) const {
  const int v = VariantOf(index);
  const Variant& variant = scenario_->variants[v];
  const ScenarioPart& part = scenario_->parts[variant.part];

  out->index = index;
  out->variant = static_cast<uint16_t>(v);
  out->trace_id = TraceIdOf(index);
  for (auto& rs : out->resource_spans)
    if (rs.scope_spans_size() > 0)
      ClearSpansKeepingAttributes(rs.mutable_scope_spans(0)->mutable_spans());

  const CounterRng root = CounterRng(MixKeys(options_.seed, index)).Fork("trace");
  ProtoOut o(out, part, part.semconv != SemconvProfile::kV136);
  TraceBuilder<ProtoOut> b(*scenario_, variant, part, options_, index, phase, out, root, &o);
  b.base_ = options_.start_unix_nano + index * options_.trace_interval_nanos;
  b.Build();
  if (static_cast<int>(out->resource_spans.size()) > b.used_slots())
    out->resource_spans.resize(b.used_slots());
  FinishMeta(b, variant, part, out);
}

void TraceSynthesizer::SynthesizeEncoded(uint64_t index, int phase, SynthesizedTrace* meta,
                                         std::string* out) const {
  if (options_.reference_encoding) {
    TraceSource::SynthesizeEncoded(index, phase, meta, out);
    return;
  }
  SynthesizeEncodedAt(index, phase,
                      options_.start_unix_nano + index * options_.trace_interval_nanos, meta, out);
}

void TraceSynthesizer::SynthesizeEncodedAt(uint64_t index, int phase, uint64_t start_unix_nano,
                                           SynthesizedTrace* meta, std::string* out) const {
  const int v = VariantOf(index);
  const Variant& variant = scenario_->variants[v];
  const ScenarioPart& part = scenario_->parts[variant.part];
  meta->index = index;
  meta->variant = static_cast<uint16_t>(v);
  meta->trace_id = TraceIdOf(index);
  meta->resource_spans.clear();

  const CounterRng root = CounterRng(MixKeys(options_.seed, index)).Fork("trace");
  WireTraceWriter& w = tls_wire;
  w.Begin(tables_.get(), meta->trace_id.data(), variant.part, part.semconv != SemconvProfile::kV136,
          part.services.size());
  TraceBuilder<WireOut> b(*scenario_, variant, part, options_, index, phase, meta, root, &w);
  b.base_ = start_unix_nano;
  b.Build();
  w.Finish(out);
  FinishMeta(b, variant, part, meta);
}

void TraceSynthesizer::ComputeShapes() {
  const Scenario& sc = *scenario_;
  shapes_.assign(sc.variants.size(), {});
  // Mean: a deterministic sample of traces per variant, content capture off (it adds no spans).
  SynthesizerOptions opt = options_;
  opt.skip_content = true;
  opt.seed = 0x5eed;
  opt.load = options_.load;
  constexpr int kSamples = 200;
  SynthesizedTrace t;
  for (size_t v = 0; v < sc.variants.size(); ++v) {
    const Variant& variant = sc.variants[v];
    const ScenarioPart& part = sc.parts[variant.part];
    double runaway_max = 0;
    for (const FaultSpec& f : part.faults) {
      bool possible = f.rate > 0;
      if (auto it = variant.fault_rates.find(f.kind); it != variant.fault_rates.end())
        possible = it->second > 0;
      if (sc.load)
        for (const RatePhase& ph : sc.load->phases)
          if (auto it = ph.fault_overrides.find(FaultKindName(f.kind));
              it != ph.fault_overrides.end() && it->second > 0)
            possible = true;
      if (f.kind == FaultKind::kRunawayLoop && possible)
        runaway_max = std::min<double>(kMaxRunawayIterations, f.iterations.Max());
    }
    MaxCounter mc{part, runaway_max};
    shapes_[v].max_spans = static_cast<uint32_t>(
        variant.entry_is_workflow ? 1 + mc.Steps(part.workflows[variant.entry].steps,
                                                 part.workflows[variant.entry].service)
                                  : mc.Agent(part.agents[variant.entry], -1));
    // Sample this variant by building its traces directly.
    double spans = 0, seconds = 0;
    std::vector<bool> seen(part.services.size(), false);
    for (int i = 0; i < kSamples; ++i) {
      t.trace_id = TraceIdOf(i);
      for (auto& rs : t.resource_spans)
        if (rs.scope_spans_size() > 0)
          ClearSpansKeepingAttributes(rs.mutable_scope_spans(0)->mutable_spans());
      const CounterRng root = CounterRng(MixKeys(opt.seed, i)).Fork("trace");
      ProtoOut o(&t, part, part.semconv != SemconvProfile::kV136);
      TraceBuilder<ProtoOut> b(sc, variant, part, opt, i, -1, &t, root, &o);
      b.Build();
      spans += b.span_count();
      seconds += static_cast<double>(b.duration_ns()) / 1e9;
      for (int s = 0; s < b.used_slots(); ++s) {
        const std::string& name =
            t.resource_spans[s].resource().attributes(0).value().string_value();
        for (size_t k = 0; k < part.services.size(); ++k)
          if (part.services[k].name == name) seen[k] = true;
      }
      t.resource_spans.resize(b.used_slots());
    }
    shapes_[v].mean_spans = spans / kSamples;
    shapes_[v].mean_duration_seconds = seconds / kSamples;
    for (size_t k = 0; k < part.services.size(); ++k)
      if (seen[k]) shapes_[v].services.push_back(part.services[k].name);
  }
  mean_spans_ = 0;
  for (size_t v = 0; v < sc.variants.size(); ++v)
    mean_spans_ += sc.variants[v].weight * shapes_[v].mean_spans;
}

}  // namespace agentstorm
