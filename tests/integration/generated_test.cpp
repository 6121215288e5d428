#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "format/csv_reader.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

using testing::read_file;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;

using Table = std::vector<std::map<std::string, std::string>>;

Table read_report(const std::filesystem::path& path) {
  auto source = format::open_file_source(path);
  format::CsvReader reader(*source);
  format::CsvRecord record;
  Table rows;
  if (!reader.next(record)) return rows;
  std::vector<std::string> header(record.fields.begin(), record.fields.end());
  while (reader.next(record)) {
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size(); ++i)
      row[header[i]] = std::string(record.fields.at(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

/// One generated scale-0.2 dataset, loaded once for all tests of this suite.
class Generated : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto g = run_marquee({"generate", "--scale", "0.2", "--seed", "7", "--out", zip().string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
    auto r = run_marquee({"run", zip().string(), "--workdir", work().string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path zip() { return *dir_ / "the-movies-dataset.zip"; }
  static std::filesystem::path work() { return *dir_ / "work"; }
  static std::filesystem::path results() { return work() / "movie_results"; }
  static std::unique_ptr<store::Store> open() {
    return store::open_store("sqlite:" + (work() / "marquee.db").string());
  }
  static std::int64_t scalar(const std::string& sql) {
    std::int64_t n = -1;
    open()->query(sql, {}, [&](const auto&, const std::vector<store::Cell>& row) {
      n = row[0] ? std::stoll(*row[0]) : 0;
    });
    return n;
  }
  static TempDir* dir_;
};
TempDir* Generated::dir_ = nullptr;

TEST_F(Generated, AccountingMatchesTheManifest) {
  auto manifest = nlohmann::json::parse(read_file(zip().string() + ".manifest.json"));
  auto summary = nlohmann::json::parse(read_file(results() / "run_summary.json"));
  const auto& expected = manifest["expected_load"];
  const auto& movies = summary["files"]["movies_metadata.csv"];
  EXPECT_EQ(movies["rows_read"], expected["rows_read"]);
  EXPECT_EQ(movies["rows_loaded"], expected["rows_loaded"]);
  EXPECT_EQ(movies["rows_rejected"]["total"], expected["rows_rejected"]);
  EXPECT_EQ(movies["duplicate_superseded"], expected["duplicate_superseded"]);
  EXPECT_EQ(movies["movies_without_year"], expected["movies_without_year"]);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM movie"), expected["rows_loaded"].get<std::int64_t>());
}

TEST_F(Generated, BareCrRecordsAreLoadedWhole) {
  auto manifest = nlohmann::json::parse(read_file(zip().string() + ".manifest.json"));
  std::int64_t bare_cr = manifest["movies"]["bare_cr_records"];
  ASSERT_GE(bare_cr, 1);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM movie WHERE overview LIKE '%' || char(13) || '%' "
                   "AND overview NOT LIKE '%' || char(13) || char(10) || '%'"),
            bare_cr);
}

TEST_F(Generated, GenreMoviesPerYearCoverEveryMovieWithAGenre) {
  std::map<std::string, std::int64_t> sum_by_year;
  for (const auto& row : read_report(results() / "genre_yearly.csv"))
    sum_by_year[row.at("year")] += std::stoll(row.at("movies"));
  open()->query(
      "SELECT release_year, COUNT(*) FROM movie WHERE release_year IS NOT NULL AND id IN (SELECT "
      "movie_id FROM movie_genre) "
      "GROUP BY release_year",
      {}, [&](const auto&, const std::vector<store::Cell>& row) {
        EXPECT_GE(sum_by_year[*row[0]], std::stoll(*row[1])) << "year " << *row[0];
      });
}

TEST_F(Generated, ProfitIsSummedPerMovieWithBothValues) {
  // Recomputed here from the movies and their genres, outside the report SQL.
  std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> expected;
  open()->query(
      "SELECT m.release_year, mg.genre_id, m.budget, m.revenue FROM movie m JOIN movie_genre mg ON "
      "mg.movie_id = m.id "
      "WHERE m.release_year IS NOT NULL",
      {}, [&](const auto&, const std::vector<store::Cell>& row) {
        auto& [count, total] = expected[{*row[0], *row[1]}];
        if (row[2] && row[3]) {
          ++count;
          total += std::stoll(*row[3]) - std::stoll(*row[2]);
        }
      });
  auto report = read_report(results() / "genre_yearly.csv");
  ASSERT_EQ(report.size(), expected.size());
  for (const auto& row : report) {
    auto [count, total] = expected.at({row.at("year"), row.at("genre_id")});
    EXPECT_EQ(std::stoll(row.at("profit_movies")), count);
    EXPECT_EQ(row.at("total_profit"), count == 0 ? std::string() : std::to_string(total));
  }
}

TEST_F(Generated, RanksRunFromOneWithoutTiesEachYear) {
  std::map<std::string, std::vector<int>> ranks;
  for (const auto& row : read_report(results() / "genre_yearly.csv"))
    ranks[row.at("year")].push_back(std::stoi(row.at("popularity_rank")));
  for (const auto& [year, r] : ranks) {
    for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r[i], static_cast<int>(i + 1)) << year;
  }
}

TEST_F(Generated, MostPopularIsRankOneOfGenreYearly) {
  std::map<std::string, std::map<std::string, std::string>> rank_one;
  for (auto& row : read_report(results() / "genre_yearly.csv")) {
    if (row.at("popularity_rank") == "1") rank_one[row.at("year")] = row;
  }
  auto top = read_report(results() / "most_popular_genre_by_year.csv");
  ASSERT_EQ(top.size(), rank_one.size());
  for (const auto& row : top) {
    const auto& g = rank_one.at(row.at("year"));
    EXPECT_EQ(row.at("genre_id"), g.at("genre_id"));
    EXPECT_EQ(row.at("movies"), g.at("movies"));
    EXPECT_EQ(row.at("avg_popularity"), g.at("avg_popularity"));
  }
}

TEST_F(Generated, PostgresGivesReportsIdenticalToSqlite) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  TempDir pg_work;
  auto r =
      run_marquee({"run", zip().string(), "--workdir", pg_work.path().string(), "--db", pg.url()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name :
       {"company_yearly", "company_genre_yearly", "genre_yearly", "most_popular_genre_by_year"}) {
    std::string file = std::string(name) + ".csv";
    EXPECT_EQ(read_file(pg_work / ("movie_results/" + file)), read_file(results() / file)) << file;
  }
}

}  // namespace
}  // namespace marquee
