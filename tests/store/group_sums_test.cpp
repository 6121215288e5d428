#include "store/group_sums.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "common/error.hpp"
#include "store/model_aggregates.hpp"

namespace marquee::store {
namespace {

using ::testing::HasSubstr;
using Sums = GroupSums<2, 2>;
using Row = Sums::Row;

std::vector<Row> finished(Sums& sums) {
  std::vector<Row> out;
  sums.finish([&](const Row& row) { out.push_back(row); });
  return out;
}

/// Random rows against a std::map, with memory for all the keys and with memory for a few
/// dozen (a sorted run on disk every few dozen keys, merged at the end).
TEST(GroupSumsTest, GivesEachKeyOnceInKeyOrderWithItsSumsWhateverItsMemory) {
  for (std::size_t memory : {std::size_t{1} << 20, std::size_t{1}}) {
    std::mt19937_64 random(7);
    std::map<std::array<std::int64_t, 2>, std::array<std::int64_t, 2>> expected;
    Sums sums("test", memory);
    for (int i = 0; i < 20000; ++i) {
      Row row{{static_cast<std::int64_t>(random() % 300) - 150,
               static_cast<std::int64_t>(random() % 40)},
              {1, static_cast<std::int64_t>(random() % 2000000) - 1000000}};
      sums.add(row);
      auto& e = expected[row.key];
      e[0] += row.sums[0];
      e[1] += row.sums[1];
    }
    std::vector<Row> got = finished(sums);
    ASSERT_EQ(got.size(), expected.size()) << memory;
    std::size_t i = 0;
    for (const auto& [key, value] : expected) {
      EXPECT_EQ(got[i].key, key) << memory << " row " << i;
      EXPECT_EQ(got[i].sums, value) << memory << " row " << i;
      ++i;
    }
    if (memory == 1) {
      EXPECT_GT(sums.spilled_runs(), 10u);
    } else {
      EXPECT_EQ(sums.spilled_runs(), 0u);
    }
  }
}

TEST(GroupSumsTest, NothingAddedGivesNothing) {
  Sums sums("test", 1);
  EXPECT_TRUE(finished(sums).empty());
}

/// Where SQL's SUM fails with "integer overflow", in memory and across runs on disk.
TEST(GroupSumsTest, ASumPastSixtyFourBitsIsAnErrorNotAWrappedNumber) {
  for (std::size_t memory : {std::size_t{1} << 20, std::size_t{1}}) {
    Sums sums("report_company_year", memory);
    const std::int64_t big = std::numeric_limits<std::int64_t>::max() - 5;
    sums.add(Row{{1, 2000}, {1, big}});
    // Enough other keys between them that the small memory writes them to different runs.
    for (std::int64_t k = 0; k < 500; ++k) sums.add(Row{{2, k}, {1, 1}});
    try {
      sums.add(Row{{1, 2000}, {1, 10}});
      finished(sums);
      ADD_FAILURE() << "no error with memory " << memory;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kDatabase);
      EXPECT_THAT(e.what(), HasSubstr("report_company_year: a sum of one group passes 64 bits"));
    }
  }
}

/// Runs go to $TMPDIR, as SQLite's temporary files do; one that cannot be made there says where.
TEST(GroupSumsTest, RunsGoToTmpdirAndAFolderThatCannotHoldThemIsNamed) {
  const char* before = std::getenv("TMPDIR");
  const std::string kept = before != nullptr ? before : "";
  ::setenv("TMPDIR", "/nonexistent/marquee-tmp", 1);
  try {
    Sums sums("report_company_genre_year", 1);
    for (std::int64_t k = 0; k < 500; ++k) sums.add(Row{{k, 2000}, {1, 1}});
    finished(sums);
    ADD_FAILURE() << "runs were written somewhere";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("report_company_genre_year: cannot create a temporary file "
                                    "in /nonexistent/marquee-tmp"));
    EXPECT_THAT(e.what(), HasSubstr("TMPDIR"));
  }
  before != nullptr ? ::setenv("TMPDIR", kept.c_str(), 1) : ::unsetenv("TMPDIR");
}

/// sql/aggregates/report_company_year.sql for one movie: values split at 10^9, the profit only
/// where both budget and revenue are known.
TEST(ModelAggregatesTest, AMovieAddsWhatTheDefinitionsAdd) {
  ModelAggregates aggregates(1 << 20);
  const std::int64_t companies[] = {7, 3};
  const std::int64_t genres[] = {18};
  aggregates.add_movie(MovieFigures{1999, 5000000000123, 2500000000000, 1500000}, companies,
                       genres);
  aggregates.add_movie(MovieFigures{1999, std::nullopt, 42, std::nullopt}, companies, {});
  std::vector<GroupRow<2, kFigureSums>> company_year;
  aggregates.company_year.finish([&](const auto& row) { company_year.push_back(row); });
  ASSERT_EQ(company_year.size(), 2u);
  EXPECT_EQ(company_year[0].key, (std::array<std::int64_t, 2>{3, 1999}));
  EXPECT_EQ(company_year[1].key, (std::array<std::int64_t, 2>{7, 1999}));
  const std::array<std::int64_t, kFigureSums> both_movies{
      2,                   // movies
      1, 5000,  123,       // budget: count, / 10^9, % 10^9
      2, 2500,  42,        // revenue: 2500000000000 and 42
      1, -2500, -123,      // profit of the movie with both: 2500 - 5000, 0 - 123
      1, 0,     1500000};  // popularity_micros
  EXPECT_EQ(company_year[0].sums, both_movies);
  EXPECT_EQ(company_year[1].sums, both_movies);

  std::vector<GroupRow<2, kFigureSums>> genre_year;
  aggregates.genre_year.finish([&](const auto& row) { genre_year.push_back(row); });
  ASSERT_EQ(genre_year.size(), 1u);
  EXPECT_EQ(genre_year[0].key, (std::array<std::int64_t, 2>{1999, 18}));
  EXPECT_EQ(genre_year[0].sums[0], 1);

  std::vector<GroupRow<3, 1>> company_genre_year;
  aggregates.company_genre_year.finish([&](const auto& row) { company_genre_year.push_back(row); });
  ASSERT_EQ(company_genre_year.size(), 2u);
  EXPECT_EQ(company_genre_year[0].key, (std::array<std::int64_t, 3>{3, 1999, 18}));
  EXPECT_EQ(company_genre_year[1].key, (std::array<std::int64_t, 3>{7, 1999, 18}));
  EXPECT_EQ(company_genre_year[1].sums[0], 1);
}

}  // namespace
}  // namespace marquee::store
