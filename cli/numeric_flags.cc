#include "cli/numeric_flags.h"

#include <CLI/CLI.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace agentstorm::cli {

CLI::Validator WholeNumber(uint64_t min, uint64_t max) {
  const std::string range = absl::StrCat(min, " to ", max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        bool digits = !text.empty();
        for (char c : text) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
        uint64_t value = 0;
        if (!digits || !absl::SimpleAtoi(text, &value) || value < min || value > max)
          return absl::StrCat("\"", text, "\" is not a whole number from ", range);
        return "";
      },
      "INT in [" + range + "]", "WholeNumber");
}

}  // namespace agentstorm::cli
