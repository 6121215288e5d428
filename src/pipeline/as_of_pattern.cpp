#include "pipeline/as_of_pattern.hpp"

#include <array>
#include <cctype>
#include <span>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"

namespace marquee::pipeline {
namespace {

enum Field { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFieldCount };
using Fields = std::array<int, kFieldCount>;

constexpr std::array<char, kFieldCount> kTokens = {'Y', 'm', 'd', 'H', 'M', 'S'};
constexpr std::array<const char*, kFieldCount> kFieldNames = {"year", "month",  "day",
                                                              "hour", "minute", "second"};

int width_of(Field field) {
  return field == kYear ? 4 : 2;
}

[[noreturn]] void bad_pattern(std::string_view pattern, const std::string& why) {
  throw Error(ExitCode::kUsage,
              fmt::format("--as-of-pattern '{}': {}; use %Y %m %d %H %M %S, %% for a percent sign "
                          "and * for any text, e.g. 'movies-%Y-%m-%d.zip'",
                          pattern, why));
}

/// Every field needs the coarser one it refines: a day means nothing without its month.
void require_coarser_fields(std::string_view pattern, const std::array<bool, kFieldCount>& seen) {
  if (!seen[kYear]) bad_pattern(pattern, "it has no %Y, so it gives no year");
  for (int f = kMonth; f < kFieldCount; ++f) {
    if (seen[f] && !seen[f - 1]) {
      bad_pattern(pattern, fmt::format("%{} needs %{} too", kTokens[f], kTokens[f - 1]));
    }
  }
}

bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int to_int(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

int days_in_month(int year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

/// Why FIELDS is no time, or empty when it is one.
std::string out_of_range(const Fields& fields) {
  auto outside = [&](Field f, int low, int high) {
    return fields[f] < low || fields[f] > high
               ? fmt::format("{} {:0{}} is out of range ({:0{}}-{:0{}})", kFieldNames[f], fields[f],
                             width_of(f), low, width_of(f), high, width_of(f))
               : std::string();
  };
  if (auto why = outside(kMonth, 1, 12); !why.empty()) return why;
  if (auto why = outside(kDay, 1, days_in_month(fields[kYear], fields[kMonth])); !why.empty()) {
    return fmt::format("{} in {:04}-{:02}", why, fields[kYear], fields[kMonth]);
  }
  if (auto why = outside(kHour, 0, 23); !why.empty()) return why;
  if (auto why = outside(kMinute, 0, 59); !why.empty()) return why;
  return outside(kSecond, 0, 59);
}

}  // namespace

struct AsOfPattern::Element {
  enum Kind { kLiteral, kField, kStar } kind;
  std::string literal;  ///< kLiteral
  Field field = kYear;  ///< kField

  /// Whether REST, from this element on, matches ELEMENTS; FIELDS gets the digits of the match.
  static bool match(std::span<const Element> elements, std::string_view rest, Fields& fields);
};

bool AsOfPattern::Element::match(std::span<const Element> elements, std::string_view rest,
                                 Fields& fields) {
  if (elements.empty()) return rest.empty();
  const Element& element = elements.front();
  auto others = elements.subspan(1);
  switch (element.kind) {
    case kLiteral:
      return rest.starts_with(element.literal) &&
             match(others, rest.substr(element.literal.size()), fields);
    case kField: {
      auto width = static_cast<std::size_t>(width_of(element.field));
      if (rest.size() < width || !all_digits(rest.substr(0, width))) return false;
      fields[element.field] = to_int(rest.substr(0, width));
      return match(others, rest.substr(width), fields);
    }
    case kStar:
      for (std::size_t taken = 0; taken <= rest.size(); ++taken) {
        if (match(others, rest.substr(taken), fields)) return true;
      }
      return false;
  }
  return false;
}

AsOfPattern::AsOfPattern(std::string_view pattern) : text_(pattern) {
  std::array<bool, kFieldCount> seen{};
  auto add_literal = [&](char c) {
    if (elements_.empty() || elements_.back().kind != Element::kLiteral) {
      elements_.push_back({Element::kLiteral, "", kYear});
    }
    elements_.back().literal += c;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '*') {
      elements_.push_back({Element::kStar, "", kYear});
      continue;
    }
    if (c != '%') {
      add_literal(c);
      continue;
    }
    if (++i == pattern.size()) bad_pattern(pattern, "it ends with a lone %");
    if (pattern[i] == '%') {
      add_literal('%');
      continue;
    }
    std::size_t token = 0;
    while (token < kTokens.size() && kTokens[token] != pattern[i]) ++token;
    if (token == kTokens.size()) bad_pattern(pattern, fmt::format("%{} is no token", pattern[i]));
    if (seen[token]) bad_pattern(pattern, fmt::format("%{} is given twice", pattern[i]));
    seen[token] = true;
    elements_.push_back({Element::kField, "", static_cast<Field>(token)});
  }
  require_coarser_fields(pattern, seen);
}

AsOfPattern::~AsOfPattern() = default;
AsOfPattern::AsOfPattern(const AsOfPattern&) = default;
AsOfPattern& AsOfPattern::operator=(const AsOfPattern&) = default;

AsOfMatch AsOfPattern::match(std::string_view name) const {
  Fields fields = {0, 1, 1, 0, 0, 0};
  if (!Element::match(elements_, name, fields)) {
    return {std::nullopt, "the name does not have the pattern's form"};
  }
  if (std::string why = out_of_range(fields); !why.empty()) return {std::nullopt, why};
  auto time = normalize_utc_timestamp(fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                                                  fields[kYear], fields[kMonth], fields[kDay],
                                                  fields[kHour], fields[kMinute], fields[kSecond]));
  if (!time) return {std::nullopt, "the name's date and time is no valid time"};
  return {*time, ""};
}

}  // namespace marquee::pipeline
