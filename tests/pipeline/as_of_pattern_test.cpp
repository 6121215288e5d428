#include "pipeline/as_of_pattern.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace marquee::pipeline {
namespace {

std::string time_of(const std::string& pattern, const std::string& name) {
  AsOfMatch match = AsOfPattern(pattern).match(name);
  EXPECT_TRUE(match.data_time) << pattern << " on " << name << ": " << match.mismatch;
  return match.data_time.value_or("");
}

std::string mismatch_of(const std::string& pattern, const std::string& name) {
  AsOfMatch match = AsOfPattern(pattern).match(name);
  EXPECT_FALSE(match.data_time) << pattern << " on " << name << ": " << *match.data_time;
  return match.mismatch;
}

/// The one-line usage error a bad pattern throws.
std::string pattern_error(const std::string& pattern) {
  try {
    AsOfPattern{pattern};
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  ADD_FAILURE() << pattern << " was accepted";
  return "";
}

TEST(AsOfPattern, LiteralTextMustBeThereAsWritten) {
  EXPECT_FALSE(mismatch_of("movies-%Y.zip", "films-2024.zip").empty());
}

TEST(AsOfPattern, LiteralTextIsCaseSensitive) {
  EXPECT_FALSE(mismatch_of("movies-%Y.zip", "Movies-2024.zip").empty());
}

TEST(AsOfPattern, YearAloneIsJanuaryFirstMidnight) {
  EXPECT_EQ(time_of("movies-%Y.zip", "movies-2024.zip"), "2024-01-01T00:00:00.000Z");
}

TEST(AsOfPattern, MonthTokenSetsTheMonth) {
  EXPECT_EQ(time_of("%Y-%m.zip", "2024-07.zip"), "2024-07-01T00:00:00.000Z");
}

TEST(AsOfPattern, DayTokenSetsTheDay) {
  EXPECT_EQ(time_of("%Y%m%d.zip", "20240315.zip"), "2024-03-15T00:00:00.000Z");
}

TEST(AsOfPattern, HourTokenSetsTheHour) {
  EXPECT_EQ(time_of("%Y%m%dT%H.zip", "20240315T07.zip"), "2024-03-15T07:00:00.000Z");
}

TEST(AsOfPattern, MinuteTokenSetsTheMinute) {
  EXPECT_EQ(time_of("%Y%m%dT%H%M.zip", "20240315T0745.zip"), "2024-03-15T07:45:00.000Z");
}

TEST(AsOfPattern, SecondTokenSetsTheSecond) {
  EXPECT_EQ(time_of("%Y%m%dT%H%M%S.zip", "20240315T074559.zip"), "2024-03-15T07:45:59.000Z");
}

TEST(AsOfPattern, FieldsMayComeInAnyOrder) {
  EXPECT_EQ(time_of("%d.%m.%Y.zip", "31.12.2023.zip"), "2023-12-31T00:00:00.000Z");
}

TEST(AsOfPattern, DoublePercentIsAPercentSign) {
  EXPECT_EQ(time_of("100%%-%Y.zip", "100%-2024.zip"), "2024-01-01T00:00:00.000Z");
}

TEST(AsOfPattern, StarMatchesAnyText) {
  EXPECT_EQ(time_of("*-%Y-%m-%d.zip", "the-movies-dataset-2024-02-03.zip"),
            "2024-02-03T00:00:00.000Z");
}

TEST(AsOfPattern, StarMatchesNothingToo) {
  EXPECT_EQ(time_of("movies*-%Y.zip", "movies-2024.zip"), "2024-01-01T00:00:00.000Z");
}

TEST(AsOfPattern, AFieldNeedsAllItsDigits) {
  EXPECT_FALSE(mismatch_of("movies-%Y-%m-%d.zip", "movies-2024-3-01.zip").empty());
}

TEST(AsOfPattern, MonthThirteenIsRejectedNamingTheMonth) {
  EXPECT_EQ(mismatch_of("movies-%Y-%m-%d.zip", "movies-2024-13-01.zip"),
            "month 13 is out of range (01-12)");
}

TEST(AsOfPattern, MonthZeroIsRejected) {
  EXPECT_EQ(mismatch_of("movies-%Y-%m.zip", "movies-2024-00.zip"),
            "month 00 is out of range (01-12)");
}

TEST(AsOfPattern, LeapDayOfALeapYearIsAccepted) {
  EXPECT_EQ(time_of("%Y-%m-%d.zip", "2024-02-29.zip"), "2024-02-29T00:00:00.000Z");
}

TEST(AsOfPattern, LeapDayOfAnotherYearIsRejected) {
  EXPECT_EQ(mismatch_of("%Y-%m-%d.zip", "2023-02-29.zip"),
            "day 29 is out of range (01-28) in 2023-02");
}

TEST(AsOfPattern, LeapDayOf1900IsRejected) {
  EXPECT_FALSE(mismatch_of("%Y-%m-%d.zip", "1900-02-29.zip").empty());
}

TEST(AsOfPattern, HourTwentyFourIsRejected) {
  EXPECT_EQ(mismatch_of("%Y%m%dT%H.zip", "20240101T24.zip"), "hour 24 is out of range (00-23)");
}

TEST(AsOfPattern, MinuteSixtyIsRejected) {
  EXPECT_EQ(mismatch_of("%Y%m%dT%H%M.zip", "20240101T2360.zip"),
            "minute 60 is out of range (00-59)");
}

TEST(AsOfPattern, TrailingTextAfterTheNameIsAMismatch) {
  EXPECT_FALSE(mismatch_of("movies-%Y-%m-%d.zip", "movies-2024-01-01.zip.bak").empty());
}

TEST(AsOfPattern, LeadingTextBeforeTheNameIsAMismatch) {
  EXPECT_FALSE(mismatch_of("movies-%Y.zip", "old-movies-2024.zip").empty());
}

TEST(AsOfPattern, UnknownTokenIsAUsageErrorNamingIt) {
  EXPECT_NE(pattern_error("movies-%Y-%j.zip").find("%j is no token"), std::string::npos);
}

TEST(AsOfPattern, PatternWithoutYearIsAUsageError) {
  EXPECT_NE(pattern_error("movies-%m-%d.zip").find("no %Y"), std::string::npos);
}

TEST(AsOfPattern, TokenGivenTwiceIsAUsageError) {
  EXPECT_NE(pattern_error("%Y-%m-%m.zip").find("%m is given twice"), std::string::npos);
}

TEST(AsOfPattern, DayWithoutMonthIsAUsageError) {
  EXPECT_NE(pattern_error("%Y-%d.zip").find("%d needs %m"), std::string::npos);
}

TEST(AsOfPattern, LonePercentAtTheEndIsAUsageError) {
  EXPECT_NE(pattern_error("movies-%Y%").find("lone %"), std::string::npos);
}

}  // namespace
}  // namespace marquee::pipeline
