// `marquee movies`: the movies behind a report row, from the real binary.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/csv_reader.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::fixture;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

constexpr const char* kHeader = "id,title,release_date,budget,revenue,popularity\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    out.push_back(text.substr(start, end - start));
  return out;
}

/// The golden fixture loaded once for the suite.
class MoviesCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fs::create_directories(*dir_ / "data");
    fs::copy_file(fixture("golden/movies_metadata.csv"), *dir_ / "data/movies_metadata.csv");
    auto r = run_marquee({"run", (*dir_ / "data").string(), "--workdir", work().string(),
                          "--max-reject-ratio", "0.05"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path work() { return *dir_ / "work"; }
  /// `marquee movies ARGS --workdir <the loaded one>`; stdout alone (logs go to stderr).
  static CommandResult movies(std::vector<std::string> args) {
    std::string command = testing::shell_quote(testing::marquee_binary()) + " movies";
    args.insert(args.end(), {"--workdir", work().string()});
    for (const auto& a : args) command += " " + testing::shell_quote(a);
    return testing::run_command(command + " 2>/dev/null");
  }
  static TempDir* dir_;
};
TempDir* MoviesCommand::dir_ = nullptr;

TEST_F(MoviesCommand, CsvListsACompanysMoviesOfTheYearMostPopularFirst) {
  auto r = movies({"--company", "2", "--year", "1995"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, std::string(kHeader) +
                          "10530,Pocahontas,1995-06-14,55000000,346079773,13.280069\n"
                          "15789,A Goofy Movie,1995-04-07,,35348597,10.177977\n"
                          "14819,Heavyweights,1995-02-17,,17689177,9.546707\n"
                          "26441,The Big Green,1995-09-29,,,5.982764\n"
                          "45325,Tom and Huck,1995-12-22,,,2.561161\n");
}

TEST_F(MoviesCommand, WithAGenreListsTheCompanyGenreYearReleases) {
  // company_genre_yearly.csv: 2,Walt Disney Pictures,1995,18,Drama,3
  auto r = movies({"--company", "2", "--year", "1995", "--genre", "18"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(lines_of(r.output).size(), 1u + 3u) << r.output;
}

TEST_F(MoviesCommand, AGenreIsTakenByNameInAnyCase) {
  auto by_id = movies({"--genre", "18", "--year", "1995"});
  auto by_name = movies({"--genre", "dRaMa", "--year", "1995"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.output;
  ASSERT_EQ(by_name.exit_code, 0) << by_name.output;
  EXPECT_EQ(by_name.output, by_id.output);
  EXPECT_GT(lines_of(by_id.output).size(), 1u);
}

TEST_F(MoviesCommand, JsonNamesTheRowAndCountsItsMovies) {
  auto r = movies({"--company", "2", "--year", "1995", "--genre", "Drama", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto body = nlohmann::json::parse(r.output);
  EXPECT_EQ(body.at("company_id"), 2);
  EXPECT_EQ(body.at("company_name"), "Walt Disney Pictures");
  EXPECT_EQ(body.at("genre_id"), 18);
  EXPECT_EQ(body.at("genre_name"), "Drama");
  EXPECT_EQ(body.at("year"), 1995);
  EXPECT_EQ(
      body.at("columns"),
      nlohmann::json::parse(R"(["id","title","release_date","budget","revenue","popularity"])"));
  EXPECT_EQ(body.at("count"), 3);
  ASSERT_EQ(body.at("rows").size(), 3u);
  EXPECT_EQ(body.at("rows")[0], nlohmann::json::parse(
                                    R"({"id":10530,"title":"Pocahontas","release_date":"1995-06-14",
                                        "budget":55000000,"revenue":346079773,
                                        "popularity":"13.280069"})"));
}

TEST_F(MoviesCommand, AKnownCompanyWithoutMoviesThatYearPrintsOnlyTheHeader) {
  auto r = movies({"--company", "2", "--year", "1900"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, kHeader);
}

TEST_F(MoviesCommand, AnUnknownCompanyExits1NamingIt) {
  auto r = run_marquee(
      {"movies", "--company", "987654321", "--year", "1995", "--workdir", work().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--company 987654321: no production company has this id"),
            std::string::npos)
      << r.output;
}

TEST_F(MoviesCommand, AnUnknownGenreExits1NamingIt) {
  auto r =
      run_marquee({"movies", "--genre", "Noir", "--year", "1995", "--workdir", work().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--genre Noir: no genre has this id or name"), std::string::npos)
      << r.output;
}

TEST_F(MoviesCommand, NeitherCompanyNorGenreIsAUsageError) {
  auto r = run_marquee({"movies", "--year", "1995", "--workdir", work().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("needs --company ID, --genre G or both"), std::string::npos) << r.output;
}

TEST_F(MoviesCommand, AMissingYearIsAUsageError) {
  auto r = run_marquee({"movies", "--company", "2", "--workdir", work().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--year"), std::string::npos) << r.output;
}

TEST_F(MoviesCommand, AnUnknownFormatIsAUsageError) {
  auto r = run_marquee({"movies", "--company", "2", "--year", "1995", "--format", "xml",
                        "--workdir", work().string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

TEST(MoviesCommandDatabase, AMissingDatabaseExits4AndCreatesNone) {
  TempDir dir;
  auto r = run_marquee(
      {"movies", "--company", "2", "--year", "1995", "--workdir", (dir / "work").string()});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no database there"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "work/marquee.db"));
}

TEST(MoviesCommandCsv, FieldsWithCommasAndQuotesAreQuoted) {
  TempDir dir;
  write_file(dir / "data/movies_metadata.csv",
             std::string(testing::kMoviesHeader) +
                 "\nFalse,,1000,\"[{'id': 18, 'name': 'Drama'}]\",,101,tt1,en,X,ov,1.5,,"
                 "\"[{'id': 7, 'name': 'Acme'}]\",[],2001-02-03,0,90,[],Released,,"
                 "\"Tiger, \"\"Dragon\"\"\",False,7,10\n");
  auto run = run_marquee({"run", (dir / "data").string(), "--workdir", (dir / "work").string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto r = testing::run_command(testing::shell_quote(testing::marquee_binary()) +
                                " movies --company 7 --year 2001 " + "--workdir " +
                                testing::shell_quote((dir / "work").string()) + " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            std::string(kHeader) + "101,\"Tiger, \"\"Dragon\"\"\",2001-02-03,1000,,1.500000\n");
}

}  // namespace
}  // namespace marquee
