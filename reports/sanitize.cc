#include "reports/sanitize.h"

#include <algorithm>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "reports/report_model.h"

namespace agentstorm::reports {
namespace {

constexpr std::string_view kMask = "***";

// Query parameters that never carry a secret (backend_url.h options, exporter options).
bool HarmlessQueryKey(std::string_view key) {
  static const std::set<std::string, std::less<>> kKeys = {"tenant", "api",         "insecure",
                                                           "ca",     "compression", "timeout"};
  return kKeys.count(absl::AsciiStrToLower(std::string(key))) > 0;
}

std::string ScrubHeaderForms(const std::string& text) {
  static const std::regex kHeader(
      R"((\b(?:proxy-authorization|authorization|set-cookie|cookie|x-api-key|api-key|api_key|apikey|access_token|x-auth-token|client_secret|token|password|passwd|secret))(\s*[:=]\s*)(?:(?:bearer|basic|token|digest|apikey)\s+)?[^\s",;&'<>()]+)",
      std::regex::icase | std::regex::ECMAScript);
  return std::regex_replace(text, kHeader, "$1$2***");
}

std::string ScrubBareSchemes(const std::string& text) {
  static const std::regex kScheme(R"(\b(Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{6,}))",
                                  std::regex::icase | std::regex::ECMAScript);
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kScheme);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string scheme = absl::AsciiStrToLower(m[1].str());
    std::string token = m[2].str();
    // "Basic checks" is prose; base64 credentials have digits, '+', '/', '=' or mixed case.
    bool mixed_case = std::any_of(token.begin() + 1, token.end(), absl::ascii_isupper) &&
                      std::any_of(token.begin(), token.end(), absl::ascii_islower);
    bool secret = token != kMask && (scheme == "bearer" || mixed_case ||
                                     token.find_first_of("0123456789+/=") != std::string::npos);
    if (!secret) continue;
    out.append(text, last, m.position(0) - last);
    out.append(m[1].str()).append(" ").append(kMask);
    last = m.position(0) + m.length(0);
  }
  out.append(text, last, std::string::npos);
  return out;
}

bool UrlTerminator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == ',' || c == ')';
}

std::string ScrubUrls(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t sep = text.find("://", pos);
    if (sep == std::string::npos) break;
    size_t start = sep + 3;
    out.append(text, pos, start - pos);
    size_t end = start;
    while (end < text.size() && !UrlTerminator(text[end])) ++end;
    std::string_view url(text.data() + start, end - start);
    // Userinfo.
    size_t authority_end = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, authority_end);
    std::string rebuilt;
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
      rebuilt.append(kMask).append("@").append(authority.substr(at + 1));
    } else {
      rebuilt.append(authority);
    }
    std::string_view tail =
        authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
    size_t q = tail.find('?');
    rebuilt.append(tail.substr(0, q));
    if (q != std::string_view::npos) {
      std::string_view query = tail.substr(q + 1);
      std::string_view fragment;
      if (size_t hash = query.find('#'); hash != std::string_view::npos) {
        fragment = query.substr(hash);
        query = query.substr(0, hash);
      }
      rebuilt.append("?");
      bool first = true;
      while (true) {
        size_t amp = query.find('&');
        std::string_view param = query.substr(0, amp);
        if (!first) rebuilt.append("&");
        first = false;
        size_t eq = param.find('=');
        if (eq == std::string_view::npos || HarmlessQueryKey(param.substr(0, eq))) {
          rebuilt.append(param);
        } else {
          rebuilt.append(param.substr(0, eq + 1)).append(kMask);
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
      }
      rebuilt.append(fragment);
    }
    out.append(rebuilt);
    pos = end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

void Scrub(std::string* s) {
  if (!s->empty()) *s = ScrubSecrets(*s);
}

}  // namespace

std::string ScrubSecrets(std::string_view text) {
  std::string s(text);
  s = ScrubUrls(s);
  s = ScrubHeaderForms(s);
  s = ScrubBareSchemes(s);
  return s;
}

void SanitizeReport(ReportModel* m) {
  RunInfo& run = m->run;
  for (std::string* s : {&run.tool_version, &run.command, &run.mode, &run.scenario,
                         &run.scenario_path, &run.semconv_model, &run.backend}) {
    Scrub(s);
  }
  for (std::string& e : run.endpoints) Scrub(&e);
  for (std::string& v : run.variants) Scrub(&v);
  if (m->load) Scrub(&m->load->load);
  for (EndpointDelivery& e : m->endpoints) {
    Scrub(&e.endpoint);
    Scrub(&e.last_error);
  }
  for (FindingRow& f : m->findings) {
    std::map<std::string, uint64_t> by_variant;
    for (auto& [variant, count] : f.count_by_variant) by_variant[ScrubSecrets(variant)] += count;
    f.count_by_variant = std::move(by_variant);
    for (FindingExample& x : f.examples) {
      for (std::string* s : {&x.trace_id, &x.span_id, &x.span_name, &x.attribute, &x.variant,
                             &x.message, &x.expected, &x.actual}) {
        Scrub(s);
      }
    }
  }
  // Statistic names carry keys read from spans (unknown_attribute.<key>).
  for (RuleResult& r : m->rules) {
    std::map<std::string, double> statistics;
    for (const auto& [name, value] : r.statistics) statistics[ScrubSecrets(name)] = value;
    r.statistics = std::move(statistics);
  }
  if (m->semconv) {
    for (SpanTypeCoverage& t : m->semconv->span_types) Scrub(&t.span_type);
    for (UnknownAttribute& u : m->semconv->unknown_attributes) Scrub(&u.key);
    std::map<std::string, uint64_t> classes;
    for (const auto& [c, n] : m->semconv->span_classes) classes[ScrubSecrets(c)] += n;
    m->semconv->span_classes = std::move(classes);
  }
  for (GroupCounts& g : m->groups) Scrub(&g.name);
  for (SamplingRow& r : m->sampling) Scrub(&r.population);
  for (ThresholdRow& r : m->thresholds) Scrub(&r.detail);
  for (AlertTimeline& a : m->alerts) Scrub(&a.name);
  for (TraceComparison& t : m->failing_traces) {
    Scrub(&t.variant);
    for (std::vector<TreeSpan>* side : {&t.expected, &t.actual}) {
      for (TreeSpan& span : *side) {
        Scrub(&span.name);
        Scrub(&span.service);
        for (auto& [key, value] : span.attributes) Scrub(&value);
        for (std::string& d : span.differences) Scrub(&d);
      }
    }
  }
}

}  // namespace agentstorm::reports
