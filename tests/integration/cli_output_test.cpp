// #14.5 and #14.6: what the terminal shows (-v, -q, NO_COLOR), JSON log lines for shippers,
// `status --json`, and a run summary of every batch and step.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::fixture;
using testing::make_zip;
using testing::marquee_binary;
using testing::read_file;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  for (const auto& line : lines_of(text)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

/// stdout alone (stderr dropped), for output a script parses.
CommandResult stdout_of(const std::vector<std::string>& args) {
  std::string command = shell_quote(marquee_binary());
  for (const auto& a : args) command += " " + shell_quote(a);
  return run_command("( " + command + " 2>/dev/null )");
}

class CliOutput : public ::testing::Test {
 protected:
  void SetUp() override { make_zip(golden_zip(), {fixture("golden/movies_metadata.csv")}); }
  fs::path golden_zip() const { return dir_ / "golden.zip"; }
  fs::path work() const { return dir_ / "work"; }
  std::vector<std::string> run_args(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"run",           golden_zip().string(), "--workdir",
                                     work().string(), "--max-reject-ratio",  "0.5"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string main_log() const { return read_file(work() / "log/data-engineer-project.log"); }

  TempDir dir_;
};

TEST_F(CliOutput, VerboseShowsDebugLinesAndTheLogAlwaysHasThem) {
  auto plain = run_marquee(run_args({}));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_FALSE(has_line_starting(plain.output, "debug: ")) << plain.output;
  EXPECT_NE(main_log().find(" debug [pid "), std::string::npos);

  fs::remove_all(work());
  auto verbose = run_marquee(run_args({"-v"}));
  ASSERT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_TRUE(has_line_starting(verbose.output, "debug: report: company_yearly: "))
      << verbose.output;
  EXPECT_TRUE(has_line_starting(verbose.output, "debug: load: ")) << verbose.output;
}

TEST_F(CliOutput, QuietKeepsOnlyWarningsAndErrorsOnTheTerminal) {
  auto quiet = run_marquee(run_args({"--quiet"}));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_FALSE(has_line_starting(quiet.output, "info: ")) << quiet.output;
  EXPECT_NE(main_log().find("report: wrote"), std::string::npos);

  auto failed = run_marquee({"status", "-q", "--workdir", (dir_ / "nowhere").string()});
  EXPECT_EQ(failed.exit_code, 4) << failed.output;
  EXPECT_TRUE(has_line_starting(failed.output, "error: ")) << failed.output;
}

TEST_F(CliOutput, QuietAndVerboseTogetherIsAUsageError) {
  auto r = run_marquee(run_args({"-q", "-v"}));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("excludes"), std::string::npos) << r.output;
}

TEST_F(CliOutput, ColourOnATerminalUnlessNoColorIsSet) {
  // script(1) gives the command a pseudo-terminal, where spdlog colours the level.
  std::string command = "script -qec " +
                        shell_quote(shell_quote(marquee_binary()) + " status --workdir " +
                                    shell_quote((dir_ / "nowhere").string())) +
                        " /dev/null";
  auto coloured = run_command("env -u NO_COLOR " + command);
  EXPECT_NE(coloured.output.find("\x1b["), std::string::npos) << coloured.output;
  auto plain = run_command("NO_COLOR=1 " + command);
  EXPECT_NE(plain.output.find("error: "), std::string::npos) << plain.output;
  EXPECT_EQ(plain.output.find("\x1b["), std::string::npos) << plain.output;
}

TEST_F(CliOutput, JsonLogLinesAreOneObjectEachOnTheTerminalAndInTheLogs) {
  auto r = run_marquee(run_args({"--log-format", "json"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> run_ids;
  for (const std::string& text : {r.output, main_log()}) {
    auto lines = lines_of(text);
    ASSERT_GT(lines.size(), 5u);
    for (const auto& line : lines) {
      json object = json::parse(line, nullptr, false);
      ASSERT_FALSE(object.is_discarded()) << line;
      for (const char* key : {"time", "level", "pid", "run_id", "message"}) {
        EXPECT_TRUE(object.contains(key)) << key << " in " << line;
      }
      run_ids.insert(object.value("run_id", ""));
    }
  }
  EXPECT_EQ(run_ids.size(), 1u);
  EXPECT_NE(r.output.find("\"message\":\"report: wrote "), std::string::npos) << r.output;
}

TEST_F(CliOutput, StatusJsonListsTheBatchesAndAFailedOneSaysWhy) {
  ASSERT_EQ(run_marquee(run_args({})).exit_code, 0);
  testing::write_file(dir_ / "links.csv", "movieId,imdbId,tmdbId\n1,114709,862\n");
  make_zip(dir_ / "no_movies.zip", {dir_ / "links.csv"});
  auto bad = run_marquee({"run", (dir_ / "no_movies.zip").string(), "--workdir", work().string()});
  ASSERT_EQ(bad.exit_code, 3) << bad.output;

  auto r = stdout_of({"status", "--json", "--workdir", work().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  json status = json::parse(r.output);
  ASSERT_EQ(status["batches"].size(), 2u) << r.output;
  const auto& loaded = status["batches"][0];
  EXPECT_EQ(loaded["status"], "loaded");
  EXPECT_GT(loaded["rows_read"].get<int>(), 0);
  const auto& failed = status["batches"][1];
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_FALSE(failed.contains("rows_read")) << "a failed batch read nothing it kept";
  EXPECT_NE(failed["message"].get<std::string>().find("movies_metadata.csv is missing"),
            std::string::npos);
  EXPECT_EQ(status["movies_loaded"], loaded["rows_loaded"]);

  auto text = run_marquee({"status", "--workdir", work().string()});
  EXPECT_NE(text.output.find("batch 2 failed: "), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("failed            0"), std::string::npos) << text.output;
}

TEST_F(CliOutput, TheRunSummaryHasEveryBatchStepCheckAndReport) {
  fs::path second = dir_ / "second";
  fs::create_directories(second);
  fs::copy_file(fixture("movies_metadata.head300.csv"), second / "movies_metadata.csv");
  make_zip(dir_ / "second.zip", {second / "movies_metadata.csv"});
  auto staged = run_marquee({"stage", golden_zip().string(), "--workdir", work().string()});
  ASSERT_EQ(staged.exit_code, 0) << staged.output;
  auto r = run_marquee({"run", (dir_ / "second.zip").string(), "--workdir", work().string(),
                        "--max-reject-ratio", "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.output;

  json summary = json::parse(read_file(work() / "movie_results/run_summary.json"));
  EXPECT_EQ(summary["status"], "succeeded");
  EXPECT_EQ(summary["exit_code"], 0);
  EXPECT_EQ(summary["command"], "run");
  std::string version = run_marquee({"--version"}).output;
  EXPECT_EQ(summary["version"].get<std::string>() + "\n", version);
  ASSERT_EQ(summary["batches"].size(), 2u);
  for (const auto& batch : summary["batches"]) {
    EXPECT_GT(batch["files"]["movies_metadata.csv"]["rows_read"].get<int>(), 0) << batch;
    EXPECT_GE(batch["seconds"].get<double>(), 0.0);
  }
  std::vector<std::string> steps;
  for (const auto& step : summary["steps"]) {
    steps.push_back(step["step"]);
    EXPECT_EQ(step["status"], "succeeded");
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"stage", "load", "checks", "report"}));
  EXPECT_GE(summary["checks"].size(), 8u);  // every check, for each of the two batches
  for (const auto& check : summary["checks"]) EXPECT_TRUE(check.contains("failing"));
  for (const auto& [name, report] : summary["reports"].items()) {
    auto lines = lines_of(read_file(report["file"].get<std::string>()));
    EXPECT_EQ(report["rows"].get<std::size_t>() + 1, lines.size()) << name;
  }
  EXPECT_EQ(summary["reports"].size(), 6u);
}

TEST_F(CliOutput, AFailedRunLeavesItsSummaryInTheRunHistory) {
  testing::write_file(dir_ / "links.csv", "movieId,imdbId,tmdbId\n1,114709,862\n");
  make_zip(dir_ / "no_movies.zip", {dir_ / "links.csv"});
  auto r = run_marquee({"run", (dir_ / "no_movies.zip").string(), "--workdir", work().string()});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  EXPECT_FALSE(fs::exists(work() / "movie_results/run_summary.json"));
  std::vector<fs::path> runs;
  for (const auto& e : fs::directory_iterator(work() / "state/runs")) runs.push_back(e.path());
  ASSERT_EQ(runs.size(), 1u);
  json summary = json::parse(read_file(runs[0]));
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_EQ(summary["exit_code"], 3);
  EXPECT_NE(summary["error"].get<std::string>().find("movies_metadata.csv is missing"),
            std::string::npos);
  ASSERT_EQ(summary["steps"].size(), 2u) << summary["steps"];
  EXPECT_EQ(summary["steps"][0]["status"], "succeeded");
  EXPECT_EQ(summary["steps"][1]["step"], "load");
  EXPECT_EQ(summary["steps"][1]["status"], "failed");
}

}  // namespace
}  // namespace marquee
