#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "store/store.hpp"
#include "test_support.hpp"

namespace marquee {
namespace {

namespace fs = std::filesystem;
using testing::make_zip;
using testing::run_command;
using testing::run_marquee;
using testing::shell_quote;
using testing::TempDir;
using testing::write_file;

constexpr const char* kHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,original_"
    "title,overview,popularity,poster_path,production_companies,production_countries,release_"
    "date,revenue,runtime,spoken_languages,status,tagline,title,video,vote_average,vote_count\n";

std::string movie_line(std::int64_t id, const std::string& title) {
  return fmt::format(
      "False,,1000,\"[{{'id': 18, 'name': 'Drama'}}]\",,{},tt1,en,{},overview,5.0,,[],[],"
      "2001-01-01,2000,90.0,[],Released,,{},False,5.0,10\n",
      id, title, title);
}

class Backfill : public ::testing::Test {
 protected:
  /// An archive of one movie, its file time set to `mtime` (the data time of a local archive).
  fs::path archive(const std::string& folder, const std::string& name, std::int64_t id,
                   const std::string& mtime) {
    fs::path csv = dir_ / "src" / name / "movies_metadata.csv";
    write_file(csv, std::string(kHeader) + movie_line(id, name));
    fs::path zip = dir_ / folder / (name + ".zip");
    fs::create_directories(zip.parent_path());
    make_zip(zip, {csv});
    auto r = run_command("touch -d " + shell_quote(mtime) + " " + shell_quote(zip.string()));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return zip;
  }

  testing::CommandResult marquee(std::vector<std::string> args) {
    args.push_back("--workdir");
    args.push_back(work().string());
    return run_marquee(args);
  }

  /// The sources of the loaded batches, in load order (their base names).
  std::vector<std::string> loaded_order() {
    auto store = store::open_store("sqlite:" + (work() / "marquee.db").string());
    std::vector<std::string> order;
    store->query("SELECT source FROM ingest_batch WHERE status = 'loaded' ORDER BY id", {},
                 [&](const auto&, const auto& row) {
                   order.push_back(fs::path(*row[0]).filename().string());
                 });
    return order;
  }

  std::size_t waiting(const std::string& lane) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(work() / "staging" / lane))
      n += e.path().extension() == ".zip";
    return n;
  }

  fs::path work() const { return dir_ / "work"; }
  TempDir dir_;
};

TEST_F(Backfill, FolderIsStagedIntoTheBackfillLaneNotIncoming) {
  archive("year", "a", 1, "2020-01-03 00:00:00Z");
  archive("year", "b", 2, "2020-01-01 00:00:00Z");
  auto r = marquee({"backfill", (dir_ / "year").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(waiting("backfill"), 2u);
  EXPECT_EQ(waiting("incoming"), 0u);
}

TEST_F(Backfill, LoadDrainsIncomingFirstThenOneBackfillArchiveInDataTimeOrder) {
  archive("year", "a", 1, "2020-01-03 00:00:00Z");
  archive("year", "b", 2, "2020-01-01 00:00:00Z");
  archive("year", "c", 3, "2020-01-02 00:00:00Z");
  fs::path hourly = archive("hourly", "h", 4, "2024-06-01 00:00:00Z");
  ASSERT_EQ(marquee({"backfill", (dir_ / "year").string()}).exit_code, 0);
  ASSERT_EQ(marquee({"stage", hourly.string()}).exit_code, 0);

  auto first = marquee({"load"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(loaded_order(), (std::vector<std::string>{"h.zip", "b.zip"}));
  EXPECT_EQ(waiting("backfill"), 2u);

  auto status = marquee({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("2 (1 loaded of 3 staged; 1 per load)"), std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find("data time 2020-01-02"), std::string::npos) << status.output;

  auto rest = marquee({"load", "--backfill-batches", "5"});
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_EQ(loaded_order(), (std::vector<std::string>{"h.zip", "b.zip", "c.zip", "a.zip"}));
  EXPECT_EQ(waiting("backfill"), 0u);
}

TEST_F(Backfill, AsOfSetsTheDataTimeOfTheStagedArchives) {
  fs::path late = archive("one", "late", 1, "2020-01-01 00:00:00Z");
  fs::path early = archive("two", "early", 2, "2021-01-01 00:00:00Z");
  ASSERT_EQ(marquee({"backfill", late.string()}).exit_code, 0);
  ASSERT_EQ(marquee({"backfill", early.string(), "--as-of", "2019-01-01T00:00:00Z"}).exit_code, 0);
  auto r = marquee({"load", "--backfill-batches", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(loaded_order(), (std::vector<std::string>{"early.zip"}));
}

TEST_F(Backfill, NothingInAnyLaneIsSuccess) {
  auto first = archive("in", "a", 1, "2020-01-01 00:00");
  ASSERT_EQ(marquee({"run", first.string()}).exit_code, 0);
  auto r = marquee({"load", "--backfill-batches", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

/// One movie of the interleaving tests: its budget, company name and title say which archive
/// wrote it.
std::string versioned_line(std::int64_t id, int archive, std::int64_t company) {
  return fmt::format(
      "False,,{0}000,\"[{{'id': 18, 'name': 'Drama {1}'}}]\",,{2},tt{2},en,T{2},overview,{1}.5,,"
      "\"[{{'id': {3}, 'name': 'Company {3} as of archive {1}'}}]\",[],2001-01-01,{0}500,90.0,[],"
      "Released,,Title {2} from archive {1},False,5.0,10\n",
      archive + 1, archive, id, company);
}

/// The model and the reports of a work directory, each movie with the archive that wrote it.
std::vector<std::string> model_of(const fs::path& work) {
  auto store = store::open_store("sqlite:" + (work / "marquee.db").string());
  std::vector<std::string> out;
  for (std::string sql :
       {"SELECT m.id, m.title, m.budget, m.revenue, m.popularity, b.source FROM movie m JOIN "
        "ingest_batch b ON b.id = m.batch_id ORDER BY m.id",
        "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1, 2",
        "SELECT movie_id, company_id FROM movie_company ORDER BY 1, 2",
        "SELECT id, name, data_time FROM genre ORDER BY id",
        "SELECT id, name, data_time FROM production_company ORDER BY id"}) {
    out.push_back("-- " + sql);
    store->query(sql, {}, [&](const auto&, const std::vector<store::Cell>& row) {
      std::string line;
      for (const auto& cell : row) line += cell.value_or("NULL") + "|";
      out.push_back(line);
    });
  }
  for (std::string report :
       {"company_yearly", "company_genre_yearly", "genre_yearly", "most_popular_genre_by_year"}) {
    out.push_back("-- " + report);
    out.push_back(testing::read_file(work / "movie_results" / (report + ".csv")));
  }
  return out;
}

/// The brief's case: a year of backfill trickling in between hourly loads. Five backfill
/// archives (data times in 2025) and three hourly ones (2026), all touching the same movies and
/// naming the same company, loaded interleaved must end as loading all eight in data-time order.
TEST_F(Backfill, FiveBackfillsInterleavedWithThreeHourlyRunsEndAsInDataTimeOrder) {
  struct Archive {
    std::string name, data_time;
  };
  std::vector<Archive> archives = {{"b1", "2025-01-01 00:00:00Z"}, {"b2", "2025-03-01 00:00:00Z"},
                                   {"b3", "2025-05-01 00:00:00Z"}, {"b4", "2025-07-01 00:00:00Z"},
                                   {"b5", "2025-09-01 00:00:00Z"}, {"h1", "2026-11-27 06:00:00Z"},
                                   {"h2", "2026-11-27 07:00:00Z"}, {"h3", "2026-11-27 08:00:00Z"}};
  std::map<std::string, fs::path> zips;
  for (std::size_t k = 0; k < archives.size(); ++k) {
    // Movies 1-4 are in every archive; movie 10+k only in archive k; company 5 is named by
    // every archive, company 6 only by the backfills.
    std::string csv = kHeader;
    for (std::int64_t id = 1; id <= 4; ++id)
      csv += versioned_line(id, static_cast<int>(k), id == 4 && k < 5 ? 6 : 5);
    csv += versioned_line(10 + static_cast<std::int64_t>(k), static_cast<int>(k), 5);
    fs::path file = dir_ / "src" / archives[k].name / "movies_metadata.csv";
    write_file(file, csv);
    bool hourly = archives[k].name[0] == 'h';
    fs::path zip = dir_ / (hourly ? "hourly" : "year") / (archives[k].name + ".zip");
    fs::create_directories(zip.parent_path());
    make_zip(zip, {file});
    auto t = run_command("touch -d " + shell_quote(archives[k].data_time) + " " +
                         shell_quote(zip.string()));
    ASSERT_EQ(t.exit_code, 0) << t.output;
    zips[archives[k].name] = zip;
  }

  // Interleaved: the year is backfilled, then each hourly run loads its archive first and one
  // backfill archive after it; a last load drains the rest.
  ASSERT_EQ(marquee({"backfill", (dir_ / "year").string()}).exit_code, 0);
  for (std::string hour : {"h1", "h2", "h3"}) {
    auto r = marquee({"run", zips[hour].string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto rest = marquee({"load", "--backfill-batches", "5"});
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  ASSERT_EQ(marquee({"report"}).exit_code, 0);
  EXPECT_EQ(loaded_order(), (std::vector<std::string>{"h1.zip", "b1.zip", "h2.zip", "b2.zip",
                                                      "h3.zip", "b3.zip", "b4.zip", "b5.zip"}));

  // The same eight archives, one run each, in data-time order, into another work directory.
  fs::path ordered = dir_ / "ordered";
  for (const auto& a : archives) {
    auto r = run_marquee({"run", zips[a.name].string(), "--workdir", ordered.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  auto expected = model_of(ordered);
  auto actual = model_of(work());
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << i;
  // The hourly data won: movie 1 is h3's, company 5 has h3's name, company 6 the last backfill's.
  EXPECT_NE(actual[1].find("Title 1 from archive 7|"), std::string::npos) << actual[1];
  std::string all = fmt::format("{}", fmt::join(actual, "\n"));
  EXPECT_NE(all.find("5|Company 5 as of archive 7|"), std::string::npos) << all;
  EXPECT_NE(all.find("6|Company 6 as of archive 4|"), std::string::npos) << all;
  // Movies only a backfill has are loaded.
  EXPECT_NE(all.find("10|Title 10 from archive 0|"), std::string::npos) << all;
}

TEST_F(Backfill, AnOlderBackfillRecordNeverOverwritesANewerOne) {
  fs::path hourly = archive("hourly", "now", 1, "2026-11-27 09:00:00Z");
  fs::path old = archive("year", "then", 1, "2025-11-27 09:00:00Z");
  ASSERT_EQ(marquee({"run", hourly.string()}).exit_code, 0);
  ASSERT_EQ(marquee({"backfill", old.string()}).exit_code, 0);
  auto r = marquee({"run", hourly.string()});  // unchanged hourly archive: takes the backfill
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(loaded_order(), (std::vector<std::string>{"now.zip", "then.zip"}));

  auto store = store::open_store("sqlite:" + (work() / "marquee.db").string());
  std::string title;
  store->query("SELECT title FROM movie WHERE id = 1", {},
               [&](const auto&, const std::vector<store::Cell>& row) { title = *row[0]; });
  EXPECT_EQ(title, "now");
  auto batches = store->batches();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].counts.older_than_loaded, 1u);
  EXPECT_EQ(batches[1].counts.rows_loaded, 0u);
  EXPECT_EQ(batches[1].counts.duplicate_superseded, 1u);
  EXPECT_EQ(batches[1].source.data_time, "2025-11-27T09:00:00.000Z");
  std::string summary = testing::read_file(work() / "movie_results/run_summary.json");
  EXPECT_NE(summary.find("\"older_than_loaded\": 1"), std::string::npos) << summary;
  auto status = marquee({"status"});
  EXPECT_NE(status.output.find("2025-11-27T09:00:00.000Z"), std::string::npos) << status.output;
}

TEST_F(Backfill, S3PrefixIsListedAndEveryZipStaged) {
  const char* endpoint = std::getenv("MARQUEE_TEST_S3_ENDPOINT");
  if (endpoint == nullptr)
    GTEST_SKIP() << "MARQUEE_TEST_S3_ENDPOINT is not set (test.sh starts s3rver)";
  const std::string bucket = "com.marquee.cli-test";
  const std::string prefix = fmt::format("backfill/{}/", ::getpid());
  auto put = [&](const std::string& key, const std::string& file) {
    return testing::s3_put(endpoint, bucket, key, file);
  };
  put("", "");
  for (std::string name : {"x", "y", "z"}) {
    fs::path zip = archive("s3", name, name[0], "2020-01-01 00:00:00Z");
    ASSERT_EQ(put(prefix + name + ".zip", zip.string()).exit_code, 0);
  }
  ASSERT_EQ(put(prefix + "notes.txt", (dir_ / "s3/x.zip").string()).exit_code, 0);
  std::string env = fmt::format(
      "env AWS_ENDPOINT_URL_S3={} AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
      "AWS_REGION=us-east-1 AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
      "AWS_CONFIG_FILE=/nonexistent ",
      shell_quote(endpoint));
  auto r = run_command(env + shell_quote(testing::marquee_binary()) + " backfill " +
                       shell_quote("s3://" + bucket + "/" + prefix) + " --retries 1 --workdir " +
                       shell_quote(work().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(waiting("backfill"), 3u) << r.output;
  auto load = marquee({"load", "--backfill-batches", "3"});
  ASSERT_EQ(load.exit_code, 0) << load.output;
  EXPECT_EQ(loaded_order().size(), 3u);
}

}  // namespace
}  // namespace marquee
