// The report aggregates (schema version 5) on both engines: whatever sequence of batches a
// database sees — plain, snapshots, backfills older than the loaded data, duplicates inside a
// batch, rollbacks — the kept report_company_year, report_genre_year and
// report_company_genre_year equal their definitions over the model (sql/aggregates/), as
// sql/checks/report_aggregates_match_model proves.
#include <random>

#include "store_contract.hpp"

namespace marquee::store::test {
namespace {

Rows mismatches(Store& store) {
  return select(store, check_sql("report_aggregates_match_model"));
}

/// A random movie: 0-3 of three genres and of three companies, a year of 1999, 2000 or none,
/// budget, revenue and popularity unknown, small or near the 64-bit limit.
dataset::MovieRow random_movie(std::mt19937& random) {
  auto below = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto value = [&]() -> std::optional<std::int64_t> {
    switch (below(4)) {
      case 0:
        return std::nullopt;
      case 1:
        return 5'000'000'000'000'000'000 + below(1000);
      default:
        return 1 + below(3'000'000);
    }
  };
  static const dataset::NamedItem kGenres[] = {{18, "Drama"}, {35, "Comedy"}, {28, "Action"}};
  static const dataset::NamedItem kCompanies[] = {{1, "One"}, {2, "Two"}, {3, "Three"}};
  std::vector<dataset::NamedItem> genres, companies;
  for (const auto& g : kGenres)
    if (below(2) == 0) genres.push_back(g);
  for (const auto& c : kCompanies)
    if (below(2) == 0) companies.push_back(c);
  auto row = movie(1 + below(12), genres, companies);
  switch (below(3)) {
    case 0:
      row.release_year = 1999;
      row.release_date = "1999-06-01";
      break;
    case 1:
      break;
    default:
      row.release_year = std::nullopt;
      row.release_date = std::nullopt;
  }
  row.budget = value();
  row.revenue = value();
  if (below(4) != 0) row.popularity_micros = value();
  return row;
}

TEST_P(StoreContractTest, ReportAggregatesEqualTheirDefinitionAfterAnySequenceOfBatches) {
  auto store = open();
  std::mt19937 random(20261205);
  auto below = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  int loaded = 0;
  for (int b = 0; b < 24; ++b) {
    auto writer = store->begin_batch(source(
        fmt::format("agg{}", b),
        below(4) == 0 ? "2026-01-01T00:00:00Z" : fmt::format("2026-02-{:02}T00:00:00Z", 1 + b)));
    const int records = below(14);
    for (int r = 0; r < records; ++r) writer->upsert_movie(random_movie(random));
    auto n = static_cast<std::uint64_t>(records);
    const bool snapshot = below(5) == 0;
    writer->finish_movies({n, n, 0, 0, 0}, snapshot);
    if (below(6) == 0) {
      writer->rollback("the test rolls it back");
    } else {
      writer->commit_loaded({});
      ++loaded;
    }
    ASSERT_EQ(mismatches(*store), Rows{}) << "after batch " << b;
  }
  // The sequence did build groups, so the equality above compared something.
  EXPECT_GT(loaded, 12);
  EXPECT_NE(count(*store, "report_company_year"), "0");
  EXPECT_NE(count(*store, "report_genre_year"), "0");
  EXPECT_NE(count(*store, "report_company_genre_year"), "0");
}

TEST_P(StoreContractTest, ReplacingAndRemovingMoviesMovesThemBetweenGroups) {
  auto store = open();
  auto a = with_budget(movie(1, {{18, "Drama"}}, {{7, "Seven"}}), 5'000'000'000'000'000'000);
  auto b = with_budget(movie(2, {{18, "Drama"}}, {{7, "Seven"}}), 5'000'000'000'000'000'000);
  auto writer = store->begin_batch(source("first", "2026-01-01T00:00:00Z"));
  writer->upsert_movie(a);
  writer->upsert_movie(b);
  writer->commit({2, 2, 0, 0, 0}, false);
  constexpr const char* kCompanyYears =
      "SELECT company_id, year, movies, budget_movies, budget_e9, budget_e0 FROM "
      "report_company_year ORDER BY 1, 2";
  EXPECT_EQ(select(*store, kCompanyYears), (Rows{{"7", "2000", "2", "2", "10000000000", "0"}}));
  // Movie 2 moves to 1999 and company 8; then a snapshot without movie 1 removes it.
  auto moved = with_budget(movie(2, {{35, "Comedy"}}, {{8, "Eight"}}), 3);
  moved.release_year = 1999;
  writer = store->begin_batch(source("second", "2026-01-02T00:00:00Z"));
  writer->upsert_movie(moved);
  writer->commit({1, 1, 0, 0, 0}, true);
  EXPECT_EQ(select(*store, kCompanyYears), (Rows{{"8", "1999", "1", "1", "0", "3"}}));
  EXPECT_EQ(select(*store, "SELECT year, genre_id, movies FROM report_genre_year"),
            (Rows{{"1999", "35", "1"}}));
  EXPECT_EQ(
      select(*store, "SELECT company_id, year, genre_id, movies FROM report_company_genre_year"),
      (Rows{{"8", "1999", "35", "1"}}));
  EXPECT_EQ(mismatches(*store), Rows{});
}

TEST_P(StoreContractTest, TheAggregatesCheckNamesAGroupThatDiffers) {
  auto store = open();
  auto writer = store->begin_batch(source("a"));
  writer->upsert_movie(with_budget(movie(1, {{18, "Drama"}}, {{7, "Seven"}}), 100));
  writer->commit({1, 1, 0, 0, 0}, false);
  ASSERT_EQ(mismatches(*store), Rows{});
  store.reset();
  exec_behind_the_store("UPDATE report_company_year SET budget_e0 = budget_e0 + 1");
  exec_behind_the_store(
      "INSERT INTO report_company_genre_year (company_id, year, genre_id, movies) VALUES (7, "
      "1990, 18, 1)");
  store = open();
  EXPECT_EQ(mismatches(*store),
            (Rows{{"report_company_year company_id=7 year=2000"},
                  {"report_company_genre_year company_id=7 year=1990 genre_id=18"}}));
}

}  // namespace
}  // namespace marquee::store::test
