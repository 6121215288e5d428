#include "common/file_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

fs::path lock_path() {
  return fs::temp_directory_path() / fmt::format("marquee-lock-test-{}.lock", ::getpid());
}

TEST(FileLock, ASecondHolderFailsWithExitFiveNamingTheFirst) {
  auto path = lock_path();
  FileLock first(path, milliseconds(0));
  try {
    FileLock second(path, milliseconds(0));
    FAIL() << "the second lock was granted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
    EXPECT_NE(std::string(e.what()).find(fmt::format("pid {}", ::getpid())), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--lock-timeout"), std::string::npos);
  }
  fs::remove(path);
}

TEST(FileLock, IsFreeAgainOnceTheHolderIsGone) {
  auto path = lock_path();
  std::optional<FileLock> first;
  first.emplace(path, milliseconds(0));
  first.reset();
  EXPECT_NO_THROW(FileLock(path, milliseconds(0)));
  fs::remove(path);
}

TEST(FileLock, WaitsUpToTheTimeout) {
  auto path = lock_path();
  FileLock first(path, milliseconds(0));
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(FileLock(path, milliseconds(300)), Error);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(300));
  fs::remove(path);
}

TEST(FileLock, AnUnopenableLockIsAUsageError) {
  try {
    FileLock lock("/nonexistent/marquee/x.lock", milliseconds(0));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
}

std::string content_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A folder of its own under the temp directory, removed at the end.
struct LockFolder {
  fs::path path = fs::temp_directory_path() / fmt::format("marquee-lock-test-dir-{}", ::getpid());
  LockFolder() { fs::create_directories(path); }
  ~LockFolder() { fs::remove_all(path); }
};

TEST(FileLock, RefusesASymlinkAndLeavesItsTargetAlone) {
  LockFolder folder;
  fs::path target = folder.path / "precious.txt";
  std::ofstream(target) << "keep me\n";
  fs::path lock = folder.path / "marquee.db.lock";
  fs::create_symlink(target, lock);
  try {
    FileLock taken(lock, milliseconds(0));
    FAIL() << "the lock followed the symlink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    std::string message = e.what();
    EXPECT_NE(message.find(lock.string() + " is a symbolic link to " + target.string()),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("remove " + lock.string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_EQ(content_of(target), "keep me\n");
  EXPECT_TRUE(fs::is_symlink(lock));
}

TEST(FileLock, RefusesADanglingSymlinkWithoutCreatingItsTarget) {
  LockFolder folder;
  fs::path target = folder.path / "elsewhere" / "created.txt";
  fs::create_directories(target.parent_path());
  fs::path lock = folder.path / "marquee.lock";
  fs::create_symlink(target, lock);
  EXPECT_THROW(FileLock(lock, milliseconds(0)), Error);
  EXPECT_FALSE(fs::exists(target));
}

TEST(FileLock, RefusesAHardLinkToAnotherFile) {
  LockFolder folder;
  fs::path target = folder.path / "precious.txt";
  std::ofstream(target) << "keep me\n";
  fs::path lock = folder.path / "marquee.lock";
  fs::create_hard_link(target, lock);
  try {
    FileLock taken(lock, milliseconds(0));
    FAIL() << "the lock wrote through a hard link";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find("hard link"), std::string::npos) << e.what();
  }
  EXPECT_EQ(content_of(target), "keep me\n");
}

TEST(FileLock, RecordsItsHolderInARegularFile) {
  LockFolder folder;
  fs::path lock = folder.path / "marquee.lock";
  {
    FileLock taken(lock, milliseconds(0));
    EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(lock)));
    EXPECT_NE(content_of(lock).find(fmt::format("pid {}", ::getpid())), std::string::npos);
  }
  EXPECT_NO_THROW(FileLock(lock, milliseconds(0)));
}

}  // namespace
}  // namespace marquee
