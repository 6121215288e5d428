#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "format/csv_reader.hpp"

namespace marquee::format {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// The message of the Error that reading `text` throws, or "" when it reads.
std::string error_reading(const std::string& text, CsvOptions options) {
  auto source = string_source(text, "movies_metadata.csv");
  CsvReader reader(*source, options);
  CsvRecord record;
  try {
    while (reader.next(record)) {
    }
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    return e.what();
  }
  return "";
}

TEST(CsvReader, TooLongRecordOfCrOnlyLinesSaysTheLineEndsAreCrOnly) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "5,Heat,False\r";
  for (std::size_t buffer : {std::size_t{7}, std::size_t{1} << 16}) {
    std::string message = error_reading(text, {buffer, 100});
    EXPECT_THAT(message, HasSubstr("movies_metadata.csv: line 1: a record is longer than 100 "
                                   "bytes (--max-record-bytes) and holds bare CRs: the file's "
                                   "lines seem to end with CR only"))
        << buffer;
    EXPECT_THAT(message, HasSubstr("convert them to LF"));
  }
}

TEST(CsvReader, TooLongRecordWithOneBareCrKeepsTheUsualHint) {
  // Real overviews hold a bare CR: one is no sign of CR-only line ends.
  std::string message =
      error_reading("id,overview\n5,a\r" + std::string(200, 'b') + "\n", {16, 100});
  EXPECT_THAT(message, HasSubstr("line 2: a record is longer than 100 bytes (--max-record-bytes); "
                                 "check that the file is this CSV"));
  EXPECT_THAT(message, Not(HasSubstr("CR only")));
}

TEST(CsvReader, TheTooLongMessageIsTheSameWhateverTheBufferSize) {
  // Found by csv_reader_fuzz: the hint counted the bare CRs of whatever part of the record was
  // buffered, so a second CR past the limit changed the message with the buffer size.
  std::string text = "a\r" + std::string(8, 'b') + "\rc" + std::string(30, 'd') + "\n";
  std::string reference = error_reading(text, {text.size() + 1, 10});
  EXPECT_THAT(reference, HasSubstr("check that the file is this CSV"));
  for (std::size_t buffer : {std::size_t{1}, std::size_t{3}, std::size_t{16}, std::size_t{64}}) {
    EXPECT_EQ(error_reading(text, {buffer, 10}), reference) << buffer;
  }
}

}  // namespace
}  // namespace marquee::format
