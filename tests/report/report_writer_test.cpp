#include "report/report_writer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "store/sqlite_store.hpp"

namespace marquee::report {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(WriteReports, AnEmptyStoreGivesHeaderOnlyFiles) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("marquee-report-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = store::open_sqlite_store(dir / "db");
  auto written = write_reports(*store, dir / "movie_results");
  ASSERT_EQ(written.size(), 6u);
  EXPECT_EQ(slurp(dir / "movie_results/most_popular_genre_by_year.csv"),
            "year,genre_id,genre_name,movies,avg_popularity\n");
  EXPECT_EQ(slurp(dir / "movie_results/company_genre_yearly.csv"),
            "company_id,company_name,year,genre_id,genre_name,releases\n");
  EXPECT_EQ(slurp(dir / "movie_results/genre_rating_yearly.csv"),
            "year,genre_id,genre_name,rated_movies,ratings,avg_rating\n");
  EXPECT_EQ(slurp(dir / "movie_results/company_rating_yearly.csv"),
            "company_id,company_name,year,rated_movies,ratings,avg_rating\n");
  // Nothing is left behind in the temporary folder.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  std::filesystem::remove_all(dir);
}

TEST(WriteReports, TemporariesOfAProcessThatEndedAreRemovedOthersKept) {
  auto dir = std::filesystem::temp_directory_path() /
             fmt::format("marquee-report-leftover-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "movie_results");
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // reaped: its pid names no process now
  auto results = dir / "movie_results";
  std::filesystem::create_directories(results / fmt::format(".reports.tmp-{}", child));
  std::ofstream(results / fmt::format(".reports.tmp-{}", child) / "genre_yearly.csv") << "half";
  std::ofstream(results / fmt::format("run_summary.json.tmp-{}", child)) << "{";
  std::filesystem::create_directories(results / ".reports.tmp-1");  // pid 1 lives
  auto store = store::open_sqlite_store(dir / "db");
  write_reports(*store, results);
  EXPECT_FALSE(std::filesystem::exists(results / fmt::format(".reports.tmp-{}", child)));
  EXPECT_FALSE(std::filesystem::exists(results / fmt::format("run_summary.json.tmp-{}", child)));
  EXPECT_TRUE(std::filesystem::exists(results / ".reports.tmp-1"));
  std::filesystem::remove_all(dir);
}

TEST(WriteReports, AnUnwritableFolderFailsAndKeepsThePreviousReports) {
  auto dir =
      std::filesystem::temp_directory_path() / fmt::format("marquee-report-ro-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = store::open_sqlite_store(dir / "db");
  std::ofstream(dir / "not-a-folder") << "x";
  EXPECT_THROW(write_reports(*store, dir / "not-a-folder" / "movie_results"), Error);
  EXPECT_EQ(slurp(dir / "not-a-folder"), "x");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace marquee::report
