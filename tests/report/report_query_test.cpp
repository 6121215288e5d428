// The report queries of sql/reports/ and their C++ finish (report_query.hpp), on every engine:
// the same rows, and the same digits, whatever the engine and however big the sums.
#include "report/report_query.hpp"

#include <gtest/gtest.h>

#include "store/store_contract.hpp"

namespace marquee::report {
namespace {

using dataset::MovieRow;
using store::Store;
using namespace store::test;

class ReportQueryTest : public StoreContractTest {};

/// A report's rows as text, NULL as "NULL".
Rows finished(Store& store, std::string_view name) {
  Rows rows;
  read_report(store, name,
              [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                std::vector<std::string> cells;
                for (const auto& c : row) cells.push_back(c.value_or("NULL"));
                rows.push_back(std::move(cells));
              });
  return rows;
}

MovieRow report_movie(std::int64_t id, std::optional<int> year, std::optional<std::int64_t> budget,
                      std::optional<std::int64_t> revenue, std::optional<std::int64_t> popularity,
                      std::vector<dataset::NamedItem> genres,
                      std::vector<dataset::NamedItem> companies) {
  auto row = movie(id, std::move(genres), std::move(companies));
  row.release_year = year;
  row.release_date =
      year ? std::optional<std::string>(fmt::format("{}-06-30", *year)) : std::nullopt;
  row.budget = budget;
  row.revenue = revenue;
  row.popularity_micros = popularity;
  return row;
}

void load_report_data(Store& store) {
  dataset::NamedItem action{1, "Action"}, drama{2, "Drama"}, acme{10, "Acme"},
      beta{11, "Beta, Inc."};
  auto batch = store.begin_batch(source("report"));
  batch->upsert_movie(report_movie(1, 2000, 100, 300, 1500000, {action, drama}, {acme}));
  batch->upsert_movie(report_movie(2, 2000, std::nullopt, 50, 2250000, {action}, {acme, beta}));
  batch->upsert_movie(report_movie(3, 2001, 200, 100, std::nullopt, {drama}, {beta}));
  batch->upsert_movie(report_movie(4, std::nullopt, 10, 20, 9000000, {action}, {acme}));
  batch->upsert_movie(report_movie(5, 2000, 40, 60, 1, {drama}, {}));
  batch->commit({5, 5, 0, 0, 0}, false);
}

TEST_P(ReportQueryTest, TheReportsAreTheSameOnEveryEngine) {
  auto store = open();
  load_report_data(*store);
  EXPECT_EQ(
      finished(*store, ("company_yearly")),
      (Rows{{"10", "Acme", "2000", "2", "1", "100", "2", "350", "1", "200", "1.875000"},
            {"11", "Beta, Inc.", "2000", "1", "0", "NULL", "1", "50", "0", "NULL", "2.250000"},
            {"11", "Beta, Inc.", "2001", "1", "1", "200", "1", "100", "1", "-100", "NULL"}}));
  EXPECT_EQ(finished(*store, ("company_genre_yearly")),
            (Rows{{"10", "Acme", "2000", "1", "Action", "2"},
                  {"10", "Acme", "2000", "2", "Drama", "1"},
                  {"11", "Beta, Inc.", "2000", "1", "Action", "1"},
                  {"11", "Beta, Inc.", "2001", "2", "Drama", "1"}}));
  // Drama 2000: (1500000 + 1) / 2 = 750000.5 millionths, rounded half to even.
  EXPECT_EQ(finished(*store, ("genre_yearly")),
            (Rows{{"2000", "1", "Action", "2", "1.875000", "1", "1", "100", "2", "350", "1", "200"},
                  {"2000", "2", "Drama", "2", "0.750000", "2", "2", "140", "2", "360", "2", "220"},
                  {"2001", "2", "Drama", "1", "NULL", "1", "1", "200", "1", "100", "1", "-100"}}));
  EXPECT_EQ(finished(*store, ("most_popular_genre_by_year")),
            (Rows{{"2000", "1", "Action", "2", "1.875000"}, {"2001", "2", "Drama", "1", "NULL"}}));
}

TEST_P(ReportQueryTest, SumsPast64BitsAreExact) {
  auto store = open();
  dataset::NamedItem drama{2, "Drama"}, acme{10, "Acme"};
  auto batch = store->begin_batch(source("huge"));
  constexpr std::int64_t kMax = 9223372036854775807;
  batch->upsert_movie(report_movie(1, 2000, kMax, kMax, 999999999999999999, {drama}, {acme}));
  batch->upsert_movie(report_movie(2, 2000, kMax, 1, 999999999999999999, {drama}, {acme}));
  batch->upsert_movie(report_movie(3, 2000, kMax, 1, 999999999999999998, {drama}, {acme}));
  batch->commit({3, 3, 0, 0, 0}, false);
  // Profit: (max - max) + 2 * (1 - max); popularity: (3e18 - 4) / 3, rounded half to even.
  EXPECT_EQ(finished(*store, "company_yearly"),
            (Rows{{"10", "Acme", "2000", "3", "3", "27670116110564327421", "3",
                   "9223372036854775809", "3", "-18446744073709551612", "999999999999.999999"}}));
  EXPECT_EQ(finished(*store, "most_popular_genre_by_year"),
            (Rows{{"2000", "2", "Drama", "3", "999999999999.999999"}}));
}

TEST_P(ReportQueryTest, AReportWithNoRowsStillHasItsColumns) {
  auto store = open();
  auto columns = read_report(*store, "genre_yearly", [](const auto&, const auto&) {
    ADD_FAILURE() << "a row from an empty database";
  });
  EXPECT_EQ(columns, (std::vector<std::string>{"year", "genre_id", "genre_name", "movies",
                                               "avg_popularity", "popularity_rank", "budget_movies",
                                               "total_budget", "revenue_movies", "total_revenue",
                                               "profit_movies", "total_profit"}));
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportQueryTest,
                         ::testing::Values(StoreEngine{"sqlite", "sqlite"},
                                           StoreEngine{"postgresql", "postgresql"}),
                         engine_test_name);

}  // namespace
}  // namespace marquee::report
