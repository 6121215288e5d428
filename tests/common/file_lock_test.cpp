#include "common/file_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>

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

}  // namespace
}  // namespace marquee
