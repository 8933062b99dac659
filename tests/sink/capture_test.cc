#include "sink/capture.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/capture_reader.h"
#include "tests/sink/test_requests.h"

namespace agentstorm::sink {
namespace {

using testing::MakeRequest;

std::string TempPath(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) /
          (name + "-" + std::to_string(::getpid()) + ".capture"))
      .string();
}

TEST(Capture, RoundTripsRequestsInOrder) {
  const std::string path = TempPath("roundtrip");
  std::filesystem::remove(path);
  {
    auto writer = CaptureWriter::Open(path, /*sync=*/true);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE((*writer)->Append(MakeRequest("svc", i, 2, static_cast<uint8_t>(i * 10))).ok());
    }
    EXPECT_EQ((*writer)->records(), 3u);
    ASSERT_TRUE((*writer)->Close().ok());
  }
  absl::StatusOr<CaptureContents> read = ReadCapture(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->requests.size(), 3u);
  EXPECT_EQ(read->truncated_tail_bytes, 0u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(read->requests[i - 1].SerializeAsString(),
              MakeRequest("svc", i, 2, static_cast<uint8_t>(i * 10)).SerializeAsString());
  }
  std::filesystem::remove(path);
}

TEST(Capture, UsesBigEndianLengthPrefixFraming) {
  const std::string path = TempPath("framing");
  std::filesystem::remove(path);
  const auto request = MakeRequest("svc", 1, 1);
  {
    auto writer = CaptureWriter::Open(path, false);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(request).ok());
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string body = request.SerializeAsString();
  ASSERT_EQ(bytes.size(), 4 + body.size());
  const uint32_t len = (uint32_t{static_cast<uint8_t>(bytes[0])} << 24) |
                       (uint32_t{static_cast<uint8_t>(bytes[1])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[2])} << 8) |
                       static_cast<uint8_t>(bytes[3]);
  EXPECT_EQ(len, body.size());
  EXPECT_EQ(bytes.substr(4), body);
  std::filesystem::remove(path);
}

TEST(Capture, TruncatedTailIsReportedNotAnError) {
  const std::string path = TempPath("truncated");
  std::filesystem::remove(path);
  {
    auto writer = CaptureWriter::Open(path, false);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(MakeRequest("svc", 1, 3)).ok());
    ASSERT_TRUE((*writer)->Append(MakeRequest("svc", 2, 3, 5)).ok());
  }
  const auto full_size = std::filesystem::file_size(path);
  const auto first_size = 4 + MakeRequest("svc", 1, 3).ByteSizeLong();
  // Cut inside the second record's body, then inside its header.
  for (uintmax_t cut : {full_size - 7, first_size + 2}) {
    std::filesystem::resize_file(path, cut);
    absl::StatusOr<CaptureContents> read = ReadCapture(path);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->requests.size(), 1u);
    EXPECT_EQ(read->truncated_tail_bytes, cut - first_size);
  }
  std::filesystem::remove(path);
}

TEST(Capture, CorruptWholeRecordIsDataLoss) {
  const std::string path = TempPath("corrupt");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const char record[] = {0, 0, 0, 3, '\xff', '\xff', '\xff'};
    out.write(record, sizeof record);
  }
  absl::StatusOr<CaptureContents> read = ReadCapture(path);
  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
  std::filesystem::remove(path);
}

TEST(Capture, MissingFileIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(ReadCapture(TempPath("does-not-exist")).status()));
}

}  // namespace
}  // namespace agentstorm::sink
