#include <gtest/gtest.h>

#include <map>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

constexpr const char* kFromThePast =
    "False,,1000,\"[{'id': 18, 'name': 'Drama'}]\",,990001,tt1,en,Past,overview,5.0,,[],[],"
    "1850-01-01,2000,90.0,[],Released,,Past,False,5.0,10\n";

/// The golden fixture plus one movie dated 1850: valid for the record rules, caught by
/// sql/checks/release_year_in_range.sql.
class DataChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "src/movies_metadata.csv",
               read_file(fixture("golden/movies_metadata.csv")) + kFromThePast);
    make_zip(dir_ / "past.zip", {dir_ / "src/movies_metadata.csv"});
    make_zip(dir_ / "good.zip", {fixture("golden/movies_metadata.csv")});
  }
  testing::CommandResult run(const std::string& zip, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",  (dir_ / zip).string(), "--workdir",
                                     work(), "--max-reject-ratio",  "0.05"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_marquee(args);
  }
  std::string work() const { return (dir_ / "work").string(); }
  std::string main_log() const { return read_file(dir_ / "work/log/data-engineer-project.log"); }
  TempDir dir_;
};

TEST_F(DataChecks, EveryCheckPassesOnTheGoldenFixture) {
  // --snapshot: the whole-database check (link rows without their movie) runs too.
  auto r = run("good.zip", {"--checks", "error", "--snapshot"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name :
       {"link_rows_have_their_movie", "link_rows_have_their_genre_and_company",
        "release_year_in_range", "budget_and_revenue_positive", "batch_rows_balance"}) {
    EXPECT_NE(main_log().find(fmt::format("check {}: passed", name)), std::string::npos) << name;
  }
}

TEST_F(DataChecks, FailingCheckIsLoggedWithItsKeysInWarnMode) {
  auto r = run("past.zip");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(main_log().find("check release_year_in_range: 1 failing keys"), std::string::npos)
      << main_log();
  EXPECT_NE(main_log().find("movie 990001 release_year 1850"), std::string::npos) << main_log();
  EXPECT_NE(read_file(dir_ / "work/log/error.log").find("release_year_in_range"),
            std::string::npos);
  // In warn mode the checks run beside the reports, and a failing one changes no report.
  EXPECT_NE(read_file(dir_ / "work/movie_results/company_yearly.csv").find("company_id"),
            std::string::npos);
  // Every check's outcome is recorded for the batch, with the failing keys.
  auto store = store::open_store("sqlite:" + work() + "/marquee.db");
  std::map<std::string, std::string> recorded;
  store->query(
      "SELECT check_name, failing || ' ' || failing_keys FROM data_check_result WHERE "
      "batch_id = 1",
      {}, [&](const auto&, const std::vector<store::Cell>& row) { recorded[*row[0]] = *row[1]; });
  EXPECT_EQ(recorded, (std::map<std::string, std::string>{
                          {"batch_rows_balance", "0 []"},
                          {"budget_and_revenue_positive", "0 []"},
                          {"link_rows_have_their_genre_and_company", "0 []"},
                          {"release_year_in_range", "1 [\"movie 990001 release_year 1850\"]"}}));
}

TEST_F(DataChecks, WholeDatabaseCheckRunsOnlyAfterSnapshotLoads) {
  auto r = run("good.zip");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(main_log().find("check link_rows_have_their_movie"), std::string::npos);
  EXPECT_NE(main_log().find("check release_year_in_range: passed"), std::string::npos);
}

TEST_F(DataChecks, FailingCheckFailsTheRunWithExit3InErrorMode) {
  std::string hook = "cat > " + testing::shell_quote((dir_ / "hook.json").string());
  auto r = run("past.zip", {"--checks", "error", "--on-failure", hook});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(
      r.output.find("data checks failed after the load: release_year_in_range (1 in batch 1)"),
      std::string::npos)
      << r.output;
  EXPECT_NE(read_file(dir_ / "hook.json").find("\"step\":\"checks\""), std::string::npos)
      << read_file(dir_ / "hook.json");
}

TEST_F(DataChecks, ChecksRunOnPostgres) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  auto r = run("past.zip", {"--db", pg.url(), "--checks", "error", "--snapshot"});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("release_year_in_range (1 in batch 1)"), std::string::npos) << r.output;
  EXPECT_NE(main_log().find("check link_rows_have_their_movie: passed"), std::string::npos);
}

TEST_F(DataChecks, ChecksWithoutAConnectionOfTheirOwnRunAfterTheReports) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  // A role allowed two connections: the run's own and its lock's. The checks' connection, the
  // third, is refused by the server; the checks then run on the run's connection.
  const std::string admin = std::getenv("MARQUEE_TEST_PG");
  const std::string database = pg.url().substr(pg.url().rfind('/') + 1);
  const std::string role = database + "_checks";
  auto psql = [&](const std::string& sql) {
    auto r = testing::run_command("psql -q " + testing::shell_quote(admin) + " -c " +
                                  testing::shell_quote(sql));
    EXPECT_EQ(r.exit_code, 0) << sql << ": " << r.output;
  };
  psql("CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 2");
  psql("ALTER DATABASE " + database + " OWNER TO " + role);
  const std::string url = admin.substr(0, admin.find("://") + 3) + role +
                          admin.substr(admin.find('@'), admin.rfind('/') - admin.find('@') + 1) +
                          database;
  auto r = run("past.zip", {"--db", url});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("checks: no connection of their own ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("too many connections for role"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("check release_year_in_range: 1 failing keys"), std::string::npos)
      << r.output;
  EXPECT_LT(r.output.find("report: wrote"), r.output.find("check release_year_in_range"))
      << r.output;
  auto store = store::open_store(url);
  std::uint64_t recorded = 0;
  store->query(
      "SELECT COUNT(*) FROM data_check_result WHERE batch_id = 1", {},
      [&](const auto&, const std::vector<store::Cell>& row) { recorded = std::stoull(*row[0]); });
  EXPECT_EQ(recorded, 4U);
  store.reset();
  psql("DROP DATABASE " + database + " WITH (FORCE)");
  psql("DROP ROLE " + role);
}

TEST_F(DataChecks, CheckProvesTheKeptTotalsAndNamesAGroupThatDiffers) {
  ASSERT_EQ(run("good.zip").exit_code, 0);
  auto r = run_marquee({"check", "--workdir", work()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* name : {"report_aggregates_match_model", "rating_totals_match_ratings",
                           "link_rows_have_their_movie"}) {
    EXPECT_NE(r.output.find(fmt::format("check {}: passed", name)), std::string::npos) << name;
  }
  // A kept group changed behind marquee's back: the check names it and exits 3.
  auto db = testing::run_command("sqlite3 " + testing::shell_quote(work() + "/marquee.db") +
                                 " \"UPDATE report_genre_year SET movies = movies + 1 WHERE year = "
                                 "(SELECT MIN(year) FROM report_genre_year)\"");
  ASSERT_EQ(db.exit_code, 0) << db.output;
  r = run_marquee({"check", "--workdir", work()});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("report_aggregates_match_model: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("report_genre_year year="), std::string::npos) << r.output;
  // No database there: a wrong --workdir, not an empty pass.
  r = run_marquee({"check", "--workdir", (dir_ / "elsewhere").string()});
  EXPECT_EQ(r.exit_code, 4) << r.output;
}

TEST_F(DataChecks, WithoutATerminalLongStepsLogTheirProgress) {
  // MARQUEE_PROGRESS_SECONDS shortens the 10 s between progress lines so that the small fixture
  // lasts long enough to show one.
  auto r = testing::run_command("MARQUEE_PROGRESS_SECONDS=0.001 " +
                                testing::shell_quote(testing::marquee_binary()) + " run " +
                                testing::shell_quote((dir_ / "good.zip").string()) + " --workdir " +
                                testing::shell_quote(work()) + " --max-reject-ratio 0.05");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(main_log().find("progress: movies_metadata.csv: "), std::string::npos) << main_log();
  EXPECT_NE(main_log().find(" records, "), std::string::npos) << main_log();
  // No bar without a terminal.
  EXPECT_EQ(r.output.find("\r"), std::string::npos);
}

TEST_F(DataChecks, OnATerminalTheLoadDrawsABar) {
  // script(1) (util-linux, in every Debian) gives the run a pseudo-terminal.
  if (testing::run_command("command -v script").exit_code != 0) {
    GTEST_SKIP() << "script(1) is not installed";
  }
  std::string run = testing::shell_quote(testing::marquee_binary()) + " run " +
                    testing::shell_quote((dir_ / "good.zip").string()) + " --workdir " +
                    testing::shell_quote(work()) + " --max-reject-ratio 0.05";
  auto r = testing::run_command("TERM=xterm MARQUEE_PROGRESS_SECONDS=0.001 script -qec " +
                                testing::shell_quote(run) + " /dev/null");
  if (r.exit_code != 0 && r.output.rfind("script: ", 0) == 0) {
    GTEST_SKIP() << "script(1) could not open a pseudo-terminal here: " << r.output;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The bar is redrawn in place (carriage return, erase line) and names the file and its share.
  EXPECT_NE(r.output.find("\r\033[K"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("] movies_metadata.csv: "), std::string::npos) << r.output;
  // The log file has no bar in it.
  EXPECT_EQ(main_log().find("\033[K"), std::string::npos);
}

}  // namespace
}  // namespace marquee
