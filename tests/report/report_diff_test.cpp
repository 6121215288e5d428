#include "report/report_diff.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

namespace marquee::report {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class ReportDiff : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("marquee-report-diff-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  fs::path dir_;
};

constexpr const char* kCompanyHeader =
    "company_id,company_name,year,movies,budget_movies,total_budget,revenue_movies,total_revenue,"
    "profit_movies,total_profit,avg_popularity\n";

TEST_F(ReportDiff, CountsRowsAddedChangedAndRemovedByKey) {
  auto before = file("before.csv", std::string(kCompanyHeader) +
                                       "1,Acme,1999,1,,,,,,,1.000000\n"
                                       "1,Acme,2000,2,,,,,,,1.000000\n"
                                       "2,Beta,2000,1,,,,,,,\n"
                                       "10,\"Gamma, Inc\",2001,1,,,,,,,\n");
  auto after = file("after.csv", std::string(kCompanyHeader) +
                                     "1,Acme,2000,3,,,,,,,1.000000\n"
                                     "2,Beta,2000,1,,,,,,,\n"
                                     "3,New,1980,1,,,,,,,\n"
                                     "10,\"Gamma, Inc\",2001,1,,,,,,,2.000000\n");
  auto change = diff_report("company_yearly", before, after);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->report, "company_yearly");
  EXPECT_EQ(change->rows_added, 1u);
  EXPECT_EQ(change->rows_changed, 2u);
  EXPECT_EQ(change->rows_removed, 1u);
  EXPECT_THAT(change->changed_keys,
              ElementsAre("company_id=1 year=1999", "company_id=1 year=2000",
                          "company_id=3 year=1980", "company_id=10 year=2001"));
}

TEST_F(ReportDiff, IdenticalFilesChangeNothing) {
  std::string text = std::string(kCompanyHeader) + "1,Acme,2000,2,,,,,,,1.000000\n";
  auto change = diff_report("company_yearly", file("a.csv", text), file("b.csv", text));
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->rows_added + change->rows_changed + change->rows_removed, 0u);
  EXPECT_TRUE(change->changed_keys.empty());
}

TEST_F(ReportDiff, GenreYearlyRowsThatOnlyMovedRankWithinAYearAreCompared) {
  // genre_yearly is ordered by year and rank: the same genres in another order are matched by
  // genre_id, and a changed rank is a changed row.
  const std::string header =
      "year,genre_id,genre_name,movies,avg_popularity,popularity_rank,budget_movies,total_budget,"
      "revenue_movies,total_revenue,profit_movies,total_profit\n";
  auto before = file("before.csv", header +
                                       "2000,18,Drama,1,2.000000,1,,,,,,\n"
                                       "2000,35,Comedy,1,1.000000,2,,,,,,\n"
                                       "2001,18,Drama,1,1.000000,1,,,,,,\n");
  auto after = file("after.csv", header +
                                     "2000,35,Comedy,1,3.000000,1,,,,,,\n"
                                     "2000,18,Drama,1,2.000000,2,,,,,,\n"
                                     "2001,18,Drama,1,1.000000,1,,,,,,\n");
  auto change = diff_report("genre_yearly", before, after);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->rows_added, 0u);
  EXPECT_EQ(change->rows_changed, 2u);
  EXPECT_EQ(change->rows_removed, 0u);
  EXPECT_THAT(change->changed_keys, ElementsAre("year=2000 genre_id=18", "year=2000 genre_id=35"));
}

TEST_F(ReportDiff, KeepsOnlyTheFirstKeys) {
  std::string after = std::string(kCompanyHeader);
  for (int i = 1; i <= 50; ++i) after += fmt::format("{},C,2000,1,,,,,,,\n", i);
  auto change = diff_report("company_yearly", file("a.csv", kCompanyHeader), file("b.csv", after));
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->rows_added, 50u);
  EXPECT_EQ(change->changed_keys.size(), store::ReportChange::kChangedKeysKept);
}

TEST_F(ReportDiff, NoPreviousFileIsNothingToCompare) {
  auto after = file("b.csv", kCompanyHeader);
  EXPECT_FALSE(diff_report("company_yearly", dir_ / "missing.csv", after).has_value());
}

TEST_F(ReportDiff, AnUnreadablePreviousFileIsNothingToCompare) {
  auto before = file("a.csv", "not,a,report\n1,2,3\n");
  auto after = file("b.csv", kCompanyHeader);
  EXPECT_FALSE(diff_report("company_yearly", before, after).has_value());
  auto open_quote = file("q.csv", std::string(kCompanyHeader) + "1,\"Acme,2000\n");
  EXPECT_FALSE(diff_report("company_yearly", open_quote, after).has_value());
}

}  // namespace
}  // namespace marquee::report
