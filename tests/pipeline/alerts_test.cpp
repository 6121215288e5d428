#include "pipeline/alerts.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "pipeline/interrupt.hpp"

namespace marquee::pipeline {
namespace {

namespace fs = std::filesystem;

class TempFolder {
 public:
  TempFolder() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("marquee-alerts-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunHook, GetsItsInputOnStdinAndTheEnvironment) {
  TempFolder dir;
  fs::path out = dir.path() / "out";
  int status =
      run_hook("cat > '" + out.string() + "'; echo \"$MARQUEE_STEP\" >> '" + out.string() + "'",
               "{\"a\":1}\n", {{"MARQUEE_STEP", "load"}}, std::chrono::seconds(10));
  EXPECT_EQ(status, 0);
  EXPECT_EQ(slurp(out), "{\"a\":1}\nload\n");
}

TEST(RunHook, ReturnsTheCommandsExitStatus) {
  EXPECT_EQ(run_hook("exit 7", "", {}, std::chrono::seconds(10)), 7);
}

TEST(RunHook, IgnoresACommandThatDoesNotReadItsInput) {
  std::string big(1 << 20, 'x');
  EXPECT_EQ(run_hook("exit 0", big, {}, std::chrono::seconds(10)), 0);
}

TEST(RunHook, KillsACommandPastItsTimeout) {
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(run_hook("sleep 30", "", {}, std::chrono::milliseconds(200)), -1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(RunHistory, SuccessAfterAFailureIsRecoveredOnce) {
  TempFolder dir;
  RunHistory history(dir.path(), "load");
  RunHistory stage_history(dir.path(), "stage");
  EXPECT_FALSE(history.record_success("r1"));
  history.record_failure({"r2", "load", 3, "bad data", "x.zip", 7});
  // Another command's success (the stage task of a split pipeline) recovers nothing.
  EXPECT_FALSE(stage_history.record_success("r2b"));
  auto recovered = history.record_success("r3");
  ASSERT_TRUE(recovered);
  EXPECT_EQ((*recovered)["run_id"], "r2");
  EXPECT_EQ((*recovered)["exit_code"], 3);
  EXPECT_EQ((*recovered)["batch"], 7);
  EXPECT_FALSE(history.record_success("r4"));
}

TEST(RunFailure, JsonHasEveryFieldAndANullBatchWhenNone) {
  auto json = RunFailure{"r1", "stage", 2, "not found", "s3://b/k", std::nullopt}.to_json();
  EXPECT_EQ(json["event"], "failure");
  EXPECT_EQ(json["step"], "stage");
  EXPECT_EQ(json["exit_code"], 2);
  EXPECT_EQ(json["source"], "s3://b/k");
  EXPECT_TRUE(json["batch"].is_null());
}

TEST(StopSignal, SigtermAsksToStopAtTheNextSafePoint) {
  EXPECT_NO_THROW(stop_if_requested("here"));
  install_stop_handlers();
  ::raise(SIGTERM);
  EXPECT_EQ(stop_signal(), SIGTERM);
  try {
    stop_if_requested("between records");
    FAIL() << "no Interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(interrupted_exit_code(e.signal_number()), 143);
    EXPECT_NE(std::string(e.what()).find("interrupted by SIGTERM between records"),
              std::string::npos);
  }
  ::signal(SIGTERM, SIG_DFL);
  clear_stop_request();  // the loader tests that follow in this process must not see it
  EXPECT_EQ(stop_signal(), 0);
}

}  // namespace
}  // namespace marquee::pipeline
