#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "common/error.hpp"
#include "pipeline/backfill.hpp"

namespace marquee::pipeline {
namespace {

namespace fs = std::filesystem;

/// A manifest file with TEXT, removed when the test ends.
class Manifest {
 public:
  explicit Manifest(const std::string& text) {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("marquee-manifest-" + std::to_string(rd()) + ".csv");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~Manifest() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// The usage error plan_backfill throws for ARCHIVES under OPTIONS.
std::string plan_error(const std::vector<std::string>& archives, const BackfillOptions& options) {
  try {
    plan_backfill(archives, "", options);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "the plan was accepted";
  return "";
}

TEST(ArchiveBaseName, OfAnS3KeyIsItsLastSegment) {
  EXPECT_EQ(archive_base_name("s3://bucket/movies/2024/movies-2024-01-01.zip"),
            "movies-2024-01-01.zip");
}

TEST(ArchiveBaseName, OfAUrlLeavesOutTheQuery) {
  EXPECT_EQ(archive_base_name("https://host/a/movies-2024.zip?X-Amz-Signature=abc"),
            "movies-2024.zip");
}

TEST(ArchiveBaseName, OfAPathIsItsFileName) {
  EXPECT_EQ(archive_base_name("/data/2024/movies-2024.zip"), "movies-2024.zip");
}

TEST(PlanBackfill, AsOfDatesEveryArchiveNormalized) {
  auto plan = plan_backfill({"/d/a.zip", "/d/b.zip"}, "2024-03-01", {});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[1].as_of, "2024-03-01T00:00:00.000Z");
  EXPECT_EQ(plan[1].origin, "--as-of");
}

TEST(PlanBackfill, NoDatingLeavesTheTimeToTheSource) {
  auto plan = plan_backfill({"/d/a.zip"}, "", {});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_TRUE(plan[0].as_of.empty());
  EXPECT_TRUE(plan[0].origin.empty());
}

TEST(PlanBackfill, PatternMismatchCountsTheOthers) {
  BackfillOptions options;
  options.as_of_pattern = "m-%Y.zip";
  std::string error = plan_error({"/d/m-2024.zip", "/d/x.zip", "/d/y.zip"}, options);
  EXPECT_NE(error.find("/d/x.zip does not match --as-of-pattern 'm-%Y.zip'"), std::string::npos)
      << error;
  EXPECT_NE(error.find("(and 1 more: /d/y.zip)"), std::string::npos) << error;
}

TEST(PlanBackfill, ManifestFullSourceWinsOverABaseName) {
  Manifest manifest("file,as_of\na.zip,2024-01-01\n/d2/a.zip,2024-02-01\n");
  BackfillOptions options;
  options.as_of_manifest = manifest.path();
  auto plan = plan_backfill({"/d1/a.zip", "/d2/a.zip"}, "", options);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].as_of, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(plan[1].as_of, "2024-02-01T00:00:00.000Z");
}

TEST(PlanBackfill, ManifestBaseNameOfTwoArchivesIsAmbiguous) {
  Manifest manifest("file,as_of\na.zip,2024-01-01\n");
  BackfillOptions options;
  options.as_of_manifest = manifest.path();
  std::string error = plan_error({"/d1/a.zip", "/d2/a.zip"}, options);
  EXPECT_NE(error.find("line 2: a.zip names both /d1/a.zip and /d2/a.zip"), std::string::npos)
      << error;
}

TEST(PlanBackfill, ManifestNamingAFileTwiceIsAUsageError) {
  Manifest manifest("file,as_of\na.zip,2024-01-01\na.zip,2024-02-01\n");
  BackfillOptions options;
  options.as_of_manifest = manifest.path();
  std::string error = plan_error({"/d/a.zip"}, options);
  EXPECT_NE(error.find("line 3: a.zip is named again (first on line 2)"), std::string::npos)
      << error;
}

TEST(PlanBackfill, ManifestColumnsAreFoundByName) {
  Manifest manifest(
      "\xEF\xBB\xBF"
      "as_of,note,file\n2024-05-01T06:00:00Z,first,a.zip\n");
  BackfillOptions options;
  options.as_of_manifest = manifest.path();
  auto plan = plan_backfill({"/d/a.zip"}, "", options);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].as_of, "2024-05-01T06:00:00.000Z");
  EXPECT_EQ(plan[0].origin, "--as-of-manifest " + manifest.path().filename().string() + " line 2");
}

}  // namespace
}  // namespace marquee::pipeline
