// SIGKILL in the middle of the ratings load, then a rerun: the database and the reports equal a
// clean run's, on SQLite and PostgreSQL (SPEC 3.5 crash safety, issue #13).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundLoad;
using testing::PostgresDatabase;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

constexpr const char* kReports[] = {"company_yearly",      "company_genre_yearly",
                                    "genre_yearly",        "most_popular_genre_by_year",
                                    "genre_rating_yearly", "company_rating_yearly"};

/// What the database holds, as numbers that a half-applied batch would change.
std::string tables_of(const std::string& db) {
  auto store = store::open_store(db);
  std::string out;
  for (const char* sql :
       {"SELECT COUNT(*) FROM movie", "SELECT COUNT(*) FROM link",
        "SELECT COUNT(*) FROM movie_keyword", "SELECT COUNT(*) FROM cast_credit",
        "SELECT COUNT(*) FROM rating", "SELECT SUM(CAST(rating * 2 AS INTEGER)) FROM rating",
        "SELECT SUM(ratings) FROM rating_total", "SELECT SUM(rating_halves) FROM rating_total",
        "SELECT COUNT(*) FROM ingest_batch WHERE status = 'loaded'"}) {
    store->query(sql, {}, [&](const auto&, const auto& row) {
      out += fmt::format("{} = {}\n", sql, row[0].value_or("NULL"));
    });
  }
  return out;
}

std::string reports_of(const fs::path& workdir) {
  std::string out;
  for (const char* name : kReports) {
    out += read_file(workdir / "movie_results" / (std::string(name) + ".csv"));
  }
  return out;
}

class RatingsCrash : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (killed_db_.url().empty()) GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh sets it)";
    }
    // About 650,000 ratings: a load long enough to be killed in its middle.
    auto g = run_marquee({"generate", "--scale", "0.05", "--ratings-scale", "0.025", "--seed", "11",
                          "--out", (dir_.path() / "archive.zip").string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
  }

  std::string db(const fs::path& workdir, PostgresDatabase& pg) const {
    if (GetParam() == "postgresql") return pg.url();
    return "sqlite:" + (workdir / "marquee.db").string();
  }

  std::vector<std::string> with_db(std::vector<std::string> args, const fs::path& workdir,
                                   PostgresDatabase& pg) const {
    args.insert(args.end(), {"--workdir", workdir.string()});
    if (GetParam() == "postgresql") args.insert(args.end(), {"--db", pg.url()});
    return args;
  }

  TempDir dir_;
  PostgresDatabase killed_db_, clean_db_;
};

TEST_P(RatingsCrash, SigkillDuringTheRatingsThenARerunEqualsACleanRun) {
  const fs::path killed = dir_.path() / "killed";
  const fs::path clean = dir_.path() / "clean";
  const std::string archive = (dir_.path() / "archive.zip").string();

  auto staged = run_marquee(with_db({"stage", archive}, killed, killed_db_));
  ASSERT_EQ(staged.exit_code, 0) << staged.output;
  {
    BackgroundLoad load(killed, GetParam() == "postgresql" ? killed_db_.url() : "");
    ASSERT_TRUE(load.wait_for_log("reading ratings.csv")) << load.output();
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    int status = load.signal_and_wait(SIGKILL);
    if (!WIFSIGNALED(status)) GTEST_SKIP() << "the load finished before the kill";
  }
  // Nothing of the batch is there: no movie, link, keyword, credit or rating, no loaded batch.
  auto after_kill = tables_of(db(killed, killed_db_));
  EXPECT_NE(after_kill.find("SELECT COUNT(*) FROM rating = 0"), std::string::npos) << after_kill;
  EXPECT_NE(after_kill.find("SELECT COUNT(*) FROM movie = 0"), std::string::npos) << after_kill;
  EXPECT_NE(after_kill.find("status = 'loaded' = 0"), std::string::npos) << after_kill;
  EXPECT_TRUE(fs::exists(killed / "staging/incoming/archive.zip"));

  auto rerun = run_marquee(with_db({"load"}, killed, killed_db_));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  auto report = run_marquee(with_db({"report"}, killed, killed_db_));
  ASSERT_EQ(report.exit_code, 0) << report.output;
  auto fresh = run_marquee(with_db({"run", archive}, clean, clean_db_));
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;

  EXPECT_EQ(tables_of(db(killed, killed_db_)), tables_of(db(clean, clean_db_)));
  EXPECT_EQ(reports_of(killed), reports_of(clean));
  EXPECT_NE(read_file(clean / "movie_results/genre_rating_yearly.csv").find('\n'),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, RatingsCrash, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace marquee
