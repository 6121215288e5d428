#include "format/csv_field.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace marquee::format {
namespace {

std::string field(std::string_view v) {
  std::string out;
  append_csv_field(out, v);
  return out;
}

TEST(CsvField, PlainTextIsNotQuoted) {
  EXPECT_EQ(field("Pixar Animation Studios"), "Pixar Animation Studios");
}
TEST(CsvField, ApostropheIsNotQuoted) {
  EXPECT_EQ(field("Po' Boy Productions"), "Po' Boy Productions");
}
TEST(CsvField, CommaIsQuoted) {
  EXPECT_EQ(field("Lions Gate Films, Inc."), "\"Lions Gate Films, Inc.\"");
}
TEST(CsvField, QuoteIsDoubled) {
  EXPECT_EQ(field("The \"Best\" Co"), "\"The \"\"Best\"\" Co\"");
}
TEST(CsvField, LineBreaksAreQuoted) {
  EXPECT_EQ(field("a\nb"), "\"a\nb\"");
  EXPECT_EQ(field("a\rb"), "\"a\rb\"");
}
TEST(CsvField, EmptyStaysEmpty) {
  EXPECT_EQ(field(""), "");
}

}  // namespace
}  // namespace marquee::format
