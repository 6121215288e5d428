#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace marquee {
namespace {

TEST(NormalizeUtcTimestamp, ReadsTheFormsSourcesAndOperatorsWrite) {
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01"), "2025-03-01T00:00:00.000Z");
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01T04:05"), "2025-03-01T04:05:00.000Z");
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01 04:05:06"), "2025-03-01T04:05:06.000Z");
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01T04:05:06Z"), "2025-03-01T04:05:06.000Z");
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01T04:05:06.5Z"), "2025-03-01T04:05:06.500Z");
  EXPECT_EQ(normalize_utc_timestamp("2025-03-01T04:05:06.123456Z"), "2025-03-01T04:05:06.123Z");
}

TEST(NormalizeUtcTimestamp, ConvertsOffsetsToUtcAcrossDayAndYearBoundaries) {
  EXPECT_EQ(normalize_utc_timestamp("2025-01-01T01:00:00+02:00"), "2024-12-31T23:00:00.000Z");
  EXPECT_EQ(normalize_utc_timestamp("2024-02-28T23:30:00-0100"), "2024-02-29T00:30:00.000Z");
}

TEST(NormalizeUtcTimestamp, NormalizedTextOrdersAsTime) {
  auto a = normalize_utc_timestamp("2025-06-01T10:00:00+05:00");  // 05:00Z
  auto b = normalize_utc_timestamp("2025-06-01T06:00:00Z");
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);
}

TEST(NormalizeUtcTimestamp, RejectsWhatIsNotATimestamp) {
  for (const char* bad :
       {"", "yesterday", "2025-02-30", "2025-13-01", "2025-1-1", "2025-03-01T", "2025-03-01T25:00",
        "2025-03-01T04:05:06.Z", "2025-03-01Zjunk", "2025-03-01T04:05+2"}) {
    EXPECT_FALSE(normalize_utc_timestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace marquee
