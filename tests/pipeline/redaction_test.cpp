#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/alerts.hpp"
#include "pipeline/logging.hpp"
#include "pipeline/run_summary.hpp"

namespace marquee::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSource = "https://user:s3cret@host/x.zip?X-Amz-Signature=s3cret-sig";
constexpr const char* kShown = "https://user:***@host/x.zip?X-Amz-Signature=***";

struct Folder {
  fs::path path =
      fs::temp_directory_path() / ("marquee-redaction-" + std::to_string(std::random_device{}()));
  Folder() { fs::create_directories(path); }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunFailureJson, RedactsTheSourceAndTheUrlsOfTheMessage) {
  RunFailure failure{"r1", "stage", 2, std::string(kSource) + ": Failed to connect", kSource, {}};
  nlohmann::json payload = failure.to_json();
  EXPECT_EQ(payload["source"], kShown);
  EXPECT_EQ(payload["message"], std::string(kShown) + ": Failed to connect");
}

TEST(RunHistory, RecordsAFailureWithoutItsSecrets) {
  Folder dir;
  RunHistory(dir.path, "run").record_failure({"r1", "stage", 2, kSource, kSource, {}});
  std::string state = slurp(dir.path / "state/last_run.json");
  EXPECT_EQ(state.find("s3cret"), std::string::npos) << state;
  EXPECT_NE(state.find(kShown), std::string::npos) << state;
}

TEST(RunSummaryFile, NamesTheSourcesRedacted) {
  Folder dir;
  RunSummary summary;
  summary.source = kSource;
  summary.batches.push_back({1, {kSource, "abc", "", "", ""}, {}});
  write_run_summary(dir.path / "run_summary.json", summary);
  auto json = nlohmann::json::parse(slurp(dir.path / "run_summary.json"));
  EXPECT_EQ(json["source"], kShown);
  EXPECT_EQ(json["batches"][0]["source"], kShown);
}

TEST(Logging, RedactsUrlsInTheLogs) {
  Folder dir;
  auto previous = spdlog::default_logger();
  setup_logging({dir.path});
  spdlog::warn("stage {}: HTTP 403", kSource);
  spdlog::info("a line without a URL");
  spdlog::default_logger()->flush();
  spdlog::set_default_logger(previous);
  for (const char* name : {kMainLogName, kErrorLogName}) {
    std::string log = slurp(dir.path / name);
    EXPECT_EQ(log.find("s3cret"), std::string::npos) << log;
    EXPECT_NE(log.find(std::string("stage ") + kShown + ": HTTP 403"), std::string::npos) << log;
  }
  EXPECT_NE(slurp(dir.path / kMainLogName).find("a line without a URL"), std::string::npos);
}

}  // namespace
}  // namespace marquee::pipeline
