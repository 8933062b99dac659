#include "core/ledger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ledger_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  static LedgerHeader Header(uint32_t shard, uint32_t shards) {
    LedgerHeader h;
    h.scenario_hash = 0x1234abcd;
    h.seed = 99;
    h.run_id = 0x0123456789abcdefULL;
    h.shard = {shard, shards};
    h.run_start_unix_nano = 1700000000000000000ull;
    h.semconv_profile = "latest";
    h.scenario_path = "scenarios/smoke.yaml";
    h.load = "500 traces/s for 10s";
    h.endpoints = {"grpc http://127.0.0.1:4317", "http/protobuf http://127.0.0.1:4318/v1/traces"};
    return h;
  }
  static LedgerRecord Record(uint64_t index) {
    LedgerRecord r;
    r.index = index;
    for (int i = 0; i < 16; ++i) r.trace_id[i] = static_cast<uint8_t>(index * 31 + i);
    r.start_unix_nano = 1700000000000000000ull + index;
    r.answered_unix_nano = 1800000000000000000ull + index;
    r.span_count = 7 + index % 5;
    r.faults = static_cast<uint16_t>(1u << (index % 10));
    r.variant = static_cast<uint16_t>(index % 3);
    r.expected_class = static_cast<TraceClass>(index % 5);
    r.phase = static_cast<int16_t>(index % 2 ? 700 : -1);
    r.set_outcome(0, DeliveryOutcome::kAcknowledged);
    r.set_outcome(1, index % 4 == 0 ? DeliveryOutcome::kFailed : DeliveryOutcome::kRejected);
    return r;
  }
  void Write(const std::string& path, const LedgerHeader& h, std::vector<uint64_t> indices,
             bool close = true) {
    auto w = LedgerWriter::Create(path, h);
    ASSERT_TRUE(w.ok()) << w.status();
    for (uint64_t i : indices) ASSERT_TRUE((*w)->Append(Record(i)).ok());
    if (close)
      ASSERT_TRUE((*w)->Close().ok());
    else
      ASSERT_TRUE((*w)->Flush().ok());
  }

  fs::path dir_;
};

void ExpectSameRecord(const LedgerRecord& a, const LedgerRecord& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.trace_id, b.trace_id);
  EXPECT_EQ(a.start_unix_nano, b.start_unix_nano);
  EXPECT_EQ(a.answered_unix_nano, b.answered_unix_nano);
  EXPECT_EQ(a.span_count, b.span_count);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(a.variant, b.variant);
  EXPECT_EQ(a.expected_class, b.expected_class);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.outcome_bits, b.outcome_bits);
}

TEST_F(LedgerTest, RecordRoundTripsIn64BytesWithEveryEndpointOutcome) {
  LedgerRecord r = Record(12345);
  for (int e = 0; e < kLedgerMaxEndpoints; ++e)
    r.set_outcome(e, static_cast<DeliveryOutcome>(e % 5));
  uint8_t buf[kLedgerRecordSize];
  EncodeLedgerRecord(r, buf);
  LedgerRecord back;
  ASSERT_TRUE(DecodeLedgerRecord(buf, &back));
  ExpectSameRecord(r, back);
  buf[20] ^= 1;  // any flipped bit is detected
  EXPECT_FALSE(DecodeLedgerRecord(buf, &back));
}

TEST_F(LedgerTest, WorstOutcomeOverTheRunsEndpoints) {
  LedgerRecord r;
  r.set_outcome(0, DeliveryOutcome::kAcknowledged);
  r.set_outcome(1, DeliveryOutcome::kRejected);
  r.set_outcome(2, DeliveryOutcome::kNotSent);
  EXPECT_EQ(r.Worst(1), DeliveryOutcome::kAcknowledged);
  EXPECT_EQ(r.Worst(2), DeliveryOutcome::kRejected);
  EXPECT_EQ(r.Worst(3), DeliveryOutcome::kNotSent);
}

TEST_F(LedgerTest, WrittenLedgerReadsBackSortedByIndexWithItsHeader) {
  Write(Path("a.ledger"), Header(0, 1), {5, 1, 3, 0, 2, 4});
  auto ledger = ReadLedgers({Path("a.ledger")});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_TRUE(ledger->complete());
  EXPECT_EQ(ledger->header.scenario_hash, 0x1234abcdu);
  EXPECT_EQ(ledger->header.seed, 99u);
  EXPECT_EQ(ledger->header.version, kLedgerVersion);
  EXPECT_EQ(ledger->header.run_id, 0x0123456789abcdefULL);
  EXPECT_EQ(ledger->header.run_start_unix_nano, 1700000000000000000ull);
  EXPECT_EQ(ledger->header.semconv_profile, "latest");
  EXPECT_EQ(ledger->header.scenario_path, "scenarios/smoke.yaml");
  EXPECT_EQ(ledger->header.load, "500 traces/s for 10s");
  EXPECT_EQ(ledger->header.endpoints, Header(0, 1).endpoints);
  ASSERT_EQ(ledger->records.size(), 6u);
  for (uint64_t i = 0; i < 6; ++i) ExpectSameRecord(ledger->records[i], Record(i));
}

TEST_F(LedgerTest, CrashTruncatedLedgerReadsUpToItsLastWholeRecord) {
  Write(Path("t.ledger"), Header(0, 1), {0, 1, 2, 3}, /*close=*/false);
  const auto size = fs::file_size(Path("t.ledger"));
  fs::resize_file(Path("t.ledger"), size - 10);  // the last record is torn
  auto ledger = ReadLedgers({Path("t.ledger")});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->records.size(), 3u);
  EXPECT_FALSE(ledger->complete());
  EXPECT_EQ(ledger->files[0].ignored_bytes, kLedgerRecordSize - 10);
}

TEST_F(LedgerTest, DamagedRecordEndsTheReadablePart) {
  Write(Path("d.ledger"), Header(0, 1), {0, 1, 2, 3});
  {
    std::fstream f(Path("d.ledger"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-static_cast<std::streamoff>(3 * kLedgerRecordSize) + 9, std::ios::end);
    f.put('\x7f');
  }
  auto ledger = ReadLedgers({Path("d.ledger")});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->records.size(), 2u);
  EXPECT_FALSE(ledger->complete());
  EXPECT_EQ(ledger->files[0].ignored_bytes, 3 * kLedgerRecordSize);
}

TEST_F(LedgerTest, ShardsCombineIntoOneRun) {
  Write(Path("s0.ledger"), Header(0, 3), {0, 3, 6});
  Write(Path("s1.ledger"), Header(1, 3), {1, 4, 7});
  Write(Path("s2.ledger"), Header(2, 3), {2, 5});
  auto ledger = ReadLedgers({Path("s2.ledger"), Path("s0.ledger"), Path("s1.ledger")});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_TRUE(ledger->complete());
  EXPECT_EQ(ledger->header.shard.count, 3u);
  ASSERT_EQ(ledger->records.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(ledger->records[i].index, i);
}

TEST_F(LedgerTest, MissingShardMakesTheRunIncomplete) {
  Write(Path("s0.ledger"), Header(0, 2), {0, 2});
  auto ledger = ReadLedgers({Path("s0.ledger")});
  ASSERT_TRUE(ledger.ok());
  EXPECT_FALSE(ledger->complete());
  EXPECT_EQ(ledger->MissingShards(), std::vector<uint32_t>{1});
}

TEST_F(LedgerTest, RefusesLedgersOfDifferentRunsOrTheSameShardTwice) {
  Write(Path("s0.ledger"), Header(0, 2), {0});
  LedgerHeader other = Header(1, 2);
  other.seed = 100;
  Write(Path("x1.ledger"), other, {1});
  auto mixed = ReadLedgers({Path("s0.ledger"), Path("x1.ledger")});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kFailedPrecondition);
  Write(Path("again.ledger"), Header(0, 2), {0});
  auto twice = ReadLedgers({Path("s0.ledger"), Path("again.ledger")});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(std::string(twice.status().message()).find("same shard"), std::string::npos);
}

TEST_F(LedgerTest, ShardsOfDifferentRunIdsAreDifferentRunsAndTheMessageSaysWhy) {
  Write(Path("s0.ledger"), Header(0, 2), {0});
  LedgerHeader other = Header(1, 2);
  other.run_id = 0xfedcba9876543210ULL;
  Write(Path("s1.ledger"), other, {1});
  auto mixed = ReadLedgers({Path("s0.ledger"), Path("s1.ledger")});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(mixed.status().message());
  EXPECT_NE(message.find("run ID fedcba9876543210, not 0123456789abcdef"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--run-id"), std::string::npos) << message;
}

TEST_F(LedgerTest, AttributeOverridesAreKeptAndShardsMustAgreeOnThem) {
  LedgerHeader h0 = Header(0, 2);
  h0.attribute_overrides = "resource string service.name\tcheckout\n";
  Write(Path("s0.ledger"), h0, {0});
  LedgerHeader h1 = Header(1, 2);
  h1.attribute_overrides = h0.attribute_overrides;
  Write(Path("s1.ledger"), h1, {1});
  auto both = ReadLedgers({Path("s0.ledger"), Path("s1.ledger")});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->header.attribute_overrides, h0.attribute_overrides);
  h1.attribute_overrides = "span int team\t7\n";
  Write(Path("s1.ledger"), h1, {1});
  auto mixed = ReadLedgers({Path("s0.ledger"), Path("s1.ledger")});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(std::string(mixed.status().message()).find("different resource or span attributes"),
            std::string::npos)
      << mixed.status();

  LedgerHeader v2 = Header(0, 1);
  v2.version = 2;
  v2.attribute_overrides = "not written in version 2";
  Write(Path("v2.ledger"), v2, {0});
  auto old = ReadLedgers({Path("v2.ledger")});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->header.version, 2u);
  EXPECT_EQ(old->header.attribute_overrides, "");
  EXPECT_EQ(old->header.endpoints, Header(0, 1).endpoints);
}

TEST_F(LedgerTest, AVersion1LedgerStillReadsWithRunIdZero) {
  LedgerHeader v1 = Header(0, 1);
  v1.version = 1;
  v1.run_id = 0x77;  // version 1 has no field for it: not written
  Write(Path("v1.ledger"), v1, {0, 1, 2});
  auto ledger = ReadLedgers({Path("v1.ledger")});
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->header.version, 1u);
  EXPECT_EQ(ledger->header.run_id, 0u);
  EXPECT_EQ(ledger->header.load, "500 traces/s for 10s");
  EXPECT_EQ(ledger->header.endpoints, Header(0, 1).endpoints);
  ASSERT_EQ(ledger->records.size(), 3u);
  EXPECT_TRUE(ledger->complete());
}

TEST_F(LedgerTest, RejectsFilesThatAreNotLedgersOrHaveADamagedHeader) {
  { std::ofstream(Path("junk")) << "hello, not a ledger at all, but long enough"; }
  auto junk = ReadLedgers({Path("junk")});
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), absl::StatusCode::kDataLoss);
  Write(Path("h.ledger"), Header(0, 1), {0});
  {
    std::fstream f(Path("h.ledger"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x55');
  }
  auto damaged = ReadLedgers({Path("h.ledger")});
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(std::string(damaged.status().message()).find("checksum"), std::string::npos);
  EXPECT_EQ(ReadLedgers({Path("absent")}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, RefusesMoreEndpointsThanARecordHolds) {
  LedgerHeader h = Header(0, 1);
  h.endpoints.assign(17, "grpc http://127.0.0.1:4317");
  EXPECT_FALSE(LedgerWriter::Create(Path("many.ledger"), h).ok());
}

}  // namespace
}  // namespace agentstorm
