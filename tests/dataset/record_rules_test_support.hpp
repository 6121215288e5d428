#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "dataset/record_rules.hpp"
#include "format/csv_field.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset::test {

/// The header of movies_metadata.csv, with its line end.
inline constexpr const char* kHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count\n";

/// What the rules made of one record, and the warnings they counted.
struct Applied {
  std::variant<MovieRow, RowError> result;
  WarningTally warnings;
};

/// Parses kHeader + one record with the real CSV reader and applies the rules.
inline Applied apply_record(const std::string& record) {
  auto source = format::string_source(std::string(kHeader) + record);
  format::CsvReader reader(*source);
  format::CsvRecord header_record;
  EXPECT_TRUE(reader.next(header_record));
  std::vector<std::string> header_text(header_record.fields.begin(), header_record.fields.end());
  std::vector<std::string_view> header(header_text.begin(), header_text.end());
  MovieRecordRules rules(header, "movies_metadata.csv");
  format::CsvRecord rec;
  EXPECT_TRUE(reader.next(rec));
  Applied a{MovieRow{}, {}};
  a.result = rules.apply(rec, a.warnings);
  return a;
}

/// `base` (one CSV record) with the field at `column` replaced by `value`, quoted as needed.
inline std::string with_field(int column, const std::string& value, const std::string& base) {
  auto source = format::string_source(base);
  format::CsvReader reader(*source);
  format::CsvRecord rec;
  reader.next(rec);
  std::string out;
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    if (i > 0) out += ',';
    format::append_csv_field(
        out, static_cast<int>(i) == column ? std::string_view(value) : rec.fields[i]);
  }
  return out + "\n";
}

}  // namespace marquee::dataset::test
