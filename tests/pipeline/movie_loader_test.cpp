#include "pipeline/movie_loader.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "format/byte_source.hpp"
#include "pipeline/pipeline_test_support.hpp"
#include "pipeline/recording_writer.hpp"

namespace marquee::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::read_file;
using test::TempDir;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  return names;
}

using testing_support::RecordingWriter;

constexpr const char* kHeader = "id,title,adult,release_date\n";

/// load_movies over `csv` into a RecordingWriter, with the rejects file in a temporary folder.
class MovieLoader : public ::testing::Test {
 protected:
  FileStats load(const std::string& csv, MovieLoadOptions options = {}) {
    auto source = format::string_source(csv, "movies_metadata.csv");
    RejectSink rejects(rejects_path());
    FileStats stats = load_movies(*source, "movies_metadata.csv", writer_, rejects, options);
    stats.rejects_file = rejects.finish();
    return stats;
  }
  fs::path rejects_path() const { return dir_.path() / "rejects/7/movies_metadata.rejects.csv"; }

  TempDir dir_;
  RecordingWriter writer_;
};

TEST_F(MovieLoader, AccountingBalances) {
  FileStats stats = load(std::string(kHeader) +
                         "5,Heat,False,1995-12-15\n"
                         "6,Ronin,False,1998-09-25\n"
                         "5,Heat (1995),False,1995-12-15\n"
                         "x,Nothing,False,\n");
  EXPECT_EQ(stats.rows_read, 4u);
  EXPECT_EQ(stats.rows_loaded, 2u);
  EXPECT_EQ(stats.rows_rejected, 1u);
  EXPECT_EQ(stats.duplicate_superseded, 1u);
  EXPECT_EQ(stats.rows_read, stats.rows_loaded + stats.rows_rejected + stats.duplicate_superseded);
}

TEST_F(MovieLoader, LastDuplicateWins) {
  FileStats stats = load(std::string(kHeader) +
                         "5,Heat,False,1995-12-15\n"
                         "5,Heat (1995),False,1995-12-15\n");
  ASSERT_EQ(writer_.upserts.size(), 2u);
  EXPECT_EQ(writer_.movies.at(5).title, "Heat (1995)");
  EXPECT_EQ(writer_.movies.at(5).line, 3u);
  EXPECT_EQ(stats.duplicate_superseded, 1u);
  EXPECT_EQ(stats.rows_loaded, 1u);
}

TEST_F(MovieLoader, RejectedRecordNeverSupersedesAnAcceptedOne) {
  FileStats stats = load(std::string(kHeader) +
                         "5,Heat,False,1995-12-15\n"
                         "5,Heat again,maybe,1995-12-15\n");
  ASSERT_EQ(writer_.upserts.size(), 1u);
  EXPECT_EQ(writer_.movies.at(5).title, "Heat");
  EXPECT_EQ(stats.duplicate_superseded, 0u);
  EXPECT_EQ(stats.rows_loaded, 1u);
  EXPECT_EQ(stats.rows_rejected, 1u);
}

TEST_F(MovieLoader, RejectsAreWrittenWithLineReasonDetailAndRecord) {
  FileStats stats = load(std::string(kHeader) +
                         "5,Heat,False,1995-12-15\n"
                         "x,\"Bad, id\",False,\n"
                         "6,Ronin,maybe,\n");
  EXPECT_EQ(stats.rejects_file, rejects_path());
  EXPECT_EQ(read_file(rejects_path()),
            "line,reason,detail,record\n"
            "3,bad_id,id 'x' is not a positive integer,\"x,\"\"Bad, id\"\",False,\"\n"
            "4,bad_bool,adult 'maybe' is not True or False,\"6,Ronin,maybe,\"\n");
  EXPECT_EQ(stats.rejected_by_reason,
            (std::map<std::string, std::uint64_t>{{"bad_bool", 1}, {"bad_id", 1}}));
}

TEST_F(MovieLoader, WarningsAreCountedAndTheRecordKept) {
  FileStats stats = load(std::string(kHeader) +
                         "5,Heat,False,1995-02-30\n"
                         "6,Ronin,False,someday\n");
  EXPECT_EQ(stats.warnings.count(dataset::WarningKind::kBadReleaseDate), 2u);
  EXPECT_EQ(stats.warnings.total(), 2u);
  EXPECT_EQ(stats.rows_loaded, 2u);
  EXPECT_EQ(writer_.movies.at(5).release_date, std::nullopt);
}

TEST_F(MovieLoader, BlankLinesAreNoRecords) {
  FileStats stats = load(std::string(kHeader) + "5,Heat,False,1995-12-15\n\n\n");
  EXPECT_EQ(stats.rows_read, 1u);
  EXPECT_EQ(stats.rows_rejected, 0u);
}

TEST_F(MovieLoader, QuoteLeftOpenFailsNamingItsLine) {
  try {
    load(std::string(kHeader) + "5,Heat,False,1995-12-15\n6,\"Ronin,False,\n7,Up,False,\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_THAT(e.what(), HasSubstr("movies_metadata.csv: line 3: a quoted field opened here is "
                                    "never closed"));
  }
}

TEST_F(MovieLoader, RecordOverMaxRecordBytesFails) {
  try {
    load(std::string(kHeader) + "5,Heat,False,1995-12-15\n6," + std::string(64, 'a') + ",False,\n",
         {.max_record_bytes = 40, .read_buffer = 16});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_THAT(e.what(), HasSubstr("movies_metadata.csv: line 3: a record is longer than 40 "
                                    "bytes (--max-record-bytes)"));
  }
}

TEST_F(MovieLoader, EmptyFileFails) {
  try {
    load("");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_THAT(e.what(), HasSubstr("movies_metadata.csv: the file is empty (no header)"));
  }
}

dataset::RowError row_error(std::uint64_t line, std::string detail, std::string raw) {
  return {dataset::RejectReason::kBadLiteral, line, std::move(detail), std::move(raw)};
}

TEST(RejectSink, WritesLineReasonDetailRecordQuotedAsCsv) {
  TempDir dir;
  fs::path path = dir.path() / "rejects/3/movies_metadata.rejects.csv";
  RejectSink sink(path);
  sink.add(row_error(2, "genres: expected a list", "9,plain"));
  sink.add(row_error(5, "a \"quoted\", detail", "10,\"two\nlines\""));
  EXPECT_EQ(sink.finish(), path);
  EXPECT_EQ(read_file(path),
            "line,reason,detail,record\n"
            "2,bad_literal,genres: expected a list,\"9,plain\"\n"
            "5,bad_literal,\"a \"\"quoted\"\", detail\",\"10,\"\"two\nlines\"\"\"\n");
}

TEST(RejectSink, FinishedFileStandsAloneInItsFolder) {
  TempDir dir;
  fs::path path = dir.path() / "rejects/3/movies_metadata.rejects.csv";
  RejectSink sink(path);
  sink.finish();
  EXPECT_EQ(names_in(path.parent_path()), std::vector<std::string>{"movies_metadata.rejects.csv"});
  EXPECT_EQ(read_file(path), "line,reason,detail,record\n");
}

TEST(RejectSink, NothingIsLeftAtThePathWhenNotFinished) {
  TempDir dir;
  fs::path path = dir.path() / "rejects/3/movies_metadata.rejects.csv";
  {
    RejectSink sink(path);
    sink.add(row_error(2, "genres: expected a list", "9,plain"));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(names_in(path.parent_path()).empty());
}

FileStats stats_of(std::uint64_t read, std::uint64_t rejected) {
  FileStats stats;
  stats.rows_read = read;
  stats.rows_rejected = rejected;
  stats.rejects_file = "/work/rejects/7/movies_metadata.rejects.csv";
  return stats;
}

TEST(RejectBudget, ShareAtTheLimitPasses) {
  EXPECT_NO_THROW((RejectBudget{0.01}.check(stats_of(100, 1), "movies_metadata.csv", 7)));
}

TEST(RejectBudget, ShareAboveTheLimitFailsNamingCountsBatchAndRejectsFile) {
  try {
    RejectBudget{0.01}.check(stats_of(100, 2), "movies_metadata.csv", 7);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_STREQ(e.what(),
                 "movies_metadata.csv: 2 of 100 records rejected (2.00%), above the reject limit "
                 "of 1.00%; nothing of batch 7 was committed — see "
                 "/work/rejects/7/movies_metadata.rejects.csv and fix the data, or raise "
                 "--max-reject-ratio");
  }
}

TEST(RejectBudget, FileWithoutRecordsPasses) {
  EXPECT_NO_THROW((RejectBudget{0.0}.check(stats_of(0, 0), "movies_metadata.csv", 7)));
}

TEST(RejectBudget, ZeroLimitFailsOnOneReject) {
  EXPECT_THROW((RejectBudget{0.0}.check(stats_of(1000, 1), "movies_metadata.csv", 7)), Error);
}

}  // namespace
}  // namespace marquee::pipeline
