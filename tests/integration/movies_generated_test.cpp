// On a generated dataset: for every row of the reports that group movies by company, genre and
// year, the movies listed for it (Store::group_movies, `marquee movies`) are as many as the row
// counts, on SQLite and (with MARQUEE_TEST_PG) PostgreSQL.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "format/csv_reader.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::run_marquee;
using testing::TempDir;

using Row = std::map<std::string, std::string>;

std::vector<Row> read_report(const fs::path& path) {
  auto source = format::open_file_source(path);
  format::CsvReader reader(*source);
  format::CsvRecord record;
  std::vector<Row> rows;
  if (!reader.next(record)) return rows;
  std::vector<std::string> header(record.fields.begin(), record.fields.end());
  while (reader.next(record)) {
    Row row;
    for (std::size_t i = 0; i < header.size(); ++i)
      row[header[i]] = std::string(record.fields.at(i));
    rows.push_back(std::move(row));
  }
  return rows;
}

/// A report, which of its keys make the group, and which column counts its movies.
struct GroupedReport {
  std::string name;
  bool company, genre;
  std::string count_column;
};

const std::vector<GroupedReport> kGroupedReports = {
    {"company_yearly", true, false, "movies"},
    {"company_genre_yearly", true, true, "releases"},
    {"genre_yearly", false, true, "movies"},
};

store::MovieGroup group_of(const GroupedReport& report, const Row& row) {
  store::MovieGroup group{.company_id = {}, .genre_id = {}, .year = std::stoll(row.at("year"))};
  if (report.company) group.company_id = std::stoll(row.at("company_id"));
  if (report.genre) group.genre_id = std::stoll(row.at("genre_id"));
  return group;
}

/// One generated dataset, loaded once into SQLite for the suite.
class GeneratedMovies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto g = run_marquee(
        {"generate", "--scale", "0.03", "--seed", "11", "--movies-only", "--out", zip().string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
    auto r = run_marquee({"run", zip().string(), "--workdir", work().string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path zip() { return *dir_ / "the-movies-dataset.zip"; }
  static fs::path work() { return *dir_ / "work"; }
  static fs::path report(const std::string& name) {
    return work() / "movie_results" / (name + ".csv");
  }

  /// Every row of every grouped report against the movies `store` lists for it.
  static void expect_every_row_listed(store::Store& store) {
    for (const auto& grouped : kGroupedReports) {
      auto rows = read_report(report(grouped.name));
      ASSERT_GT(rows.size(), 50u) << grouped.name;
      for (const auto& row : rows) {
        auto movies = store.group_movies(group_of(grouped, row));
        ASSERT_EQ(std::to_string(movies.size()), row.at(grouped.count_column))
            << grouped.name << " company " << (grouped.company ? row.at("company_id") : "-")
            << " genre " << (grouped.genre ? row.at("genre_id") : "-") << " year "
            << row.at("year");
      }
    }
  }
  static TempDir* dir_;
};
TempDir* GeneratedMovies::dir_ = nullptr;

TEST_F(GeneratedMovies, EveryReportRowListsAsManyMoviesAsItCountsOnSqlite) {
  auto store = store::open_store("sqlite:" + (work() / "marquee.db").string(),
                                 {.read_only = true, .must_exist = true});
  expect_every_row_listed(*store);
}

TEST_F(GeneratedMovies, EveryReportRowListsAsManyMoviesAsItCountsOnPostgres) {
  testing::PostgresDatabase pg;
  if (pg.url().empty()) GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a cluster)";
  TempDir pg_work;
  auto r =
      run_marquee({"run", zip().string(), "--workdir", pg_work.path().string(), "--db", pg.url()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto store = store::open_store(pg.url(), {.read_only = true, .must_exist = true});
  expect_every_row_listed(*store);
}

/// The command line over a few rows of each report: one line per movie after the header.
TEST_F(GeneratedMovies, TheCommandListsAsManyMoviesAsTheRowCounts) {
  for (const auto& grouped : kGroupedReports) {
    auto rows = read_report(report(grouped.name));
    for (std::size_t i = 0; i < rows.size(); i += rows.size() / 4) {
      const Row& row = rows[i];
      std::vector<std::string> args = {"movies", "--year", row.at("year"), "--workdir",
                                       work().string()};
      if (grouped.company) args.insert(args.end(), {"--company", row.at("company_id")});
      if (grouped.genre) args.insert(args.end(), {"--genre", row.at("genre_id")});
      std::string command = testing::shell_quote(testing::marquee_binary());
      for (const auto& a : args) command += " " + testing::shell_quote(a);
      auto r = testing::run_command(command + " --format json 2>/dev/null");
      ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
      auto count_at = r.output.find("\"count\":");
      ASSERT_NE(count_at, std::string::npos) << r.output;
      EXPECT_EQ(std::stoll(r.output.substr(count_at + 8)), std::stoll(row.at(grouped.count_column)))
          << command;
    }
  }
}

}  // namespace
}  // namespace marquee
