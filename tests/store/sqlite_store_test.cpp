#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.hpp"
#include "store/embedded_sql.hpp"

namespace marquee::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("marquee-sqlite-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static dataset::MovieRow movie(std::int64_t id, std::uint64_t line,
                                 std::vector<dataset::NamedItem> companies,
                                 std::optional<std::int64_t> budget = std::nullopt) {
    dataset::MovieRow row;
    row.id = id;
    row.line = line;
    row.release_year = 2000;
    row.budget = budget;
    row.companies = std::move(companies);
    row.genres = {{18, "Drama"}};
    return row;
  }

  std::map<std::string, std::string> rows(Store& store, const std::string& sql) {
    std::map<std::string, std::string> out;
    store.query(sql, {}, [&](const auto&, const std::vector<Cell>& r) {
      out[*r[0]] = r[1].value_or("NULL");
    });
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(SqliteStoreTest, LastDuplicateWinsAndIsReportedSuperseded) {
  auto store = open_sqlite_store(dir_ / "db");
  auto batch = store->begin_batch({"test", "sha", "", "", ""});
  EXPECT_FALSE(batch->upsert_movie(movie(1, 2, {{7, "A"}}, 10)));
  EXPECT_TRUE(batch->upsert_movie(movie(1, 3, {{8, "B"}}, 20)));
  batch->commit({2, 1, 0, 1, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, budget FROM movie"),
            (std::map<std::string, std::string>{{"1", "20"}}));
  EXPECT_EQ(rows(*store, "SELECT movie_id, company_id FROM movie_company"),
            (std::map<std::string, std::string>{{"1", "8"}}));
}

TEST_F(SqliteStoreTest, CompanyNameComesFromTheLastSurvivingRecord) {
  auto store = open_sqlite_store(dir_ / "db");
  auto batch = store->begin_batch({"test", "sha", "", "", ""});
  batch->upsert_movie(movie(2, 2, {{5, "Eta"}}));  // survives
  batch->upsert_movie(
      movie(1, 3, {{5, "Zeta Late"}}));  // superseded below: its name must not count
  batch->upsert_movie(movie(1, 4, {}));
  batch->upsert_movie(movie(3, 5, {{6, "Old"}}));
  batch->upsert_movie(movie(4, 6, {{6, "New"}}));
  batch->commit({5, 4, 0, 1, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, name FROM production_company"),
            (std::map<std::string, std::string>{{"5", "Eta"}, {"6", "New"}}));
}

TEST_F(SqliteStoreTest, LaterBatchRenamesAndReplacesLinks) {
  auto store = open_sqlite_store(dir_ / "db");
  auto first = store->begin_batch({"test", "sha1", "", "", ""});
  first->upsert_movie(movie(1, 2, {{5, "Old Name"}}));
  first->upsert_movie(movie(2, 3, {{5, "Old Name"}}));
  first->commit({2, 2, 0, 0, 0}, false);
  auto second = store->begin_batch({"test", "sha2", "", "", ""});
  EXPECT_FALSE(second->upsert_movie(movie(2, 2, {{5, "New Name"}, {9, "Other"}})));
  second->commit({1, 1, 0, 0, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, name FROM production_company"),
            (std::map<std::string, std::string>{{"5", "New Name"}, {"9", "Other"}}));
  EXPECT_EQ(rows(*store, "SELECT movie_id || '-' || company_id, 1 FROM movie_company").size(), 3u);
}

TEST_F(SqliteStoreTest, RollbackLeavesNothingButAFailedBatchRow) {
  auto store = open_sqlite_store(dir_ / "db");
  auto batch = store->begin_batch({"test", "sha", "", "", ""});
  batch->upsert_movie(movie(1, 2, {{5, "A"}}));
  batch->rollback("test failure");
  EXPECT_TRUE(rows(*store, "SELECT id, 1 FROM movie").empty());
  EXPECT_EQ(rows(*store, "SELECT status, message FROM ingest_batch"),
            (std::map<std::string, std::string>{{"failed", "test failure"}}));
  EXPECT_FALSE(store->loaded_batch("sha"));
}

TEST_F(SqliteStoreTest, AbandonedBatchRollsBack) {
  auto store = open_sqlite_store(dir_ / "db");
  {
    auto batch = store->begin_batch({"test", "sha", "", "", ""});
    batch->upsert_movie(movie(1, 2, {}));
  }
  EXPECT_TRUE(rows(*store, "SELECT id, 1 FROM movie").empty());
}

TEST_F(SqliteStoreTest, NewerSchemaVersionFailsClearly) {
  { open_sqlite_store(dir_ / "db"); }
  sqlite3* db = nullptr;
  sqlite3_open((dir_ / "db").c_str(), &db);
  sqlite3_exec(db, "INSERT INTO schema_version VALUES (99, 'future')", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    open_sqlite_store(dir_ / "db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, ReopeningKeepsTheSchemaAndData) {
  {
    auto store = open_sqlite_store(dir_ / "db");
    auto batch = store->begin_batch({"test", "sha", "", "", ""});
    batch->upsert_movie(movie(1, 2, {}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto store = open_sqlite_store(dir_ / "db");
  EXPECT_TRUE(store->loaded_batch("sha"));
  EXPECT_EQ(rows(*store, "SELECT max(version), 1 FROM schema_version").begin()->first, "2");
}

BatchSource timed(const std::string& name, const std::string& data_time) {
  return {"file:///" + name + ".zip", "sha-" + name, "", "", data_time};
}

TEST_F(SqliteStoreTest, OlderBatchNeverOverwritesANewerMovieOrName) {
  auto store = open_sqlite_store(dir_ / "db");
  auto newer = store->begin_batch(timed("hourly", "2026-11-27T09:00:00Z"));
  newer->upsert_movie(movie(1, 2, {{5, "New Name"}}, 100));
  newer->commit({1, 1, 0, 0, 0, 0}, false);

  auto older = store->begin_batch(timed("backfill", "2025-11-27"));
  EXPECT_FALSE(older->upsert_movie(movie(1, 2, {{5, "Old Name"}, {6, "Only Old"}}, 50)));
  EXPECT_TRUE(older->upsert_movie(movie(1, 3, {{5, "Older Still"}}, 40)));  // same movie again
  EXPECT_FALSE(older->upsert_movie(movie(2, 4, {{7, "Fresh"}}, 70)));
  auto counts = older->commit({3, 2, 0, 1, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 1u);
  EXPECT_EQ(counts.rows_loaded, 1u);
  EXPECT_EQ(counts.duplicate_superseded, 2u);

  EXPECT_EQ(rows(*store, "SELECT id, budget FROM movie"),
            (std::map<std::string, std::string>{{"1", "100"}, {"2", "70"}}));
  EXPECT_EQ(rows(*store, "SELECT company_id, movie_id FROM movie_company"),
            (std::map<std::string, std::string>{{"5", "1"}, {"7", "2"}}));
  // Company 6 exists (the older batch named it, as it would have in data-time order); company 5
  // keeps the name of the newer batch.
  EXPECT_EQ(
      rows(*store, "SELECT id, name FROM production_company"),
      (std::map<std::string, std::string>{{"5", "New Name"}, {"6", "Only Old"}, {"7", "Fresh"}}));
  EXPECT_EQ(rows(*store, "SELECT id, older_than_loaded || ' ' || data_time FROM ingest_batch"),
            (std::map<std::string, std::string>{{"1", "0 2026-11-27T09:00:00.000Z"},
                                                {"2", "1 2025-11-27T00:00:00.000Z"}}));
  auto recorded = store->batches();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1].counts.older_than_loaded, 1u);
  EXPECT_EQ(recorded[1].source.data_time, "2025-11-27T00:00:00.000Z");
}

TEST_F(SqliteStoreTest, NewerBatchReplacesAnOlderOneWhateverTheLoadOrder) {
  auto store = open_sqlite_store(dir_ / "db");
  auto older = store->begin_batch(timed("backfill", "2025-01-01"));
  older->upsert_movie(movie(1, 2, {{5, "Old Name"}}, 50));
  older->commit({1, 1, 0, 0, 0, 0}, false);
  auto newer = store->begin_batch(timed("hourly", "2025-01-02"));
  newer->upsert_movie(movie(1, 2, {{5, "New Name"}}, 100));
  EXPECT_EQ(newer->commit({1, 1, 0, 0, 0, 0}, false).older_than_loaded, 0u);
  EXPECT_EQ(rows(*store, "SELECT id, budget FROM movie"),
            (std::map<std::string, std::string>{{"1", "100"}}));
  EXPECT_EQ(rows(*store, "SELECT id, name FROM production_company"),
            (std::map<std::string, std::string>{{"5", "New Name"}}));
}

TEST_F(SqliteStoreTest, OlderSnapshotKeepsTheMoviesOfNewerBatches) {
  auto store = open_sqlite_store(dir_ / "db");
  auto newer = store->begin_batch(timed("hourly", "2026-01-02"));
  newer->upsert_movie(movie(1, 2, {}));
  newer->commit({1, 1, 0, 0, 0, 0}, false);
  auto oldest = store->begin_batch(timed("first", "2024-01-01"));
  oldest->upsert_movie(movie(2, 2, {}));
  oldest->commit({1, 1, 0, 0, 0, 0}, false);
  auto snapshot = store->begin_batch(timed("snapshot", "2025-01-01"));
  snapshot->upsert_movie(movie(3, 2, {}));
  snapshot->commit({1, 1, 0, 0, 0, 0}, true);
  EXPECT_EQ(rows(*store, "SELECT id, batch_id FROM movie"),
            (std::map<std::string, std::string>{{"1", "1"}, {"3", "3"}}));
}

TEST_F(SqliteStoreTest, RecordsOlderThanALoadedSnapshotAreNotApplied) {
  auto store = open_sqlite_store(dir_ / "db");
  auto first = store->begin_batch(timed("first", "2025-01-01"));
  first->upsert_movie(movie(1, 2, {}));
  first->commit({1, 1, 0, 0, 0, 0}, false);
  auto snapshot = store->begin_batch(timed("snapshot", "2025-05-01"));
  snapshot->upsert_movie(movie(2, 2, {}));
  snapshot->commit({1, 1, 0, 0, 0, 0}, true);  // removes movie 1
  // A backfill of March, loaded now: in data-time order the May snapshot came after it and
  // kept only movie 2, so neither the removed movie 1 nor the unseen movie 3 comes back.
  auto backfill = store->begin_batch(timed("march", "2025-03-01"));
  backfill->upsert_movie(movie(1, 2, {}, 11));
  backfill->upsert_movie(movie(3, 3, {}, 33));
  backfill->upsert_movie(movie(2, 4, {}, 22));
  auto counts = backfill->commit({3, 3, 0, 0, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 3u);
  EXPECT_EQ(counts.rows_loaded, 0u);
  EXPECT_EQ(rows(*store, "SELECT id, batch_id FROM movie"),
            (std::map<std::string, std::string>{{"2", "2"}}));
  // A batch newer than the snapshot adds and replaces as usual.
  auto later = store->begin_batch(timed("june", "2025-06-01"));
  later->upsert_movie(movie(1, 2, {}, 111));
  EXPECT_EQ(later->commit({1, 1, 0, 0, 0, 0}, false).older_than_loaded, 0u);
  EXPECT_EQ(rows(*store, "SELECT id, coalesce(budget, 'NULL') FROM movie"),
            (std::map<std::string, std::string>{{"1", "111"}, {"2", "NULL"}}));
}

TEST_F(SqliteStoreTest, MigratesAVersion1DatabaseKeepingItsData) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "db").c_str(), &db), SQLITE_OK);
    std::string v1 = embedded_sql("schema/sqlite_v1.sql");
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT "
                           "NOT NULL); INSERT INTO schema_version VALUES (1, 'then'); INSERT INTO "
                           "ingest_batch (source, sha256, staged_at, started_at, status) VALUES "
                           "('a', 'sha-a', '2024-05-01T00:00:00.000Z', '2024-05-01T00:01:00.000Z', "
                           "'loaded'); INSERT INTO genre VALUES (18, 'Drama'); INSERT INTO movie "
                           "(id, batch_id) VALUES (1, 1)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(dir_ / "db");
  EXPECT_EQ(rows(*store, "SELECT max(version), 1 FROM schema_version").begin()->first, "2");
  EXPECT_EQ(rows(*store, "SELECT id, data_time FROM ingest_batch"),
            (std::map<std::string, std::string>{{"1", "2024-05-01T00:00:00.000Z"}}));
  // A movie of the version-1 batch is replaced by a batch of a later data time.
  auto batch = store->begin_batch(timed("b", "2024-06-01"));
  batch->upsert_movie(movie(1, 2, {}, 5));
  batch->commit({1, 1, 0, 0, 0, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, budget FROM movie"),
            (std::map<std::string, std::string>{{"1", "5"}}));
}

TEST_F(SqliteStoreTest, RecordsDataChecksPerBatch) {
  auto store = open_sqlite_store(dir_ / "db");
  auto batch = store->begin_batch(timed("a", ""));
  batch->upsert_movie(movie(1, 2, {}));
  batch->commit({1, 1, 0, 0, 0, 0}, false);
  store->record_check(1, "release_year_in_range", 2, {"movie 1 release_year 1500", "x \"q\""});
  EXPECT_EQ(
      rows(*store, "SELECT check_name, failing || ' ' || failing_keys FROM data_check_result"),
      (std::map<std::string, std::string>{
          {"release_year_in_range", R"(2 ["movie 1 release_year 1500","x \"q\""])"}}));
  store->record_check(1, "release_year_in_range", 0, {});
  EXPECT_EQ(
      rows(*store, "SELECT check_name, failing || ' ' || failing_keys FROM data_check_result"),
      (std::map<std::string, std::string>{{"release_year_in_range", "0 []"}}));
}

TEST_F(SqliteStoreTest, ReadSnapshotDoesNotSeeABatchCommittedMeanwhile) {
  auto reader = open_sqlite_store(dir_ / "db");
  auto writer_store = open_sqlite_store(dir_ / "db");
  auto count = [&] { return rows(*reader, "SELECT COUNT(*), 1 FROM movie").begin()->first; };
  {
    ReadSnapshot snapshot(*reader);
    EXPECT_EQ(count(), "0");
    auto batch = writer_store->begin_batch(timed("a", ""));
    batch->upsert_movie(movie(1, 2, {}));
    batch->commit({1, 1, 0, 0, 0, 0}, false);
    EXPECT_EQ(count(), "0");
  }
  EXPECT_EQ(count(), "1");
}

TEST_F(SqliteStoreTest, UnopenableDatabaseExits4NamingIt) {
  try {
    open_sqlite_store(dir_ / "no-such-folder" / "db");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace marquee::store
