#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "format/byte_source.hpp"
#include "pipeline/movie_loader.hpp"
#include "pipeline/pipeline_test_support.hpp"
#include "pipeline/recording_writer.hpp"

namespace marquee::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::read_file;
using test::TempDir;

std::size_t lines_in(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

using testing_support::RecordingWriter;

constexpr const char* kHeader = "id,title,adult,release_date\n";
constexpr const char* kFullHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count\n";

std::string good_records(int first, int count) {
  std::string out;
  for (int id = first; id < first + count; ++id) out += fmt::format("{},Movie,False,\n", id);
  return out;
}

std::string bad_records(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += fmt::format("x{},Bad,False,\n", i);
  return out;
}

/// load_movies over `csv` with the given guards; the rejects file stays readable after a throw.
class MovieLoaderGuards : public ::testing::Test {
 protected:
  FileStats load(const std::string& csv, const BatchGuards& guards) {
    auto source = format::string_source(csv, "movies_metadata.csv");
    RejectSink rejects(rejects_path());
    FileStats stats = load_movies(*source, "movies_metadata.csv", writer_, rejects, {}, guards);
    stats.rejects_file = rejects.finish();
    return stats;
  }
  /// The message of the Error that load() throws, or "" when it does not.
  std::string error_of(const std::string& csv, const BatchGuards& guards) {
    try {
      load(csv, guards);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadData);
      return e.what();
    }
    return "";
  }
  fs::path rejects_path() const { return dir_.path() / "rejects/7/movies_metadata.rejects.csv"; }

  TempDir dir_;
  RecordingWriter writer_;
};

TEST_F(MovieLoaderGuards, RejectsAfterTheLimitIsCertainlyPassedAreCountedNotWritten) {
  std::string csv = std::string(kHeader) + bad_records(1000);
  FileStats stats = load(csv, {{0.01}, csv.size(), false});
  EXPECT_EQ(stats.rows_read, 1000u);
  EXPECT_EQ(stats.rows_rejected, 1000u);
  EXPECT_GT(stats.rejects_left_out, 900u);
  EXPECT_EQ(lines_in(read_file(rejects_path())), 1 + 1000 - stats.rejects_left_out);
  EXPECT_EQ(stats.rejects_left_out_from_line, 2 + 1000 - stats.rejects_left_out);
  try {
    RejectBudget{0.01}.check(stats, "movies_metadata.csv", 7);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr(fmt::format("{} rejected records from line {} on were counted but "
                                      "left out of it",
                                      stats.rejects_left_out, stats.rejects_left_out_from_line)));
  }
}

TEST_F(MovieLoaderGuards, EveryRejectIsWrittenWhileTheFileCanStillPass) {
  // 10 rejects of 2010 records pass the 1% limit: not one may be left out of the file.
  std::string csv = std::string(kHeader) + bad_records(10) + good_records(1, 2000);
  FileStats stats = load(csv, {{0.01}, csv.size(), false});
  EXPECT_EQ(stats.rows_rejected, 10u);
  EXPECT_EQ(stats.rejects_left_out, 0u);
  EXPECT_EQ(lines_in(read_file(rejects_path())), 11u);
}

TEST_F(MovieLoaderGuards, WithoutTheFileSizeEveryRejectIsWritten) {
  FileStats stats = load(std::string(kHeader) + bad_records(1000), {});
  EXPECT_EQ(stats.rejects_left_out, 0u);
  EXPECT_EQ(lines_in(read_file(rejects_path())), 1001u);
}

TEST_F(MovieLoaderGuards, FileLongerThanItsSizeFailsRatherThanKeepAnIncompleteRejectsFile) {
  std::string csv = std::string(kHeader) + bad_records(5) + good_records(1, 1000);
  EXPECT_THAT(
      error_of(csv, {{0.01}, 10, false}),
      HasSubstr("movies_metadata.csv: the file holds more records than its size of 10 bytes "
                "allows for"));
}

TEST_F(MovieLoaderGuards, SnapshotWithoutRecordsFails) {
  EXPECT_THAT(error_of(std::string(kFullHeader), {{0.01}, 0, true}),
              HasSubstr("movies_metadata.csv: a snapshot without a single accepted record (0 "
                        "read, 0 rejected) would remove every movie"));
}

TEST_F(MovieLoaderGuards, SnapshotOfRejectedRecordsOnlyFails) {
  std::string csv = std::string(kFullHeader) + "x\n";
  EXPECT_THAT(error_of(csv, {{1.0}, 0, true}),
              HasSubstr("a snapshot without a single accepted record (1 read, 1 rejected)"));
}

TEST_F(MovieLoaderGuards, FileWithoutRecordsIsNoErrorOutsideASnapshot) {
  FileStats stats = load(std::string(kFullHeader), {});
  EXPECT_EQ(stats.rows_read, 0u);
}

TEST_F(MovieLoaderGuards, SnapshotWithColumnsMissingFails) {
  EXPECT_THAT(error_of(std::string(kHeader) + good_records(1, 3), {{0.01}, 0, true}),
              HasSubstr("movies_metadata.csv: line 1: the header lacks columns "
                        "belongs_to_collection, budget,"));
  EXPECT_TRUE(writer_.movies.empty());
}

TEST_F(MovieLoaderGuards, CrOnlyLineEndsFailSayingSo) {
  std::string csv = std::string(kHeader) + good_records(1, 3);
  std::replace(csv.begin(), csv.end(), '\n', '\r');
  EXPECT_THAT(error_of(csv, {}), HasSubstr("the file's lines seem to end with CR only"));
  EXPECT_TRUE(writer_.movies.empty());
}

TEST_F(MovieLoaderGuards, InvalidTextInTheHeaderIsAnInvalidUtf8Warning) {
  FileStats stats =
      load(std::string("id,title,ex\xfftra,") + std::string("n\0te", 4) + "\n5,Heat,a,b\n", {});
  EXPECT_EQ(stats.warnings.count(dataset::WarningKind::kInvalidUtf8), 1u);
  EXPECT_EQ(stats.rows_loaded, 1u);
}

TEST_F(MovieLoaderGuards, NeededColumnTwiceFails) {
  EXPECT_THAT(error_of("id,title,adult,title\n5,Heat,False,Heat\n", {}),
              HasSubstr("movies_metadata.csv: line 1: column 'title' appears twice (columns 2 "
                        "and 4)"));
}

dataset::RowError row_error(std::string detail, std::string raw) {
  return {dataset::RejectReason::kBadId, 2, std::move(detail), std::move(raw)};
}

TEST(RejectSinkLimits, LongRecordIsCutAndItsDetailSaysSo) {
  TempDir dir;
  fs::path path = dir.path() / "rejects.csv";
  RejectSink sink(path);
  sink.add(row_error("id 'x' is not a positive integer", std::string(1 << 20, 'a')));
  sink.finish();
  EXPECT_EQ(read_file(path),
            "line,reason,detail,record\n"
            "2,bad_id,id 'x' is not a positive integer (record cut to its first 65536 of "
            "1048576 bytes)," +
                std::string(RejectSink::kRecordBytes, 'a') + "\n");
}

TEST(RejectSinkLimits, CutNeverSplitsACharacter) {
  TempDir dir;
  fs::path path = dir.path() / "rejects.csv";
  RejectSink sink(path);
  sink.add(row_error("d", std::string(RejectSink::kRecordBytes - 1, 'a') + "\xC3\xA9tc"));
  sink.finish();
  EXPECT_THAT(read_file(path), HasSubstr("(record cut to its first 65535 of 65539 bytes)," +
                                         std::string(RejectSink::kRecordBytes - 1, 'a') + "\n"));
}

TEST(RejectSinkLimits, LongDetailIsCut) {
  TempDir dir;
  fs::path path = dir.path() / "rejects.csv";
  RejectSink sink(path);
  sink.add(row_error(std::string(100000, 'd'), "x"));
  sink.finish();
  EXPECT_EQ(read_file(path), "line,reason,detail,record\n2,bad_id," +
                                 std::string(RejectSink::kDetailBytes, 'd') + "\u2026,x\n");
}

TEST(RejectSinkLimits, RecordAtTheLimitIsWrittenWhole) {
  TempDir dir;
  fs::path path = dir.path() / "rejects.csv";
  RejectSink sink(path);
  sink.add(row_error("d", std::string(RejectSink::kRecordBytes, 'a')));
  sink.finish();
  EXPECT_EQ(read_file(path), "line,reason,detail,record\n2,bad_id,d," +
                                 std::string(RejectSink::kRecordBytes, 'a') + "\n");
}

TEST(RejectBudgetCertainty, PassedOnlyWhenNoRecordsToComeCouldSaveTheFile) {
  RejectBudget budget{0.01};
  EXPECT_TRUE(budget.certainly_exceeded(2, 100, 0));
  EXPECT_FALSE(budget.certainly_exceeded(2, 100, 100));  // 2 of 200: at the limit, passes
  EXPECT_TRUE(budget.certainly_exceeded(3, 100, 100));
  EXPECT_FALSE(budget.certainly_exceeded(0, 0, 0));
  EXPECT_FALSE(budget.certainly_exceeded(1, 1, UINT64_MAX));
}

}  // namespace
}  // namespace marquee::pipeline
