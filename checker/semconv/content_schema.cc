#include "checker/semconv/content_schema.h"

#include <algorithm>
#include <exception>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "valijson/adapters/nlohmann_json_adapter.hpp"
#include "valijson/schema.hpp"
#include "valijson/schema_parser.hpp"
#include "valijson/validation_results.hpp"
#include "valijson/validator.hpp"

namespace agentstorm::semconv {

using opentelemetry::proto::common::v1::AnyValue;

struct ContentSchema::Compiled {
  valijson::Schema schema;
};

ContentSchema::ContentSchema(std::string path, std::unique_ptr<Compiled> compiled)
    : path_(std::move(path)), compiled_(std::move(compiled)) {}

ContentSchema::~ContentSchema() = default;

absl::StatusOr<std::shared_ptr<const ContentSchema>> ContentSchema::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read JSON schema ", path));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON"));
  }
  auto compiled = std::make_unique<Compiled>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    // Another document (the draft-07 meta-schema a tool's parameters must follow) stands for
    // any value: this checks message shapes, not a tool's own schema.
    auto fetch = [](const std::string&) -> const nlohmann::json* {
      return new nlohmann::json(nlohmann::json::object());
    };
    auto free_doc = [](const nlohmann::json* d) { delete d; };
    parser.populateSchema(adapter, compiled->schema, fetch, free_doc);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a usable JSON schema: ", e.what()));
  }
  return std::shared_ptr<const ContentSchema>(new ContentSchema(path, std::move(compiled)));
}

namespace {

nlohmann::json Convert(const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      return v.string_value();
    case AnyValue::kBoolValue:
      return v.bool_value();
    case AnyValue::kIntValue:
      return v.int_value();
    case AnyValue::kDoubleValue:
      return v.double_value();
    case AnyValue::kBytesValue:
      return v.bytes_value();
    case AnyValue::kArrayValue: {
      nlohmann::json out = nlohmann::json::array();
      for (const AnyValue& e : v.array_value().values()) out.push_back(Convert(e));
      return out;
    }
    case AnyValue::kKvlistValue: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : v.kvlist_value().values()) out[kv.key()] = Convert(kv.value());
      return out;
    }
    case AnyValue::VALUE_NOT_SET:
      break;
  }
  return nullptr;
}

// valijson's context "<root>", "[0]", "[parts]" as "[0].parts".
std::string Where(const std::vector<std::string>& context) {
  std::string out;
  for (const std::string& c : context) {
    if (c == "<root>" || c.size() < 2) continue;
    const std::string inner = c.substr(1, c.size() - 2);
    const bool index = !inner.empty() && std::all_of(inner.begin(), inner.end(), [](char ch) {
      return ch >= '0' && ch <= '9';
    });
    if (index) {
      absl::StrAppend(&out, c);
    } else {
      absl::StrAppend(&out, out.empty() ? "" : ".", inner);
    }
  }
  return out;
}

// "Missing required property 'type'." -> "missing required property 'type'".
std::string What(std::string d) {
  if (!d.empty() && d.back() == '.') d.pop_back();
  if (!d.empty() && d[0] >= 'A' && d[0] <= 'Z') d[0] = static_cast<char>(d[0] - 'A' + 'a');
  return d;
}

// valijson's summary lines (an anyOf, an array item, a property failed) say where, not what.
bool Summary(const std::string& d) { return d.rfind("Failed to validate", 0) == 0; }

}  // namespace

std::optional<nlohmann::json> ContentSchema::ToJson(const AnyValue& v, ContentProblem* problem) {
  if (v.value_case() != AnyValue::kStringValue) return Convert(v);
  nlohmann::json parsed =
      nlohmann::json::parse(v.string_value(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // Where the text stops being JSON (1-based, past the end when it ends too soon) tells a
    // truncated value from another format (a Python repr fails at its first quote).
    size_t at = 0;
    try {
      (void)nlohmann::json::parse(v.string_value());
    } catch (const nlohmann::json::parse_error& e) {
      at = e.byte;
    }
    *problem = ContentProblem{
        "", absl::StrCat(
                "the string is not JSON (", v.string_value().size(), " bytes, invalid at byte ", at,
                at > v.string_value().size() ? ": it ends too soon, cut short?" : "", ")")};
    return std::nullopt;
  }
  return parsed;
}

std::optional<ContentProblem> ContentSchema::Check(const nlohmann::json& value) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  if (validator.validate(compiled_->schema, target, &results)) return std::nullopt;
  // The deepest place that failed; there, the description most alternatives share.
  size_t depth = 0;
  for (const auto& e : results) {
    if (!Summary(e.description)) depth = std::max(depth, e.context.size());
  }
  // Votes per (place, description), in the order first seen; the first place at that depth
  // is the one reported (two failing items: the first).
  std::map<std::pair<std::string, std::string>, int> votes;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& e : results) {
    if (Summary(e.description) || e.context.size() != depth) continue;
    std::pair<std::string, std::string> k(Where(e.context), e.description);
    if (votes[k]++ == 0) order.push_back(std::move(k));
  }
  if (order.empty()) {  // only summary lines: report the first
    const auto& e = *results.begin();
    return ContentProblem{Where(e.context), What(e.description)};
  }
  const auto* best = &order.front();
  for (const auto& k : order) {
    if (k.first == order.front().first && votes[k] > votes[*best]) best = &k;
  }
  return ContentProblem{best->first, What(best->second)};
}

std::optional<ContentProblem> ContentSchema::Check(const AnyValue& v) const {
  ContentProblem problem;
  std::optional<nlohmann::json> value = ToJson(v, &problem);
  if (!value) return problem;
  return Check(*value);
}

}  // namespace agentstorm::semconv
