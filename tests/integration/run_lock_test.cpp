#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

/// A run whose lock path is a symbolic link to a file outside the work directory.
class SymlinkedLock : public ::testing::Test {
 protected:
  void SetUp() override {
    make_zip(dir_ / "good.zip", {fixture("golden/movies_metadata.csv")});
    write_file(target_, "precious\n");
    fs::create_directories(dir_ / "work");
  }

  /// Runs the good archive with `lock` (inside the work directory) a link to the target.
  testing::CommandResult run_with_link_at(const std::string& lock) {
    fs::create_symlink(target_, dir_ / "work" / lock);
    return run_marquee({"run", (dir_ / "good.zip").string(), "--workdir", (dir_ / "work").string(),
                        "--max-reject-ratio", "0.05"});
  }

  /// The failure names the link and its target, says what to do, and stops before the load.
  void expect_refused(const testing::CommandResult& r, const std::string& lock) {
    fs::path link = dir_ / "work" / lock;
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("the run lock " + link.string() + " is a symbolic link to " +
                            target_.string()),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("remove " + link.string()), std::string::npos) << r.output;
    EXPECT_EQ(read_file(target_), "precious\n");
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_FALSE(fs::exists(dir_ / "work/movie_results/run_summary.json"));
  }

  TempDir dir_;
  fs::path target_ = dir_ / "outside/precious.txt";
};

TEST_F(SymlinkedLock, TheDatabaseLockRefusesToFollowIt) {
  auto r = run_with_link_at("marquee.db.lock");
  expect_refused(r, "marquee.db.lock");
}

TEST_F(SymlinkedLock, TheWorkDirectoryLockRefusesToFollowIt) {
  auto r = run_with_link_at("marquee.lock");
  expect_refused(r, "marquee.lock");
}

TEST_F(SymlinkedLock, ARunLoadsOnceTheLinkIsRemoved) {
  auto refused = run_with_link_at("marquee.db.lock");
  ASSERT_EQ(refused.exit_code, 1) << refused.output;
  fs::remove(dir_ / "work/marquee.db.lock");
  auto r = run_marquee({"run", (dir_ / "good.zip").string(), "--workdir", (dir_ / "work").string(),
                        "--max-reject-ratio", "0.05"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir_ / "work/marquee.db.lock")));
  EXPECT_EQ(read_file(target_), "precious\n");
}

}  // namespace
}  // namespace marquee
