#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/detail_rows.hpp"
#include "dataset/record_rules.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {

/// The record rules of SPEC 3.5 for links.csv, ratings.csv, keywords.csv and credits.csv.
/// Columns are found by header name; the checks run in the order of the table of SPEC 3.5 and
/// the first that fails is the record's reason. Values are not trimmed.
class DetailRules {
 public:
  /// Throws marquee::Error(kBadData) when the header lacks a column the file's rules read, or
  /// names one twice: every record would be rejected, or read from a guessed column.
  DetailRules(DetailFile file, const std::vector<std::string_view>& header, std::string file_label);

  DetailFile file() const { return file_; }
  /// Header columns the rules do not read (logged once by the caller).
  const std::vector<std::string>& unknown_columns() const { return unknown_columns_; }

  /// Each returns the reason a record is rejected, or fills `out`. Warnings go to `warnings`.
  std::optional<RowError> apply(const format::CsvRecord& record, LinkRow& out,
                                WarningTally& warnings) const;
  std::optional<RowError> apply(const format::CsvRecord& record, RatingRow& out) const;
  std::optional<RowError> apply(const format::CsvRecord& record, KeywordsRow& out,
                                WarningTally& warnings) const;
  std::optional<RowError> apply(const format::CsvRecord& record, CreditsRow& out,
                                WarningTally& warnings) const;

 private:
  std::size_t column(std::string_view name) const;
  std::optional<RowError> check_fields(const format::CsvRecord& record) const;
  /// field_count, then the id of keywords.csv and credits.csv (a positive integer, else bad_id).
  std::optional<RowError> check_movie_id(const format::CsvRecord& record, std::int64_t& id) const;

  DetailFile file_;
  std::string file_label_;
  std::vector<std::string> header_;
  std::vector<std::string> unknown_columns_;
  std::size_t field_count_ = 0;
  /// The indexes of the columns the rules read, in the order of the file's table row.
  std::vector<std::size_t> at_;
};

/// A rating as SPEC 3.5 writes it ("4", "4.0", "4.5"; 0.5 to 5.0) in half stars, or nullopt.
std::optional<int> parse_rating_halves(std::string_view text);
/// Decimal digits only, within 64 bits, above 0 (or at least 0 when `zero_ok`); else nullopt.
std::optional<std::int64_t> parse_whole_number(std::string_view text, bool zero_ok);

}  // namespace marquee::dataset
