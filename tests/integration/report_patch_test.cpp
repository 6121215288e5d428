// The hourly run patches company_yearly.csv and company_genre_yearly.csv from the change log
// (schema version 6) instead of writing them whole. Whatever the batches (updates, renames,
// older data, snapshots that remove movies, nothing new), the patched files must be byte for
// byte the files a whole write gives, with the same row changes counted; and whatever does not
// fit (a file edited since, a state from elsewhere, a file out of order) is written whole.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_marquee;
using testing::TempDir;
using testing::write_file;

constexpr const char* kReports[] = {"company_yearly",      "company_genre_yearly",
                                    "genre_yearly",        "most_popular_genre_by_year",
                                    "genre_rating_yearly", "company_rating_yearly"};

/// "N rows; against the previous file A added, C changed, R removed" of each report a run logged.
std::map<std::string, std::string> logged_changes(const std::string& output) {
  std::map<std::string, std::string> changes;
  std::regex wrote(R"(report: wrote \S*/([a-z_]+)\.csv \(([^)]*)\))");
  for (std::sregex_iterator it(output.begin(), output.end(), wrote), end; it != end; ++it)
    changes[(*it)[1]] = (*it)[2];
  return changes;
}

class ReportPatch : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (pg_.url().empty())
        GTEST_SKIP() << "MARQUEE_TEST_PG is not set (test.sh starts a PostgreSQL cluster)";
      db_ = {"--db", pg_.url()};
    } else {
      db_ = {"--db", "sqlite:" + (work() / "marquee.db").string()};
    }
  }

  fs::path work() const { return dir_ / "work"; }
  fs::path results() const { return work() / "movie_results"; }

  fs::path generate(const std::string& name, const std::string& scale, const std::string& seed) {
    fs::path out = dir_ / (name + ".zip");
    auto g = run_marquee(
        {"generate", "--scale", scale, "--seed", seed, "--movies-only", "--out", out.string()});
    EXPECT_EQ(g.exit_code, 0) << g.output;
    return out;
  }

  testing::CommandResult marquee(std::vector<std::string> args) {
    args.insert(args.end(), db_.begin(), db_.end());
    return run_marquee(args);
  }

  /// Runs `args` (a run or report in work()) and holds its reports to a whole write: the same
  /// bytes as the reports written afresh from the same database, and the same row changes as a
  /// whole write compares against the same previous files. `patched`: whether the two large
  /// reports must have been patched.
  void run_and_compare(std::vector<std::string> args, bool patched) {
    ++step_;
    // The previous files, without the state: the whole write compares against them.
    fs::path whole = dir_ / fmt::format("whole{}", step_);
    fs::create_directories(whole / "movie_results");
    for (const char* report : kReports) {
      fs::path file = results() / fmt::format("{}.csv", report);
      if (fs::exists(file)) fs::copy_file(file, whole / "movie_results" / file.filename());
    }
    args.insert(args.end(), {"--workdir", work().string(), "-v"});
    auto r = marquee(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char* report : {"company_yearly", "company_genre_yearly"}) {
      bool was_patched =
          r.output.find(fmt::format("report: {}: ", report)) != std::string::npos &&
          std::regex_search(r.output, std::regex(fmt::format(
                                          R"(report: {}: \d+ rows in \S+ \(patched\))", report)));
      EXPECT_EQ(was_patched, patched) << report << " at step " << step_ << "\n" << r.output;
    }
    auto w = marquee({"report", "--workdir", whole.string()});
    ASSERT_EQ(w.exit_code, 0) << w.output;
    EXPECT_EQ(w.output.find("(patched)"), std::string::npos);
    for (const char* report : kReports) {
      std::string name = fmt::format("{}.csv", report);
      EXPECT_TRUE(read_file(results() / name) == read_file(whole / "movie_results" / name))
          << name << " differs from a whole write at step " << step_;
    }
    EXPECT_EQ(logged_changes(r.output), logged_changes(w.output)) << "step " << step_;
    EXPECT_EQ(logged_changes(r.output).size(), std::size(kReports));
  }

  TempDir dir_;
  testing::PostgresDatabase pg_;
  std::vector<std::string> db_;
  int step_ = 0;
};

TEST_P(ReportPatch, PatchedReportsEqualWholeOnesWhateverTheBatches) {
  fs::path base = generate("base", "0.03", "5");
  run_and_compare({"run", base.string()}, false);  // a first load: nothing to patch
  // Updates, new movies, renamed companies and genres.
  run_and_compare({"run", generate("a", "0.006", "6").string()}, true);
  // Data older than what is loaded: some records are not applied, their names still count.
  run_and_compare({"run", generate("b", "0.006", "7").string(), "--as-of", "2001-01-01"}, true);
  // A snapshot: every movie absent from it is removed (most groups empty).
  fs::path snapshot = generate("c", "0.01", "8");
  run_and_compare({"run", snapshot.string(), "--snapshot"}, true);
  // Nothing new: the reports are patched with no change.
  run_and_compare({"report"}, true);
  // The full base again: the emptied groups come back.
  run_and_compare({"run", generate("d", "0.03", "5").string(), "--snapshot"}, true);
  auto checked = marquee({"check", "--workdir", work().string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
}

TEST_P(ReportPatch, AReportEditedSinceIsWrittenWhole) {
  run_and_compare({"run", generate("base", "0.02", "5").string()}, false);
  // One byte more at the end: its size no longer matches the state.
  fs::path file = results() / "company_yearly.csv";
  write_file(file, read_file(file) + "\n");
  std::string edited = read_file(file);
  auto r = marquee({"report", "--workdir", work().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("writing every report whole: company_yearly.csv changed since"),
            std::string::npos)
      << r.output;
  EXPECT_NE(read_file(file), edited);
  // Written whole, the state is good again.
  run_and_compare({"run", generate("a", "0.005", "6").string()}, true);
}

TEST_P(ReportPatch, AFileOutOfOrderWithItsStampKeptIsWrittenWhole) {
  run_and_compare({"run", generate("base", "0.02", "5").string()}, false);
  // Two rows swapped, the size and modification time kept: the state cannot see it, the patch
  // does (keys out of order) and writes the report whole. Without the company index, so that
  // every row is read: with it, the rows of companies without changes are copied unread, on
  // the strength of the file's stamp.
  fs::remove(results() / ".company_genre_yearly.index");
  fs::path file = results() / "company_genre_yearly.csv";
  auto stamp = fs::last_write_time(file);
  std::string text = read_file(file);
  std::size_t first = text.find('\n') + 1;
  std::size_t second = text.find('\n', first) + 1;
  std::size_t third = text.find('\n', second) + 1;
  std::string swapped = text.substr(0, first) + text.substr(second, third - second) +
                        text.substr(first, second - first) + text.substr(third);
  ASSERT_EQ(swapped.size(), text.size());
  write_file(file, swapped);
  fs::last_write_time(file, stamp);
  ++step_;
  auto r = marquee({"run", generate("a", "0.005", "6").string(), "--workdir", work().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cannot patch"), std::string::npos) << r.output;
  auto w = marquee({"report", "--workdir", (dir_ / "whole").string()});
  ASSERT_EQ(w.exit_code, 0) << w.output;
  for (const char* report : kReports) {
    std::string name = fmt::format("{}.csv", report);
    EXPECT_TRUE(read_file(results() / name) == read_file(dir_ / "whole/movie_results" / name))
        << name;
  }
}

TEST_P(ReportPatch, AStateFromAnotherDatabaseIsNotUsed) {
  run_and_compare({"run", generate("base", "0.02", "5").string()}, false);
  fs::path state = results() / ".report_state.json";
  std::string text = read_file(state);
  std::smatch epoch;
  ASSERT_TRUE(std::regex_search(text, epoch, std::regex(R"re("epoch": "([0-9a-f]+)")re")));
  write_file(state, std::regex_replace(text, std::regex(epoch[1].str()), "0123456789abcdef"));
  auto r = marquee({"report", "--workdir", work().string(), "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("written from another load of the database"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("(patched)"), std::string::npos);
  write_file(state, "{ not json");
  r = marquee({"report", "--workdir", work().string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("is unreadable"), std::string::npos) << r.output;
  run_and_compare({"report"}, true);  // the state is good again
}

/// A movie of genre `genre` named `genre_name` and of company `company` named `company_name`.
std::string movie(int id, int genre, const std::string& genre_name, int company,
                  const std::string& company_name, int year) {
  return fmt::format(
      "False,,{5},\"[{{'id': {1}, 'name': '{2}'}}]\",,{0},tt{0},en,M{0},,1.5,,"
      "\"[{{'name': '{4}', 'id': {3}}}]\",[],{6}-01-01,10,90.0,[],Released,,M{0},False,5.0,1\n",
      id, genre, genre_name, company, company_name, 100 * id, year);
}

TEST_P(ReportPatch, TheCompanyIndexSparesReadingTheCompaniesWithoutChanges) {
  run_and_compare({"run", generate("base", "0.03", "5").string()}, false);
  ASSERT_TRUE(fs::exists(results() / ".company_yearly.index"));
  ASSERT_TRUE(fs::exists(results() / ".company_genre_yearly.index"));
  // One new movie: a few companies change, the rows of all the others are copied unread.
  std::string header = std::string(testing::kMoviesHeader) + "\n";
  write_file(dir_ / "one" / "movies_metadata.csv",
             header + movie(9000001, 18, "Drama", 7, "Co", 2001));
  ++step_;
  auto r = marquee({"run", (dir_ / "one").string(), "--workdir", work().string(), "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch read;
  ASSERT_TRUE(std::regex_search(
      r.output, read,
      std::regex(R"(company_yearly: patched from \S+ \(\d+ keys changed since batch \d+; (\d+) of )"
                 R"(its rows read, the others copied by their company index\))")))
      << r.output;
  std::smatch rows;
  ASSERT_TRUE(std::regex_search(r.output, rows, std::regex(R"(company_yearly: (\d+) rows in)")));
  EXPECT_LT(std::stoull(read[1]) * 10, std::stoull(rows[1])) << r.output;
  // The files are those a whole write gives, and the next patch trusts the new index too.
  run_and_compare({"run", generate("a", "0.006", "6").string()}, true);
}

TEST_P(ReportPatch, AnIndexMissingOrDamagedIsNotTrusted) {
  run_and_compare({"run", generate("base", "0.03", "5").string()}, false);
  // Gone: the old file is read whole, and patched.
  fs::remove(results() / ".company_yearly.index");
  run_and_compare({"run", generate("a", "0.006", "6").string()}, true);
  // A byte changed, its size and stamp kept: the checksum finds it and the report is written
  // whole (the rows it copied may not be the unchanged ones).
  fs::path index = results() / ".company_genre_yearly.index";
  auto stamp = fs::last_write_time(index);
  std::string bytes = read_file(index);
  ASSERT_GT(bytes.size(), 40u);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_file(index, bytes);
  fs::last_write_time(index, stamp);
  ++step_;
  auto r =
      marquee({"run", generate("b", "0.006", "7").string(), "--workdir", work().string(), "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cannot patch"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("company_genre_yearly.csv (its company index"), std::string::npos)
      << r.output;
  // Written whole with a new index: the next run patches again.
  run_and_compare({"run", generate("c", "0.006", "8").string()}, true);
}

TEST_P(ReportPatch, ARenamedGenreOrCompanyChangesEveryRowOfIt) {
  std::string header = std::string(testing::kMoviesHeader) + "\n";
  std::string base = header;
  for (int id = 1; id <= 12; ++id)
    base += movie(id, 18 + id % 2, id % 2 ? "Drama" : "Comedy", 7 + id % 3, "Co", 2000 + id % 4);
  write_file(dir_ / "base" / "movies_metadata.csv", base);
  run_and_compare({"run", (dir_ / "base").string(), "--as-of", "2020-01-01"}, false);
  // One movie renames genre 19 and company 8: every row of them changes, not only that movie's.
  write_file(dir_ / "rename" / "movies_metadata.csv",
             header + movie(1, 19, "Drama, renamed", 8, "Co 8, renamed", 2000));
  run_and_compare({"run", (dir_ / "rename").string(), "--as-of", "2020-02-01"}, true);
  std::string companies = read_file(results() / "company_genre_yearly.csv");
  // Movie 7 (company 8, genre 19, 2003) is not in the batch; its row has both new names.
  EXPECT_NE(companies.find("\n8,\"Co 8, renamed\",2003,19,\"Drama, renamed\",1\n"),
            std::string::npos)
      << companies;
  // An older batch names them otherwise: not applied, nothing renamed, nothing to rewrite.
  write_file(dir_ / "older" / "movies_metadata.csv", header + movie(1, 19, "Drama", 8, "Co", 2000));
  run_and_compare({"run", (dir_ / "older").string(), "--as-of", "2019-01-01"}, true);
  EXPECT_EQ(read_file(results() / "company_genre_yearly.csv"), companies);
}

TEST_P(ReportPatch, OneWriterOfAResultsFolderAtATime) {
  run_and_compare({"run", generate("base", "0.01", "5").string()}, false);
  // Another writer holds the folder for two seconds: this one waits for it, then writes.
  fs::path lock = results() / ".report_state.lock";
  ASSERT_TRUE(fs::exists(lock));
  auto started = std::chrono::steady_clock::now();
  auto r = testing::run_command(fmt::format(
      "flock {} sleep 2 & sleep 0.3; {} report --workdir {} {}",
      testing::shell_quote(lock.string()), testing::shell_quote(testing::marquee_binary()),
      testing::shell_quote(work().string()),
      testing::shell_quote(db_[0]) + " " + testing::shell_quote(db_[1])));
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(waited, 1.9) << r.output;
  run_and_compare({"report"}, true);
}

INSTANTIATE_TEST_SUITE_P(Engines, ReportPatch, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace marquee
