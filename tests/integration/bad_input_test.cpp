#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

using testing::fixture;
using testing::make_zip;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

/// A work directory with the golden fixture already loaded, to check bad input changes nothing.
class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    make_zip(dir_ / "good.zip", {fixture("golden/movies_metadata.csv")});
    auto r = run("good.zip", {"--max-reject-ratio", "0.05"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    movies_before_ = movie_count();
    reports_before_ = read_file(dir_ / "work/movie_results/company_yearly.csv");
  }

  testing::CommandResult run(const std::string& zip_name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", (dir_ / zip_name).string(), "--workdir",
                                     (dir_ / "work").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_marquee(args);
  }

  std::int64_t movie_count() {
    auto store = store::open_store("sqlite:" + (dir_ / "work/marquee.db").string());
    std::int64_t n = -1;
    store->query("SELECT COUNT(*) FROM movie", {},
                 [&](const auto&, const auto& row) { n = std::stoll(*row[0]); });
    return n;
  }

  /// Exit code, a one-line message naming `where`, and the database and reports unchanged.
  void expect_failure(const testing::CommandResult& r, int code, const std::string& where) {
    EXPECT_EQ(r.exit_code, code) << r.output;
    auto error_line = r.output.find("error: ");
    ASSERT_NE(error_line, std::string::npos) << r.output;
    std::string line = r.output.substr(error_line, r.output.find('\n', error_line) - error_line);
    EXPECT_NE(line.find(where), std::string::npos) << line;
    EXPECT_EQ(movie_count(), movies_before_);
    EXPECT_EQ(read_file(dir_ / "work/movie_results/company_yearly.csv"), reports_before_);
  }

  std::string csv_with(const std::string& extra_records) {
    return read_file(fixture("golden/movies_metadata.csv")) + extra_records;
  }

  void zip_csv(const std::string& zip_name, const std::string& csv) {
    write_file(dir_ / "src" / zip_name / "movies_metadata.csv", csv);
    make_zip(dir_ / zip_name, {dir_ / "src" / zip_name / "movies_metadata.csv"});
  }

  TempDir dir_;
  std::int64_t movies_before_ = 0;
  std::string reports_before_;
};

TEST_F(BadInput, CorruptZipExits3) {
  write_file(dir_ / "corrupt.zip", std::string(4096, 'x'));
  expect_failure(run("corrupt.zip"), 3, "corrupt.zip");
}

TEST_F(BadInput, CrcMismatchExits3AndNamesTheEntry) {
  zip_csv("crc.zip", csv_with(""));
  std::string bytes = read_file(dir_ / "crc.zip");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
  write_file(dir_ / "crc.zip", bytes);
  auto r = run("crc.zip", {"--max-reject-ratio", "1"});
  expect_failure(r, 3, "movies_metadata.csv");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "work/staging/failed/crc.zip"));
}

TEST_F(BadInput, ZipWithoutMoviesMetadataExits3) {
  write_file(dir_ / "src/links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n");
  make_zip(dir_ / "nomovies.zip", {dir_ / "src/links.csv"});
  expect_failure(run("nomovies.zip"), 3, "movies_metadata.csv");
}

TEST_F(BadInput, HeaderWithoutIdExits3) {
  zip_csv("noid.zip", "adult,title\nFalse,Toy Story\n");
  expect_failure(run("noid.zip"), 3, "line 1");
}

TEST_F(BadInput, RejectLimitExits3AndCommitsNothing) {
  std::string bad;
  for (int i = 0; i < 20; ++i) {
    bad += fmt::format(
        "False,,0,[],,bad{},tt1,en,x,y,1.0,,[],[],2000-01-01,0,1.0,[],Released,,T,False,1.0,1\n",
        i);
  }
  zip_csv("rejects.zip", csv_with(bad));
  auto r = run("rejects.zip");
  expect_failure(r, 3, "reject limit");
  EXPECT_NE(r.output.find("movies_metadata.rejects.csv"), std::string::npos);
}

TEST_F(BadInput, OpenQuoteAtEndExits3NamingTheLine) {
  std::string csv = csv_with("False,,0,[],,777777,tt1,en,x,\"never closed,1.0\n");
  std::size_t lines = static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n'));
  zip_csv("quote.zip", csv);
  expect_failure(run("quote.zip"), 3, fmt::format("line {}", lines));
}

TEST_F(BadInput, DuplicateBaseNamesExit3) {
  write_file(dir_ / "src/a/movies_metadata.csv", csv_with(""));
  write_file(dir_ / "src/b/movies_metadata.csv", csv_with(""));
  auto r = testing::run_command("cd " + testing::shell_quote((dir_ / "src").string()) +
                                " && zip -q " + testing::shell_quote((dir_ / "dup.zip").string()) +
                                " a/movies_metadata.csv b/movies_metadata.csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_failure(run("dup.zip"), 3, "same base name");
}

TEST_F(BadInput, UnwritableWorkDirectoryExitsWithUsageError) {
  write_file(dir_ / "a-file", "not a folder");
  auto r = run_marquee(
      {"run", (dir_ / "good.zip").string(), "--workdir", (dir_ / "a-file/work").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a-file/work"), std::string::npos) << r.output;
}

TEST_F(BadInput, MissingSourceExits2) {
  auto r = run("does-not-exist.zip");
  expect_failure(r, 2, "does-not-exist.zip");
}

}  // namespace
}  // namespace marquee
