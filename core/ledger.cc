#include "core/ledger.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/run_id.h"

namespace agentstorm {
namespace {

constexpr char kMagic[8] = {'A', 'G', 'S', 'T', 'L', 'D', 'G', 'R'};
constexpr uint64_t kEndMarkerIndex = UINT64_MAX;

uint32_t Crc32(const uint8_t* data, size_t n) {
  return static_cast<uint32_t>(crc32(0L, data, static_cast<uInt>(n)));
}

void Put16(uint8_t* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

class ByteWriter {
 public:
  void U16(uint16_t v) { Grow(2), Put16(&bytes_[bytes_.size() - 2], v); }
  void U32(uint32_t v) { Grow(4), Put32(&bytes_[bytes_.size() - 4], v); }
  void U64(uint64_t v) { Grow(8), Put64(&bytes_[bytes_.size() - 8], v); }
  void Raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void Str(const std::string& s) { U32(static_cast<uint32_t>(s.size())), Raw(s.data(), s.size()); }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void Grow(size_t n) { bytes_.resize(bytes_.size() + n); }
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool U16(uint16_t* v) { return Take(2) && (*v = Get16(p_ + at_ - 2), true); }
  bool U32(uint32_t* v) { return Take(4) && (*v = Get32(p_ + at_ - 4), true); }
  bool U64(uint64_t* v) { return Take(8) && (*v = Get64(p_ + at_ - 8), true); }
  bool Str(std::string* s) {
    uint32_t len = 0;
    if (!U32(&len) || !Take(len)) return false;
    s->assign(reinterpret_cast<const char*>(p_ + at_ - len), len);
    return true;
  }

 private:
  bool Take(size_t k) {
    if (n_ - at_ < k) return false;
    at_ += k;
    return true;
  }
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
};

std::vector<uint8_t> EncodeHeader(const LedgerHeader& h) {
  ByteWriter w;
  w.Raw(kMagic, sizeof(kMagic));
  w.U32(h.version);
  w.U32(0);  // header size, patched below
  w.U64(h.scenario_hash);
  w.U64(h.seed);
  w.U32(h.shard.index);
  w.U32(h.shard.count);
  w.U64(h.run_start_unix_nano);
  w.U16(static_cast<uint16_t>(kLedgerRecordSize));
  w.U16(static_cast<uint16_t>(h.endpoints.size()));
  if (h.version >= 2) w.U64(h.run_id);
  w.Str(h.semconv_profile);
  w.Str(h.scenario_path);
  w.Str(h.load);
  for (const std::string& e : h.endpoints) w.Str(e);
  if (h.version >= 3) w.Str(h.attribute_overrides);
  std::vector<uint8_t>& b = w.bytes();
  Put32(&b[12], static_cast<uint32_t>(b.size() + 4));
  const uint32_t crc = Crc32(b.data(), b.size());
  b.resize(b.size() + 4);
  Put32(&b[b.size() - 4], crc);
  return b;
}

absl::Status Corrupt(const std::string& path, const std::string& why) {
  return absl::DataLossError("ledger " + path + ": " + why);
}

// Parses the header at the start of `data`; sets *size to its length in bytes.
absl::StatusOr<LedgerHeader> DecodeHeader(const std::string& path, const std::vector<uint8_t>& data,
                                          size_t* size) {
  if (data.size() < 16 || std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0)
    return Corrupt(path, "not an agentstorm ledger (bad magic)");
  LedgerHeader h;
  h.version = Get32(&data[8]);
  if (h.version < 1 || h.version > kLedgerVersion)
    return Corrupt(path, "unsupported ledger version " + std::to_string(h.version));
  const uint32_t header_size = Get32(&data[12]);
  if (header_size < (h.version == 1 ? 56u : 64u) || header_size > data.size())
    return Corrupt(path, "header cut short");
  if (Crc32(data.data(), header_size - 4) != Get32(&data[header_size - 4]))
    return Corrupt(path, "header checksum mismatch");
  ByteReader r(data.data() + 16, header_size - 20);
  uint16_t record_size = 0, endpoints = 0;
  bool ok = r.U64(&h.scenario_hash) && r.U64(&h.seed) && r.U32(&h.shard.index) &&
            r.U32(&h.shard.count) && r.U64(&h.run_start_unix_nano) && r.U16(&record_size) &&
            r.U16(&endpoints) && (h.version == 1 || r.U64(&h.run_id)) &&
            r.Str(&h.semconv_profile) && r.Str(&h.scenario_path) && r.Str(&h.load);
  for (uint16_t i = 0; ok && i < endpoints; ++i) ok = r.Str(&h.endpoints.emplace_back());
  if (ok && h.version >= 3) ok = r.Str(&h.attribute_overrides);
  if (!ok) return Corrupt(path, "header fields do not fit its size");
  if (record_size != kLedgerRecordSize)
    return Corrupt(path, "unexpected record size " + std::to_string(record_size));
  if (h.shard.count == 0 || h.shard.index >= h.shard.count)
    return Corrupt(path, "invalid shard in header");
  *size = header_size;
  return h;
}

bool SameRun(const LedgerHeader& a, const LedgerHeader& b) {
  return a.scenario_hash == b.scenario_hash && a.seed == b.seed && a.run_id == b.run_id &&
         a.shard.count == b.shard.count && a.endpoints == b.endpoints &&
         a.attribute_overrides == b.attribute_overrides;
}

}  // namespace

const char* DeliveryOutcomeName(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::kNone:
      return "none";
    case DeliveryOutcome::kAcknowledged:
      return "acknowledged";
    case DeliveryOutcome::kRejected:
      return "rejected";
    case DeliveryOutcome::kFailed:
      return "failed";
    case DeliveryOutcome::kNotSent:
      return "not_sent";
  }
  return "unknown";
}

DeliveryOutcome LedgerRecord::Worst(size_t endpoints) const {
  DeliveryOutcome worst = DeliveryOutcome::kNone;
  for (size_t i = 0; i < std::min<size_t>(endpoints, kLedgerMaxEndpoints); ++i)
    worst = std::max(worst, outcome(i));
  return worst;
}

void EncodeLedgerRecord(const LedgerRecord& r, uint8_t out[kLedgerRecordSize]) {
  std::memset(out, 0, kLedgerRecordSize);
  Put64(out + 0, r.index);
  std::memcpy(out + 8, r.trace_id.data(), 16);
  Put64(out + 24, r.start_unix_nano);
  Put64(out + 32, r.answered_unix_nano);
  Put32(out + 40, r.span_count);
  Put16(out + 44, r.faults);
  Put16(out + 46, static_cast<uint16_t>(r.phase));
  Put16(out + 48, r.variant);
  out[50] = static_cast<uint8_t>(r.expected_class);
  Put64(out + 52, r.outcome_bits);  // endpoint e in byte 52 + e/2, low nibble for even e
  Put32(out + 60, Crc32(out, 60));
}

bool DecodeLedgerRecord(const uint8_t in[kLedgerRecordSize], LedgerRecord* r) {
  if (Crc32(in, 60) != Get32(in + 60)) return false;
  r->index = Get64(in + 0);
  std::memcpy(r->trace_id.data(), in + 8, 16);
  r->start_unix_nano = Get64(in + 24);
  r->answered_unix_nano = Get64(in + 32);
  r->span_count = Get32(in + 40);
  r->faults = Get16(in + 44);
  r->phase = static_cast<int16_t>(Get16(in + 46));
  r->variant = Get16(in + 48);
  r->expected_class = static_cast<TraceClass>(in[50]);
  r->outcome_bits = Get64(in + 52);
  return true;
}

// ---------------------------------------------------------------- writer

LedgerWriter::LedgerWriter(std::FILE* file, std::string path)
    : file_(file), path_(std::move(path)) {}

LedgerWriter::~LedgerWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::StatusOr<std::unique_ptr<LedgerWriter>> LedgerWriter::Create(const std::string& path,
                                                                   const LedgerHeader& header) {
  if (header.endpoints.size() > static_cast<size_t>(kLedgerMaxEndpoints))
    return absl::InvalidArgumentError("a ledger records at most " +
                                      std::to_string(kLedgerMaxEndpoints) + " endpoints");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    return absl::InvalidArgumentError("cannot create ledger " + path + ": " + std::strerror(errno));
  const std::vector<uint8_t> bytes = EncodeHeader(header);
  if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fflush(f) != 0) {
    std::fclose(f);
    return absl::InternalError("cannot write ledger " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<LedgerWriter>(new LedgerWriter(f, path));
}

absl::Status LedgerWriter::Append(const LedgerRecord& record) {
  uint8_t buf[kLedgerRecordSize];
  EncodeLedgerRecord(record, buf);
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) return absl::FailedPreconditionError("ledger " + path_ + " is closed");
  if (!error_.ok()) return error_;
  if (std::fwrite(buf, 1, sizeof(buf), file_) != sizeof(buf))
    error_ = absl::InternalError("cannot write ledger " + path_ + ": " + std::strerror(errno));
  ++records_;
  return error_;
}

absl::Status LedgerWriter::Flush() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr && error_.ok() && std::fflush(file_) != 0)
    error_ = absl::InternalError("cannot write ledger " + path_ + ": " + std::strerror(errno));
  return error_;
}

absl::Status LedgerWriter::Close() {
  LedgerRecord end;
  end.index = kEndMarkerIndex;
  uint8_t buf[kLedgerRecordSize];
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) return error_;
  end.start_unix_nano = records_;
  EncodeLedgerRecord(end, buf);
  if (error_.ok() && std::fwrite(buf, 1, sizeof(buf), file_) != sizeof(buf))
    error_ = absl::InternalError("cannot write ledger " + path_ + ": " + std::strerror(errno));
  if (std::fclose(file_) != 0 && error_.ok())
    error_ = absl::InternalError("cannot close ledger " + path_ + ": " + std::strerror(errno));
  file_ = nullptr;
  return error_;
}

uint64_t LedgerWriter::records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

// ---------------------------------------------------------------- reader

bool Ledger::complete() const {
  if (!MissingShards().empty()) return false;
  return std::all_of(files.begin(), files.end(),
                     [](const LedgerFileInfo& f) { return f.complete; });
}

std::vector<uint32_t> Ledger::MissingShards() const {
  std::set<uint32_t> present;
  for (const LedgerFileInfo& f : files) present.insert(f.header.shard.index);
  std::vector<uint32_t> missing;
  for (uint32_t i = 0; i < header.shard.count; ++i)
    if (!present.count(i)) missing.push_back(i);
  return missing;
}

absl::StatusOr<Ledger> ReadLedgers(const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("no ledger given");
  Ledger ledger;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError("cannot open ledger " + path);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    size_t at = 0;
    auto header = DecodeHeader(path, data, &at);
    if (!header.ok()) return header.status();
    LedgerFileInfo info;
    info.path = path;
    info.header = *header;
    if (ledger.files.empty()) {
      ledger.header = *header;
      ledger.header.shard = ShardSpec{0, header->shard.count};
    } else if (!SameRun(ledger.header, *header)) {
      const std::string why =
          header->run_id != ledger.header.run_id
              ? absl::StrCat("run ID ", FormatRunId(header->run_id), ", not ",
                             FormatRunId(ledger.header.run_id),
                             ": the shards of one run are generated with one --run-id")
          : header->attribute_overrides != ledger.header.attribute_overrides
              ? "the shards were sent with different resource or span attributes "
                "(--resource-attr, --span-attr, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME)"
              : "scenario hash, seed, run ID, shard count and endpoints must match";
      return absl::FailedPreconditionError(absl::StrCat("ledger ", path,
                                                        " belongs to a different run than ",
                                                        ledger.files[0].path, " (", why, ")"));
    }
    for (const LedgerFileInfo& f : ledger.files)
      if (f.header.shard.index == header->shard.index)
        return absl::FailedPreconditionError("ledgers " + f.path + " and " + path +
                                             " are the same shard " +
                                             std::to_string(header->shard.index));
    for (; at + kLedgerRecordSize <= data.size(); at += kLedgerRecordSize) {
      LedgerRecord r;
      if (!DecodeLedgerRecord(&data[at], &r)) break;
      if (r.index == kEndMarkerIndex) {
        info.complete = r.start_unix_nano == info.records;
        at += kLedgerRecordSize;
        break;
      }
      ledger.records.push_back(r);
      ++info.records;
    }
    info.ignored_bytes = data.size() - at;
    ledger.files.push_back(std::move(info));
  }
  std::sort(ledger.records.begin(), ledger.records.end(),
            [](const LedgerRecord& a, const LedgerRecord& b) { return a.index < b.index; });
  return ledger;
}

}  // namespace agentstorm
