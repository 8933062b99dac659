// Small text helpers shared by the report writers: escaping for XML/HTML and Markdown tables,
// and the number and time formats every report uses (so they show the same figures).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace agentstorm::reports {

// Escapes & < > " ' and replaces what XML 1.0 cannot carry (control characters other than
// tab, newline and carriage return; invalid UTF-8) with U+FFFD. Also right for HTML.
std::string XmlEscape(std::string_view text);

// One Markdown table cell: '|' escaped, newlines turned into spaces, backticks kept balanced
// by dropping them.
std::string MarkdownCell(std::string_view text);

// "2024-05-01T12:00:00Z" for a Unix time in nanoseconds; "" for 0.
std::string IsoTime(uint64_t unix_nano);
// The same without the zone suffix, as JUnit's xs:dateTime timestamp wants.
std::string IsoTimeNoZone(uint64_t unix_nano);

// "1,234,567".
std::string Thousands(uint64_t value);
// "12.3 ms", "850 us", "1.20 s" for a value in milliseconds.
std::string HumanMillis(double ms);
// "97.52%" of part/whole, "-" when whole is 0.
std::string PercentText(double part, double whole);
// A number in its shortest form with at most `digits` significant digits: "0.1", "1200", "72.5".
std::string ShortNumber(double value, int digits = 4);

}  // namespace agentstorm::reports
