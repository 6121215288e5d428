#include "dataset/content_hash.hpp"

#include <gtest/gtest.h>

namespace marquee::dataset {
namespace {

MovieRow sample() {
  MovieRow row;
  row.id = 862;
  row.line = 2;
  row.title = "Toy Story";
  row.release_date = "1995-10-30";
  row.release_year = 1995;
  row.budget = 30000000;
  row.popularity_micros = 21946943;
  row.runtime = 81.0;
  row.collection = Collection{10194, "Toy Story Collection", "/p.jpg", std::nullopt};
  row.genres = {{16, "Animation"}, {35, "Comedy"}};
  row.companies = {{3, "Pixar"}};
  row.countries = {{"US", "United States of America"}};
  row.languages = {{"en", "English"}};
  return row;
}

TEST(ContentHash, EqualRecordsOnOtherLinesHashAlike) {
  MovieRow other = sample();
  other.line = 9000;
  EXPECT_EQ(content_hash(sample()), content_hash(other));
}

TEST(ContentHash, TheOrderOfALinkListDoesNotCount) {
  MovieRow other = sample();
  std::swap(other.genres[0], other.genres[1]);
  EXPECT_EQ(content_hash(sample()), content_hash(other));
}

TEST(ContentHash, EveryPartOfTheRecordCounts) {
  const std::int64_t base = content_hash(sample());
  auto differs = [&](auto change) {
    MovieRow row = sample();
    change(row);
    return content_hash(row) != base;
  };
  EXPECT_TRUE(differs([](MovieRow& r) { r.title = "Toy Story 2"; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.title.reset(); }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.tagline = ""; }));  // empty is not NULL
  EXPECT_TRUE(differs([](MovieRow& r) { r.budget = 30000001; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.popularity_micros = 21946944; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.runtime = 82.0; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.adult = false; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.collection->poster_path = "/q.jpg"; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.collection.reset(); }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.genres[1].name = "Comedy!"; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.genres.pop_back(); }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.companies[0].id = 4; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.countries.clear(); }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.languages[0].name = "english"; }));
  EXPECT_TRUE(differs([](MovieRow& r) { r.id = 863; }));
}

TEST(ContentHash, TextBoundariesCount) {
  MovieRow a = sample(), b = sample();
  a.title = "ab";
  a.original_title = "c";
  b.title = "a";
  b.original_title = "bc";
  EXPECT_NE(content_hash(a), content_hash(b));
}

TEST(ContentHash, IsTheSameOnEveryRunAndBuild) {
  // A stored hash is compared with one a later build computes: changing the digest would count
  // every movie of the next batch as updated. Change this value only with a schema migration.
  EXPECT_EQ(content_hash(sample()), std::int64_t{8441350966359699210});
}

}  // namespace
}  // namespace marquee::dataset
