#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

constexpr const char* kReports[] = {"company_yearly", "company_genre_yearly", "genre_yearly",
                                    "most_popular_genre_by_year"};

void expect_golden_reports(const std::filesystem::path& workdir) {
  for (const char* name : kReports) {
    std::string file = std::string(name) + ".csv";
    EXPECT_EQ(read_file(workdir / "movie_results" / file),
              read_file(fixture("golden/expected/" + file)))
        << file << " differs from tests/fixtures/golden/expected/" << file;
  }
}

std::int64_t count_rows(const std::filesystem::path& db, const std::string& sql) {
  auto store = store::open_store("sqlite:" + db.string());
  std::int64_t n = -1;
  store->query(sql, {},
               [&](const auto&, const std::vector<store::Cell>& row) { n = std::stoll(*row[0]); });
  return n;
}

TEST(Golden, FolderSourceGivesTheExpectedReports) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  std::filesystem::copy_file(fixture("golden/movies_metadata.csv"),
                             dir / "data/movies_metadata.csv");
  auto r = run_marquee({"run", (dir / "data").string(), "--workdir", (dir / "work").string(),
                        "--max-reject-ratio", "0.05"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_golden_reports(dir / "work");
}

TEST(Golden, ZipSourceGivesTheExpectedReportsAndAccounting) {
  TempDir dir;
  make_zip(dir / "the-movies-dataset.zip", {fixture("golden/movies_metadata.csv")});
  auto r = run_marquee({"run", (dir / "the-movies-dataset.zip").string(), "--workdir",
                        (dir / "work").string(), "--max-reject-ratio", "0.05"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_golden_reports(dir / "work");

  auto expected = nlohmann::json::parse(read_file(fixture("golden/expected/accounting.json")));
  auto summary = nlohmann::json::parse(read_file(dir / "work/movie_results/run_summary.json"));
  const auto& movies = summary["files"]["movies_metadata.csv"];
  EXPECT_EQ(movies["rows_read"], expected["rows_read"]);
  EXPECT_EQ(movies["rows_loaded"], expected["rows_loaded"]);
  EXPECT_EQ(movies["duplicate_superseded"], expected["duplicate_superseded"]);
  EXPECT_EQ(movies["rows_rejected"]["total"], expected["rows_rejected"]);
  for (auto& [reason, n] : expected["rejected"].items())
    EXPECT_EQ(movies["rows_rejected"][reason], n) << reason;
  EXPECT_EQ(movies["movies_without_year"], expected["movies_without_year"]);
  EXPECT_EQ(summary["movies_without_year"], expected["movies_without_year"]);
  EXPECT_EQ(movies["warnings"]["invalid_utf8"], 1);
  EXPECT_EQ(movies["warnings"]["bad_release_date"], 1);
  EXPECT_EQ(movies["warnings"]["bad_genre_item"], 1);
  EXPECT_EQ(movies["warnings"]["popularity_rounded"], 2);

  // The rejects file: header plus one row per rejected record, each with its physical line.
  auto rejects = read_file(dir / "work/rejects/1/movies_metadata.rejects.csv");
  EXPECT_TRUE(rejects.starts_with("line,reason,detail,record\n"));
  EXPECT_NE(rejects.find(",bad_id,"), std::string::npos);
  EXPECT_NE(rejects.find(",field_count,"), std::string::npos);

  // Every file the run wrote is named in the main log.
  auto log = read_file(dir / "work/log/data-engineer-project.log");
  for (const char* name : kReports)
    EXPECT_NE(log.find(std::string(name) + ".csv"), std::string::npos);
  EXPECT_NE(log.find("run_summary.json"), std::string::npos);
  EXPECT_NE(log.find("movies_metadata.rejects.csv"), std::string::npos);
  // Warnings and rejects reach the error log with batch, file and line.
  auto errors = read_file(dir / "work/log/error.log");
  EXPECT_NE(errors.find("batch 1: movies_metadata.csv: line"), std::string::npos) << errors;
  // The archive moved from incoming/ to archive/.
  EXPECT_TRUE(std::filesystem::exists(dir / "work/staging/archive/the-movies-dataset.zip"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "work/staging/incoming") ||
              !std::filesystem::exists(dir / "work/staging/incoming/the-movies-dataset.zip"));
}

TEST(Golden, PostgresGivesTheExpectedReports) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  TempDir dir;
  make_zip(dir / "the-movies-dataset.zip", {fixture("golden/movies_metadata.csv")});
  auto r = run_marquee({"run", (dir / "the-movies-dataset.zip").string(), "--workdir",
                        (dir / "work").string(), "--max-reject-ratio", "0.05", "--db", pg.url()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_golden_reports(dir / "work");
  // Loading it again is a no-op there too.
  auto again =
      run_marquee({"run", (dir / "the-movies-dataset.zip").string(), "--workdir",
                   (dir / "work").string(), "--max-reject-ratio", "0.05", "--db", pg.url()});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
  // The history partitions of this week and the next exist; pruning older ones drops none.
  auto prune =
      run_marquee({"prune", "--keep", "0", "--workdir", (dir / "work").string(), "--db", pg.url()});
  EXPECT_EQ(prune.exit_code, 0) << prune.output;
  EXPECT_NE(prune.output.find("0 movie_version partitions dropped"), std::string::npos)
      << prune.output;
}

TEST(Golden, PruneNeedsPostgres) {
  TempDir dir;
  auto r = run_marquee({"prune", "--keep", "4", "--workdir", (dir / "work").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("PostgreSQL"), std::string::npos) << r.output;
}

TEST(Golden, EmptyLinesAreNotRecords) {
  TempDir dir;
  std::string csv = read_file(fixture("golden/movies_metadata.csv"));
  std::size_t second_record = csv.find("\nFalse,") + 1;
  csv.insert(second_record, "\n\r\n");
  testing::write_file(dir / "data/movies_metadata.csv", csv + "\n\n");
  auto r = run_marquee({"run", (dir / "data").string(), "--workdir", (dir / "work").string(),
                        "--max-reject-ratio", "0.05"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_golden_reports(dir / "work");
  auto expected = nlohmann::json::parse(read_file(fixture("golden/expected/accounting.json")));
  auto summary = nlohmann::json::parse(read_file(dir / "work/movie_results/run_summary.json"));
  EXPECT_EQ(summary["files"]["movies_metadata.csv"]["rows_read"], expected["rows_read"]);
}

TEST(Golden, SameArchiveTwiceIsANoOp) {
  TempDir dir;
  make_zip(dir / "a.zip", {fixture("golden/movies_metadata.csv")});
  std::vector<std::string> args = {
      "run", (dir / "a.zip").string(), "--workdir", (dir / "work").string(), "--max-reject-ratio",
      "0.05"};
  ASSERT_EQ(run_marquee(args).exit_code, 0);
  auto second = run_marquee(args);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("nothing to do"), std::string::npos) << second.output;
  EXPECT_EQ(count_rows(dir / "work/marquee.db",
                       "SELECT COUNT(*) FROM ingest_batch WHERE status = 'loaded'"),
            1);
  expect_golden_reports(dir / "work");
}

}  // namespace
}  // namespace marquee
