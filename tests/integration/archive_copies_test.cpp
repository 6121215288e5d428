#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::make_zip;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

std::string one_movie(std::int64_t id, std::int64_t budget) {
  return fmt::format(
      "{}\nFalse,,{},[],,{},tt1,en,T,O,1.0,,[],[],2001-01-01,0,90.0,[],Released,,T,False,5.0,1\n",
      testing::kMoviesHeader, budget, id);
}

/// staging/archive/ keeps one copy of each archive content (issue #14.7).
class ArchiveCopies : public ::testing::Test {
 protected:
  testing::CommandResult marquee(std::vector<std::string> args) {
    args.insert(args.end(), {"--workdir", (dir_ / "work").string()});
    return run_marquee(args);
  }
  /// `name`.zip in its own folder holding one movie with this budget.
  fs::path zip_with(const std::string& folder, const std::string& name, std::int64_t budget) {
    fs::path csv = dir_ / "src" / folder / name / "movies_metadata.csv";
    write_file(csv, one_movie(42, budget));
    fs::path zip = dir_ / folder / (name + ".zip");
    fs::create_directories(zip.parent_path());
    fs::remove(zip);
    make_zip(zip, {csv});
    return zip;
  }
  /// The .zip files under staging/archive/, sorted.
  std::vector<std::string> archived() {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_ / "work/staging/archive")) {
      if (entry.path().extension() == ".zip") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  TempDir dir_;
};

TEST_F(ArchiveCopies, TheSameLocalZipRunThreeTimesLeavesOneCopy) {
  fs::path zip = zip_with("in", "a", 100);
  for (int i = 0; i < 3; ++i) {
    auto r = marquee({"run", zip.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  EXPECT_EQ(archived(), (std::vector<std::string>{"a.zip"}));
  EXPECT_TRUE(fs::exists(dir_ / "work/staging/archive/a.zip.meta.json"));
  EXPECT_TRUE(fs::is_empty(dir_ / "work/staging/incoming"));
}

TEST_F(ArchiveCopies, TheSameContentUnderAnotherNameLeavesOneCopy) {
  fs::path first = zip_with("in", "a", 100);
  fs::path copy = dir_ / "in" / "b.zip";
  fs::copy_file(first, copy);
  ASSERT_EQ(marquee({"run", first.string()}).exit_code, 0);
  auto r = marquee({"run", copy.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(archived(), (std::vector<std::string>{"a.zip"}));
}

TEST_F(ArchiveCopies, TwoDifferentFilesOfOneNameLeaveTwoCopies) {
  ASSERT_EQ(marquee({"run", zip_with("in", "a", 100).string()}).exit_code, 0);
  auto r = marquee({"run", zip_with("in", "a", 200).string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto names = archived();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1], "a.zip");
  EXPECT_TRUE(names[0].starts_with("a.2")) << names[0];  // a.<UTC stamp>.zip
}

TEST_F(ArchiveCopies, ABackfillOfAnArchiveLoadedBeforeLeavesOneCopy) {
  fs::path zip = zip_with("in", "a", 100);
  ASSERT_EQ(marquee({"run", zip.string()}).exit_code, 0);
  ASSERT_EQ(marquee({"backfill", zip.string()}).exit_code, 0);
  auto load = marquee({"load", "--backfill-batches", "1"});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_NE(load.output.find("nothing to do"), std::string::npos) << load.output;
  EXPECT_EQ(archived(), (std::vector<std::string>{"a.zip"}));
  EXPECT_TRUE(fs::is_empty(dir_ / "work/staging/backfill"));
}

TEST_F(ArchiveCopies, AKeptCopyMovedBackToIncomingLoadsAgainIntoAFreshDatabase) {
  fs::path zip = zip_with("in", "a", 100);
  ASSERT_EQ(marquee({"run", zip.string()}).exit_code, 0);
  ASSERT_EQ(marquee({"run", zip.string()}).exit_code, 0);
  fs::path archive = dir_ / "work/staging/archive";
  fs::path incoming = dir_ / "work/staging/incoming";
  fs::rename(archive / "a.zip", incoming / "a.zip");
  fs::rename(archive / "a.zip.meta.json", incoming / "a.zip.meta.json");
  for (std::string file : {"marquee.db", "marquee.db-wal", "marquee.db-shm"})
    fs::remove(dir_ / "work" / file);
  auto r = marquee({"load"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("committed"), std::string::npos) << r.output;
  EXPECT_EQ(archived(), (std::vector<std::string>{"a.zip"}));
}

}  // namespace
}  // namespace marquee
