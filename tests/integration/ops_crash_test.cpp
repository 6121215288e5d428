#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundLoad;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

constexpr std::int64_t kGeneratedMovies = 22717;  // scale 0.5, seed 3: its manifest's rows_loaded

std::int64_t movie_count(const fs::path& workdir) {
  auto store = store::open_store("sqlite:" + (workdir / "marquee.db").string());
  std::int64_t n = -1;
  store->query("SELECT COUNT(*) FROM movie", {},
               [&](const auto&, const auto& row) { n = std::stoll(*row[0]); });
  return n;
}

/// A work directory with the golden fixture loaded (batch 1) and a scale-0.5 generated archive
/// staged in incoming/, waiting as batch 2.
class CrashSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g = run_marquee({"generate", "--scale", "0.5", "--seed", "3", "--movies-only", "--out",
                          (dir_ / "big.zip").string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
    make_zip(dir_ / "golden.zip", {fixture("golden/movies_metadata.csv")});
    auto r = run_marquee({"run", (dir_ / "golden.zip").string(), "--workdir", work().string(),
                          "--max-reject-ratio", "0.05"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    golden_movies_ = movie_count(work());
    auto s = run_marquee({"stage", (dir_ / "big.zip").string(), "--workdir", work().string()});
    ASSERT_EQ(s.exit_code, 0) << s.output;
    ASSERT_TRUE(fs::exists(work() / "staging/incoming/big.zip"));
  }

  fs::path work() const { return dir_ / "work"; }

  /// The reports of a clean run over the same two archives, for comparison.
  std::string clean_reports() {
    fs::path clean = dir_ / "clean";
    auto a = run_marquee({"run", (dir_ / "golden.zip").string(), "--workdir", clean.string(),
                          "--max-reject-ratio", "0.05"});
    EXPECT_EQ(a.exit_code, 0) << a.output;
    auto b = run_marquee({"run", (dir_ / "big.zip").string(), "--workdir", clean.string()});
    EXPECT_EQ(b.exit_code, 0) << b.output;
    return read_file(clean / "movie_results/genre_yearly.csv") +
           read_file(clean / "movie_results/company_yearly.csv");
  }

  /// The batch is gone without a trace, or (killed after the commit) it is whole; either way
  /// the next load finishes the work and the reports equal a clean run's.
  void expect_recovery() {
    std::int64_t after_kill = movie_count(work());
    if (fs::exists(work() / "staging/incoming/big.zip")) {
      EXPECT_TRUE(after_kill == golden_movies_ || after_kill > golden_movies_) << after_kill;
    }
    EXPECT_TRUE(after_kill == golden_movies_ || after_kill >= kGeneratedMovies) << after_kill;
    auto rerun = run_marquee({"load", "--workdir", work().string()});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_FALSE(fs::exists(work() / "staging/incoming/big.zip"));
    EXPECT_TRUE(fs::exists(work() / "staging/archive/big.zip"));
    auto report = run_marquee({"report", "--workdir", work().string()});
    ASSERT_EQ(report.exit_code, 0) << report.output;
    EXPECT_EQ(read_file(work() / "movie_results/genre_yearly.csv") +
                  read_file(work() / "movie_results/company_yearly.csv"),
              clean_reports());
  }

  TempDir dir_;
  std::int64_t golden_movies_ = 0;
};

TEST_F(CrashSafety, SigkillWhileRecordsStreamLeavesTheDatabaseAsBefore) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int status = load.signal_and_wait(SIGKILL);
  if (!WIFSIGNALED(status)) GTEST_SKIP() << "the load finished before the kill: " << load.output();
  EXPECT_EQ(movie_count(work()), golden_movies_);
  EXPECT_TRUE(fs::exists(work() / "staging/incoming/big.zip"));
  expect_recovery();
}

TEST_F(CrashSafety, SigkillAtOnceAfterTheBatchBeginsLeavesTheDatabaseAsBefore) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  int status = load.signal_and_wait(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(movie_count(work()), golden_movies_);
  EXPECT_TRUE(fs::exists(work() / "staging/incoming/big.zip"));
  expect_recovery();
}

TEST_F(CrashSafety, SigkillAfterTheCommitBeforeTheMoveIsFinishedByTheNextLoad) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 committed")) << load.output();
  load.signal_and_wait(SIGKILL);
  expect_recovery();
}

TEST_F(CrashSafety, SigintStopsBetweenRecordsRollsBackAndSaysSo) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int status = load.signal_and_wait(SIGINT);
  ASSERT_TRUE(WIFEXITED(status)) << load.output();
  if (WEXITSTATUS(status) == 0) GTEST_SKIP() << "the load finished before the signal";
  EXPECT_EQ(WEXITSTATUS(status), 130) << load.output();
  EXPECT_NE(load.output().find("interrupted by SIGINT"), std::string::npos) << load.output();
  EXPECT_EQ(movie_count(work()), golden_movies_);
  EXPECT_TRUE(fs::exists(work() / "staging/incoming/big.zip"));
  expect_recovery();
}

TEST_F(CrashSafety, SigtermStopsCleanlyWithExit143) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  int status = load.signal_and_wait(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << load.output();
  EXPECT_EQ(WEXITSTATUS(status), 143) << load.output();
  EXPECT_NE(load.output().find("interrupted by SIGTERM"), std::string::npos) << load.output();
  EXPECT_EQ(movie_count(work()), golden_movies_);
  EXPECT_TRUE(fs::exists(work() / "staging/incoming/big.zip"));
}

/// Two loaders on one work directory: the second waits up to --lock-timeout, then exits 5.
class RunLockWhileLoading : public CrashSafety {};

TEST_F(RunLockWhileLoading, SecondLoadExits5NamingTheHolder) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  auto second = run_marquee({"load", "--workdir", work().string()});
  EXPECT_EQ(second.exit_code, 5) << second.output;
  EXPECT_NE(second.output.find("another marquee run holds the lock"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("pid "), std::string::npos) << second.output;
}

TEST_F(RunLockWhileLoading, SecondLoadWaitsForTheFirstWithALockTimeout) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  auto second = run_marquee({"load", "--workdir", work().string(), "--lock-timeout", "120"});
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_GE(movie_count(work()), kGeneratedMovies);
  EXPECT_TRUE(fs::exists(work() / "staging/archive/big.zip"));
}

TEST_F(RunLockWhileLoading, StageNeedsNoLock) {
  BackgroundLoad load(work());
  ASSERT_TRUE(load.wait_for_log("load: batch 2 from")) << load.output();
  auto stage = run_marquee({"stage", (dir_ / "golden.zip").string(), "--workdir", work().string()});
  EXPECT_EQ(stage.exit_code, 0) << stage.output;
}

/// The same kill on PostgreSQL: the server rolls the open transaction back when the
/// connection drops, during the COPY of the batch.
TEST(CrashSafetyPostgres, SigkillDuringTheBatchLeavesTheDatabaseAsBefore) {
  testing::PostgresDatabase pg;
  if (pg.url().empty())
    GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
  TempDir dir;
  fs::path work = dir / "work";
  ASSERT_EQ(run_marquee({"generate", "--scale", "0.5", "--seed", "3", "--movies-only", "--out",
                         (dir / "big.zip").string()})
                .exit_code,
            0);
  ASSERT_EQ(
      run_marquee({"stage", (dir / "big.zip").string(), "--workdir", work.string()}).exit_code, 0);
  auto count = [&] {
    auto r = testing::run_command("psql -qtA " + testing::shell_quote(pg.url()) +
                                  " -c 'SELECT count(*) FROM movie'");
    return r.output;
  };
  {
    BackgroundLoad load(work, pg.url());
    ASSERT_TRUE(load.wait_for_log("load: batch 1 from")) << load.output();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int status = load.signal_and_wait(SIGKILL);
    if (!WIFSIGNALED(status)) GTEST_SKIP() << "the load finished before the kill";
  }
  EXPECT_EQ(count(), "0\n");
  EXPECT_TRUE(fs::exists(work / "staging/incoming/big.zip"));
  auto rerun = run_marquee({"load", "--workdir", work.string(), "--db", pg.url()});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_EQ(count(), fmt::format("{}\n", kGeneratedMovies));
  EXPECT_TRUE(fs::exists(work / "staging/archive/big.zip"));
}

/// Serves one archive over HTTP, slowly (4 KiB every 100 ms) until told to hurry.
class SlowArchiveServer {
 public:
  explicit SlowArchiveServer(std::string body) : body_(std::move(body)) {
    server_.Get("/archive.zip", [this](const httplib::Request&, httplib::Response& response) {
      response.set_header("ETag", "\"v1\"");
      response.set_content_provider(
          body_.size(), "application/zip",
          [this](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            if (!fast_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            std::size_t n = std::min<std::size_t>(length, fast_ ? length : 4096);
            return sink.write(body_.data() + offset, n);
          });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~SlowArchiveServer() {
    fast_ = true;
    server_.stop();
    thread_.join();
  }
  void hurry() { fast_ = true; }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/archive.zip", port_); }

 private:
  std::string body_;
  std::atomic<bool> fast_{false};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(StopDuringDownload, SigtermStopsTheDownloadAtOnceAndTheNextStageFinishesIt) {
  TempDir dir;
  make_zip(dir.path() / "golden.zip", {fixture("golden/movies_metadata.csv")});
  const std::string body = read_file(dir.path() / "golden.zip");
  ASSERT_GT(body.size(), 40u * 1024) << "the archive must take seconds to serve";
  SlowArchiveServer server(body);
  fs::path work = dir.path() / "work";
  fs::path part = work / "staging/incoming/archive.zip.part";
  {
    BackgroundLoad stage(work, "", {"stage", server.url(), "--retries", "0"});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline &&
           !(fs::exists(part, ec) && fs::file_size(part, ec) > 0)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(fs::file_size(part, ec), 0u) << stage.output();
    auto signalled = std::chrono::steady_clock::now();
    int status = stage.signal_and_wait(SIGTERM);
    // Stopped within a second or two, not after the ~1 s per 40 KiB the rest would take.
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, std::chrono::seconds(3));
    ASSERT_TRUE(WIFEXITED(status)) << stage.output();
    EXPECT_EQ(WEXITSTATUS(status), 143) << stage.output();
    EXPECT_NE(stage.output().find("interrupted by SIGTERM"), std::string::npos) << stage.output();
    EXPECT_NE(stage.output().find("resume"), std::string::npos) << stage.output();
  }
  EXPECT_TRUE(fs::exists(part));
  EXPECT_LT(fs::file_size(part), body.size());
  EXPECT_FALSE(fs::exists(work / "staging/incoming/archive.zip"));

  server.hurry();
  auto again = run_marquee({"stage", server.url(), "--workdir", work.string()});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_file(work / "staging/incoming/archive.zip"), body);
  EXPECT_FALSE(fs::exists(part));
}

}  // namespace
}  // namespace marquee
