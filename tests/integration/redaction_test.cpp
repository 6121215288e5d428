#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;

/// Every secret of the URLs below holds this, so one search finds any of them.
constexpr std::string_view kSecret = "s3cret";

/// A port on 127.0.0.1 that nothing listens on: bound, then released.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

/// The files under `root` (recursively) whose bytes hold the secret.
std::vector<std::string> files_holding_the_secret(const fs::path& root) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    if (read_file(entry.path()).find(kSecret) != std::string::npos) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

/// Runs on 127.0.0.1: keeps the bodies POSTed to /hook and, when given an archive, serves it at
/// /x.zip only to a request with the Basic credentials user:s3cret and the query
/// X-Amz-Signature=s3cret-sig, so that a download proves the real URL was used.
class Server {
 public:
  explicit Server(std::string archive = "") : archive_(std::move(archive)) {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      hook_bodies_.push_back(request.body);
      response.set_content("ok", "text/plain");
    });
    server_.Get("/x.zip", [this](const httplib::Request& request, httplib::Response& response) {
      if (request.get_header_value("Authorization") != "Basic dXNlcjpzM2NyZXQ=") {
        response.status = 401;
        return;
      }
      if (request.get_param_value("X-Amz-Signature") != "s3cret-sig") {
        response.status = 403;
        return;
      }
      response.set_header("ETag", "\"v1\"");
      response.set_content(archive_, "application/zip");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~Server() {
    server_.stop();
    thread_.join();
  }
  std::string base(const std::string& user_info = "") const {
    return fmt::format("http://{}127.0.0.1:{}", user_info, port_);
  }
  std::vector<std::string> hook_bodies() {
    std::lock_guard lock(mutex_);
    return hook_bodies_;
  }

 private:
  std::string archive_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> hook_bodies_;
};

class Redaction : public ::testing::Test {
 protected:
  /// `marquee run SOURCE` with both alerts configured; the webhook URL has a password too.
  testing::CommandResult run(const std::string& source, Server& server) {
    std::string hook = fmt::format("cat > {}; env | grep ^MARQUEE_ > {}",
                                   shell_quote((dir_ / "hook.json").string()),
                                   shell_quote((dir_ / "hook.env").string()));
    return run_marquee({"run", source, "--workdir", (dir_ / "work").string(), "--retries", "0",
                        "--max-reject-ratio", "0.05", "--on-failure", hook, "--alert-webhook",
                        server.base("hook:s3cret-hook@") + "/hook"});
  }

  TempDir dir_;
};

TEST_F(Redaction, AFailedDownloadNamesTheSourceWithoutItsSecrets) {
  Server server;
  const int port = closed_port();
  std::string source = fmt::format(
      "http://user:s3cret@127.0.0.1:{}/x.zip?X-Amz-Signature=s3cret-sig&token=s3cret-token", port);
  auto r = run(source, server);
  ASSERT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(fmt::format("127.0.0.1:{}", port)), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos) << r.output;

  json failure = json::parse(read_file(dir_ / "hook.json"));
  EXPECT_EQ(failure["source"],
            fmt::format("http://user:***@127.0.0.1:{}/x.zip?X-Amz-Signature=***&token=***", port));
  std::string environment = read_file(dir_ / "hook.env");
  EXPECT_NE(environment.find("MARQUEE_SOURCE=http://user:***@127.0.0.1"), std::string::npos)
      << environment;
  auto bodies = server.hook_bodies();
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0].find(kSecret), std::string::npos) << bodies[0];
  EXPECT_EQ(json::parse(bodies[0])["source"], failure["source"]);
  EXPECT_TRUE(fs::exists(dir_ / "work/state/last_run.json"));
  EXPECT_TRUE(fs::exists(dir_ / "work/log/data-engineer-project.log"));
  EXPECT_EQ(files_holding_the_secret(dir_.path()), std::vector<std::string>{});
}

TEST_F(Redaction, ADownloadUsesTheSecretsAndRecordsThemNowhere) {
  make_zip(dir_ / "good.zip", {fixture("golden/movies_metadata.csv")});
  Server server(read_file(dir_ / "good.zip"));
  fs::remove(dir_ / "good.zip");
  std::string source = server.base("user:s3cret@") + "/x.zip?X-Amz-Signature=s3cret-sig";
  auto r = run(source, server);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos) << r.output;

  json summary = json::parse(read_file(dir_ / "work/movie_results/run_summary.json"));
  EXPECT_EQ(summary["source"], server.base("user:***@") + "/x.zip?X-Amz-Signature=***");
  ASSERT_EQ(summary["batches"].size(), 1u);
  EXPECT_EQ(summary["batches"][0]["source"], server.base() + "/x.zip");
  EXPECT_TRUE(fs::exists(dir_ / "work/marquee.db"));
  EXPECT_EQ(files_holding_the_secret(dir_.path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace marquee
