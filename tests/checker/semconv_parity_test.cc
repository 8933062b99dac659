// The bundled profiles and the upstream registries of the same version give the same findings:
// every bundled scenario, generated into a sink once, checked with the profile its ledger names
// and again with `--semconv-registry` dirs of that version, finding by finding (every finding,
// streamed, not only the examples a FindingSet keeps).
//   genai-latest <-> the GenAI repository's model + core HEAD (its deprecated gen-ai stubs:
//                    gen_ai.system, gen_ai.usage.prompt_tokens, ...; the GenAI model wins
//                    where both define an ID)
//   genai-v1.36  <-> core semantic conventions v1.36.0
// Scenarios whose traces follow the conventions are also clean under both (v1.36 has only the
// CLIENT invoke_agent span: the generator once sent in-process agents as INTERNAL there).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "checker/check_pipeline.h"
#include "tests/checker/check_e2e_harness.h"

namespace agentstorm {
namespace {

namespace fs = std::filesystem;

std::string UpstreamDir(const std::string& sub) {
  const char* env = std::getenv("AGENTSTORM_SHARED_DIR");
  std::string shared = env && *env ? env : AGENTSTORM_SHARED_DIR;
  return shared + "/upstream/semconv/" + sub;
}

std::string Describe(const Finding& f) {
  return absl::StrCat(f.id, " ", FindingLevelName(f.level), " ", f.trace_id, "/", f.span_id, " ",
                      f.span_name, " ", f.attribute, ": ", f.message, " [", f.expected, " | ",
                      f.actual, "]");
}

// Every finding of a check of `e`'s ledger, sorted; with `registry` dirs when not empty.
std::vector<std::string> AllFindings(const E2e& e, const std::vector<std::string>& registry) {
  std::vector<std::string> out;
  CheckOptions co;
  co.source_dir = AGENTSTORM_SOURCE_DIR;
  co.ledger_paths = {e.ledger};
  co.backend_url = "jaeger://127.0.0.1:" + std::to_string(e.sink->query_port());
  co.wait = absl::Seconds(3);
  co.concurrency = 4;
  co.quiet = true;
  co.semconv_registry_dirs = registry;
  co.on_finding = [&out](const Finding& f) { out.push_back(Describe(f)); };
  auto result = RunCheck(co);
  EXPECT_TRUE(result.ok()) << result.status();
  if (result.ok()) {
    EXPECT_EQ((*result)->traces_read, (*result)->traces_expected);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct Case {
  std::string scenario;
  std::string semconv;  // "latest" or "v1.36"
  bool clean;           // its traces follow the conventions: no semconv violation
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.scenario << " " << c.semconv; }

class SemconvParity : public ::testing::TestWithParam<Case> {};

TEST_P(SemconvParity, ProfileAndRegistryGiveTheSameFindings) {
  const Case& c = GetParam();
  std::vector<std::string> registry;
  if (c.semconv == "latest") {
    registry = {UpstreamDir("model"), UpstreamDir("core-semconv-HEAD/model")};
  } else {
    registry = {UpstreamDir("core-semconv-v1.36.0/model")};
  }
  for (const std::string& dir : registry) {
    if (!fs::is_directory(dir)) GTEST_SKIP() << "upstream semconv not available: " << dir;
  }
  // The scenario as bundled, with its `semconv:` line set to the version under test.
  std::ifstream in(fs::path(AGENTSTORM_SOURCE_DIR) / "scenarios" / (c.scenario + ".yaml"));
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_NE(text.str().find("\nsemconv: latest\n"), std::string::npos) << c.scenario;
  const fs::path path = fs::temp_directory_path() /
                        absl::StrCat("agentstorm-parity-", ::getpid(), "-", c.scenario, "-",
                                     c.semconv == "latest" ? "latest" : "v136", ".yaml");
  std::ofstream(path) << absl::StrReplaceAll(
      text.str(), {{"\nsemconv: latest\n", "\nsemconv: " + c.semconv + "\n"}});
  std::shared_ptr<void> remove(nullptr, [path](void*) { fs::remove(path); });  // after checks
  E2e e = GenerateAndCheck(path.string(), 60, {}, absl::Seconds(3), {}, "--run-id parity");
  ASSERT_TRUE(e.result);
  const std::vector<std::string> profile = AllFindings(e, {});
  const std::vector<std::string> upstream = AllFindings(e, registry);
  EXPECT_FALSE(profile.empty()) << "coverage findings at least";
  std::vector<std::string> only_profile, only_registry;
  std::set_difference(profile.begin(), profile.end(), upstream.begin(), upstream.end(),
                      std::back_inserter(only_profile));
  std::set_difference(upstream.begin(), upstream.end(), profile.begin(), profile.end(),
                      std::back_inserter(only_registry));
  for (size_t i = 0; i < only_profile.size() && i < 5; ++i)
    ADD_FAILURE() << "only with the profile: " << only_profile[i];
  for (size_t i = 0; i < only_registry.size() && i < 5; ++i)
    ADD_FAILURE() << "only with the registry: " << only_registry[i];
  EXPECT_EQ(only_profile.size(), 0u);
  EXPECT_EQ(only_registry.size(), 0u);
  if (c.clean) {
    for (const std::string& f : profile)
      EXPECT_TRUE(f.rfind("semconv.", 0) != 0 || f.find(" violation ") == std::string::npos) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bundled, SemconvParity,
    ::testing::Values(Case{"broken-instrumentation", "latest", false},
                      Case{"context-overflow", "latest", true}, Case{"mcp-tools", "latest", true},
                      Case{"rag-pipeline", "latest", true}, Case{"research-fanout", "latest", true},
                      Case{"runaway-loop", "latest", true}, Case{"smoke", "latest", true},
                      Case{"tool-failures", "latest", true},
                      Case{"broken-instrumentation", "v1.36", false},
                      Case{"context-overflow", "v1.36", true},
                      // MCP has no conventions in v1.36: its tools/call spans carry
                      // execute_tool and are judged as such, by both sides alike.
                      Case{"mcp-tools", "v1.36", false}, Case{"rag-pipeline", "v1.36", true},
                      Case{"research-fanout", "v1.36", true}, Case{"runaway-loop", "v1.36", true},
                      Case{"smoke", "v1.36", true}, Case{"tool-failures", "v1.36", true}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string n = info.param.scenario + "_" + info.param.semconv;
      for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

}  // namespace
}  // namespace agentstorm
