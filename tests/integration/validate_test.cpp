// #14 "Validate without loading": `marquee validate SOURCE` and `load --dry-run` read, count,
// write the rejects and apply the reject limit, exit as the load would, and commit nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "source/local_http_server.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;

/// Everything under `dir`, as relative paths (empty when it does not exist).
std::vector<std::string> tree_of(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

/// The one validate-<run id> rejects file a validation wrote.
fs::path validation_rejects(const fs::path& work) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(work / "rejects")) {
    if (e.path().filename().string().rfind("validate-", 0) == 0) found.push_back(e.path());
  }
  EXPECT_EQ(found.size(), 1u);
  return found.empty() ? fs::path() : found[0] / "movies_metadata.rejects.csv";
}

class Validate : public ::testing::Test {
 protected:
  void SetUp() override { make_zip(golden_zip(), {fixture("golden/movies_metadata.csv")}); }
  fs::path golden_zip() const { return dir_ / "golden.zip"; }
  fs::path work() const { return dir_ / "work"; }
  fs::path loaded() const { return dir_ / "loaded"; }
  TempDir dir_;
};

TEST_F(Validate, CountsAsTheLoadDoesAndWritesOnlyTheRejects) {
  auto v = run_marquee({"validate", golden_zip().string(), "--workdir", work().string(),
                        "--max-reject-ratio", "0.5"});
  ASSERT_EQ(v.exit_code, 0) << v.output;
  auto r = run_marquee(
      {"run", golden_zip().string(), "--workdir", loaded().string(), "--max-reject-ratio", "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  json file = json::parse(
      read_file(loaded() / "movie_results/run_summary.json"))["files"]["movies_metadata.csv"];
  std::string expected =
      fmt::format("{} read, {} movies valid, {} rejected", file["rows_read"].get<int>(),
                  file["rows_loaded"].get<int>(), file["rows_rejected"]["total"].get<int>());
  EXPECT_NE(v.output.find(expected), std::string::npos) << expected << "\n" << v.output;
  EXPECT_NE(v.output.find(fmt::format("{} duplicates superseded, {} warnings, {} without a year",
                                      file["duplicate_superseded"].get<int>(),
                                      file["warnings"]["total"].get<int>(),
                                      file["movies_without_year"].get<int>())),
            std::string::npos)
      << v.output;
  EXPECT_EQ(read_file(validation_rejects(work())),
            read_file(loaded() / "rejects/1/movies_metadata.rejects.csv"));
  EXPECT_FALSE(fs::exists(work() / "marquee.db"));
  EXPECT_TRUE(tree_of(work() / "staging").empty());
  EXPECT_FALSE(fs::exists(work() / "movie_results"));
}

TEST_F(Validate, PassingTheRejectLimitExitsAsTheLoadWould) {
  auto v = run_marquee(
      {"validate", golden_zip().string(), "--workdir", work().string(), "--max-reject-ratio", "0"});
  auto r = run_marquee(
      {"run", golden_zip().string(), "--workdir", loaded().string(), "--max-reject-ratio", "0"});
  ASSERT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(v.exit_code, 3) << v.output;
  EXPECT_NE(v.output.find("above the reject limit of 0.00%; a load would fail (validated only, "
                          "nothing loaded) — see "),
            std::string::npos)
      << v.output;
  EXPECT_TRUE(fs::exists(validation_rejects(work())));
  EXPECT_FALSE(fs::exists(work() / "marquee.db"));
}

TEST_F(Validate, AMissingSourceExitsAsTheLoadWould) {
  std::string missing = (dir_ / "nope.zip").string();
  auto v = run_marquee({"validate", missing, "--workdir", work().string()});
  auto r = run_marquee({"run", missing, "--workdir", loaded().string()});
  EXPECT_EQ(v.exit_code, r.exit_code) << v.output << r.output;
  EXPECT_EQ(v.exit_code, 2) << v.output;
}

TEST_F(Validate, ABareCsvAndAFolderAreValidatedInPlace) {
  fs::create_directories(dir_ / "csv");
  fs::copy_file(fixture("movies_metadata.head300.csv"), dir_ / "csv/movies_metadata.csv");
  auto csv = run_marquee({"validate", (dir_ / "csv/movies_metadata.csv").string(), "--workdir",
                          work().string(), "--max-reject-ratio", "0.5"});
  EXPECT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_NE(csv.output.find("nothing was loaded"), std::string::npos) << csv.output;
  auto folder = run_marquee({"validate", fixture("golden").string(), "--workdir",
                             (dir_ / "w2").string(), "--max-reject-ratio", "0.5"});
  EXPECT_EQ(folder.exit_code, 0) << folder.output;
  EXPECT_FALSE(fs::exists(work() / "marquee.db"));
}

TEST_F(Validate, ADownloadGoesToATemporaryFolderRemovedAfter) {
  std::string body = read_file(golden_zip());
  testing::LocalHttpServer server([&](const testing::HttpExchange& request, int fd) {
    testing::serve_object(request, fd, body, "v1");
  });
  auto v = run_marquee({"validate", server.url("/golden.zip"), "--workdir", work().string(),
                        "--max-reject-ratio", "0.5"});
  ASSERT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("nothing was loaded"), std::string::npos) << v.output;
  EXPECT_EQ(tree_of(work() / "staging"), std::vector<std::string>{}) << v.output;
  EXPECT_FALSE(fs::exists(work() / "marquee.db"));
}

TEST_F(Validate, LoadDryRunMovesNothingAndExitsAsTheLoadWould) {
  ASSERT_EQ(run_marquee({"stage", golden_zip().string(), "--workdir", work().string()}).exit_code,
            0);
  testing::write_file(dir_ / "links.csv", "movieId,imdbId,tmdbId\n1,114709,862\n");
  make_zip(dir_ / "no_movies.zip", {dir_ / "links.csv"});
  ASSERT_EQ(run_marquee({"stage", (dir_ / "no_movies.zip").string(), "--workdir", work().string()})
                .exit_code,
            0);
  auto before = tree_of(work() / "staging");
  auto dry =
      run_marquee({"load", "--dry-run", "--workdir", work().string(), "--max-reject-ratio", "0.5"});
  EXPECT_EQ(dry.exit_code, 3) << dry.output;
  EXPECT_NE(dry.output.find("no_movies.zip: a load would move it to"), std::string::npos)
      << dry.output;
  EXPECT_NE(dry.output.find("2 archives waiting; nothing was loaded or moved"), std::string::npos)
      << dry.output;
  EXPECT_EQ(tree_of(work() / "staging"), before);
  EXPECT_FALSE(fs::exists(work() / "marquee.db"));
  EXPECT_FALSE(fs::exists(work() / "state/last_load.json")) << "a dry run is not a load";

  auto load = run_marquee({"load", "--workdir", work().string(), "--max-reject-ratio", "0.5"});
  EXPECT_EQ(load.exit_code, 3) << load.output;
  EXPECT_TRUE(fs::exists(work() / "marquee.db"));
}

}  // namespace
}  // namespace marquee
