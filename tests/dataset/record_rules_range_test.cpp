#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "dataset/record_rules.hpp"
#include "dataset/record_rules_test_support.hpp"
#include "format/csv_reader.hpp"

namespace marquee::dataset {
namespace {

using test::Applied;
using test::apply_record;

// Heat, shortened: every column the rules parse holds a plain value.
const char* kRecord =
    "False,,60000000,\"[{'id': 28, 'name': 'Action'}]\",,949,tt0113277,en,Heat,A heist.,17.924927,"
    ",\"[{'name': 'Regency Enterprises', 'id': 508}]\",[],1995-12-15,187436818,170.0,[],Released,,"
    "Heat,False,7.7,1886\n";

constexpr int kBudget = 2, kId = 5, kRevenue = 15, kRuntime = 16, kVoteAverage = 22,
              kVoteCount = 23;

/// kRecord with one field replaced, through the real CSV reader and the rules.
Applied apply_with(int column, const std::string& value) {
  return apply_record(test::with_field(column, value, kRecord));
}

RowError error_of(const Applied& a) {
  EXPECT_TRUE(std::holds_alternative<RowError>(a.result));
  return std::holds_alternative<RowError>(a.result) ? std::get<RowError>(a.result) : RowError{};
}

MovieRow row_of(const Applied& a) {
  EXPECT_TRUE(std::holds_alternative<MovieRow>(a.result)) << std::get<RowError>(a.result).detail;
  return std::holds_alternative<MovieRow>(a.result) ? std::get<MovieRow>(a.result) : MovieRow{};
}

TEST(MovieRecordRules, RealNumberPastTheRangeOfADoubleIsBadNumber) {
  const std::string huge = "1" + std::string(400, '0');
  for (int column : {kRuntime, kVoteAverage, kVoteCount}) {
    for (const std::string& v : {std::string("1e400"), std::string("-1e400"), huge}) {
      RowError e = error_of(apply_with(column, v));
      EXPECT_EQ(e.reason, RejectReason::kBadNumber) << column << " " << v;
      EXPECT_NE(e.detail.find("is out of range"), std::string::npos) << e.detail;
    }
  }
  EXPECT_EQ(error_of(apply_with(kRuntime, "1e400")).detail, "runtime '1e400' is out of range");
}

TEST(MovieRecordRules, RealNumberBelowTheRangeOfADoubleIsZero) {
  EXPECT_EQ(row_of(apply_with(kVoteAverage, "1e-400")).vote_average, 0.0);
  EXPECT_EQ(row_of(apply_with(kRuntime, "-2.5e-400")).runtime, 0.0);
}

TEST(MovieRecordRules, LargestDoubleIsKept) {
  EXPECT_EQ(row_of(apply_with(kVoteCount, "1.7976931348623157e308")).vote_count,
            std::numeric_limits<double>::max());
  EXPECT_EQ(row_of(apply_with(kRuntime, "+90")).runtime, 90.0);
}

TEST(MovieRecordRules, InfinityAndNanAreBadNumber) {
  for (const char* v : {"inf", "-inf", "Infinity", "nan", "NaN", "0x1p3"}) {
    for (int column : {kRuntime, kVoteAverage, kVoteCount}) {
      EXPECT_EQ(error_of(apply_with(column, v)).reason, RejectReason::kBadNumber) << v;
    }
  }
}

TEST(MovieRecordRules, MoneyPastSixtyFourBitsIsBadNumberOutOfRange) {
  RowError e = error_of(apply_with(kBudget, "9223372036854775808"));
  EXPECT_EQ(e.reason, RejectReason::kBadNumber);
  EXPECT_EQ(e.detail, "budget '9223372036854775808' is out of range (above 9223372036854775807)");
  EXPECT_EQ(error_of(apply_with(kRevenue, "99999999999999999999.0")).reason,
            RejectReason::kBadNumber);
  EXPECT_EQ(row_of(apply_with(kBudget, "9223372036854775807")).budget,
            std::numeric_limits<std::int64_t>::max());
}

TEST(MovieRecordRules, IdPastSixtyFourBitsIsBadIdOutOfRange) {
  RowError e = error_of(apply_with(kId, "9223372036854775808"));
  EXPECT_EQ(e.reason, RejectReason::kBadId);
  EXPECT_EQ(e.detail, "id '9223372036854775808' is out of range (above 9223372036854775807)");
}

TEST(MovieRecordRules, LongValueIsCutInTheDetail) {
  RowError e = error_of(apply_with(kId, std::string(1 << 20, '7') + "x"));
  EXPECT_EQ(e.reason, RejectReason::kBadId);
  EXPECT_LT(e.detail.size(), 200u);
  EXPECT_NE(e.detail.find("\u2026' (1048577 bytes) is not a positive integer"), std::string::npos)
      << e.detail;
}

TEST(MovieRecordRules, NulInAValueIsEscapedInTheDetail) {
  RowError e = error_of(apply_with(kId, std::string("12\0x", 4)));
  EXPECT_EQ(e.detail, "id '12\\0x' is not a positive integer");
}

TEST(ValueParsers, Real) {
  EXPECT_EQ(parse_real("81.0"), 81.0);
  EXPECT_EQ(parse_real("1.7e-05"), 1.7e-05);
  EXPECT_EQ(parse_real(".5"), 0.5);
  EXPECT_EQ(parse_real("+3"), 3.0);
  EXPECT_EQ(parse_real("1e-400"), 0.0);
  EXPECT_EQ(parse_real("0e999999"), 0.0);
  EXPECT_FALSE(parse_real("1e400"));
  EXPECT_FALSE(parse_real("-1e400"));
  EXPECT_FALSE(parse_real("0.001e312"));
  EXPECT_EQ(parse_real("0.001e311"), 1e308);
  EXPECT_FALSE(parse_real("inf"));
  EXPECT_FALSE(parse_real("nan"));
  EXPECT_FALSE(parse_real(""));
}

TEST(Printable, EscapesControlBytesAndReplacesInvalidUtf8) {
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\0b");
  EXPECT_EQ(printable("a\r\n\t\x1b\x7f"), "a\\r\\n\\t\\x1b\\x7f");
  EXPECT_EQ(printable("caf\xe9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(printable("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(Printable, CutsAtACharacterAndMarksTheCut) {
  EXPECT_EQ(printable(std::string(99, 'a') + "\xC3\xA9", 100), std::string(99, 'a') + "\u2026");
  EXPECT_EQ(printable(std::string(100, 'a'), 100), std::string(100, 'a'));
  EXPECT_EQ(printable(std::string(101, 'a'), 100), std::string(100, 'a') + "\u2026");
  std::string fifty_nuls;
  for (int i = 0; i < 50; ++i) fifty_nuls += "\\0";
  EXPECT_EQ(printable(std::string(60, '\0'), 100), fifty_nuls + "\u2026");
}

TEST(QuoteValue, ShortTextAsItIsLongTextWithItsSize) {
  EXPECT_EQ(quote_value("12a"), "'12a'");
  EXPECT_EQ(quote_value(std::string(150, 'x')),
            "'" + std::string(100, 'x') + "\u2026' (150 bytes)");
}

}  // namespace
}  // namespace marquee::dataset
