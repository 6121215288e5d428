#include "format/csv_reader.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "format/byte_source.hpp"

namespace marquee::format {
namespace {

// A record copied out of the reader, so that results of different reads can be compared.
struct Row {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
  std::string raw;
  bool operator==(const Row&) const = default;
};

void PrintTo(const Row& row, std::ostream* os) {
  *os << "{line " << row.line << ", fields [";
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    *os << (i ? ", " : "") << testing::PrintToString(row.fields[i]);
  }
  *os << "], raw " << testing::PrintToString(row.raw) << "}";
}

// What one read of a text gives: its records, then the error that stopped it, if any.
struct Outcome {
  std::vector<Row> rows;
  std::optional<std::string> error;
  bool operator==(const Outcome&) const = default;
};

void PrintTo(const Outcome& outcome, std::ostream* os) {
  for (const Row& row : outcome.rows) {
    PrintTo(row, os);
    *os << "\n";
  }
  *os << "error: " << outcome.error.value_or("none");
}

Outcome read_all(ByteSource& source, CsvOptions options) {
  Outcome outcome;
  CsvReader reader(source, options);
  CsvRecord record;
  try {
    while (reader.next(record)) {
      Row row{{record.fields.begin(), record.fields.end()}, record.line, std::string(record.raw)};
      outcome.rows.push_back(std::move(row));
    }
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    outcome.error = e.what();
  }
  return outcome;
}

Outcome read_text(std::string_view text, CsvOptions options) {
  auto source = string_source(std::string(text), "test.csv");
  return read_all(*source, options);
}

// DuckDB's trick: the same text read with buffers of 1..16 bytes, so that every record straddles
// a buffer boundary at every offset, must read exactly as with one big buffer.
Outcome read_every_buffer_size(std::string_view text, std::size_t max_record_bytes = 1 << 20) {
  const Outcome expected =
      read_text(text, {.buffer_size = 65536, .max_record_bytes = max_record_bytes});
  for (std::size_t size = 1; size <= 16; ++size) {
    EXPECT_EQ(read_text(text, {.buffer_size = size, .max_record_bytes = max_record_bytes}),
              expected)
        << "buffer_size " << size;
  }
  return expected;
}

std::vector<Row> rows_of(std::string_view text) {
  Outcome outcome = read_every_buffer_size(text);
  EXPECT_FALSE(outcome.error) << *outcome.error;
  return outcome.rows;
}

std::vector<std::vector<std::string>> fields_of(std::string_view text) {
  std::vector<std::vector<std::string>> fields;
  for (Row& row : rows_of(text)) {
    fields.push_back(std::move(row.fields));
  }
  return fields;
}

std::string error_of(std::string_view text, std::size_t max_record_bytes = 1 << 20) {
  Outcome outcome = read_every_buffer_size(text, max_record_bytes);
  EXPECT_TRUE(outcome.error) << "no error for " << testing::PrintToString(std::string(text));
  return outcome.error.value_or("");
}

using Fields = std::vector<std::vector<std::string>>;

TEST(CsvReader, EmptyInputYieldsNoRecords) {
  EXPECT_TRUE(rows_of("").empty());
}

TEST(CsvReader, SplitsFieldsAtCommasAndRecordsAtLf) {
  EXPECT_EQ(fields_of("a,b,c\nd,e,f\n"), (Fields{{"a", "b", "c"}, {"d", "e", "f"}}));
}

TEST(CsvReader, LastRecordWithoutNewline) {
  EXPECT_EQ(fields_of("a,b\nc,d"), (Fields{{"a", "b"}, {"c", "d"}}));
}

TEST(CsvReader, CrlfEndsRecord) {
  EXPECT_EQ(fields_of("a,b\r\nc,d\r\n"), (Fields{{"a", "b"}, {"c", "d"}}));
}

TEST(CsvReader, EmptyFields) {
  EXPECT_EQ(fields_of(",,\na,,b\n,\n"), (Fields{{"", "", ""}, {"a", "", "b"}, {"", ""}}));
}

TEST(CsvReader, TrailingCommaAtEndOfInputGivesEmptyLastField) {
  EXPECT_EQ(fields_of("a,"), (Fields{{"a", ""}}));
}

TEST(CsvReader, EmptyLineIsOneEmptyField) {
  EXPECT_EQ(fields_of("a\n\nb\n"), (Fields{{"a"}, {""}, {"b"}}));
  EXPECT_EQ(fields_of("\n"), (Fields{{""}}));
  EXPECT_EQ(fields_of("\r\n"), (Fields{{""}}));
}

TEST(CsvReader, QuotedCommaInsideField) {
  EXPECT_EQ(fields_of("\"a,b\",c\n"), (Fields{{"a,b", "c"}}));
}

TEST(CsvReader, QuotedNewlineInsideField) {
  EXPECT_EQ(fields_of("\"line 1\nline 2\",x\ny\n"), (Fields{{"line 1\nline 2", "x"}, {"y"}}));
}

TEST(CsvReader, QuotedCrlfAndBareCrInsideField) {
  EXPECT_EQ(fields_of("\"a\r\nb\rc\"\r\n"), (Fields{{"a\r\nb\rc"}}));
}

TEST(CsvReader, DoubledQuoteIsOneQuote) {
  EXPECT_EQ(fields_of("\"say \"\"hi\"\"\",\"\"\"\"\n"), (Fields{{"say \"hi\"", "\""}}));
}

TEST(CsvReader, QuotedEmptyField) {
  EXPECT_EQ(fields_of("\"\",a\n"), (Fields{{"", "a"}}));
}

TEST(CsvReader, QuoteAtEndOfInputClosesField) {
  EXPECT_EQ(fields_of("a,\"b c\""), (Fields{{"a", "b c"}}));
}

TEST(CsvReader, BareCrIsOrdinaryCharacter) {
  const std::vector<Row> rows = rows_of("an\roverview,1\nnext,2\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"an\roverview", "1"}));
  EXPECT_EQ(rows[1].line, 2u);
}

TEST(CsvReader, BareCrAtEndOfInputIsKept) {
  EXPECT_EQ(fields_of("a,b\r"), (Fields{{"a", "b\r"}}));
}

TEST(CsvReader, CrBeforeCrlfIsKept) {
  EXPECT_EQ(fields_of("a\r\r\nb\r\r"), (Fields{{"a\r"}, {"b\r\r"}}));
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsOrdinary) {
  EXPECT_EQ(fields_of("ab\"c,d\"\n"), (Fields{{"ab\"c", "d\""}}));
}

TEST(CsvReader, TextAfterClosingQuoteIsAppended) {
  EXPECT_EQ(fields_of("\"ab\"c,d\n\"x\"\ry\n"), (Fields{{"abc", "d"}, {"x\ry"}}));
}

TEST(CsvReader, QuoteAfterClosingQuoteIsOrdinary) {
  EXPECT_EQ(fields_of("\"ab\"c\"d\",\"e\"\"f\"g\"\"\n"), (Fields{{"abc\"d\"", "e\"fg\"\""}}));
}

TEST(CsvReader, QuoteOpensFieldOnlyAtItsStart) {
  EXPECT_EQ(fields_of(" \"a,b\"\n"), (Fields{{" \"a", "b\""}}));
}

TEST(CsvReader, LineCountsLfsInsideQuotes) {
  const std::vector<Row> rows = rows_of("h\n\"a\nb\nc\"\nx\r\n\"\r\n\"\ny\n");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].line, 1u);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].line, 5u);
  EXPECT_EQ(rows[3].line, 6u);
  EXPECT_EQ(rows[4].line, 8u);
}

TEST(CsvReader, BareCrIsNotALineBreak) {
  const std::vector<Row> rows = rows_of("a\rb\rc\nd\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 2u);
}

TEST(CsvReader, RawIsRecordWithoutLineEnd) {
  const std::vector<Row> rows = rows_of("a,\"b\"\"c\"\r\n\"x\ny\",z\nlast\r");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].raw, "a,\"b\"\"c\"");
  EXPECT_EQ(rows[1].raw, "\"x\ny\",z");
  EXPECT_EQ(rows[2].raw, "last\r");
}

TEST(CsvReader, ByteOrderMarkIsSkipped) {
  const std::vector<Row> rows = rows_of("\xEF\xBB\xBFid,title\n1,x\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"id", "title"}));
  EXPECT_EQ(rows[0].raw, "id,title");
  EXPECT_EQ(rows[0].line, 1u);
}

TEST(CsvReader, ByteOrderMarkBeforeQuotedField) {
  EXPECT_EQ(fields_of("\xEF\xBB\xBF\"a,b\"\n"), (Fields{{"a,b"}}));
}

TEST(CsvReader, ByteOrderMarkOnlyIsEmptyInput) {
  EXPECT_TRUE(rows_of("\xEF\xBB\xBF").empty());
}

TEST(CsvReader, ByteOrderMarkAfterStartIsData) {
  EXPECT_EQ(fields_of("a\n\xEF\xBB\xBF"
                      "b\n"),
            (Fields{{"a"},
                    {"\xEF\xBB\xBF"
                     "b"}}));
}

TEST(CsvReader, PartialByteOrderMarkIsData) {
  EXPECT_EQ(fields_of("\xEF\xBB"), (Fields{{"\xEF\xBB"}}));
  EXPECT_EQ(fields_of("\xEF\xBB,a"), (Fields{{"\xEF\xBB", "a"}}));
}

TEST(CsvReader, UnclosedQuoteThrowsNamingLineWhereItOpened) {
  const std::string message = error_of("a,b\nc,d\n\"e\nf,\"\"g\n");
  EXPECT_EQ(message,
            "test.csv: line 3: a quoted field opened here is never closed; every record after it "
            "would vanish into one field — fix the quote in the file");
}

TEST(CsvReader, UnclosedQuoteLineCountsEarlierQuotedLfs) {
  const std::string message = error_of("\"a\n\nb\",\"x\n\"\"y\n");
  EXPECT_NE(message.find("test.csv: line 3: a quoted field opened here is never closed"),
            std::string::npos)
      << message;
}

TEST(CsvReader, RecordsBeforeUnclosedQuoteAreRead) {
  const Outcome outcome = read_every_buffer_size("a\nb\n\"c\n");
  ASSERT_EQ(outcome.rows.size(), 2u);
  EXPECT_TRUE(outcome.error);
}

TEST(CsvReader, RecordLongerThanLimitThrows) {
  const std::string message = error_of("ab\nabcdefghijk\nxyz\n", 10);
  EXPECT_NE(message.find("test.csv: line 2:"), std::string::npos) << message;
  EXPECT_NE(message.find("--max-record-bytes"), std::string::npos) << message;
}

TEST(CsvReader, UnterminatedRecordLongerThanLimitThrows) {
  const std::string message = error_of("ab\n\"abcdefghijklmnopqrstuvwxyz", 10);
  EXPECT_NE(message.find("test.csv: line 2:"), std::string::npos) << message;
  EXPECT_NE(message.find("--max-record-bytes"), std::string::npos) << message;
}

TEST(CsvReader, RecordOfExactlyTheLimitIsRead) {
  const Outcome outcome = read_every_buffer_size("0123456789\r\n\"12\n4\"\"78\"\n0123456789", 10);
  EXPECT_FALSE(outcome.error) << *outcome.error;
  EXPECT_EQ(outcome.rows.size(), 3u);
}

TEST(CsvReader, ZeroBufferSizeReadsAsOne) {
  const Outcome outcome = read_text("a,b\nc\n", {.buffer_size = 0});
  EXPECT_EQ(outcome.rows.size(), 2u);
}

TEST(CsvReader, FieldViewsStayValidUntilNextCall) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text +=
        "\"field " + std::to_string(i) + " with \"\"quotes\"\"\",plain" + std::to_string(i) + "\n";
  }
  for (const std::size_t size : {1, 2, 3, 5, 7, 8, 13, 16, 65536}) {
    auto source = string_source(text);
    CsvReader reader(*source, {.buffer_size = size});
    CsvRecord record;
    int count = 0;
    while (reader.next(record)) {
      ASSERT_EQ(record.fields.size(), 2u);
      EXPECT_EQ(record.fields[0], "field " + std::to_string(count) + " with \"quotes\"");
      EXPECT_EQ(record.fields[1], "plain" + std::to_string(count));
      ++count;
    }
    EXPECT_EQ(count, 200) << "buffer_size " << size;
  }
}

// A byte-at-a-time reading of the same dialect, written for clarity, not speed.
Outcome reference_read(std::string_view text) {
  Outcome outcome;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  std::uint64_t line = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    Row row{{}, line, {}};
    const std::size_t start = i;
    std::string field;
    bool at_field_start = true;
    bool in_quotes = false;
    bool ended = false;
    std::uint64_t open_line = 0;
    while (i < text.size() && !ended) {
      const char c = text[i];
      if (in_quotes) {
        if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        if (c == '"') {
          in_quotes = false;
        } else {
          field += c;
          line += c == '\n';
        }
        ++i;
      } else if (at_field_start && c == '"') {
        in_quotes = true;
        at_field_start = false;
        open_line = line;
        ++i;
      } else if (c == ',') {
        row.fields.push_back(std::exchange(field, {}));
        at_field_start = true;
        ++i;
      } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
        row.raw = std::string(text.substr(start, i - start));
        i += c == '\n' ? 1 : 2;
        ended = true;
      } else {
        field += c;
        at_field_start = false;
        ++i;
      }
    }
    if (in_quotes) {
      outcome.error = "test.csv: line " + std::to_string(open_line) +
                      ": a quoted field opened here is never closed; every record after it "
                      "would vanish into one field — fix the quote in the file";
      return outcome;
    }
    if (!ended) {
      row.raw = std::string(text.substr(start));
    }
    row.fields.push_back(std::move(field));
    outcome.rows.push_back(std::move(row));
    ++line;
  }
  return outcome;
}

TEST(CsvReader, MatchesByteAtATimeReferenceOnRandomText) {
  std::mt19937 random(20240611);
  const std::string alphabet = "ab,\"\n\r";
  for (int round = 0; round < 400; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) {
      text += alphabet[random() % alphabet.size()];
    }
    EXPECT_EQ(read_every_buffer_size(text), reference_read(text))
        << "text " << testing::PrintToString(text);
  }
}

std::vector<Row> read_file(const std::filesystem::path& path) {
  auto source = open_file_source(path);
  Outcome outcome = read_all(*source, {});
  EXPECT_FALSE(outcome.error) << *outcome.error;
  return outcome.rows;
}

TEST(CsvReader, FixtureHas300MovieRecordsOf24Fields) {
  const std::vector<Row> rows = read_file(MARQUEE_FIXTURES_DIR "/movies_metadata.head300.csv");
  ASSERT_EQ(rows.size(), 301u);  // the header and 300 movies
  for (const Row& row : rows) {
    EXPECT_EQ(row.fields.size(), 24u) << "line " << row.line;
  }
  EXPECT_EQ(rows[0].fields[5], "id");
  EXPECT_EQ(rows[1].fields[5], "862");
  EXPECT_EQ(rows[1].fields[8], "Toy Story");
  EXPECT_EQ(rows[300].fields[5], "12106");
}

TEST(CsvReader, FixtureReadsTheSameWithSmallBuffers) {
  const auto path = MARQUEE_FIXTURES_DIR "/movies_metadata.head300.csv";
  auto big = open_file_source(path);
  const Outcome expected = read_all(*big, {});
  for (std::size_t size : {1, 3, 7, 16, 4093}) {
    auto small = open_file_source(path);
    EXPECT_EQ(read_all(*small, {.buffer_size = size}), expected) << "buffer_size " << size;
  }
}

TEST(CsvReader, FixtureOverviewWithNewlineIsOneRecordOverTwoLines) {
  const std::vector<Row> rows = read_file(MARQUEE_FIXTURES_DIR "/movies_metadata.head300.csv");
  ASSERT_EQ(rows.size(), 301u);
  EXPECT_EQ(rows[127].fields[5], "290157");
  EXPECT_EQ(rows[127].line, 128u);
  EXPECT_NE(rows[127].fields[9].find("past.\n - Written by James Meek"), std::string::npos);
  EXPECT_EQ(rows[128].line, 130u);
  EXPECT_EQ(rows[300].line, 302u);
}

}  // namespace
}  // namespace marquee::format
