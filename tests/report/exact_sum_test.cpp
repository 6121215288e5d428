#include "report/exact_sum.hpp"

#include <gtest/gtest.h>

namespace marquee::report {
namespace {

Wide wide(const char* text) {
  return *parse_wide(text);
}

TEST(ExactSum, ParsesAndWritesIntegersPast64Bits) {
  EXPECT_EQ(to_decimal(wide("10000000000000000000")), "10000000000000000000");
  EXPECT_EQ(to_decimal(wide("-17999999999999999998")), "-17999999999999999998");
  EXPECT_EQ(to_decimal(wide("0")), "0");
  EXPECT_EQ(to_decimal(wide("+5")), "5");
  EXPECT_FALSE(parse_wide(""));
  EXPECT_FALSE(parse_wide("-"));
  EXPECT_FALSE(parse_wide("1.5"));
  EXPECT_FALSE(parse_wide("123456789012345678901234567890123456789"));  // 39 digits
}

TEST(ExactSum, SplitSumsCombineWhateverTheirSigns) {
  // 5e18 twice: SUM(x / 10^9) = 10^10, SUM(x % 10^9) = 0.
  EXPECT_EQ(to_decimal(combine_split_sum(10'000'000'000, 0)), "10000000000000000000");
  // -1.5e9 + 1: parts of opposite signs across rows.
  EXPECT_EQ(to_decimal(combine_split_sum(-1, -500'000'000 + 1)), "-1499999999");
}

TEST(ExactSum, MeansRoundHalfToEven) {
  EXPECT_EQ(rounded_mean(5, 2), 2);    // 2.5 -> 2
  EXPECT_EQ(rounded_mean(7, 2), 4);    // 3.5 -> 4
  EXPECT_EQ(rounded_mean(-5, 2), -2);  // -2.5 -> -2
  EXPECT_EQ(rounded_mean(-7, 2), -4);  // -3.5 -> -4
  EXPECT_EQ(rounded_mean(10, 3), 3);   // 3.33 -> 3
  EXPECT_EQ(rounded_mean(11, 3), 4);   // 3.67 -> 4
  EXPECT_EQ(to_decimal(rounded_mean(wide("9999999999999999981"), 10)), "999999999999999998");
}

TEST(ExactSum, MicrosHaveSixDecimals) {
  EXPECT_EQ(micros_to_decimal(1'500'000), "1.500000");
  EXPECT_EQ(micros_to_decimal(7), "0.000007");
  EXPECT_EQ(micros_to_decimal(0), "0.000000");
  EXPECT_EQ(micros_to_decimal(-500'000), "-0.500000");
  EXPECT_EQ(micros_to_decimal(-2'000'001), "-2.000001");
  EXPECT_EQ(micros_to_decimal(wide("999999999999999998")), "999999999999.999998");
}

}  // namespace
}  // namespace marquee::report
