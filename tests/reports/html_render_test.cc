// report.html as a browser sees it: self-contained, and drawn by Debian's headless Chromium.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "reports/html_writer.h"
#include "reports/report_writer.h"
#include "reports/sanitize.h"
#include "tests/reports/report_test_model.h"

namespace agentstorm::reports {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// What a passing nightly run and a failing one with many traces look like to a reader.
TEST(HtmlReport, SuppressedFindingsSampledOutTracesOrphansAndManyTraces) {
  ReportModel model = testing::FixedReportModel();
  FindingRow suppressed;
  suppressed.id = "sampling.partial_trace";
  suppressed.level = "violation";
  suppressed.suppressed = 4;  // every occurrence expected by the check config
  model.findings.push_back(suppressed);
  TraceComparison second = model.failing_traces.at(0);
  second.trace_id = "00000000000000000000000000000002";
  model.failing_traces.push_back(second);
  const std::string html = RenderHtmlReport(model);

  const size_t at = html.find("<code>sampling.partial_trace</code>");
  ASSERT_NE(at, std::string::npos);
  const std::string row = html.substr(html.rfind("<details", at), 200);
  EXPECT_EQ(row.find(" open"), std::string::npos) << row;
  EXPECT_EQ(row.find("lvl-violation"), std::string::npos) << row;
  EXPECT_NE(row.find("violation, expected (suppressed)"), std::string::npos) << row;
  // A real violation stays open and red.
  EXPECT_NE(html.find("<details open><summary><code>hierarchy.orphan_span</code> <span "
                      "class=\"lvl-violation\">"),
            std::string::npos);

  // The fixed model expects tail sampling: absent traces are not painted as losses.
  EXPECT_NE(html.find("not found (sampling expected)"), std::string::npos);
  EXPECT_EQ(html.find("fill=\"#c62828\"><title>not found"), std::string::npos);
  model.sampling.clear();
  EXPECT_NE(RenderHtmlReport(model).find("fill=\"#c62828\"><title>not found: 13"),
            std::string::npos);

  // The orphan's parent is on the page, not only in a tooltip.
  EXPECT_NE(html.find("parent <code>ff</code> is not in this trace"), std::string::npos);
  // One table of contents entry per failing trace, each a link to its section.
  EXPECT_NE(html.find("<ol class=\"toc\">"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#trace-00000000000000000000000000000002\">"), std::string::npos);
  EXPECT_NE(html.find("<h3 id=\"trace-00000000000000000000000000000002\">"), std::string::npos);
  // Row by row: the missing span shares its row with an empty actual cell, the extra one with
  // an empty expected cell.
  EXPECT_NE(html.find("execute_tool web_search</span> <span class=\"at\">internal · ERROR · "
                      "research-app</span><div class=\"at mono\">error.type=timeout "
                      "gen_ai.tool.name=web_search</div></div></td><td></td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td></td><td><div class=\"span extra\""), std::string::npos);
}

TEST(HtmlReport, ShowsCoveragePerSpanTypeAndTheKeysTheConventionsLack) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  const std::string html = RenderHtmlReport(model);
  const size_t section = html.find("<section id=\"semconv\"><h2>Semantic conventions</h2>");
  ASSERT_NE(section, std::string::npos);
  const std::string s = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(s.find("<tr><td><code>openai.inference.client</code></td><td class=\"n\">200</td>"
                   "<td class=\"n\">100%</td><td class=\"n\">40%</td><td class=\"n\">72.5%"
                   "</td><td class=\"n\">&mdash;</td></tr>"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("<code>gen_ai.request.temprature</code></td><td class=\"n\">3</td>"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("320 GenAI conventions, 6 OpenInference"), std::string::npos) << s;
  EXPECT_EQ(s.find("s3cr3t-token"), std::string::npos) << s;
}

TEST(HtmlReport, IsSelfContained) {
  ReportModel model = testing::FixedReportModel();
  SanitizeReport(&model);
  std::string html = RenderHtmlReport(model);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // The only URLs are the SVG namespace and the (escaped) endpoint/backend texts.
  EXPECT_EQ(Count(html, "http://www.w3.org/2000/svg"), Count(html, "<svg"));
  // One chart per kind: rate, spans by outcome, 2 latency, read-back outcome, time until
  // queryable, findings, sampling, alerts.
  EXPECT_EQ(Count(html, "<svg"), 9u);
  EXPECT_NE(html.find("Intended vs achieved rate over time"), std::string::npos);
  EXPECT_NE(html.find("class=\"span missing\""), std::string::npos);
  EXPECT_NE(html.find("class=\"span extra\""), std::string::npos);
  EXPECT_NE(html.find("class=\"span changed\""), std::string::npos);
  EXPECT_NE(html.find("chat &lt;gpt-4o&gt; &amp; &quot;friends&quot;"), std::string::npos);
}

// Decodes an 8-bit non-interlaced RGB/RGBA PNG (what Chromium writes) into RGB triples.
bool DecodePng(const std::string& png, int* width, int* height, std::vector<uint32_t>* pixels) {
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return false;
  auto be32 = [&](size_t p) {
    return (uint32_t(uint8_t(png[p])) << 24) | (uint32_t(uint8_t(png[p + 1])) << 16) |
           (uint32_t(uint8_t(png[p + 2])) << 8) | uint32_t(uint8_t(png[p + 3]));
  };
  std::string idat;
  int color_type = -1, depth = 0, interlace = 0;
  for (size_t p = 8; p + 8 <= png.size();) {
    uint32_t len = be32(p);
    std::string type = png.substr(p + 4, 4);
    if (type == "IHDR") {
      *width = static_cast<int>(be32(p + 8));
      *height = static_cast<int>(be32(p + 12));
      depth = uint8_t(png[p + 16]);
      color_type = uint8_t(png[p + 17]);
      interlace = uint8_t(png[p + 20]);
    } else if (type == "IDAT") {
      idat += png.substr(p + 8, len);
    }
    p += 12 + len;
  }
  if (depth != 8 || interlace != 0 || (color_type != 2 && color_type != 6)) return false;
  const int bpp = color_type == 6 ? 4 : 3;
  const size_t stride = static_cast<size_t>(*width) * bpp;
  std::string raw((stride + 1) * static_cast<size_t>(*height), '\0');
  uLongf raw_len = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK) {
    return false;
  }
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  for (int y = 0; y < *height; ++y) {
    const uint8_t* row = reinterpret_cast<const uint8_t*>(raw.data()) + y * (stride + 1);
    uint8_t filter = row[0];
    for (size_t x = 0; x < stride; ++x) {
      int a = x >= static_cast<size_t>(bpp) ? cur[x - bpp] : 0, b = prev[x],
          c = x >= static_cast<size_t>(bpp) ? prev[x - bpp] : 0;
      int v = row[1 + x];
      switch (filter) {
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) / 2;
          break;
        case 4: {
          int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          v += (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          break;
      }
      cur[x] = static_cast<uint8_t>(v);
    }
    for (int x = 0; x < *width; ++x) {
      const uint8_t* px = &cur[static_cast<size_t>(x) * bpp];
      pixels->push_back((uint32_t(px[0]) << 16) | (uint32_t(px[1]) << 8) | px[2]);
    }
    prev = cur;
  }
  return true;
}

class HtmlRender : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"chromium", "chromium-browser"}) {
      std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
      if (std::system(probe.c_str()) == 0) {
        browser_ = name;
        break;
      }
    }
    if (browser_.empty()) GTEST_SKIP() << "chromium is not installed (ci/setup installs it)";
    // ctest runs each test in its own process, possibly at the same time: one folder each.
    dir_ = ::testing::TempDir() + "/html_render_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    ASSERT_TRUE(WriteReports(testing::FixedReportModel(), dir_, {"html"}).ok());
  }

  // Runs headless Chromium on report.html with `args`; stdout goes to `out`.
  int Chromium(const std::string& args, const std::string& out) {
    std::string profile = dir_ + "/profile";
    std::string command = browser_ +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                          "--disable-background-networking --disable-component-update "
                          "--disable-sync --disable-dev-shm-usage --user-data-dir=" +
                          profile + " " + args + " file://" + dir_ + "/report.html > " + out +
                          " 2>" + dir_ + "/chromium.log";
    return std::system(command.c_str());
  }

  std::string browser_;
  std::string dir_;
};

TEST_F(HtmlRender, ScreenshotShowsAPageWithCharts) {
  std::string png_path = dir_ + "/report.png";
  int rc = Chromium("--screenshot=" + png_path + " --window-size=1280,2000 --hide-scrollbars",
                    dir_ + "/stdout.txt");
  ASSERT_EQ(rc, 0) << ReadFile(dir_ + "/chromium.log");
  std::string png = ReadFile(png_path);
  ASSERT_GT(png.size(), 20000u) << "screenshot suspiciously small";
  int width = 0, height = 0;
  std::vector<uint32_t> pixels;
  ASSERT_TRUE(DecodePng(png, &width, &height, &pixels));
  EXPECT_EQ(width, 1280);
  EXPECT_EQ(height, 2000);
  std::set<uint32_t> colours(pixels.begin(), pixels.end());
  EXPECT_GT(colours.size(), 200u) << "too few colours: the page did not draw";
  // The chart colours are there: the achieved-rate blue, the violation red, the found green.
  EXPECT_TRUE(colours.count(0x4c78a8)) << "no achieved-rate line / latency bars";
  EXPECT_TRUE(colours.count(0xc62828)) << "no violation colour";
  EXPECT_TRUE(colours.count(0x2e7d32)) << "no acknowledged/found colour";
  size_t background = 0;
  for (uint32_t p : pixels) background += (p == 0xffffff || p == 0xf5f7fa);
  EXPECT_LT(background, pixels.size() * 9 / 10) << "the page is nearly blank";
}

TEST_F(HtmlRender, DomHasTheSvgCharts) {
  std::string dom_path = dir_ + "/dom.html";
  ASSERT_EQ(Chromium("--dump-dom", dom_path), 0) << ReadFile(dir_ + "/chromium.log");
  std::string dom = ReadFile(dom_path);
  EXPECT_EQ(Count(dom, "<svg"), 9u);
  EXPECT_NE(dom.find("<polyline class=\"series\""), std::string::npos);
  EXPECT_NE(dom.find("Alert timelines"), std::string::npos);
  EXPECT_NE(dom.find("Failing traces: expected vs actual"), std::string::npos);
}

}  // namespace
}  // namespace agentstorm::reports
