#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace marquee {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("marquee-atomic-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, CommitReplacesTheTargetWhole) {
  write_file_atomically(dir_ / "a.json", "old\n");
  write_file_atomically(dir_ / "a.json", "new\n");
  EXPECT_EQ(slurp(dir_ / "a.json"), "new\n");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, WithoutCommitTheTargetStaysAndNoTemporaryRemains) {
  write_file_atomically(dir_ / "a.csv", "old\n");
  {
    AtomicFile out(dir_ / "a.csv", ExitCode::kDatabase);
    out.write("half of the new");
    EXPECT_TRUE(fs::exists(out.temporary_path()));
  }
  EXPECT_EQ(slurp(dir_ / "a.csv"), "old\n");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, LargeContentIsWrittenInFull) {
  std::string text(3 << 20, 'x');
  AtomicFile out(dir_ / "big", ExitCode::kDatabase);
  for (std::size_t at = 0; at < text.size(); at += 4096) out.write(text.substr(at, 4096));
  out.commit();
  EXPECT_EQ(slurp(dir_ / "big"), text);
}

TEST_F(AtomicFileTest, CopyFromAppendsARangeOfAnotherFileInOrder) {
  std::string source_text;
  for (int i = 0; i < 300000; ++i) source_text += fmt::format("{:06}\n", i);  // 2.1 MB
  write_file_atomically(dir_ / "source", source_text);
  int fd = ::open((dir_ / "source").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  {
    AtomicFile out(dir_ / "copy", ExitCode::kDatabase);
    out.write("head\n");
    out.copy_from(fd, 7, 14);  // "000001\n000002\n"
    out.write("middle\n");
    out.copy_from(fd, 700000, source_text.size() - 700000);  // past the 1 MiB buffer
    out.copy_from(fd, 0, 0);
    out.commit();
  }
  EXPECT_EQ(slurp(dir_ / "copy"), "head\n000001\n000002\nmiddle\n" + source_text.substr(700000));
  // A source shorter than the range: an error naming the target, the target left as it was.
  AtomicFile out(dir_ / "copy", ExitCode::kDatabase, "the previous copy is unchanged");
  try {
    out.copy_from(fd, source_text.size() - 3, 10);
    FAIL() << "copied past the end of the source";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "copy").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("the previous copy is unchanged"), std::string::npos);
  }
  ::close(fd);
}

TEST_F(AtomicFileTest, ClosedFilesCommitLater) {
  AtomicFile first(dir_ / "one", ExitCode::kDatabase, "", dir_ / "one.next");
  first.write("1");
  first.close();
  EXPECT_FALSE(fs::exists(dir_ / "one"));
  EXPECT_EQ(slurp(dir_ / "one.next"), "1");
  first.commit();
  EXPECT_EQ(slurp(dir_ / "one"), "1");
  EXPECT_FALSE(fs::exists(dir_ / "one.next"));
}

TEST_F(AtomicFileTest, AnUnwritableFolderFailsWithTheGivenCodeNamingTheTarget) {
  if (::geteuid() == 0) {
    // root writes anywhere; a missing folder fails the same way for everyone.
    try {
      write_file_atomically(dir_ / "missing" / "a.json", "x", ExitCode::kSource);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kSource);
      EXPECT_NE(std::string(e.what()).find("cannot create " + (dir_ / "missing/a.json").string()),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("the previous a.json is unchanged"), std::string::npos);
    }
    return;
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THROW(write_file_atomically(dir_ / "a.json", "x", ExitCode::kSource), Error);
}

TEST_F(AtomicFileTest, AFileSizeLimitFailsAndLeavesThePreviousFile) {
  write_file_atomically(dir_ / "r.csv", "previous\n");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      write_file_atomically(dir_ / "r.csv", std::string(1 << 20, 'y'));
    } catch (const Error& e) {
      std::string what = e.what();
      bool named = what.find("r.csv") != std::string::npos &&
                   what.find("ulimit -f") != std::string::npos &&
                   what.find("the previous r.csv is unchanged") != std::string::npos;
      ::_exit(e.code() == ExitCode::kDatabase && named ? 0 : 2);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(slurp(dir_ / "r.csv"), "previous\n");
  EXPECT_EQ(entries(), 1u);
}

TEST(WriteHint, NamesWhatToDoForTheCommonCauses) {
  EXPECT_NE(write_hint(ENOSPC, "/x").find("free space on the filesystem of /x"), std::string::npos);
  EXPECT_NE(write_hint(EFBIG, "/x").find("ulimit -f"), std::string::npos);
  EXPECT_NE(write_hint(EACCES, "/x").find("make /x writable"), std::string::npos);
}

}  // namespace
}  // namespace marquee
