// #14 "Metrics": the node_exporter textfile each run leaves, so that on-call can alert on a
// stale or failing job.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

std::map<std::string, double> samples_in(const fs::path& file) {
  std::map<std::string, double> samples;
  std::istringstream in(read_file(file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

TEST(MetricsTextfile, ARunLeavesItsFiguresAndAFailureKeepsTheLastSuccessTime) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  fs::path prom_dir = dir / "textfiles";
  auto ok = run_marquee({"run", (dir / "golden.zip").string(), "--workdir", (dir / "w").string(),
                         "--max-reject-ratio", "0.5", "--metrics-textfile-dir", prom_dir.string()});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  fs::path prom = prom_dir / "marquee_run.prom";
  auto first = samples_in(prom);
  auto summary = nlohmann::json::parse(read_file(dir / "w/movie_results/run_summary.json"));
  const auto& file = summary["files"]["movies_metadata.csv"];
  const std::string c = "{command=\"run\"}";
  EXPECT_EQ(first["marquee_last_run_succeeded" + c], 1);
  EXPECT_EQ(first["marquee_last_run_exit_code" + c], 0);
  EXPECT_EQ(first["marquee_last_run_rows_read" + c], file["rows_read"].get<double>());
  EXPECT_EQ(first["marquee_last_run_rows_rejected" + c],
            file["rows_rejected"]["total"].get<double>());
  EXPECT_EQ(first["marquee_last_run_batches_loaded" + c], 1);
  EXPECT_EQ(first["marquee_last_run_failed_checks" + c], 0);
  EXPECT_GT(first["marquee_last_success_timestamp_seconds" + c], 1.7e9);
  EXPECT_EQ(first["marquee_last_success_timestamp_seconds" + c],
            first["marquee_last_run_timestamp_seconds" + c]);
  EXPECT_TRUE(
      first.contains("marquee_last_run_step_duration_seconds{command=\"run\",step=\"report\"}"));

  auto failed = run_marquee({"run", (dir / "missing.zip").string(), "--workdir",
                             (dir / "w").string(), "--metrics-textfile-dir", prom_dir.string()});
  ASSERT_EQ(failed.exit_code, 2) << failed.output;
  auto second = samples_in(prom);
  EXPECT_EQ(second["marquee_last_run_succeeded" + c], 0);
  EXPECT_EQ(second["marquee_last_run_exit_code" + c], 2);
  EXPECT_EQ(second["marquee_last_success_timestamp_seconds" + c],
            first["marquee_last_success_timestamp_seconds" + c]);
  EXPECT_GE(second["marquee_last_run_timestamp_seconds" + c],
            first["marquee_last_run_timestamp_seconds" + c]);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(prom_dir)) {
    ++files;
    EXPECT_EQ(e.path().extension(), ".prom") << "a temporary file was left: " << e.path();
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace marquee
