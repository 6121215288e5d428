#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

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
  auto r = marquee({"load", "--backfill-batches", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
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
