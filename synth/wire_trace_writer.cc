#include "synth/wire_trace_writer.h"

#include <cstring>

#include "synth/encoder_tables.h"

namespace agentstorm {

void WireTraceWriter::Begin(const EncoderTables* tables, const uint8_t* trace_id, int part,
                            bool latest, size_t services) {
  tables_ = tables;
  std::memcpy(trace_id_, trace_id, 16);
  part_ = part;
  latest_ = latest;
  slot_of_service_.assign(services, -1);
  n_slots_ = 0;
  n_spans_ = 0;
}

WireTraceWriter::SpanHandle WireTraceWriter::NewSpan(int service, const Service& svc,
                                                     CounterRng* attrs, SpanHandle parent, int kind,
                                                     uint64_t start_unix_nano, uint64_t span_id) {
  int& slot = slot_of_service_[service];
  if (slot < 0) {
    slot = static_cast<int>(n_slots_++);
    if (slots_.size() < n_slots_) slots_.emplace_back();
    Slot& s = slots_[slot];
    s.resource = tables_->Resource(part_, service);
    if (s.resource == nullptr) {
      s.pooled_resource.Clear();
      EncodeResource(svc, attrs, &s.pooled_resource);
    }
  }
  if (spans_.size() <= n_spans_) spans_.emplace_back();
  const SpanHandle h = static_cast<SpanHandle>(n_spans_++);
  SpanRecord& r = spans_[h];
  r.id = span_id;
  r.parent = parent == kNoSpan ? 0 : spans_[parent].id;
  r.start = start_unix_nano;
  r.end = 0;
  r.slot = slot;
  r.kind = kind;
  r.removed = false;
  r.error = false;
  r.name.clear();
  r.body.Clear();
  return h;
}

void WireTraceWriter::SetName(SpanHandle h, std::string_view a, std::string_view b) {
  std::string& n = spans_[h].name;
  n.assign(a.data(), a.size());
  if (!b.empty()) {
    n.push_back(' ');
    n.append(b.data(), b.size());
  }
}

void WireTraceWriter::SetError(SpanHandle h, std::string_view message) {
  spans_[h].error = true;
  spans_[h].status_message.assign(message.data(), message.size());
}

void WireTraceWriter::BeginEvent(SpanHandle h, uint64_t time_unix_nano, std::string_view name) {
  event_span_ = h;
  event_time_ = time_unix_nano;
  event_name_ = name;
  event_.Clear();
}

void WireTraceWriter::EndEvent() {
  // Span.Event{time_unix_nano: 1 fixed64, name: 2, attributes: 3...}
  const size_t len = (event_time_ ? 9 : 0) +
                     (event_name_.empty() ? 0 : protowire::LenFieldSize(event_name_.size())) +
                     event_.size();
  protowire::Buffer& body = spans_[event_span_].body;
  char* p = body.Reserve(1 + 10 + len);
  *p++ = wire::kTagSpanEvent;
  p = protowire::PutVarint(p, len);
  if (event_time_) {
    *p++ = 0x09;
    p = protowire::PutFixed64(p, event_time_);
  }
  if (!event_name_.empty()) p = protowire::PutLenField(p, 0x12, event_name_);
  body.Commit(protowire::PutBytes(p, event_.view()));
  event_span_ = kNoSpan;
}

void WireTraceWriter::CollectParented(std::vector<SpanHandle>* out) const {
  out->clear();
  for (size_t slot = 0; slot < n_slots_; ++slot)
    for (size_t i = 0; i < n_spans_; ++i)
      if (spans_[i].slot == static_cast<int32_t>(slot) && !spans_[i].removed &&
          spans_[i].parent != 0)
        out->push_back(static_cast<SpanHandle>(i));
}

void WireTraceWriter::RemoveRoot() {
  if (n_spans_ > 0) spans_[0].removed = true;
}

size_t WireTraceWriter::EncodedSpanSize(const SpanRecord& s) const {
  size_t n = 18 + 10;  // trace_id, span_id
  if (s.parent != 0) n += 10;
  if (!s.name.empty()) n += protowire::LenFieldSize(s.name.size());
  if (s.kind != 0) n += 1 + protowire::VarintSize(static_cast<uint64_t>(s.kind));
  if (s.start != 0) n += 9;
  if (s.end != 0) n += 9;
  n += s.body.size();
  if (s.error) {
    const size_t st =
        (s.status_message.empty() ? 0 : protowire::LenFieldSize(s.status_message.size())) + 2;
    n += protowire::LenFieldSize(st);
  }
  return n;
}

char* WireTraceWriter::PutSpan(char* p, const SpanRecord& s) const {
  *p++ = wire::kTagSpan;
  p = protowire::PutVarint(p, s.encoded);
  *p++ = 0x0A;  // trace_id
  *p++ = 16;
  std::memcpy(p, trace_id_, 16);
  p += 16;
  *p++ = 0x12;  // span_id
  *p++ = 8;
  p = protowire::PutFixed64(p, s.id);
  if (s.parent != 0) {
    *p++ = 0x22;  // parent_span_id
    *p++ = 8;
    p = protowire::PutFixed64(p, s.parent);
  }
  if (!s.name.empty()) p = protowire::PutLenField(p, 0x2A, s.name);
  if (s.kind != 0) {
    *p++ = 0x30;
    p = protowire::PutVarint(p, static_cast<uint64_t>(s.kind));
  }
  if (s.start != 0) {
    *p++ = 0x39;
    p = protowire::PutFixed64(p, s.start);
  }
  if (s.end != 0) {
    *p++ = 0x41;
    p = protowire::PutFixed64(p, s.end);
  }
  p = protowire::PutBytes(p, s.body.view());
  if (s.error) {
    // Span.status (15): Status{message: 2, code: 3 = STATUS_CODE_ERROR}
    const size_t st =
        (s.status_message.empty() ? 0 : protowire::LenFieldSize(s.status_message.size())) + 2;
    *p++ = 0x7A;
    p = protowire::PutVarint(p, st);
    if (!s.status_message.empty()) p = protowire::PutLenField(p, 0x12, s.status_message);
    *p++ = 0x18;
    *p++ = 2;
  }
  return p;
}

void WireTraceWriter::Finish(std::string* out) {
  const std::string& scope = tables_->Scope();
  const std::string& schema = tables_->SchemaUrl(latest_);
  for (size_t k = 0; k < n_slots_; ++k) slots_[k].scope_spans = scope.size() + schema.size();
  for (size_t i = 0; i < n_spans_; ++i) {
    SpanRecord& s = spans_[i];
    if (s.removed) continue;
    s.encoded = EncodedSpanSize(s);
    slots_[s.slot].scope_spans += protowire::LenFieldSize(s.encoded);
  }
  size_t total = 0;
  for (size_t k = 0; k < n_slots_; ++k) {
    Slot& slot = slots_[k];
    const size_t res = slot.resource ? slot.resource->size() : slot.pooled_resource.size();
    slot.resource_spans = protowire::LenFieldSize(res) + protowire::LenFieldSize(slot.scope_spans);
    total += protowire::LenFieldSize(slot.resource_spans);
  }
  const size_t old = out->size();
  out->resize(old + total);
  char* p = out->data() + old;
  for (size_t k = 0; k < n_slots_; ++k) {
    Slot& slot = slots_[k];
    *p++ = wire::kTagResourceSpans;
    p = protowire::PutVarint(p, slot.resource_spans);
    p = protowire::PutLenField(
        p, wire::kTagResource,
        slot.resource ? std::string_view(*slot.resource) : slot.pooled_resource.view());
    *p++ = wire::kTagScopeSpans;
    p = protowire::PutVarint(p, slot.scope_spans);
    p = protowire::PutBytes(p, scope);
    for (size_t i = 0; i < n_spans_; ++i) {
      const SpanRecord& s = spans_[i];
      if (s.removed || s.slot != static_cast<int32_t>(k)) continue;
      p = PutSpan(p, s);
    }
    p = protowire::PutBytes(p, schema);
  }
}

}  // namespace agentstorm
