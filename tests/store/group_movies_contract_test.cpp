// The movies behind a report row (Store::group_movies and its lookups), on every engine of the
// store contract (instantiated in store_contract_test.cpp).
#include <gmock/gmock.h>

#include "common/error.hpp"
#include "store_contract.hpp"

namespace marquee::store::test {
namespace {

using dataset::MovieRow;
using dataset::NamedItem;
using ::testing::ElementsAre;

const NamedItem kAction{1, "Action"}, kDrama{2, "Drama"};
const NamedItem kAcme{10, "Acme"}, kBeta{11, "Beta"};

MovieRow movie_of(std::int64_t id, int year, std::vector<NamedItem> genres,
                  std::vector<NamedItem> companies, std::optional<std::int64_t> popularity) {
  MovieRow row = movie(id, std::move(genres), std::move(companies));
  row.release_year = year;
  row.release_date = fmt::format("{}-06-15", year);
  row.popularity_micros = popularity;
  return row;
}

/// Acme's movies of 2000 are 1, 2, 3 and 4 (3 also Beta's); 5 is of 2001, 6 has no release
/// year, 7 is Beta's only. Movies 1 and 4 tie on popularity; 2 has none.
void load_groups(Store& store) {
  auto batch = store.begin_batch(source("groups"));
  MovieRow first = movie_of(1, 2000, {kAction, kDrama}, {kAcme}, 5'500'000);
  first.budget = 10;
  first.revenue = 30;
  batch->upsert_movie(first);
  batch->upsert_movie(movie_of(2, 2000, {kDrama}, {kAcme}, std::nullopt));
  batch->upsert_movie(movie_of(3, 2000, {kAction}, {kAcme, kBeta}, 9'250'000));
  batch->upsert_movie(movie_of(4, 2000, {kAction}, {kAcme}, 5'500'000));
  batch->upsert_movie(movie_of(5, 2001, {kAction}, {kAcme}, 1'000'000));
  MovieRow undated = movie_of(6, 2000, {kAction}, {kAcme}, 2'000'000);
  undated.release_year.reset();
  undated.release_date.reset();
  batch->upsert_movie(undated);
  batch->upsert_movie(movie_of(7, 2000, {kDrama}, {kBeta}, 1'000'000));
  batch->commit({7, 7, 0, 0, 0}, false);
}

std::vector<std::int64_t> ids(const std::vector<GroupMovie>& movies) {
  std::vector<std::int64_t> out;
  for (const auto& m : movies) out.push_back(m.id);
  return out;
}

TEST_P(StoreContractTest, GroupMoviesOfACompanyYearAreMostPopularFirstThenById) {
  auto store = open();
  load_groups(*store);
  EXPECT_THAT(ids(store->group_movies({.company_id = 10, .genre_id = {}, .year = 2000})),
              ElementsAre(3, 1, 4, 2));
}

TEST_P(StoreContractTest, GroupMoviesOfACompanyGenreYearKeepOnlyThatGenre) {
  auto store = open();
  load_groups(*store);
  EXPECT_THAT(ids(store->group_movies({.company_id = 10, .genre_id = 1, .year = 2000})),
              ElementsAre(3, 1, 4));
}

TEST_P(StoreContractTest, GroupMoviesOfAGenreYearSpanEveryCompany) {
  auto store = open();
  load_groups(*store);
  EXPECT_THAT(ids(store->group_movies({.company_id = {}, .genre_id = 2, .year = 2000})),
              ElementsAre(1, 7, 2));
}

TEST_P(StoreContractTest, GroupMoviesLeaveOutMoviesWithoutAReleaseYear) {
  auto store = open();
  load_groups(*store);
  for (int year : {2000, 2001}) {
    for (const auto& m : store->group_movies({.company_id = 10, .genre_id = {}, .year = year}))
      EXPECT_NE(m.id, 6) << year;
  }
}

TEST_P(StoreContractTest, GroupMoviesOfAYearWithoutMoviesAreEmpty) {
  auto store = open();
  load_groups(*store);
  EXPECT_TRUE(store->group_movies({.company_id = 11, .genre_id = {}, .year = 2001}).empty());
  EXPECT_TRUE(store->group_movies({.company_id = 987654, .genre_id = {}, .year = 2000}).empty());
}

TEST_P(StoreContractTest, GroupMoviesCarryTheStoredValues) {
  auto store = open();
  load_groups(*store);
  auto movies = store->group_movies({.company_id = 10, .genre_id = 2, .year = 2000});
  ASSERT_EQ(movies.size(), 2u);
  const GroupMovie& first = movies[0];
  EXPECT_EQ(first.id, 1);
  EXPECT_EQ(first.title, "Movie 1");
  EXPECT_EQ(first.release_date, "2000-06-15");
  EXPECT_EQ(first.budget, 10);
  EXPECT_EQ(first.revenue, 30);
  EXPECT_EQ(first.popularity_micros, 5'500'000);
  const GroupMovie& unknown = movies[1];
  EXPECT_EQ(unknown.id, 2);
  EXPECT_EQ(unknown.budget, std::nullopt);
  EXPECT_EQ(unknown.revenue, std::nullopt);
  EXPECT_EQ(unknown.popularity_micros, std::nullopt);
}

TEST_P(StoreContractTest, GroupMoviesNeedACompanyOrAGenre) {
  auto store = open();
  try {
    store->group_movies({.company_id = {}, .genre_id = {}, .year = 2000});
    FAIL() << "listed a group of neither company nor genre";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

/// Every row of the three reports that group movies by year, against the movies listed for it.
TEST_P(StoreContractTest, GroupMoviesCountIsTheReportRowsCount) {
  auto store = open();
  load_groups(*store);
  struct Report {
    std::string name, count_column;
    bool company, genre;
  };
  std::size_t rows = 0;
  for (const Report& report : {Report{"company_yearly", "movies", true, false},
                               Report{"company_genre_yearly", "releases", true, true},
                               Report{"genre_yearly", "movies", false, true}}) {
    // Read whole first: a PostgreSQL connection streams one query at a time.
    std::vector<std::pair<MovieGroup, long long>> groups;
    store->query(report_sql(report.name), {},
                 [&](const std::vector<std::string>& columns, const std::vector<Cell>& row) {
                   auto at = [&](std::string_view name) {
                     auto i = std::find(columns.begin(), columns.end(), name) - columns.begin();
                     return std::stoll(row.at(static_cast<std::size_t>(i)).value_or("-1"));
                   };
                   MovieGroup group{.company_id = {}, .genre_id = {}, .year = at("year")};
                   if (report.company) group.company_id = at("company_id");
                   if (report.genre) group.genre_id = at("genre_id");
                   groups.emplace_back(group, at(report.count_column));
                 });
    for (const auto& [group, count] : groups) {
      EXPECT_EQ(static_cast<long long>(store->group_movies(group).size()), count)
          << report.name << " year " << group.year;
      ++rows;
    }
  }
  EXPECT_EQ(rows, 11u);  // company_yearly 3, company_genre_yearly 5, genre_yearly 3
}

TEST_P(StoreContractTest, CompanyNameIsFoundByIdOrIsNone) {
  auto store = open();
  load_groups(*store);
  EXPECT_EQ(store->company_name(11), "Beta");
  EXPECT_EQ(store->company_name(12), std::nullopt);
}

TEST_P(StoreContractTest, FindGenreTakesAnIdOrANameInAnyCase) {
  auto store = open();
  load_groups(*store);
  auto by_id = store->find_genre("2");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->name, "Drama");
  auto by_name = store->find_genre("aCTION");
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->id, 1);
  EXPECT_FALSE(store->find_genre("Comedy"));
  EXPECT_FALSE(store->find_genre("3"));
  EXPECT_FALSE(store->find_genre(""));
}

}  // namespace
}  // namespace marquee::store::test
