#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::make_zip;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;
using testing::write_file;

/// `backfill --as-of-pattern`, `--as-of-manifest` and `--dry-run` (issue #14.9), with the real
/// binary over folders of one-movie archives.
class BackfillDating : public ::testing::Test {
 protected:
  /// DIR/year/NAME holding movie ID, its file time set to MTIME (what dating by name overrides).
  fs::path archive(const std::string& name, std::int64_t id,
                   const std::string& mtime = "2030-06-01 00:00:00Z") {
    fs::path csv = dir_ / "src" / name / "movies_metadata.csv";
    write_file(csv, fmt::format("{}\nFalse,,1000,[],,{},tt1,en,{},o,5.0,,[],[],2001-01-01,2000,"
                                "90.0,[],Released,,{},False,5.0,10\n",
                                testing::kMoviesHeader, id, name, name));
    fs::path zip = year() / name;
    fs::create_directories(zip.parent_path());
    make_zip(zip, {csv});
    auto r = run_command("touch -d " + shell_quote(mtime) + " " + shell_quote(zip.string()));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return zip;
  }

  /// Three archives whose names give January, February and March 2024, and whose file times
  /// give the opposite order.
  void three_months() {
    archive("movies-2024-03-01.zip", 3, "2020-01-01 00:00:00Z");
    archive("movies-2024-01-01.zip", 1, "2020-03-01 00:00:00Z");
    archive("movies-2024-02-01.zip", 2, "2020-02-01 00:00:00Z");
  }

  testing::CommandResult marquee(std::vector<std::string> args) {
    args.insert(args.end(), {"--workdir", work().string()});
    return run_marquee(args);
  }

  /// The loaded batches in load order: base name of the source and data time.
  std::vector<std::string> loaded() {
    auto store = store::open_store("sqlite:" + (work() / "marquee.db").string());
    std::vector<std::string> out;
    for (const auto& batch : store->batches()) {
      out.push_back(fs::path(batch.source.source).filename().string() + " " +
                    batch.source.data_time);
    }
    return out;
  }

  /// Files anywhere under staging/ (none before a backfill that stages nothing).
  std::size_t staged_files() {
    std::size_t n = 0;
    if (!fs::exists(work() / "staging")) return 0;
    for (const auto& e : fs::recursive_directory_iterator(work() / "staging"))
      n += e.is_regular_file();
    return n;
  }

  fs::path manifest(const std::string& text) {
    fs::path path = dir_ / "dates.csv";
    write_file(path, text);
    return path;
  }

  fs::path year() const { return dir_ / "year"; }
  fs::path work() const { return dir_ / "work"; }
  TempDir dir_;
};

const std::vector<std::string> kMonthsInOrder = {"movies-2024-01-01.zip 2024-01-01T00:00:00.000Z",
                                                 "movies-2024-02-01.zip 2024-02-01T00:00:00.000Z",
                                                 "movies-2024-03-01.zip 2024-03-01T00:00:00.000Z"};

TEST_F(BackfillDating, PatternDatesEachArchiveByItsNameAndLoadFollowsThoseTimes) {
  three_months();
  auto r = marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("from --as-of-pattern 'movies-%Y-%m-%d.zip'"), std::string::npos)
      << r.output;
  auto load = marquee({"load", "--backfill-batches", "3"});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(loaded(), kMonthsInOrder);
}

TEST_F(BackfillDating, PatternMismatchNamesTheFileExitsOneAndStagesNothing) {
  three_months();
  archive("notes.zip", 4);
  auto r = marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("notes.zip does not match --as-of-pattern 'movies-%Y-%m-%d.zip'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("nothing was staged"), std::string::npos) << r.output;
  EXPECT_EQ(staged_files(), 0u);
}

TEST_F(BackfillDating, PatternOutOfRangeMonthNamesTheMonth) {
  archive("movies-2024-13-01.zip", 1);
  auto r = marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("month 13 is out of range"), std::string::npos) << r.output;
  EXPECT_EQ(staged_files(), 0u);
}

TEST_F(BackfillDating, BadPatternIsAUsageErrorNamingTheToken) {
  archive("movies-2024-01-01.zip", 1);
  auto r = marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%q.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("%q is no token"), std::string::npos) << r.output;
}

TEST_F(BackfillDating, ManifestDatesEachArchiveByBaseNameOrPath) {
  three_months();
  fs::path dates = manifest(fmt::format(
      "file,as_of\nmovies-2024-03-01.zip,2024-03-01\nmovies-2024-01-01.zip,2024-01-01T00:00:00Z\n"
      "{},2024-02-01 00:00\n",
      (year() / "movies-2024-02-01.zip").string()));
  auto r = marquee({"backfill", year().string(), "--as-of-manifest", dates.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("from --as-of-manifest dates.csv line 4"), std::string::npos) << r.output;
  auto load = marquee({"load", "--backfill-batches", "3"});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(loaded(), kMonthsInOrder);
}

TEST_F(BackfillDating, ManifestWithoutARowForAnArchiveNamesItAndStagesNothing) {
  three_months();
  fs::path dates =
      manifest("file,as_of\nmovies-2024-03-01.zip,2024-03-01\nmovies-2024-01-01.zip,2024-01-01\n");
  auto r = marquee({"backfill", year().string(), "--as-of-manifest", dates.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no row names " + (year() / "movies-2024-02-01.zip").string()),
            std::string::npos)
      << r.output;
  EXPECT_EQ(staged_files(), 0u);
}

TEST_F(BackfillDating, ManifestBadTimeNamesItsLineAndStagesNothing) {
  three_months();
  fs::path dates = manifest(
      "file,as_of\nmovies-2024-01-01.zip,2024-01-01\nmovies-2024-02-01.zip,2024-02-30\n"
      "movies-2024-03-01.zip,2024-03-01\n");
  auto r = marquee({"backfill", year().string(), "--as-of-manifest", dates.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dates.string() + " line 3: '2024-02-30' is not an ISO 8601 time"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(staged_files(), 0u);
}

TEST_F(BackfillDating, ManifestWithoutTheAsOfColumnIsAUsageError) {
  three_months();
  fs::path dates = manifest("file,time\nmovies-2024-01-01.zip,2024-01-01\n");
  auto r = marquee({"backfill", year().string(), "--as-of-manifest", dates.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the header must name the columns file and as_of"), std::string::npos)
      << r.output;
}

TEST_F(BackfillDating, ManifestRowNamingNoArchiveIsAWarning) {
  archive("movies-2024-01-01.zip", 1);
  fs::path dates =
      manifest("file,as_of\nmovies-2024-01-01.zip,2024-01-01\nmovies-2023-12-01.zip,2023-12-01\n");
  auto r = marquee({"backfill", year().string(), "--as-of-manifest", dates.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("line 3 names movies-2023-12-01.zip, which is no archive of this "
                          "backfill; ignored"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(work() / "staging/backfill/movies-2024-01-01.zip.meta.json"));
}

TEST_F(BackfillDating, DryRunPrintsEachArchiveWithSizeAndDataTimeAndWritesNothing) {
  three_months();
  auto r =
      marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("backfill dry run: 3 archives would be staged"), std::string::npos)
      << r.output;
  fs::path february = year() / "movies-2024-02-01.zip";
  EXPECT_NE(r.output.find(fmt::format("{}  {} bytes  data time 2024-02-01T00:00:00.000Z  from "
                                      "--as-of-pattern 'movies-%Y-%m-%d.zip'",
                                      february.string(), fs::file_size(february))),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(work() / "staging"));
  EXPECT_FALSE(fs::exists(work() / "state/last_backfill.json"));
}

TEST_F(BackfillDating, DryRunWithoutAPatternNamesTheFileTime) {
  archive("movies-2024-01-01.zip", 1, "2021-05-06 07:08:09Z");
  auto r = marquee({"backfill", year().string(), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("data time 2021-05-06T07:08:09.000Z  from mtime"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(work() / "staging"));
}

TEST_F(BackfillDating, DryRunWithAsOfNamesIt) {
  archive("movies-2024-01-01.zip", 1);
  auto r = marquee({"backfill", year().string(), "--dry-run", "--as-of", "2019-01-01"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("data time 2019-01-01T00:00:00.000Z  from --as-of"), std::string::npos)
      << r.output;
}

TEST_F(BackfillDating, DryRunFailsOnAMismatchAsTheRunWould) {
  three_months();
  archive("notes.zip", 4);
  auto r =
      marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip", "--dry-run"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("notes.zip does not match"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(work() / "staging"));
}

TEST_F(BackfillDating, AsOfAndPatternTogetherAreAUsageError) {
  archive("movies-2024-01-01.zip", 1);
  auto r = marquee({"backfill", year().string(), "--as-of", "2024-01-01", "--as-of-pattern",
                    "movies-%Y-%m-%d.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("excludes"), std::string::npos) << r.output;
  EXPECT_EQ(staged_files(), 0u);
}

TEST_F(BackfillDating, AsOfAndManifestTogetherAreAUsageError) {
  archive("movies-2024-01-01.zip", 1);
  fs::path dates = manifest("file,as_of\nmovies-2024-01-01.zip,2024-01-01\n");
  auto r = marquee(
      {"backfill", year().string(), "--as-of", "2024-01-01", "--as-of-manifest", dates.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("excludes"), std::string::npos) << r.output;
}

TEST_F(BackfillDating, PatternAndManifestTogetherAreAUsageError) {
  archive("movies-2024-01-01.zip", 1);
  fs::path dates = manifest("file,as_of\nmovies-2024-01-01.zip,2024-01-01\n");
  auto r = marquee({"backfill", year().string(), "--as-of-pattern", "movies-%Y-%m-%d.zip",
                    "--as-of-manifest", dates.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("excludes"), std::string::npos) << r.output;
}

TEST_F(BackfillDating, S3PrefixKeysAreDatedByTheirBaseName) {
  const char* endpoint = std::getenv("MARQUEE_TEST_S3_ENDPOINT");
  if (endpoint == nullptr)
    GTEST_SKIP() << "MARQUEE_TEST_S3_ENDPOINT is not set (test.sh starts s3rver)";
  const std::string bucket = "com.marquee.cli-test";
  const std::string prefix = fmt::format("backfill-dating/{}/", ::getpid());
  testing::s3_put(endpoint, bucket, "");  // 409 when another test made it first
  three_months();
  for (const auto& entry : fs::directory_iterator(year())) {
    auto put = testing::s3_put(endpoint, bucket, prefix + entry.path().filename().string(),
                               entry.path().string());
    ASSERT_EQ(put.exit_code, 0) << put.output;
  }
  std::string env = fmt::format(
      "env AWS_ENDPOINT_URL_S3={} AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
      "AWS_REGION=us-east-1 AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
      "AWS_CONFIG_FILE=/nonexistent ",
      shell_quote(endpoint));
  std::string backfill = env + shell_quote(testing::marquee_binary()) + " backfill " +
                         shell_quote("s3://" + bucket + "/" + prefix) +
                         " --as-of-pattern 'movies-%Y-%m-%d.zip' --retries 1 --workdir " +
                         shell_quote(work().string());
  auto dry = run_command(backfill + " --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("movies-2024-02-01.zip  "), std::string::npos) << dry.output;
  EXPECT_EQ(staged_files(), 0u);
  auto r = run_command(backfill);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto load = marquee({"load", "--backfill-batches", "3"});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(loaded(), kMonthsInOrder);
}

}  // namespace
}  // namespace marquee
