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

constexpr const char* kHeader =
    "adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,original_"
    "title,"
    "overview,popularity,poster_path,production_companies,production_countries,release_date,"
    "revenue,"
    "runtime,spoken_languages,status,tagline,title,video,vote_average,vote_count\n";

std::string one_movie(std::int64_t id, std::int64_t budget) {
  return fmt::format(
      "{}False,,{},[],,{},tt1,en,T,O,1.0,,[],[],2001-01-01,0,90.0,[],Released,,T,False,5.0,1\n",
      kHeader, budget, id);
}

/// stage → load as separate steps: three archives staged, loaded oldest first in one `load`.
class StagingLoad : public ::testing::Test {
 protected:
  testing::CommandResult marquee(std::vector<std::string> args) {
    args.insert(args.end(), {"--workdir", (dir_ / "work").string()});
    return run_marquee(args);
  }
  std::filesystem::path zip_with(const std::string& name, const std::string& csv) {
    write_file(dir_ / "src" / name / "movies_metadata.csv", csv);
    make_zip(dir_ / (name + ".zip"), {dir_ / "src" / name / "movies_metadata.csv"});
    return dir_ / (name + ".zip");
  }
  std::vector<std::string> batch_statuses() {
    auto store = store::open_store("sqlite:" + (dir_ / "work/marquee.db").string());
    std::vector<std::string> out;
    store->query("SELECT status FROM ingest_batch ORDER BY id", {},
                 [&](const auto&, const std::vector<store::Cell>& row) { out.push_back(*row[0]); });
    return out;
  }
  std::string budget_of(std::int64_t id) {
    auto store = store::open_store("sqlite:" + (dir_ / "work/marquee.db").string());
    std::string budget = "none";
    store::Param p = id;
    store->query("SELECT budget FROM movie WHERE id = ?", {&p, 1},
                 [&](const auto&, const std::vector<store::Cell>& row) {
                   budget = row[0].value_or("NULL");
                 });
    return budget;
  }
  TempDir dir_;
};

TEST_F(StagingLoad, ArchivesLoadInOrderAndACorruptOneDoesNotBlockTheNext) {
  auto first = zip_with("a-first", one_movie(42, 100));
  auto corrupt = zip_with("b-corrupt", one_movie(42, 200) + std::string(20000, 'x') + "\n");
  std::string bytes = read_file(corrupt);
  bytes[bytes.size() / 3] =
      static_cast<char>(bytes[bytes.size() / 3] ^ 0x5a);  // inside the entry data
  write_file(corrupt, bytes);
  auto third = zip_with("c-third", one_movie(42, 300));
  for (const auto& zip : {first, corrupt, third}) {
    auto r = marquee({"stage", zip.string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto load = marquee({"load", "--max-reject-ratio", "1"});
  EXPECT_EQ(load.exit_code, 3) << load.output;
  EXPECT_NE(load.output.find("b-corrupt.zip"), std::string::npos) << load.output;
  EXPECT_EQ(batch_statuses(), (std::vector<std::string>{"loaded", "failed", "loaded"}));
  EXPECT_EQ(budget_of(42), "300");  // the third archive, loaded after the first
  EXPECT_TRUE(std::filesystem::exists(dir_ / "work/staging/failed/b-corrupt.zip"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "work/staging/failed/b-corrupt.zip.reason"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "work/staging/archive/a-first.zip"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "work/staging/archive/c-third.zip"));

  // The first archive once more: staged again, recognised by its sha256, skipped.
  ASSERT_EQ(marquee({"stage", first.string()}).exit_code, 0);
  auto again = marquee({"load"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
  EXPECT_EQ(budget_of(42), "300");
  EXPECT_EQ(batch_statuses().size(), 3u);
}

TEST_F(StagingLoad, ARunThatMeetsACorruptArchiveChecksTheGoodBatchesBeforeItFails) {
  // `run` with --checks=warn checks its batches beside the reports; when a bad archive ends it
  // before the reports, the batches it loaded are checked all the same.
  auto first = zip_with("a-first", one_movie(42, 100));
  auto corrupt = zip_with("b-corrupt", one_movie(42, 200) + std::string(20000, 'x') + "\n");
  std::string bytes = read_file(corrupt);
  bytes[bytes.size() / 3] = static_cast<char>(bytes[bytes.size() / 3] ^ 0x5a);
  write_file(corrupt, bytes);
  for (const auto& zip : {first, corrupt}) ASSERT_EQ(marquee({"stage", zip.string()}).exit_code, 0);
  auto third = zip_with("c-third", one_movie(43, 300));
  auto r = marquee({"run", third.string(), "--max-reject-ratio", "1"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_EQ(batch_statuses(), (std::vector<std::string>{"loaded", "failed", "loaded"}));
  auto store = store::open_store("sqlite:" + (dir_ / "work/marquee.db").string());
  std::vector<std::string> checked;
  store->query(
      "SELECT batch_id || ':' || COUNT(*) FROM data_check_result GROUP BY batch_id ORDER BY 1", {},
      [&](const auto&, const std::vector<store::Cell>& row) { checked.push_back(*row[0]); });
  EXPECT_EQ(checked, (std::vector<std::string>{"1:4", "3:4"}));
}

TEST_F(StagingLoad, NothingWaitingIsSuccess) {
  // The hourly load of a work folder with a database and no new archive has nothing to do.
  ASSERT_EQ(marquee({"stage", zip_with("a", one_movie(42, 100)).string()}).exit_code, 0);
  ASSERT_EQ(marquee({"load"}).exit_code, 0);
  auto r = marquee({"load"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nothing waiting"), std::string::npos) << r.output;
}

TEST_F(StagingLoad, NothingWaitingAndNoDatabaseIsAWrongWorkdir) {
  auto r = marquee({"load"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no database there; load one first"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace marquee
