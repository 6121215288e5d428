// #14 "Metrics": GET /metrics on `serve` in the Prometheus text format.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/api_test_support.hpp"
#include "common/clock.hpp"

namespace marquee::api {
namespace {

namespace fs = std::filesystem;

struct Answer {
  int status = 0;
  std::string body, content_type;
};

Answer fetch(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get(target.c_str());
  if (!res) return {};
  return {res->status, res->body, res->get_header_value("Content-Type")};
}

/// Each sample line "name{labels} value" by "name{labels}"; fails on a line that is neither a
/// sample nor a # HELP / # TYPE comment.
std::map<std::string, double> samples_of(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})?) (\S+)$)");
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    std::smatch m;
    EXPECT_TRUE(std::regex_match(line, m, kSample)) << "not a sample: " << line;
    if (!m.empty()) samples[m[1]] = std::stod(m[5]);
  }
  return samples;
}

/// /metrics once it counts at least `expected` of each sample: the server counts a request after
/// its response is sent (cpp-httplib's logger, on the worker's thread), so the request right
/// after it may not see it yet. Tries for 2 s at most, then gives what it last read.
std::map<std::string, double> samples_once(int port,
                                           const std::map<std::string, double>& expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    auto samples = samples_of(fetch(port, "/metrics").body);
    bool all = true;
    for (const auto& [name, count] : expected) all = all && samples[name] >= count;
    if (all || std::chrono::steady_clock::now() > deadline) return samples;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

class Metrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = testing::fresh_dir("metrics");
    db_ = testing::load_batches(root_,
                                {fs::path(MARQUEE_FIXTURES_DIR) / "golden/movies_metadata.csv"});
    server_ = new testing::RunningServer(db_);
  }
  static void TearDownTestSuite() {
    delete server_;
    std::error_code ec;
    if (std::getenv("MARQUEE_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_, ec);
  }
  static inline fs::path root_, db_;
  static inline testing::RunningServer* server_ = nullptr;
};

TEST_F(Metrics, CountsRequestsByRouteTemplateAndStatus) {
  const int port = server_->port();
  for (const char* target : {"/api/companies/2/yearly", "/api/companies/2/yearly?from=1990",
                             "/api/companies/abc/yearly", "/no/such/page", "/index.html"}) {
    fetch(port, target);
  }
  Answer a = fetch(port, "/metrics");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto samples = samples_once(
      port, {{"marquee_http_requests_total{route=\"/api/companies/{id}/yearly\",code=\"200\"}", 2},
             {"marquee_http_requests_total{route=\"/api/companies/{id}/yearly\",code=\"400\"}", 1},
             {"marquee_http_requests_total{route=\"static\",code=\"200\"}", 1},
             {"marquee_http_requests_total{route=\"unmatched\",code=\"404\"}", 1}});
  EXPECT_EQ(
      samples["marquee_http_requests_total{route=\"/api/companies/{id}/yearly\",code=\"200\"}"], 2);
  EXPECT_EQ(
      samples["marquee_http_requests_total{route=\"/api/companies/{id}/yearly\",code=\"400\"}"], 1);
  EXPECT_EQ(samples["marquee_http_requests_total{route=\"static\",code=\"200\"}"], 1);
  EXPECT_GE(samples["marquee_http_requests_total{route=\"unmatched\",code=\"404\"}"], 1);
  EXPECT_EQ(
      samples["marquee_http_request_duration_seconds_count{route=\"/api/companies/{id}/yearly\"}"],
      3);
  EXPECT_EQ(samples["marquee_http_request_duration_seconds_bucket{route=\"/api/companies/{id}/"
                    "yearly\",le=\"+Inf\"}"],
            3);
  EXPECT_EQ(samples["marquee_build_info{version=\"" MARQUEE_VERSION "\"}"], 1);
  EXPECT_EQ(samples["marquee_database_up"], 1);
}

TEST_F(Metrics, SaysWhenTheLastBatchLoadedAndHowManyMovies) {
  Answer batches = fetch(server_->port(), "/api/batches");
  auto items = nlohmann::json::parse(batches.body).at("items");
  ASSERT_EQ(items.size(), 1u);
  auto samples = samples_of(fetch(server_->port(), "/metrics").body);
  EXPECT_NEAR(samples["marquee_last_batch_loaded_timestamp_seconds"],
              utc_epoch_seconds(items[0].at("finished_at").get<std::string>()), 0.001);
  EXPECT_GT(samples["marquee_last_batch_loaded_timestamp_seconds"], 1.7e9);
  EXPECT_EQ(samples["marquee_batches{status=\"loaded\"}"], 1);
  EXPECT_EQ(samples["marquee_batches{status=\"failed\"}"], 0);
  Answer health = fetch(server_->port(), "/health");
  EXPECT_GT(samples["marquee_movies"], 0);
}

}  // namespace
}  // namespace marquee::api
