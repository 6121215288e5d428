#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

/// What the operator sees of a run: its exit code and its stderr apart from stdout.
struct Outcome {
  int exit_code = -1;
  std::string out, err;

  /// The lines of stderr at level error: the one line the operator must read.
  std::vector<std::string> error_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
      if (line.starts_with("error:")) lines.push_back(line);
    return lines;
  }
};

/// Runs build/marquee in a child process. With `file_size_limit` the child gets RLIMIT_FSIZE and
/// ignores SIGXFSZ, so that a write past the limit fails with EFBIG: a real kernel failure.
Outcome spawn_marquee(const std::vector<std::string>& args, const fs::path& output_dir,
                      std::optional<rlim_t> file_size_limit = std::nullopt) {
  std::string binary = testing::marquee_binary();
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string out_path = (output_dir / "marquee.stdout").string();
  std::string err_path = (output_dir / "marquee.stderr").string();

  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0)
      ::_exit(126);
    if (file_size_limit) {
      struct sigaction ignore = {};
      ignore.sa_handler = SIG_IGN;
      ::sigaction(SIGXFSZ, &ignore, nullptr);
      rlimit limit = {};
      limit.rlim_cur = limit.rlim_max = *file_size_limit;
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  Outcome outcome;
  if (pid < 0) return outcome;
  int status = 0;
  ::waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.out = read_file(out_path);
  outcome.err = read_file(err_path);
  return outcome;
}

std::map<std::string, std::string> files_in(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    files[e.path().filename().string()] = e.is_regular_file() ? read_file(e.path()) : "<folder>";
  return files;
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

const std::set<std::string> kResultFiles = {
    "company_yearly.csv",         "company_genre_yearly.csv",
    "genre_yearly.csv",           "most_popular_genre_by_year.csv",
    "genre_rating_yearly.csv",    "company_rating_yearly.csv",
    "run_summary.json",           ".report_state.json",
    ".report_state.lock",         ".company_yearly.index",
    ".company_genre_yearly.index"};

/// A work directory whose movie_results/ holds the reports of the golden fixture (about 80 kB),
/// and a generated dataset ten times larger (its reports about 690 kB) ready to load. Subclasses
/// put movie_results/ where writing the larger reports fails.
class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "small");
    fs::copy_file(fixture("golden/movies_metadata.csv"), dir_ / "small/movies_metadata.csv");
    auto g = run_marquee({"generate", "--scale", "0.05", "--seed", "5", "--movies-only", "--out",
                          big_zip().string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
    fs::create_directories(results());
  }

  /// Loads the golden fixture and keeps its reports as the ones that must survive.
  void write_previous_reports() {
    auto r = run_marquee({"run", (dir_ / "small").string(), "--workdir", work().string(),
                          "--max-reject-ratio", "0.05"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    previous_ = files_in(results());
    ASSERT_EQ(names_in(results()), kResultFiles);
  }

  /// The previous reports byte for byte, and nothing else: no temporary folder or partial file
  /// in movie_results/ nor beside it.
  void expect_previous_reports_untouched() {
    EXPECT_EQ(names_in(results()), kResultFiles);
    for (const auto& [name, bytes] : previous_) {
      if (name == ".report_state.lock") continue;  // says which process wrote last
      EXPECT_TRUE(read_file(results() / name) == bytes) << name << " changed";
    }
    for (const auto& name : names_in(work()))
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << "left behind: " << (work() / name);
  }

  /// One error line, naming the results folder and the remedy.
  void expect_one_clear_error(const Outcome& r, const std::string& cause,
                              const std::string& remedy) {
    auto errors = r.error_lines();
    ASSERT_EQ(errors.size(), 1u) << r.err;
    const std::string& line = errors.front();
    EXPECT_NE(line.find(results().string() + "/company_"), std::string::npos) << line;
    EXPECT_NE(line.find(cause), std::string::npos) << line;
    EXPECT_NE(line.find(remedy), std::string::npos) << line;
    EXPECT_NE(line.find("the previous reports are unchanged"), std::string::npos) << line;
    EXPECT_EQ(line.find("unexpected failure"), std::string::npos) << line;
  }

  fs::path work() const { return dir_ / "work"; }
  fs::path results() const { return work() / "movie_results"; }
  fs::path big_zip() const { return dir_ / "big.zip"; }

  TempDir dir_;
  std::map<std::string, std::string> previous_;
};

/// movie_results/ is a 512 kB tmpfs of its own: the golden reports fit, the new ones do not
/// (company_yearly.csv fits in what is left, company_genre_yearly.csv then fills the disk).
class DiskFullTmpfs : public DiskFull {
 protected:
  void SetUp() override {
    DiskFull::SetUp();
    if (HasFatalFailure()) return;
    if (::mount("tmpfs", results().c_str(), "tmpfs", 0, "size=512k") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs on " << results() << " (" << std::strerror(errno)
                   << "): needs root or CAP_SYS_ADMIN; DiskFullRlimit covers the same failure";
    }
    mounted_ = true;
    write_previous_reports();
  }
  void TearDown() override {
    if (mounted_) ::umount2(results().c_str(), MNT_DETACH);
  }

  bool mounted_ = false;
};

TEST_F(DiskFullTmpfs, RunFailsWithExit4AndKeepsThePreviousReportsAndSummary) {
  auto r = spawn_marquee({"run", big_zip().string(), "--workdir", work().string()}, dir_.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  expect_one_clear_error(r, "No space left on device",
                         "free space on the filesystem of " + results().string());
  expect_previous_reports_untouched();
}

TEST_F(DiskFullTmpfs, ReportFailsWithExit4ThenSucceedsOnceThereIsSpace) {
  ASSERT_EQ(run_marquee({"stage", big_zip().string(), "--workdir", work().string()}).exit_code, 0);
  auto load = run_marquee({"load", "--workdir", work().string()});
  ASSERT_EQ(load.exit_code, 0) << load.output;

  auto r = spawn_marquee({"report", "--workdir", work().string()}, dir_.path());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  expect_one_clear_error(r, "No space left on device",
                         "free space on the filesystem of " + results().string());
  expect_previous_reports_untouched();

  // Nothing of the failed attempt holds space: with room made, the same command succeeds.
  ASSERT_EQ(::mount("tmpfs", results().c_str(), "tmpfs", MS_REMOUNT, "size=2m"), 0)
      << std::strerror(errno);
  auto again = spawn_marquee({"report", "--workdir", work().string()}, dir_.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_GT(read_file(results() / "company_genre_yearly.csv").size(),
            previous_["company_genre_yearly.csv"].size());
}

/// The same failure without privileges: `marquee report` under RLIMIT_FSIZE, below the new
/// company_yearly.csv (about 210 kB) and above every file written before it: the golden reports
/// (at most 47 kB) and the logs (a few kB).
class DiskFullRlimit : public DiskFull {};

TEST_F(DiskFullRlimit, ReportPastTheFileSizeLimitFailsWithExit4AndKeepsThePreviousReports) {
  constexpr rlim_t kFileSizeLimit = 128 * 1024;
  write_previous_reports();
  ASSERT_EQ(run_marquee({"stage", big_zip().string(), "--workdir", work().string()}).exit_code, 0);
  auto load = run_marquee({"load", "--workdir", work().string()});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  for (const auto& e : fs::directory_iterator(work() / "log"))
    ASSERT_LT(fs::file_size(e.path()), kFileSizeLimit / 2) << e.path();

  auto r = spawn_marquee({"report", "--workdir", work().string()}, dir_.path(), kFileSizeLimit);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  expect_one_clear_error(r, "File too large", "ulimit -f");
  expect_previous_reports_untouched();
}

/// #15.3: the database file cannot grow past the limit while its -wal file can. The second
/// batch commits into the WAL, then the checkpoint that copies it into the file fails: the batch
/// is loaded, so the run must say so (exit 0, a warning), move the archive to archive/ and
/// record its data checks, not claim "marking the batch failed" with exit 4.
TEST(DiskFullAfterCommit, ACheckpointThatFailsLeavesTheBatchLoadedAndChecked) {
  TempDir dir;
  fs::path work = dir / "work";
  testing::make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  auto first = run_marquee({"run", (dir / "golden.zip").string(), "--workdir", work.string(),
                            "--max-reject-ratio", "0.05"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  auto gen = run_marquee({"generate", "--scale", "0.02", "--seed", "3", "--movies-only", "--out",
                          (dir / "more.zip").string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  // The limit that leaves room for the new batch's WAL but not for the file's growth depends on
  // page layout: try limits upwards from a fresh copy of the loaded work folder until the
  // commit succeeds; the first such limit fails the checkpoint after it.
  fs::path pristine = dir / "pristine";
  fs::copy(work, pristine, fs::copy_options::recursive);
  Outcome r;
  bool checkpoint_failed = false;
  for (std::uintmax_t extra = 25'000; extra <= 1'000'000 && !checkpoint_failed; extra += 25'000) {
    fs::remove_all(work);
    fs::copy(pristine, work, fs::copy_options::recursive);
    auto limit = static_cast<rlim_t>(fs::file_size(work / "marquee.db") + extra);
    r = spawn_marquee({"run", (dir / "more.zip").string(), "--workdir", work.string(),
                       "--max-reject-ratio", "0.5"},
                      dir.path(), limit);
    if (r.err.find("committing the batch") != std::string::npos) continue;  // the WAL too
    checkpoint_failed = r.err.find("checkpointing the batch") != std::string::npos;
    ASSERT_TRUE(checkpoint_failed)
        << "the batch committed and checkpointed under a limit " << limit << ": " << r.err;
  }
  ASSERT_TRUE(checkpoint_failed) << r.err;
  EXPECT_NE(r.err.find("stays loaded"), std::string::npos) << r.err;
  // The disk is still full: recording the checks fails too, and the run says what is true.
  EXPECT_EQ(r.exit_code, 4) << r.err;
  ASSERT_EQ(r.error_lines().size(), 1u) << r.err;
  EXPECT_NE(r.error_lines()[0].find("batch 2 is loaded, but its data checks did not run"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("marking the batch failed"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(work / "staging" / "archive" / "more.zip"));
  std::string db = testing::shell_quote((work / "marquee.db").string());
  auto sql = [&](const std::string& query) {
    return testing::run_command("sqlite3 " + db + " " + testing::shell_quote(query)).output;
  };
  EXPECT_EQ(sql("SELECT status FROM ingest_batch WHERE id = 2"), "loaded\n");
  // With room again, the same command finds the batch loaded and records its checks.
  auto again = run_marquee({"run", (dir / "more.zip").string(), "--workdir", work.string(),
                            "--max-reject-ratio", "0.5"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("checking it now"), std::string::npos) << again.output;
  EXPECT_EQ(sql("SELECT COUNT(*) FROM data_check_result WHERE batch_id = 2"),
            sql("SELECT COUNT(*) FROM data_check_result WHERE batch_id = 1"));
  EXPECT_EQ(sql("SELECT COUNT(*) FROM ingest_batch"), "2\n");
}

/// A batch committed by a run that died before its data checks is checked by the next run.
TEST(DiskFullAfterCommit, ABatchLeftWithoutChecksIsCheckedByTheNextRun) {
  TempDir dir;
  fs::path work = dir / "work";
  testing::make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  std::vector<std::string> run = {"run",         (dir / "golden.zip").string(), "--workdir",
                                  work.string(), "--max-reject-ratio",          "0.05"};
  ASSERT_EQ(run_marquee(run).exit_code, 0);
  std::string db = testing::shell_quote((work / "marquee.db").string());
  ASSERT_EQ(testing::run_command("sqlite3 " + db + " 'DELETE FROM data_check_result'").exit_code,
            0);
  auto again = run_marquee(run);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("stopped before its data checks; checking it now"), std::string::npos)
      << again.output;
  EXPECT_EQ(
      testing::run_command("sqlite3 " + db + " 'SELECT COUNT(*) FROM data_check_result'").output,
      "4\n");  // link_rows_have_their_movie runs only for snapshots
}

}  // namespace
}  // namespace marquee
