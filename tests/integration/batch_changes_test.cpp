// #14 "What a batch changed": movies new, updated, unchanged and removed, and the report rows a
// run changed, in status, status --json, run_summary.json, on both engines.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

constexpr const char* kHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
    "original_title,overview,popularity,poster_path,production_companies,production_countries,"
    "release_date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,"
    "vote_count\n";

std::string record(int id, long budget) {
  return fmt::format(
      "False,,{1},\"[{{'id': 18, 'name': 'Drama'}}]\",,{0},tt{0:07},en,Movie {0},,1.5,,"
      "\"[{{'id': 5, 'name': 'Acme'}}]\",[],2000-01-01,0,90,[],Released,,Movie {0},False,5.0,"
      "10\n",
      id, budget);
}

class BatchChanges : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (pg_.url().empty()) GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts one)";
      db_ = pg_.url();
    } else {
      db_ = "sqlite:" + (dir_ / "work/marquee.db").string();
    }
  }
  fs::path archive(const std::string& name, const std::string& csv) {
    fs::path folder = dir_ / name;
    write_file(folder / "movies_metadata.csv", kHeader + csv);
    fs::path zip = dir_ / (name + ".zip");
    make_zip(zip, {folder / "movies_metadata.csv"});
    return zip;
  }
  testing::CommandResult marquee(std::vector<std::string> args) {
    args.insert(args.end(), {"--workdir", (dir_ / "work").string(), "--db", db_});
    return run_marquee(args);
  }
  json summary() { return json::parse(read_file(dir_ / "work/movie_results/run_summary.json")); }

  TempDir dir_;
  testing::PostgresDatabase pg_;
  std::string db_;
};

TEST_P(BatchChanges, StatusAndTheSummarySayWhatEachBatchChanged) {
  auto first = archive("a", record(1, 100) + record(2, 200) + record(3, 300) + record(4, 400));
  auto run1 = marquee({"run", first.string()});
  ASSERT_EQ(run1.exit_code, 0) << run1.output;
  EXPECT_NE(run1.output.find("changed 4 movies: 4 new, 0 updated, 0 removed; 0 unchanged"),
            std::string::npos)
      << run1.output;
  json s1 = summary();
  EXPECT_EQ(s1["batches"][0]["movies"],
            json({{"new", 4}, {"updated", 0}, {"unchanged", 0}, {"removed", 0}}));
  EXPECT_TRUE(s1["reports"]["company_yearly"]["changes"].is_null()) << "no file to compare with";

  // 1 and 4 as they were, 2 with another budget, 5 new, 3 gone from the snapshot.
  auto second = archive("b", record(1, 100) + record(2, 250) + record(4, 400) + record(5, 500));
  auto run2 = marquee({"run", second.string(), "--snapshot"});
  ASSERT_EQ(run2.exit_code, 0) << run2.output;
  json s2 = summary();
  EXPECT_EQ(s2["batches"][0]["movies"],
            json({{"new", 1}, {"updated", 1}, {"unchanged", 2}, {"removed", 1}}));
  const json& company = s2["reports"]["company_yearly"]["changes"];
  EXPECT_EQ(company["rows_added"], 0);
  EXPECT_EQ(company["rows_changed"], 1);
  EXPECT_EQ(company["rows_removed"], 0);
  EXPECT_EQ(company["changed_keys"], json({"company_id=5 year=2000"}));
  // The company-genre row counts the same four movies: unchanged.
  EXPECT_EQ(s2["reports"]["company_genre_yearly"]["changes"]["rows_changed"], 0);

  auto status = marquee({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("report rows changed after batch 2:"), std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find("company_yearly: 0 added, 1 changed, 0 removed; first: "
                               "company_id=5 year=2000"),
            std::string::npos)
      << status.output;

  auto json_status = marquee({"status", "--json", "-q"});
  ASSERT_EQ(json_status.exit_code, 0) << json_status.output;
  json st = json::parse(json_status.output);
  ASSERT_EQ(st["batches"].size(), 2u);
  EXPECT_EQ(st["batches"][0]["changes"]["movies"]["new"], 4);
  EXPECT_TRUE(st["batches"][0]["changes"]["reports"].empty());
  EXPECT_EQ(st["batches"][1]["changes"]["movies"],
            json({{"new", 1}, {"updated", 1}, {"unchanged", 2}, {"removed", 1}}));
  EXPECT_EQ(st["batches"][1]["changes"]["reports"]["company_yearly"]["rows_changed"], 1);

  // The unchanged movies are the second batch's versions now; the reports count them.
  std::string report = read_file(dir_ / "work/movie_results/company_yearly.csv");
  EXPECT_NE(report.find("5,Acme,2000,4,4,1250,"), std::string::npos) << report;
}

INSTANTIATE_TEST_SUITE_P(Engines, BatchChanges, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace marquee
