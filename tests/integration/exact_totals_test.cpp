// SPEC 5: every total is exact at any size. Sums past 2^63 (a budget of 5e18 twice, popularity
// sums of ten near-maximal values) used to stop every report with "integer overflow" (exit 4).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "test_support.hpp"

namespace marquee {
namespace {

using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

std::string movie(int id, const std::string& budget, const std::string& revenue,
                  const std::string& popularity, int company) {
  return fmt::format(
      "False,,{},\"[{{'id': 18, 'name': 'Drama'}}]\",,{},tt{},en,M{},,{},,"
      "\"[{{'name': 'Co {}', 'id': {}}}]\",[],2001-01-01,{},90.0,[],Released,,M{},False,5.0,1\n",
      budget, id, id, id, popularity, company, company, revenue, id);
}

/// Ten movies of company 7 in 2001 and two of company 8, all Drama.
std::string huge_csv() {
  std::string csv = std::string(testing::kMoviesHeader) + "\n";
  csv += movie(1, "5000000000000000000", "9223372036854775807", "999999999999.999999", 7);
  csv += movie(2, "5000000000000000000", "0", "999999999999.999999", 7);
  for (int id = 3; id <= 9; ++id) csv += movie(id, "0", "0", "999999999999.999999", 7);
  csv += movie(10, "0", "0", "999999999999.999990", 7);
  csv += movie(11, "9000000000000000000", "1", "1.5", 8);
  csv += movie(12, "9000000000000000000", "1", "1.5", 8);
  return csv;
}

void expect_exact_reports(const std::filesystem::path& results) {
  EXPECT_EQ(read_file(results / "company_yearly.csv"),
            "company_id,company_name,year,movies,budget_movies,total_budget,revenue_movies,"
            "total_revenue,profit_movies,total_profit,avg_popularity\n"
            "7,Co 7,2001,10,2,10000000000000000000,1,9223372036854775807,1,4223372036854775807,"
            "999999999999.999998\n"
            "8,Co 8,2001,2,2,18000000000000000000,2,2,2,-17999999999999999998,1.500000\n");
  EXPECT_EQ(read_file(results / "genre_yearly.csv"),
            "year,genre_id,genre_name,movies,avg_popularity,popularity_rank,budget_movies,"
            "total_budget,revenue_movies,total_revenue,profit_movies,total_profit\n"
            "2001,18,Drama,12,833333333333.583332,1,4,28000000000000000000,3,"
            "9223372036854775809,3,-13776627963145224191\n");
  EXPECT_EQ(read_file(results / "most_popular_genre_by_year.csv"),
            "year,genre_id,genre_name,movies,avg_popularity\n"
            "2001,18,Drama,12,833333333333.583332\n");
}

void run_and_check(const std::vector<std::string>& db_args) {
  TempDir dir;
  write_file(dir / "in" / "movies_metadata.csv", huge_csv());
  std::vector<std::string> args = {"run", (dir / "in").string(), "--workdir",
                                   (dir / "work").string()};
  args.insert(args.end(), db_args.begin(), db_args.end());
  auto r = run_marquee(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_exact_reports(dir / "work" / "movie_results");
  // The reports are read again from the loaded database, not only at load time.
  std::vector<std::string> report = {"report", "--workdir", (dir / "work").string()};
  report.insert(report.end(), db_args.begin(), db_args.end());
  auto again = run_marquee(report);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  expect_exact_reports(dir / "work" / "movie_results");

  // A later batch replaces movie 1 (budget 5e18 -> 1) and adds movie 13 (budget 5e18): the kept
  // report aggregates subtract the old huge values and add the new ones, still exactly.
  write_file(dir / "next" / "movies_metadata.csv",
             std::string(testing::kMoviesHeader) + "\n" +
                 movie(1, "1", "9223372036854775807", "999999999999.999999", 7) +
                 movie(13, "5000000000000000000", "0", "1.0", 7));
  std::vector<std::string> next = {"run", (dir / "next").string(), "--workdir",
                                   (dir / "work").string()};
  next.insert(next.end(), db_args.begin(), db_args.end());
  auto later = run_marquee(next);
  ASSERT_EQ(later.exit_code, 0) << later.output;
  EXPECT_EQ(read_file(dir / "work" / "movie_results" / "company_yearly.csv"),
            "company_id,company_name,year,movies,budget_movies,total_budget,revenue_movies,"
            "total_revenue,profit_movies,total_profit,avg_popularity\n"
            "7,Co 7,2001,11,3,10000000000000000001,1,9223372036854775807,1,9223372036854775806,"
            "909090909090.999998\n"
            "8,Co 8,2001,2,2,18000000000000000000,2,2,2,-17999999999999999998,1.500000\n");
  std::vector<std::string> check = {"check", "--workdir", (dir / "work").string()};
  check.insert(check.end(), db_args.begin(), db_args.end());
  auto checked = run_marquee(check);
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
}

TEST(ExactTotals, SumsPast64BitsAreExactOnSqlite) {
  run_and_check({});
}

TEST(ExactTotals, SumsPast64BitsAreExactOnPostgres) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  run_and_check({"--db", pg.url()});
}

}  // namespace
}  // namespace marquee
