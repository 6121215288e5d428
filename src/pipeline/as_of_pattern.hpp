#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace marquee::pipeline {

/// What AsOfPattern::match found: the data time, or why the name gives none.
struct AsOfMatch {
  std::optional<std::string> data_time;  ///< "YYYY-MM-DDTHH:MM:SS.000Z", as normalize_utc_timestamp
  std::string mismatch;                  ///< empty when data_time is set
};

/// The data time written in an archive's file name (`backfill --as-of-pattern`), strftime-like:
/// %Y four digits, %m %d %H %M %S two digits each, %% a percent sign, `*` any run of characters
/// (as few as possible); every other character must be there as written, and the pattern covers
/// the whole name. A field left out is the start of its period (`movies-%Y-%m.zip` is the 1st of
/// the month, 00:00:00 UTC); the time is UTC.
class AsOfPattern {
 public:
  /// Throws marquee::Error(kUsage) for an unknown %-token, a token given twice, a pattern
  /// without %Y, or a field without the coarser one it refines (%d without %m, %M without %H…).
  explicit AsOfPattern(std::string_view pattern);
  ~AsOfPattern();
  AsOfPattern(const AsOfPattern&);
  AsOfPattern& operator=(const AsOfPattern&);

  /// The data time of the base name NAME. Digits in the right places but out of range (month 13,
  /// February 30th, hour 24) are a mismatch naming the field.
  AsOfMatch match(std::string_view name) const;

  const std::string& text() const { return text_; }

 private:
  struct Element;
  std::string text_;
  std::vector<Element> elements_;
};

}  // namespace marquee::pipeline
