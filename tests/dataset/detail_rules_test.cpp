#include "dataset/detail_rules.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "format/byte_source.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {
namespace {

/// Reads `csv` (a header and one record) with the real CSV reader and applies the rules of
/// `file` to the record through `apply`.
template <typename Row, typename Apply>
std::optional<RowError> apply_one(DetailFile file, const std::string& csv, Row& row,
                                  Apply&& apply) {
  auto source = format::string_source(csv);
  format::CsvReader reader(*source);
  format::CsvRecord header_record;
  EXPECT_TRUE(reader.next(header_record));
  std::vector<std::string> header_text(header_record.fields.begin(), header_record.fields.end());
  std::vector<std::string_view> header(header_text.begin(), header_text.end());
  DetailRules rules(file, header, std::string(entry_name(file)));
  format::CsvRecord record;
  EXPECT_TRUE(reader.next(record));
  return apply(rules, record, row);
}

std::optional<RowError> rating(const std::string& line, RatingRow& row) {
  return apply_one(DetailFile::kRatings, "userId,movieId,rating,timestamp\n" + line, row,
                   [](const DetailRules& r, const format::CsvRecord& rec, RatingRow& out) {
                     return r.apply(rec, out);
                   });
}

std::optional<RowError> link(const std::string& line, LinkRow& row) {
  WarningTally warnings;
  return apply_one(DetailFile::kLinks, "movieId,imdbId,tmdbId\r\n" + line, row,
                   [&](const DetailRules& r, const format::CsvRecord& rec, LinkRow& out) {
                     return r.apply(rec, out, warnings);
                   });
}

std::optional<RowError> keywords(const std::string& line, KeywordsRow& row,
                                 WarningTally& warnings) {
  return apply_one(DetailFile::kKeywords, "id,keywords\n" + line, row,
                   [&](const DetailRules& r, const format::CsvRecord& rec, KeywordsRow& out) {
                     return r.apply(rec, out, warnings);
                   });
}

std::optional<RowError> credits(const std::string& line, CreditsRow& row, WarningTally& warnings) {
  return apply_one(DetailFile::kCredits, "cast,crew,id\n" + line, row,
                   [&](const DetailRules& r, const format::CsvRecord& rec, CreditsRow& out) {
                     return r.apply(rec, out, warnings);
                   });
}

TEST(DetailRules, RatingsAreHalfStarsFromHalfToFive) {
  EXPECT_EQ(parse_rating_halves("0.5"), 1);
  EXPECT_EQ(parse_rating_halves("4"), 8);
  EXPECT_EQ(parse_rating_halves("4.0"), 8);
  EXPECT_EQ(parse_rating_halves("4.5"), 9);
  EXPECT_EQ(parse_rating_halves("5.0"), 10);
  for (const char* bad :
       {"0", "0.0", "5.5", "6", "4.50", "4.", ".5", "04.0", "-1", " 4", "4.3", "", "4e0"}) {
    EXPECT_FALSE(parse_rating_halves(bad).has_value()) << bad;
  }
}

TEST(DetailRules, AcceptedRatingKeepsItsValues) {
  RatingRow row;
  EXPECT_FALSE(rating("7,31,2.5,1260759144\r\n", row).has_value());
  EXPECT_EQ(row.user_id, 7);
  EXPECT_EQ(row.movielens_id, 31);
  EXPECT_EQ(row.rating_halves, 5);
  EXPECT_EQ(row.rated_at, 1260759144);
}

TEST(DetailRules, RatingRulesRunInTheOrderOfTheSpec) {
  RatingRow row;
  auto reason = [&](const std::string& line) {
    auto e = rating(line, row);
    return e ? std::string(to_string(e->reason)) : std::string("accepted");
  };
  EXPECT_EQ(reason("1,2,3\n"), "field_count");
  EXPECT_EQ(reason("0,2,3.0,5\n"), "bad_id");
  EXPECT_EQ(reason("1,x,3.0,5\n"), "bad_id");
  EXPECT_EQ(reason("1,x,9.0,-5\n"), "bad_id");  // the id is checked first
  EXPECT_EQ(reason("1,2,9.0,-5\n"), "bad_number");
  EXPECT_EQ(reason("1,2,3.0,-5\n"), "bad_number");
  EXPECT_EQ(reason("1,2,3.0,1.5\n"), "bad_number");
  EXPECT_EQ(reason("1,2,3.0,0\n"), "accepted");
  EXPECT_EQ(reason("1,99999999999999999999,3.0,0\n"), "bad_id");
}

TEST(DetailRules, ARejectKeepsItsLineAndRawRecord) {
  RatingRow row;
  auto e = rating("1,2,7,5\n", row);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->line, 2u);
  EXPECT_EQ(e->raw, "1,2,7,5");
  EXPECT_NE(e->detail.find("rating '7'"), std::string::npos) << e->detail;
}

TEST(DetailRules, LinksKeepTheImdbTextAndAnEmptyTmdbId) {
  LinkRow row;
  EXPECT_FALSE(link("1,0114709,862\r\n", row).has_value());
  EXPECT_EQ(row.movielens_id, 1);
  EXPECT_EQ(row.imdb_id, "0114709");
  EXPECT_EQ(row.tmdb_id, 862);
  EXPECT_FALSE(link("2,0113497,\r\n", row).has_value());
  EXPECT_FALSE(row.tmdb_id.has_value());
  auto bad_tmdb = link("3,0113497,862.0\r\n", row);
  ASSERT_TRUE(bad_tmdb.has_value());
  EXPECT_EQ(bad_tmdb->reason, RejectReason::kBadId);
  auto bad_movie = link("0,0113497,5\r\n", row);
  ASSERT_TRUE(bad_movie.has_value());
  EXPECT_EQ(bad_movie->reason, RejectReason::kBadId);
}

TEST(DetailRules, KeywordsDropItemsWithoutAnIdAndCountARepeatedIdOnce) {
  KeywordsRow row;
  WarningTally warnings;
  auto e = keywords(
      "862,\"[{'id': 931, 'name': 'jealousy'}, {'name': 'no id'}, {'id': 931, 'name': 'again'}, "
      "{'id': 15101, 'name': \"\"children's book\"\"}]\"\n",
      row, warnings);
  ASSERT_FALSE(e.has_value()) << e->detail;
  EXPECT_EQ(row.movie_id, 862);
  ASSERT_EQ(row.keywords.size(), 2u);
  EXPECT_EQ(row.keywords[0].name, "jealousy");
  EXPECT_EQ(row.keywords[1].name, "children's book");
  EXPECT_EQ(warnings.count(WarningKind::kDroppedItem), 1u);
}

TEST(DetailRules, KeywordsThatAreNoListAreABadLiteral) {
  KeywordsRow row;
  WarningTally warnings;
  auto e = keywords("5,\"{'id': 1}\"\n", row, warnings);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, RejectReason::kBadLiteral);
  e = keywords("5,\"[{'id': 1,\"\n", row, warnings);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, RejectReason::kBadLiteral);
  EXPECT_FALSE(keywords("5,\n", row, warnings).has_value());  // empty: no keywords
  EXPECT_TRUE(row.keywords.empty());
}

TEST(DetailRules, CreditsReadCastAndCrewWithTheirPeople) {
  CreditsRow row;
  WarningTally warnings;
  auto e = credits(
      "\"[{'cast_id': 14, 'character': 'Woody (voice)', 'credit_id': '52fe4284c3a36847f8024f95', "
      "'gender': 2, 'id': 31, 'name': 'Tom Hanks', 'order': 0, 'profile_path': None}]\","
      "\"[{'credit_id': '52fe4284c3a36847f8024f49', 'department': 'Directing', 'gender': 2, "
      "'id': 7879, 'job': 'Director', 'name': 'John Lasseter', 'profile_path': '/x.jpg'}, "
      "{'department': 'Sound', 'id': 1, 'name': 'No credit id'}]\",862\n",
      row, warnings);
  ASSERT_FALSE(e.has_value()) << e->detail;
  EXPECT_EQ(row.movie_id, 862);
  ASSERT_EQ(row.cast.size(), 1u);
  EXPECT_EQ(row.cast[0].person.name, "Tom Hanks");
  EXPECT_EQ(row.cast[0].character, "Woody (voice)");
  EXPECT_EQ(row.cast[0].cast_order, 0);
  EXPECT_FALSE(row.cast[0].person.profile_path.has_value());
  ASSERT_EQ(row.crew.size(), 1u);
  EXPECT_EQ(row.crew[0].job, "Director");
  EXPECT_EQ(row.crew[0].person.id, 7879);
  EXPECT_EQ(warnings.count(WarningKind::kDroppedItem), 1u);
}

TEST(DetailRules, CreditsCheckTheIdBeforeTheLiterals) {
  CreditsRow row;
  WarningTally warnings;
  auto e = credits("\"[oops\",[],abc\n", row, warnings);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, RejectReason::kBadId);
  e = credits("[],\"[oops\",12\n", row, warnings);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->reason, RejectReason::kBadLiteral);
}

TEST(DetailRules, AHeaderWithoutAColumnTheRulesReadIsRefused) {
  std::vector<std::string_view> header = {"userId", "movieId", "timestamp"};
  try {
    DetailRules rules(DetailFile::kRatings, header, "ratings.csv");
    FAIL() << "a header without rating was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_NE(std::string(e.what()).find("rating"), std::string::npos) << e.what();
  }
}

TEST(DetailRules, ColumnsAreFoundByName) {
  RatingRow row;
  auto e = apply_one(DetailFile::kRatings, "timestamp,rating,extra,movieId,userId\n9,1.5,x,3,4\n",
                     row, [](const DetailRules& r, const format::CsvRecord& rec, RatingRow& out) {
                       return r.apply(rec, out);
                     });
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(row.user_id, 4);
  EXPECT_EQ(row.movielens_id, 3);
  EXPECT_EQ(row.rating_halves, 3);
  EXPECT_EQ(row.rated_at, 9);
}

}  // namespace
}  // namespace marquee::dataset
