#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataset/movie_row.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {

/// Why a record was kept out of the model (SPEC 3.4), in the order the rules are checked.
enum class RejectReason { kFieldCount, kBadId, kBadBool, kBadNumber, kBadLiteral };
std::string_view to_string(RejectReason reason);

/// A rejected record: a value for the reject sink, not an exception.
struct RowError {
  RejectReason reason = RejectReason::kFieldCount;
  std::uint64_t line = 0;
  std::string detail;  ///< which column and why, for the operator
  std::string raw;     ///< the record as read (invalid UTF-8 replaced)
};

/// Problems that NULL a value or drop an item but keep the record.
enum class WarningKind {
  kInvalidUtf8,
  kBadReleaseDate,
  kBadGenreItem,
  kBadCompanyItem,
  kPopularityRounded,
  kBadCountryItem,
  kBadLanguageItem,
  kBadCollection,
  /// keywords.csv or credits.csv: the id is no movie of the model; the row is counted as loaded
  /// but writes nothing (SPEC 3.5).
  kUnknownMovie,
  /// keywords.csv or credits.csv: a list item without an integer id (or the text it needs).
  kDroppedItem,
};
inline constexpr std::size_t kWarningKinds = 10;
std::string_view to_string(WarningKind kind);

struct Warning {
  WarningKind kind;
  std::uint64_t line;
  std::string detail;
};

/// Warning counts by kind, plus the first few examples for the error log.
class WarningTally {
 public:
  void add(WarningKind kind, std::uint64_t line, std::string detail);
  std::uint64_t count(WarningKind kind) const { return counts_[static_cast<std::size_t>(kind)]; }
  std::uint64_t total() const;
  /// Warnings kept verbatim (the first kKeep of each kind) for the error log.
  const std::vector<Warning>& examples() const { return examples_; }
  static constexpr std::uint64_t kKeep = 20;

 private:
  std::array<std::uint64_t, kWarningKinds> counts_{};
  std::vector<Warning> examples_;
};

/// The record rules of SPEC 3.4 for movies_metadata.csv. Columns are found by header name.
class MovieRecordRules {
 public:
  /// Throws marquee::Error(kBadData) when the header is not one marquee can read: a column name
  /// holds a line break (the sign of CR-only line ends, which SPEC 3.2 reads as ordinary text:
  /// the whole file would be one header), a column the rules read appears twice (which one holds
  /// the data?), or the `id` column is missing.
  MovieRecordRules(const std::vector<std::string_view>& header, std::string file_label);

  /// A normalized row, or why the record is rejected. Warnings go to `warnings`.
  std::variant<MovieRow, RowError> apply(const format::CsvRecord& record,
                                         WarningTally& warnings) const;

  /// Header columns this version does not know (logged once by the caller).
  const std::vector<std::string>& unknown_columns() const { return unknown_columns_; }
  /// Known columns the header lacks (their values are NULL).
  const std::vector<std::string>& missing_columns() const { return missing_columns_; }
  /// Columns the rules do not read that the header names more than once, as "'x' (columns 25
  /// and 26)": harmless, since neither is read, so a warning for the log rather than an error.
  /// The first 30, then "and N more".
  const std::vector<std::string>& repeated_unknown_columns() const {
    return repeated_unknown_columns_;
  }
  /// Warnings about the header itself (line 1): column names holding invalid UTF-8 or a NUL
  /// (kInvalidUtf8), for the caller's WarningTally. Every name above is printable().
  const std::vector<Warning>& header_warnings() const { return header_warnings_; }

 private:
  std::string file_label_;
  std::size_t field_count_ = 0;
  std::vector<int> column_;  ///< index of each known column in the header, or -1
  std::vector<std::string> unknown_columns_;
  std::vector<std::string> missing_columns_;
  std::vector<std::string> repeated_unknown_columns_;
  std::vector<Warning> header_warnings_;
};

/// `text` made fit for an operator's message: invalid UTF-8 as U+FFFD (as in field text), NUL as
/// \0 and the other control bytes as \r, \n, \t or \xNN, cut after `max_bytes` (at a
/// character, marked by "…"), so that a log line stays one readable line whatever the data holds.
std::string printable(std::string_view text, std::size_t max_bytes = 100);
/// printable(text) in single quotes, followed by its size when it was cut: 'abc…' (16777216
/// bytes). How the rules quote a value in a reject's detail.
std::string quote_value(std::string_view text);

/// Value parsers, exposed for tests.
/// budget/revenue: digits, optionally a point and zeros ("373554033.0"); nullopt when not.
std::optional<std::int64_t> parse_money(std::string_view text);
/// A plain or scientific decimal number ("21.946943", "1.7e-05", "-3", ".5").
bool is_number(std::string_view text);
/// A number as a double (runtime, vote_average, vote_count). nullopt when it is not a number or
/// lies beyond the range of a double ("1e400"): never a silent 0 or an infinity. A number too
/// small for a double ("1e-400") is 0, the nearest value, as popularity rounds to 0 too.
std::optional<double> parse_real(std::string_view text);
/// A number in millionths, rounded half to even; `rounded` tells whether digits were dropped.
std::optional<std::int64_t> parse_micros(std::string_view text, bool& rounded);
/// YYYY-MM-DD with a real calendar day (year 0001..9999); the year, or nullopt.
std::optional<int> parse_date_year(std::string_view text);

}  // namespace marquee::dataset
