// Fuzzes what `check` reads from a backend (checker/readers/): the bodies of Jaeger API v3, the
// legacy Jaeger API and Tempo (trace by ID, v1 and v2, JSON and protobuf; search), and a
// capture or collector file. A backend is not trusted: whatever it answers, decoding must
// never crash, hang or read out of bounds.
//
// The first input byte picks the decoder; the rest is the body.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "checker/readers/file_reader.h"
#include "checker/readers/jaeger_legacy_reader.h"
#include "checker/readers/jaeger_v3_reader.h"
#include "checker/readers/tempo_reader.h"

namespace readers = agentstorm::readers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  readers::TracesData out;
  bool partial = false;
  switch (data[0] % 7) {
    case 0:
      (void)readers::DecodeJaegerV3Body(body, &out);
      break;
    case 1:
      (void)readers::DecodeJaegerLegacyBody(body, &out);
      break;
    case 2:
      (void)readers::DecodeTempoTraceBody(body, "application/json", false, &out, &partial);
      break;
    case 3:
      (void)readers::DecodeTempoTraceBody(body, "application/json", true, &out, &partial);
      break;
    case 4:
      (void)readers::DecodeTempoTraceBody(body, "application/protobuf", data[0] & 8, &out,
                                          &partial);
      break;
    case 5:
      (void)readers::DecodeTempoSearchBody(body);
      break;
    case 6: {
      // A file of JSON lines or length-prefixed protobuf, as `check --backend file:` opens it.
      static const std::string path = "/tmp/agentstorm-reader-fuzz-" + std::to_string(getpid());
      if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(body.data(), 1, body.size(), f);
        std::fclose(f);
        (void)readers::FileReader::Open(path);
        std::remove(path.c_str());
      }
      break;
    }
  }
  return 0;
}
