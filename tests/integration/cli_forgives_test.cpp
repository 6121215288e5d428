// #14.1 and #14.8: the first minutes of a new user: typos, help, version, readable enum errors,
// and a pipe closed early.
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::marquee_binary;
using testing::read_file;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;

TEST(CliForgives, AMisspeltCommandSuggestsTheNearestOne) {
  auto r = run_marquee({"rnu"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown command 'rnu'; did you mean 'run'?"), std::string::npos)
      << r.output;
  auto far = run_marquee({"frobnicate"});
  EXPECT_EQ(far.exit_code, 1) << far.output;
  EXPECT_NE(far.output.find("unknown command 'frobnicate'; the commands are run, stage"),
            std::string::npos)
      << far.output;
}

TEST(CliForgives, HelpAndVersionAreCommandsToo) {
  auto version = run_marquee({"version"});
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_EQ(version.output, run_marquee({"--version"}).output);
  EXPECT_EQ(run_marquee({"-V"}).output, version.output);
  auto help = run_marquee({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("SUBCOMMAND"), std::string::npos) << help.output;
  auto help_run = run_marquee({"help", "run"});
  EXPECT_EQ(help_run.exit_code, 0) << help_run.output;
  EXPECT_NE(help_run.output.find("--max-reject-ratio"), std::string::npos) << help_run.output;
  EXPECT_EQ(run_marquee({"help", "nope"}).exit_code, 1);
}

TEST(CliForgives, AWrongCheckModeSaysTheChoices) {
  auto r = run_marquee({"run", "--checks", "strict", "x.zip"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--checks: 'strict' is not a check mode; use warn or error"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos) << r.output;
  auto help = run_marquee({"run", "--help"});
  EXPECT_EQ(help.output.find("{error->1"), std::string::npos) << help.output;
}

TEST(CliForgives, AClosedPipeDoesNotStopALoad) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  std::string command = "(" + shell_quote(marquee_binary()) + " run " +
                        shell_quote((dir / "golden.zip").string()) + " --workdir " +
                        shell_quote((dir / "work").string()) +
                        " --max-reject-ratio 0.05; echo $? > " +
                        shell_quote((dir / "rc").string()) + ") 2>&1 | head -1";
  run_command(command);
  EXPECT_EQ(read_file(dir / "rc"), "0\n");  // 141 when SIGPIPE killed it
  EXPECT_NE(read_file(dir / "work" / "log" / "data-engineer-project.log").find(": done; files"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "work" / "movie_results" / "company_yearly.csv"));
}

TEST(CliForgives, AnUnknownDatabaseSchemeFailsBeforeStaging) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  for (const char* db : {"mysql://u@h/db", "postgresq://u@h/db"}) {
    auto r = run_marquee(
        {"run", (dir / "golden.zip").string(), "--workdir", (dir / "work").string(), "--db", db});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("unknown database scheme"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("postgresql://"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "work" / "staging")) << db;  // nothing staged
  }
}

TEST(CliForgives, ReadCommandsNeverCreateADatabase) {
  TempDir dir;
  for (const char* command : {"status", "report", "load"}) {
    auto r = run_marquee({command, "--workdir", (dir / "wrong").string()});
    EXPECT_EQ(r.exit_code, 4) << command << ": " << r.output;
    EXPECT_NE(r.output.find("no database there; load one first"), std::string::npos)
        << command << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "wrong" / "marquee.db")) << command;
  }
}

TEST(CliForgives, TheWorkdirAndLogDirComeFromTheEnvironment) {
  TempDir dir;
  make_zip(dir / "golden.zip", {fixture("golden/movies_metadata.csv")});
  auto r = run_command("MARQUEE_WORKDIR=" + shell_quote((dir / "env-work").string()) +
                       " MARQUEE_LOG_DIR=" + shell_quote((dir / "env-logs").string()) + " " +
                       shell_quote(marquee_binary()) + " run " +
                       shell_quote((dir / "golden.zip").string()) + " --max-reject-ratio 0.05");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "env-work" / "marquee.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "env-logs" / "data-engineer-project.log"));
}

TEST(CliForgives, ABareMoviesCsvIsASource) {
  TempDir dir;
  auto r = run_marquee({"run", fixture("golden/movies_metadata.csv").string(), "--workdir",
                        (dir / "work").string(), "--max-reject-ratio", "0.05"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("not a complete ZIP"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "work" / "movie_results" / "company_yearly.csv"),
            read_file(fixture("golden/expected/company_yearly.csv")));
  // The same file again is the same content: nothing to do.
  auto again = run_marquee({"run", fixture("golden/movies_metadata.csv").string(), "--workdir",
                            (dir / "work").string(), "--max-reject-ratio", "0.05"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
}

}  // namespace
}  // namespace marquee
