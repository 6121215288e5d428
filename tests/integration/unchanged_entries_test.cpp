// An entry whose CRC-32 and size equal those of the last batch that loaded it is not read again
// (issue #13): an hourly archive whose ratings did not change costs no rating rows. Keywords and
// credits are read again when the batch added movies (their rows of then-unknown movies were
// not loaded). On SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::PostgresDatabase;
using testing::read_file;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;

class UnchangedEntries : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql" && pg_.url().empty()) {
      GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh sets it)";
    }
    auto g = run_marquee({"generate", "--scale", "0.02", "--ratings-scale", "0.002", "--seed", "5",
                          "--out", (dir_ / "a.zip").string()});
    ASSERT_EQ(g.exit_code, 0) << g.output;
    auto x = run_command("unzip -q -o " + shell_quote((dir_ / "a.zip").string()) + " -d " +
                         shell_quote((dir_ / "files").string()));
    ASSERT_EQ(x.exit_code, 0) << x.output;
  }

  /// An archive of the extracted files with movies_metadata.csv changed by `edit`.
  fs::path archive(const std::string& name, const std::function<void(std::string&)>& edit) {
    std::string movies = read_file(dir_ / "files/movies_metadata.csv");
    edit(movies);
    fs::path folder = dir_ / name;
    fs::create_directories(folder);
    for (const auto& entry : fs::directory_iterator(dir_ / "files")) {
      fs::copy_file(entry.path(), folder / entry.path().filename());
    }
    testing::write_file(folder / "movies_metadata.csv", movies);
    fs::path zip = dir_ / (name + ".zip");
    auto z = run_command("cd " + shell_quote(folder.string()) + " && zip -q -X " +
                         shell_quote(zip.string()) + " *.csv");
    EXPECT_EQ(z.exit_code, 0) << z.output;
    return zip;
  }

  nlohmann::json run(const fs::path& zip) {
    std::vector<std::string> args = {"run", zip.string(), "--workdir", (dir_ / "work").string()};
    if (GetParam() == "postgresql") args.insert(args.end(), {"--db", pg_.url()});
    auto r = run_marquee(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    output_ = r.output;
    return nlohmann::json::parse(read_file(dir_ / "work/movie_results/run_summary.json"));
  }

  static std::string status(const nlohmann::json& summary, const std::string& file) {
    return summary["batches"][0]["files"][file]["status"].get<std::string>();
  }

  TempDir dir_;
  PostgresDatabase pg_;
  std::string output_;
};

TEST_P(UnchangedEntries, AnEqualEntryIsSkippedAndANewMovieReadsKeywordsAgain) {
  auto first = run(archive("first", [](std::string&) {}));
  for (const char* file : {"links.csv", "keywords.csv", "credits.csv", "ratings.csv"}) {
    EXPECT_EQ(status(first, file), "loaded") << file;
  }
  const std::string ratings_report = read_file(dir_ / "work/movie_results/genre_rating_yearly.csv");
  const auto ratings_read = first["files"]["ratings.csv"]["rows_read"].get<std::uint64_t>();
  ASSERT_GT(ratings_read, 1000u);

  // The same entries beside another movies_metadata.csv (a blank line more: another archive,
  // the same movies): every other file is skipped.
  auto second = run(archive("second", [](std::string& movies) { movies += "\n"; }));
  for (const char* file : {"links.csv", "keywords.csv", "credits.csv", "ratings.csv"}) {
    EXPECT_EQ(status(second, file), "unchanged") << file;
    EXPECT_EQ(second["batches"][0]["files"][file]["rows_read"].get<std::uint64_t>(), 0u) << file;
  }
  EXPECT_NE(output_.find("ratings.csv is unchanged since the last batch that loaded it"),
            std::string::npos)
      << output_;
  EXPECT_EQ(read_file(dir_ / "work/movie_results/genre_rating_yearly.csv"), ratings_report);

  // A new movie: keywords and credits are read again, links and ratings still skipped.
  auto third = run(archive("third", [](std::string& movies) {
    movies +=
        "False,,0,\"[{'id': 18, 'name': 'Drama'}]\",,987654321,tt0000001,en,New One,An "
        "overview,1.5,,[],[],2001-01-01,0,90,[],Released,,New One,False,6.0,10\n";
  }));
  EXPECT_EQ(status(third, "keywords.csv"), "loaded");
  EXPECT_EQ(status(third, "credits.csv"), "loaded");
  EXPECT_EQ(status(third, "links.csv"), "unchanged");
  EXPECT_EQ(status(third, "ratings.csv"), "unchanged");
}

TEST_P(UnchangedEntries, EachFileIsAccountedAsTheGeneratorsManifestSays) {
  auto summary = run(dir_ / "a.zip");
  auto manifest = nlohmann::json::parse(read_file(dir_ / "a.zip.manifest.json"));
  const auto& expected = manifest["expected_load_by_file"];
  ASSERT_EQ(expected.size(), 4u);
  for (const auto& [file, want] : expected.items()) {
    const auto& got = summary["files"][file];
    EXPECT_EQ(got["rows_read"], want["rows_read"]) << file;
    EXPECT_EQ(got["rows_loaded"], want["rows_loaded"]) << file;
    EXPECT_EQ(got["rows_rejected"]["total"], want["rows_rejected"]) << file;
    EXPECT_EQ(got["duplicate_superseded"], want["duplicate_superseded"]) << file;
    EXPECT_EQ(got["warnings"]["unknown_movie"], 0) << file;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, UnchangedEntries, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace marquee
