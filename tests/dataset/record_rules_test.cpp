#include "dataset/record_rules.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "dataset/record_rules_test_support.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {
namespace {

using test::Applied;
using test::apply_record;
using test::kHeader;

// Toy Story, byte for byte from the real movies_metadata.csv.
const char* kToyStory =
    "False,\"{'id': 10194, 'name': 'Toy Story Collection', 'poster_path': "
    "'/7G9915LfUQ2lVfwMEEhDsn3kT4B.jpg', 'backdrop_path': '/9FBwqcd9IRruEDUrTdcaafOMKUq.jpg'}\","
    "30000000,\"[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}, {'id': 10751, "
    "'name': 'Family'}]\",http://toystory.disney.com/toy-story,862,tt0114709,en,Toy Story,\"Led by "
    "Woody, Andy's toys live happily in his room.\",21.946943,/rhIRbceoE9lR4veEXuwCC2wARtG.jpg,"
    "\"[{'name': 'Pixar Animation Studios', 'id': 3}]\",\"[{'iso_3166_1': 'US', 'name': 'United "
    "States of America'}]\",1995-10-30,373554033,81.0,\"[{'iso_639_1': 'en', 'name': "
    "'English'}]\",Released,,Toy Story,False,7.7,5415\n";

/// The Toy Story record with one column replaced (columns in header order).
std::string with_field(int column, const std::string& value, const std::string& base = kToyStory) {
  return test::with_field(column, value, base);
}

constexpr int kAdult = 0, kCollection = 1, kBudget = 2, kGenres = 3, kId = 5, kPopularity = 10,
              kCompanies = 12, kReleaseDate = 14, kRevenue = 15, kRuntime = 16, kVideo = 21,
              kVoteCount = 23;

RejectReason reason_of(const Applied& a) {
  EXPECT_TRUE(std::holds_alternative<RowError>(a.result));
  return std::get<RowError>(a.result).reason;
}
const MovieRow& row_of(const Applied& a) {
  EXPECT_TRUE(std::holds_alternative<MovieRow>(a.result)) << std::get<RowError>(a.result).detail;
  return std::get<MovieRow>(a.result);
}

TEST(MovieRecordRules, RealRecordIsNormalized) {
  auto a = apply_record(kToyStory);
  const MovieRow& row = row_of(a);
  EXPECT_EQ(row.id, 862);
  EXPECT_EQ(row.line, 2u);
  EXPECT_EQ(row.title, "Toy Story");
  EXPECT_EQ(row.budget, 30000000);
  EXPECT_EQ(row.revenue, 373554033);
  EXPECT_EQ(row.popularity_micros, 21946943);
  EXPECT_EQ(row.release_year, 1995);
  EXPECT_EQ(row.release_date, "1995-10-30");
  EXPECT_EQ(row.adult, false);
  ASSERT_EQ(row.genres.size(), 3u);
  EXPECT_EQ(row.genres[2].id, 10751);
  EXPECT_EQ(row.genres[2].name, "Family");
  ASSERT_EQ(row.companies.size(), 1u);
  EXPECT_EQ(row.companies[0].id, 3);
  EXPECT_EQ(row.companies[0].name, "Pixar Animation Studios");
  ASSERT_TRUE(row.collection);
  EXPECT_EQ(row.collection->id, 10194);
  EXPECT_EQ(row.countries.at(0).code, "US");
  EXPECT_EQ(row.languages.at(0).code, "en");
  EXPECT_FALSE(row.tagline);  // empty text is NULL
  EXPECT_EQ(a.warnings.total(), 0u);
}

TEST(MovieRecordRules, HeaderWithoutIdFails) {
  std::vector<std::string_view> header = {"adult", "title"};
  try {
    MovieRecordRules rules(header, "movies_metadata.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_NE(std::string(e.what()).find("'id'"), std::string::npos);
  }
}

TEST(MovieRecordRules, FieldCountDiffersFromHeader) {
  EXPECT_EQ(reason_of(apply_record("False,,1,[],x,862\n")), RejectReason::kFieldCount);
}

TEST(MovieRecordRules, FieldCountIsCheckedBeforeId) {
  EXPECT_EQ(reason_of(apply_record("False,,1,[],x,abc\n")), RejectReason::kFieldCount);
}

TEST(MovieRecordRules, IdMustBeAPositiveInteger) {
  for (const char* id :
       {"abc", "0", "-5", "1.0", " 12", "1995-10-30", "", "99999999999999999999"}) {
    EXPECT_EQ(reason_of(apply_record(with_field(kId, id))), RejectReason::kBadId) << id;
  }
}

TEST(MovieRecordRules, BoolsAcceptAnyCaseAndEmpty) {
  EXPECT_EQ(row_of(apply_record(with_field(kAdult, "TRUE"))).adult, true);
  EXPECT_EQ(row_of(apply_record(with_field(kAdult, "false"))).adult, false);
  EXPECT_FALSE(row_of(apply_record(with_field(kVideo, ""))).video);
}

TEST(MovieRecordRules, BadBool) {
  EXPECT_EQ(reason_of(apply_record(with_field(kAdult, "yes"))), RejectReason::kBadBool);
  EXPECT_EQ(reason_of(apply_record(with_field(kVideo, "1"))), RejectReason::kBadBool);
}

TEST(MovieRecordRules, BadIdIsReportedBeforeBadBool) {
  auto a = apply_record(with_field(kId, "x", with_field(kAdult, "maybe")));
  EXPECT_EQ(reason_of(a), RejectReason::kBadId);
}

TEST(MovieRecordRules, BadBoolIsReportedBeforeBadNumber) {
  auto a = apply_record(with_field(kVideo, "x", with_field(kBudget, "-1")));
  EXPECT_EQ(reason_of(a), RejectReason::kBadBool);
}

TEST(MovieRecordRules, MoneyAsPandasWritesIt) {
  EXPECT_EQ(row_of(apply_record(with_field(kRevenue, "373554033.0"))).revenue, 373554033);
  EXPECT_EQ(row_of(apply_record(with_field(kBudget, "2787965087"))).budget, 2787965087LL);
}

TEST(MovieRecordRules, MoneyZeroMeansUnknown) {
  EXPECT_FALSE(row_of(apply_record(with_field(kBudget, "0"))).budget);
  EXPECT_FALSE(row_of(apply_record(with_field(kRevenue, "0.0"))).revenue);
  EXPECT_FALSE(row_of(apply_record(with_field(kBudget, ""))).budget);
}

TEST(MovieRecordRules, BadMoney) {
  for (const char* v : {"1.5e7", "123.", "-1", "12.50", " 12", "abc", "1,000"}) {
    EXPECT_EQ(reason_of(apply_record(with_field(kBudget, v))), RejectReason::kBadNumber) << v;
  }
}

TEST(MovieRecordRules, BadNumber) {
  for (const char* v : {"abc", "nan", "inf", "1.2.3", "1e", " 1"}) {
    EXPECT_EQ(reason_of(apply_record(with_field(kPopularity, v))), RejectReason::kBadNumber) << v;
    EXPECT_EQ(reason_of(apply_record(with_field(kRuntime, v))), RejectReason::kBadNumber) << v;
  }
  EXPECT_EQ(reason_of(apply_record(with_field(kVoteCount, "many"))), RejectReason::kBadNumber);
}

TEST(MovieRecordRules, ScientificPopularity) {
  EXPECT_EQ(row_of(apply_record(with_field(kPopularity, "1.7e-05"))).popularity_micros, 17);
}

TEST(MovieRecordRules, PopularityRoundedHalfToEvenWithWarning) {
  auto a = apply_record(with_field(kPopularity, "0.0000125"));
  EXPECT_EQ(row_of(a).popularity_micros, 12);
  EXPECT_EQ(a.warnings.count(WarningKind::kPopularityRounded), 1u);
  EXPECT_EQ(row_of(apply_record(with_field(kPopularity, "0.0000135"))).popularity_micros, 14);
  EXPECT_EQ(row_of(apply_record(with_field(kPopularity, "0.00001250001"))).popularity_micros, 13);
}

TEST(MovieRecordRules, BadLiteral) {
  EXPECT_EQ(reason_of(apply_record(with_field(kGenres, "[{'id': 16, 'name': 'Animation'"))),
            RejectReason::kBadLiteral);
  EXPECT_EQ(reason_of(apply_record(with_field(kCompanies, "{'id': 1}"))),
            RejectReason::kBadLiteral);
  EXPECT_EQ(reason_of(apply_record(with_field(kCollection, "[1, 2]"))), RejectReason::kBadLiteral);
}

TEST(MovieRecordRules, BadNumberIsReportedBeforeBadLiteral) {
  auto a = apply_record(with_field(kBudget, "x", with_field(kGenres, "[oops")));
  EXPECT_EQ(reason_of(a), RejectReason::kBadNumber);
}

TEST(MovieRecordRules, InvalidDateIsNullWithWarning) {
  auto a = apply_record(with_field(kReleaseDate, "1995-02-30"));
  EXPECT_FALSE(row_of(a).release_date);
  EXPECT_FALSE(row_of(a).release_year);
  EXPECT_EQ(a.warnings.count(WarningKind::kBadReleaseDate), 1u);
}

TEST(MovieRecordRules, EmptyDateIsNullWithoutWarning) {
  auto a = apply_record(with_field(kReleaseDate, ""));
  EXPECT_FALSE(row_of(a).release_year);
  EXPECT_EQ(a.warnings.total(), 0u);
}

TEST(MovieRecordRules, GenreItemWithoutIntegerIdIsDropped) {
  auto a = apply_record(
      with_field(kGenres, "[{'id': '16', 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}]"));
  ASSERT_EQ(row_of(a).genres.size(), 1u);
  EXPECT_EQ(row_of(a).genres[0].id, 35);
  EXPECT_EQ(a.warnings.count(WarningKind::kBadGenreItem), 1u);
}

TEST(MovieRecordRules, CompanyItemWithoutNameIsDropped) {
  auto a = apply_record(with_field(kCompanies, "[{'name': None, 'id': 3}]"));
  EXPECT_TRUE(row_of(a).companies.empty());
  EXPECT_EQ(a.warnings.count(WarningKind::kBadCompanyItem), 1u);
}

TEST(MovieRecordRules, RepeatedGenreCountsOnce) {
  auto a = apply_record(
      with_field(kGenres, "[{'id': 35, 'name': 'Comedy'}, {'id': 35, 'name': 'Comedy'}]"));
  EXPECT_EQ(row_of(a).genres.size(), 1u);
}

TEST(MovieRecordRules, EmptyListAndEmptyFieldMeanNoItems) {
  EXPECT_TRUE(row_of(apply_record(with_field(kGenres, "[]"))).genres.empty());
  EXPECT_TRUE(row_of(apply_record(with_field(kCompanies, ""))).companies.empty());
}

TEST(MovieRecordRules, ApostropheNameInDoubleQuotes) {
  auto a = apply_record(with_field(kCompanies, "[{'name': \"Po' Boy Productions\", 'id': 7}]"));
  EXPECT_EQ(row_of(a).companies.at(0).name, "Po' Boy Productions");
}

TEST(MovieRecordRules, InvalidUtf8IsReplacedWithWarning) {
  auto a = apply_record(with_field(9, std::string("caf\xe9 au lait")));
  EXPECT_EQ(row_of(a).overview, "caf\xEF\xBF\xBD au lait");
  EXPECT_EQ(a.warnings.count(WarningKind::kInvalidUtf8), 1u);
}

TEST(MovieRecordRules, PlainTextColumnsAreTakenAsTheyAre) {
  const MovieRow row = row_of(apply_record(kToyStory));
  EXPECT_EQ(row.imdb_id, "tt0114709");
  EXPECT_EQ(row.title, "Toy Story");
  EXPECT_EQ(row.original_title, "Toy Story");
  EXPECT_EQ(row.original_language, "en");
  EXPECT_EQ(row.overview, "Led by Woody, Andy's toys live happily in his room.");
  EXPECT_EQ(row.homepage, "http://toystory.disney.com/toy-story");
  EXPECT_EQ(row.poster_path, "/rhIRbceoE9lR4veEXuwCC2wARtG.jpg");
  EXPECT_EQ(row.status, "Released");
  EXPECT_EQ(row.tagline, std::nullopt);
}

TEST(MovieRecordRules, WarningsKeepTheOrderOfTheRules) {
  std::string record = with_field(9, "caf\xe9");
  record = with_field(kPopularity, "1.23456789", record);
  record = with_field(kReleaseDate, "1995-13-01", record);
  record = with_field(kCollection, "{'name': 'x'}", record);
  record = with_field(kGenres, "[{'id': 'x', 'name': 'A'}]", record);
  record = with_field(kCompanies, "[{'id': 3}]", record);
  record = with_field(13, "[{'name': 'Nowhere'}]", record);
  record = with_field(17, "[{'iso_639_1': ''}]", record);
  auto a = apply_record(record);
  row_of(a);
  std::vector<std::pair<std::string_view, std::string>> seen;
  for (const Warning& w : a.warnings.examples()) {
    EXPECT_EQ(w.line, 2u);
    seen.emplace_back(to_string(w.kind), w.detail);
  }
  EXPECT_EQ(seen,
            (std::vector<std::pair<std::string_view, std::string>>{
                {"invalid_utf8", "invalid UTF-8 replaced by U+FFFD"},
                {"popularity_rounded", "popularity '1.23456789' rounded to six decimals"},
                {"bad_release_date",
                 "release_date '1995-13-01' is not a YYYY-MM-DD date; stored as NULL"},
                {"bad_collection", "belongs_to_collection has no integer 'id'; stored as NULL"},
                {"bad_genre_item",
                 "genres: an item without an integer 'id' and a string 'name' was dropped"},
                {"bad_company_item",
                 "production_companies: an item without an integer 'id' and a string "
                 "'name' was dropped"},
                {"bad_country_item",
                 "production_countries: an item without a string 'iso_3166_1' was dropped"},
                {"bad_language_item",
                 "spoken_languages: an item without a string 'iso_639_1' was dropped"},
            }));
}

TEST(MovieRecordRules, RejectedRecordCountsNoWarnings) {
  std::string record = with_field(9, "caf\xe9");
  record = with_field(kPopularity, "1.23456789", record);
  record = with_field(kGenres, "{'id': 1}", record);
  auto a = apply_record(record);
  EXPECT_EQ(reason_of(a), RejectReason::kBadLiteral);
  EXPECT_EQ(a.warnings.total(), 0u);
}

TEST(MovieRecordRules, RejectCarriesLineDetailAndRepairedRecord) {
  std::string record = with_field(kId, "12a", with_field(9, "caf\xe9"));
  auto a = apply_record(record);
  ASSERT_EQ(reason_of(a), RejectReason::kBadId);
  const RowError& e = std::get<RowError>(a.result);
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.detail, "id '12a' is not a positive integer");
  std::string expected = record.substr(0, record.size() - 1);
  expected.replace(expected.find("caf\xe9"), 4, "caf\xEF\xBF\xBD");
  EXPECT_EQ(e.raw, expected);
}

TEST(MovieRecordRules, HeaderColumnsAreSortedIntoUnknownAndMissing) {
  std::vector<std::string_view> header = {"title", "id", "extra", "adult", "budget", "video"};
  MovieRecordRules rules(header, "movies_metadata.csv");
  EXPECT_EQ(rules.unknown_columns(), std::vector<std::string>{"extra"});
  EXPECT_EQ(rules.missing_columns(),
            (std::vector<std::string>{
                "belongs_to_collection", "genres", "homepage", "imdb_id", "original_language",
                "original_title", "overview", "popularity", "poster_path", "production_companies",
                "production_countries", "release_date", "revenue", "runtime", "spoken_languages",
                "status", "tagline", "vote_average", "vote_count"}));
}

TEST(MovieRecordRules, MissingColumnsAreNull) {
  std::vector<std::string_view> header = {"id", "title"};
  MovieRecordRules rules(header, "movies_metadata.csv");
  auto source = format::string_source("5,Heat\n");
  format::CsvReader reader(*source);
  format::CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  WarningTally warnings;
  auto result = rules.apply(record, warnings);
  ASSERT_TRUE(std::holds_alternative<MovieRow>(result));
  const MovieRow& row = std::get<MovieRow>(result);
  EXPECT_EQ(row.id, 5);
  EXPECT_EQ(row.title, "Heat");
  EXPECT_EQ(row.overview, std::nullopt);
  EXPECT_EQ(row.adult, std::nullopt);
  EXPECT_EQ(row.popularity_micros, std::nullopt);
  EXPECT_EQ(warnings.total(), 0u);
}

TEST(ValueParsers, Money) {
  EXPECT_EQ(parse_money("0"), 0);
  EXPECT_EQ(parse_money("10.000"), 10);
  EXPECT_FALSE(parse_money("10."));
  EXPECT_FALSE(parse_money(".0"));
  EXPECT_FALSE(parse_money("+1"));
}

TEST(ValueParsers, Numbers) {
  EXPECT_TRUE(is_number("21.946943"));
  EXPECT_TRUE(is_number("1.7e-05"));
  EXPECT_TRUE(is_number("-3"));
  EXPECT_TRUE(is_number(".5"));
  EXPECT_TRUE(is_number("5E+3"));
  EXPECT_FALSE(is_number("."));
  EXPECT_FALSE(is_number("e5"));
  EXPECT_FALSE(is_number("1e+"));
}

TEST(ValueParsers, Micros) {
  bool rounded = false;
  EXPECT_EQ(parse_micros("547.488298", rounded), 547488298);
  EXPECT_FALSE(rounded);
  EXPECT_EQ(parse_micros("1e-7", rounded), 0);
  EXPECT_TRUE(rounded);
  EXPECT_EQ(parse_micros("0.0000005", rounded), 0);  // half to even: 0
  EXPECT_EQ(parse_micros("0.0000015", rounded), 2);  // half to even: 2
  EXPECT_EQ(parse_micros("-0.0000025", rounded), -2);
  EXPECT_EQ(parse_micros("2e3", rounded), 2000000000);
  EXPECT_FALSE(parse_micros("1e300", rounded));
}

TEST(ValueParsers, Dates) {
  EXPECT_EQ(parse_date_year("2000-02-29"), 2000);
  EXPECT_FALSE(parse_date_year("1900-02-29"));
  EXPECT_FALSE(parse_date_year("2001-13-01"));
  EXPECT_FALSE(parse_date_year("2001-1-01"));
  EXPECT_FALSE(parse_date_year("0000-01-01"));
  EXPECT_FALSE(parse_date_year("1995-10-30 "));
}

}  // namespace
}  // namespace marquee::dataset
