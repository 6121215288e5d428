#include "common/progress.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace marquee {
namespace {

TEST(ProgressMeter, DescribesCountsRateShareAndTimeLeft) {
  EXPECT_EQ(
      ProgressMeter::describe("ratings.csv", "records", 1234567, 25'000'000, 100'000'000, 2.0),
      "ratings.csv: 1,234,567 records, 25.0 of 100.0 MB (25%), 12.5 MB/s, about 6 s left");
  EXPECT_EQ(ProgressMeter::describe("ratings.csv", "records", 10, 1'000'000, 741'000'000, 1.0),
            "ratings.csv: 10 records, 1.0 of 741.0 MB (0%), 1.0 MB/s, about 12 min 20 s left");
  EXPECT_EQ(ProgressMeter::describe("x.csv", "records", 5, 999'000, 1'000'000, 1.0),
            "x.csv: 5 records, 1.0 of 1.0 MB (100%), 1.0 MB/s, about under 1 s left");
}

TEST(ProgressMeter, WithoutASizeGivesTheAmountAndTheRate) {
  EXPECT_EQ(ProgressMeter::describe("reports", "rows written", 1000, 3'000'000, 0, 1.5),
            "reports: 1,000 rows written, 3.0 MB, 2.0 MB/s");
}

TEST(ProgressMeter, TheIntervalComesFromTheEnvironmentOrIsTenSeconds) {
  ::unsetenv("MARQUEE_PROGRESS_SECONDS");
  EXPECT_EQ(progress_interval(), std::chrono::seconds(10));
  EXPECT_EQ(progress_interval(true), std::chrono::milliseconds(200));
  ::setenv("MARQUEE_PROGRESS_SECONDS", "0.25", 1);
  EXPECT_EQ(progress_interval(), std::chrono::milliseconds(250));
  EXPECT_EQ(progress_interval(true), std::chrono::milliseconds(250));
  for (const char* bad : {"", "x", "-1", "0", "5s"}) {
    ::setenv("MARQUEE_PROGRESS_SECONDS", bad, 1);
    EXPECT_EQ(progress_interval(), std::chrono::seconds(10)) << bad;
  }
  ::unsetenv("MARQUEE_PROGRESS_SECONDS");
}

TEST(ProgressMeter, StopsAtOnceWhenDestroyed) {
  auto started = std::chrono::steady_clock::now();
  {
    ProgressMeter meter("x.csv", "records", 100);
    meter.add(1, 10);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

}  // namespace
}  // namespace marquee
