#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "dataset/record_rules.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kColumns = {"adult",
                                           "belongs_to_collection",
                                           "budget",
                                           "genres",
                                           "homepage",
                                           "id",
                                           "imdb_id",
                                           "original_language",
                                           "original_title",
                                           "overview",
                                           "popularity",
                                           "poster_path",
                                           "production_companies",
                                           "production_countries",
                                           "release_date",
                                           "revenue",
                                           "runtime",
                                           "spoken_languages",
                                           "status",
                                           "tagline",
                                           "title",
                                           "video",
                                           "vote_average",
                                           "vote_count"};

std::vector<std::string_view> views(const std::vector<std::string>& names) {
  return {names.begin(), names.end()};
}

/// The message of the Error that the rules throw for `header`, or "" when they accept it.
std::string error_for(const std::vector<std::string>& header) {
  try {
    MovieRecordRules rules(views(header), "movies_metadata.csv");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    return e.what();
  }
  return "";
}

TEST(MovieRecordHeader, NeededColumnTwiceFailsNamingBothPositions) {
  auto header = kColumns;
  header.push_back("budget");
  EXPECT_EQ(error_for(header),
            "movies_metadata.csv: line 1: column 'budget' appears twice (columns 3 and 25); "
            "marquee cannot tell which one holds the data — fix the header");
}

TEST(MovieRecordHeader, PlainTextColumnTwiceFails) {
  auto header = kColumns;
  header.insert(header.begin(), "title");
  EXPECT_THAT(error_for(header), HasSubstr("column 'title' appears twice (columns 1 and 22)"));
}

TEST(MovieRecordHeader, UnusedColumnTwiceIsListedNotAnError) {
  auto header = kColumns;
  header.push_back("extra");
  header.push_back("extra");
  MovieRecordRules rules(views(header), "movies_metadata.csv");
  EXPECT_EQ(rules.unknown_columns(), std::vector<std::string>{"extra"});
  EXPECT_EQ(rules.repeated_unknown_columns(),
            std::vector<std::string>{"'extra' (columns 25 and 26)"});
  EXPECT_TRUE(rules.missing_columns().empty());
}

TEST(MovieRecordHeader, BareCrInAColumnNameFailsSayingTheLineEndsAreCrOnly) {
  // The whole file, its lines ended by CR alone, reads as one record: the header.
  auto source =
      format::string_source("id,title,adult,release_date\r5,Heat,False,\r6,Ronin,False,\r");
  format::CsvReader reader(*source);
  format::CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  std::vector<std::string> header(record.fields.begin(), record.fields.end());
  std::string message = error_for(header);
  EXPECT_THAT(message, HasSubstr("movies_metadata.csv: line 1: column 4 of the header, "
                                 "'release_date\\r5', holds a bare CR: the file's lines seem to "
                                 "end with CR only"));
  EXPECT_THAT(message, HasSubstr("convert its line ends to LF"));
  EXPECT_EQ(message.find('\r'), std::string::npos);
}

TEST(MovieRecordHeader, LineFeedInAQuotedColumnNameFails) {
  EXPECT_THAT(error_for({"id", "ti\ntle"}),
              HasSubstr("column 2 of the header, 'ti\\ntle', holds a line break; the header is "
                        "damaged"));
}

TEST(MovieRecordHeader, InvalidUtf8AndNulInNamesAreCleanedAndOneWarning) {
  std::vector<std::string> header = {"id", "ti\xfftle", std::string("ex\0tra", 6), "title"};
  MovieRecordRules rules(views(header), "movies_metadata.csv");
  EXPECT_EQ(rules.unknown_columns(), (std::vector<std::string>{"ti\xEF\xBF\xBDtle", "ex\\0tra"}));
  ASSERT_EQ(rules.header_warnings().size(), 1u);
  const Warning& w = rules.header_warnings()[0];
  EXPECT_EQ(w.kind, WarningKind::kInvalidUtf8);
  EXPECT_EQ(w.line, 1u);
  EXPECT_THAT(w.detail, HasSubstr("columns 2, 3"));
}

TEST(MovieRecordHeader, CleanHeaderHasNoWarnings) {
  MovieRecordRules rules(views(kColumns), "movies_metadata.csv");
  EXPECT_TRUE(rules.header_warnings().empty());
  EXPECT_TRUE(rules.repeated_unknown_columns().empty());
}

TEST(MovieRecordHeader, HeaderWithoutIdNamesItsColumnsWithoutRawBytes) {
  std::string message = error_for({"adult", std::string("ti\0tle", 6), "caf\xe9"});
  EXPECT_THAT(message, HasSubstr("found 3 columns: adult,ti\\0tle,caf\xEF\xBF\xBD); the file is "
                                 "not movies_metadata.csv"));
  EXPECT_EQ(message.find('\0'), std::string::npos);
}

TEST(MovieRecordHeader, LongHeaderWithoutIdIsCutInTheMessage) {
  std::vector<std::string> header;
  for (int i = 0; i < 1000; ++i) header.push_back("column_" + std::string(200, 'x'));
  std::string message = error_for(header);
  EXPECT_LT(message.size(), 2000u);
  EXPECT_THAT(message, HasSubstr("and 970 more); the file is not movies_metadata.csv"));
  EXPECT_THAT(message, Not(HasSubstr(std::string(200, 'x'))));
}

TEST(MovieRecordHeader, HugeHeaderOfOneRepeatedNameIsReadQuicklyAndListedShort) {
  // A file without line ends reads as one header of millions of (mostly empty) names.
  std::vector<std::string> header(200'000, "");
  header[7] = "id";
  MovieRecordRules rules(views(header), "movies_metadata.csv");
  EXPECT_EQ(rules.unknown_columns(), std::vector<std::string>{""});
  ASSERT_EQ(rules.repeated_unknown_columns().size(), 31u);
  EXPECT_EQ(rules.repeated_unknown_columns()[0], "'' (columns 1 and 2)");
  EXPECT_EQ(rules.repeated_unknown_columns()[30], "and 199968 more");
}

}  // namespace
}  // namespace marquee::dataset
