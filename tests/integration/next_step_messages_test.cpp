// #15.8: the failures an operator meets first each end in one line that says what to do.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::make_zip;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

TEST(NextStepMessages, ADamagedDatabaseSaysToRestoreOrRebuildIt) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  std::string garbage = std::string("SQLite format 3") + std::string(1, '\0');
  for (int i = 0; i < 4000; ++i) garbage += static_cast<char>((i * 131 + 7) % 251);
  write_file(dir / "work" / "marquee.db", garbage);
  auto r = run_marquee({"run", (dir / "golden.zip").string(), "--workdir", (dir / "work").string(),
                        "--max-reject-ratio", "0.05"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("damaged or not a SQLite database: restore it from a backup, or move "
                          "it aside and load the dataset again"),
            std::string::npos)
      << r.output;
  auto status = run_marquee({"status", "--workdir", (dir / "work").string()});
  EXPECT_EQ(status.exit_code, 4) << status.output;
  EXPECT_NE(status.output.find("restore it from a backup"), std::string::npos) << status.output;
}

/// Runs `args` (with --workdir DIR/ro/work or DIR/ro) over a read-only tmpfs at DIR/ro; false
/// when mounting needs privileges this process lacks.
bool run_on_read_only(const TempDir& dir, std::vector<std::string> args,
                      testing::CommandResult& out) {
  fs::create_directories(dir / "ro");
  if (::mount("tmpfs", (dir / "ro").c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0) return false;
  out = run_marquee(args);
  ::umount2((dir / "ro").c_str(), MNT_DETACH);
  return true;
}

TEST(NextStepMessages, AReadOnlyWorkdirSaysToChooseAWritableOne) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  testing::CommandResult r;
  if (!run_on_read_only(
          dir, {"run", (dir / "golden.zip").string(), "--workdir", (dir / "ro" / "work").string()},
          r)) {
    GTEST_SKIP() << "cannot mount a read-only tmpfs: needs root or CAP_SYS_ADMIN";
  }
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("choose a writable"), std::string::npos) << r.output;
}

TEST(NextStepMessages, AReadOnlyWorkdirWithWritableLogsSaysToChooseAWritableOne) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  testing::CommandResult r;
  if (!run_on_read_only(dir,
                        {"run", (dir / "golden.zip").string(), "--workdir", (dir / "ro").string(),
                         "--log-dir", (dir / "logs").string()},
                        r)) {
    GTEST_SKIP() << "cannot mount a read-only tmpfs: needs root or CAP_SYS_ADMIN";
  }
  EXPECT_EQ(r.exit_code, 1) << r.output;  // was 4, "unexpected failure … please report it"
  EXPECT_EQ(r.output.find("unexpected failure"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Read-only file system; choose a writable --workdir"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace marquee
