#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

using nlohmann::json;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

/// A real HTTP receiver on 127.0.0.1: keeps every POSTed body; the first `failures` POSTs get a
/// 500 so that retries show.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int failures = 0) : failures_(failures) {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      ++attempts_;
      if (failures_ > 0) {
        --failures_;
        response.status = 500;
        return;
      }
      bodies_.push_back(json::parse(request.body));
      response.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/hook", port_); }
  std::vector<json> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<json> bodies_;
  int failures_ = 0;
  int attempts_ = 0;
};

class Alerts : public ::testing::Test {
 protected:
  void SetUp() override {
    make_zip(dir_ / "good.zip", {fixture("golden/movies_metadata.csv")});
    std::string bad = read_file(fixture("golden/movies_metadata.csv"));
    for (int i = 0; i < 50; ++i) {
      bad += fmt::format(
          "False,,0,[],,bad{},tt1,en,x,y,1.0,,[],[],2000-01-01,0,1.0,[],Released,,T,False,1.0,1\n",
          i);
    }
    write_file(dir_ / "bad/movies_metadata.csv", bad);
    make_zip(dir_ / "rejects.zip", {dir_ / "bad/movies_metadata.csv"});
  }

  testing::CommandResult run(const std::string& zip_name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run",
                                     (dir_ / zip_name).string(),
                                     "--workdir",
                                     (dir_ / "work").string(),
                                     "--max-reject-ratio",
                                     "0.05"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_marquee(args);
  }

  TempDir dir_;
};

TEST_F(Alerts, OnFailureCommandGetsTheFailureJsonAndEnvironment) {
  std::string hook = fmt::format("cat > {}; env | grep ^MARQUEE_ | sort > {}",
                                 testing::shell_quote((dir_ / "hook.json").string()),
                                 testing::shell_quote((dir_ / "hook.env").string()));
  auto r = run("rejects.zip", {"--on-failure", hook});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  json failure = json::parse(read_file(dir_ / "hook.json"));
  EXPECT_EQ(failure["event"], "failure");
  EXPECT_EQ(failure["step"], "load");
  EXPECT_EQ(failure["exit_code"], 3);
  EXPECT_NE(failure["message"].get<std::string>().find("reject limit"), std::string::npos);
  EXPECT_NE(failure["source"].get<std::string>().find("rejects.zip"), std::string::npos);
  ASSERT_TRUE(failure["batch"].is_number_integer()) << failure.dump();
  EXPECT_FALSE(failure["run_id"].get<std::string>().empty());
  std::string env = read_file(dir_ / "hook.env");
  EXPECT_NE(env.find("MARQUEE_EXIT_CODE=3\n"), std::string::npos) << env;
  EXPECT_NE(env.find("MARQUEE_STEP=load\n"), std::string::npos) << env;
  EXPECT_NE(env.find("MARQUEE_RUN_ID=" + failure["run_id"].get<std::string>()), std::string::npos)
      << env;
  EXPECT_NE(env.find("MARQUEE_SOURCE="), std::string::npos) << env;
  EXPECT_NE(env.find("MARQUEE_MESSAGE="), std::string::npos) << env;
}

TEST_F(Alerts, MissingSourceAlertsTheStageStepWithExit2) {
  std::string hook = "cat > " + testing::shell_quote((dir_ / "hook.json").string());
  auto r = run("absent.zip", {"--on-failure", hook});
  ASSERT_EQ(r.exit_code, 2) << r.output;
  json failure = json::parse(read_file(dir_ / "hook.json"));
  EXPECT_EQ(failure["step"], "stage");
  EXPECT_EQ(failure["exit_code"], 2);
  EXPECT_TRUE(failure["batch"].is_null());
}

TEST_F(Alerts, WebhookGetsTheFailureThenRecoveredOnce) {
  WebhookReceiver receiver;
  auto failed = run("rejects.zip", {"--alert-webhook", receiver.url()});
  ASSERT_EQ(failed.exit_code, 3) << failed.output;
  auto recovered = run("good.zip", {"--alert-webhook", receiver.url()});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.output;
  EXPECT_NE(recovered.output.find("recovered"), std::string::npos) << recovered.output;
  auto again = run("good.zip", {"--alert-webhook", receiver.url()});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output.find("recovered"), std::string::npos) << again.output;

  auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0]["event"], "failure");
  EXPECT_EQ(bodies[0]["step"], "load");
  EXPECT_EQ(bodies[0]["exit_code"], 3);
  EXPECT_TRUE(bodies[0]["batch"].is_number_integer());
  EXPECT_EQ(bodies[1]["event"], "recovered");
  EXPECT_EQ(bodies[1]["previous_run_id"], bodies[0]["run_id"]);
  EXPECT_EQ(bodies[1]["previous_exit_code"], 3);
}

TEST_F(Alerts, WebhookIsRetriedAfterServerErrors) {
  WebhookReceiver receiver(/*failures=*/2);
  auto r = run("rejects.zip", {"--alert-webhook", receiver.url()});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(receiver.attempts(), 3);
  ASSERT_EQ(receiver.bodies().size(), 1u);
  EXPECT_EQ(receiver.bodies()[0]["exit_code"], 3);
}

TEST_F(Alerts, UnreachableWebhookDoesNotChangeTheExitCode) {
  auto r = run("rejects.zip", {"--alert-webhook", "http://127.0.0.1:1/hook"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("did not take the failure alert after 4 attempts"), std::string::npos)
      << r.output;
}

TEST_F(Alerts, HangingOnFailureCommandIsKilledAfterTheTimeout) {
  auto started = std::chrono::steady_clock::now();
  auto r = run("rejects.zip", {"--on-failure", "sleep 60", "--alert-timeout", "1"});
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_LT(seconds, 20);
  EXPECT_NE(r.output.find("did not finish within 1000 ms"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace marquee
