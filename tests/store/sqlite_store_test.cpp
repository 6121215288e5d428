#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <unistd.h>

#include "store/embedded_sql.hpp"
#include "store/sqlite_connection.hpp"
#include "store_contract.hpp"

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

  std::map<std::string, std::string> rows(Store& store, const std::string& sql) {
    std::map<std::string, std::string> out;
    store.query(sql, {}, [&](const auto&, const std::vector<Cell>& r) {
      out[*r[0]] = r[1].value_or("NULL");
    });
    return out;
  }

  std::filesystem::path dir_;
};

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
                           "(id, batch_id, release_year, budget) VALUES (1, 1, 1999, 7); INSERT "
                           "INTO movie_genre VALUES (1, 18)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(dir_ / "db");
  EXPECT_EQ(rows(*store, "SELECT max(version), 1 FROM schema_version").begin()->first, "6");
  // Version 5 computed the report aggregates of the movies already loaded.
  EXPECT_EQ(rows(*store, "SELECT year, budget_e0 FROM report_genre_year"),
            (std::map<std::string, std::string>{{"1999", "7"}}));
  EXPECT_EQ(rows(*store, "SELECT id, data_time FROM ingest_batch"),
            (std::map<std::string, std::string>{{"1", "2024-05-01T00:00:00.000Z"}}));
  // A movie of the version-1 batch is replaced by a batch of a later data time.
  dataset::MovieRow movie;
  movie.id = 1;
  movie.line = 2;
  movie.release_year = 2000;
  movie.budget = 5;
  movie.genres = {{18, "Drama"}};
  auto batch = store->begin_batch({"file:///b.zip", "sha-b", "", "", "2024-06-01"});
  batch->upsert_movie(movie);
  batch->commit({1, 1, 0, 0, 0, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, budget FROM movie"),
            (std::map<std::string, std::string>{{"1", "5"}}));
  EXPECT_EQ(rows(*store, "SELECT year, budget_e0 FROM report_genre_year"),
            (std::map<std::string, std::string>{{"2000", "5"}}));
}

/// A first load into an empty database writes through a rollback journal (the pages it appends
/// are written once, not to the WAL and again by the checkpoint) and returns to WAL at its end,
/// committed or rolled back; a later batch, or a first load while another connection has the
/// database open, stays in WAL and does not wait for that connection.
TEST_F(SqliteStoreTest, AFirstLoadWritesThroughARollbackJournalAndReturnsToWal) {
  const auto path = dir_ / "db";
  const auto journal = path.string() + "-journal";
  auto mode = [&](Store& store) {
    return rows(store, "SELECT journal_mode, 1 FROM pragma_journal_mode").begin()->first;
  };
  {
    auto store = open_sqlite_store(path);
    auto first = store->begin_batch({"file:///a.zip", "sha-a", "", "", "2024-06-01"});
    first->upsert_movie(test::movie(1));
    EXPECT_TRUE(std::filesystem::exists(journal)) << "the first load writes a rollback journal";
    first->rollback("the test rolls it back");
    EXPECT_EQ(mode(*store), "wal");
    EXPECT_EQ(rows(*store, "SELECT COUNT(*), 1 FROM movie").begin()->first, "0");

    auto again = store->begin_batch({"file:///b.zip", "sha-b", "", "", "2024-06-01"});
    again->upsert_movie(test::movie(1));
    EXPECT_TRUE(std::filesystem::exists(journal));
    again->commit({1, 1, 0, 0, 0, 0}, false);
    EXPECT_FALSE(std::filesystem::exists(journal));
    EXPECT_EQ(mode(*store), "wal");

    auto later = store->begin_batch({"file:///c.zip", "sha-c", "", "", "2024-07-01"});
    later->upsert_movie(test::movie(2));
    EXPECT_FALSE(std::filesystem::exists(journal)) << "a batch on loaded data writes the WAL";
    later->commit({1, 1, 0, 0, 0, 0}, false);
    EXPECT_EQ(rows(*store, "SELECT COUNT(*), 1 FROM movie").begin()->first, "2");
  }
  // Another connection has an empty database open: the first load stays in WAL, at once.
  const auto shared = dir_ / "shared";
  auto store = open_sqlite_store(shared);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(shared.c_str(), &reader), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "SELECT COUNT(*) FROM movie", nullptr, nullptr, nullptr),
            SQLITE_OK);
  const auto began = std::chrono::steady_clock::now();
  auto batch = store->begin_batch({"file:///a.zip", "sha-a", "", "", "2024-06-01"});
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  batch->upsert_movie(test::movie(1));
  EXPECT_FALSE(std::filesystem::exists(shared.string() + "-journal"));
  batch->commit({1, 1, 0, 0, 0, 0}, false);
  EXPECT_EQ(mode(*store), "wal");
  sqlite3_close(reader);
}

TEST_F(SqliteStoreTest, BatchStatementsRunOrFailAndAFailureStillUndoesTheWholeBatch) {
  EXPECT_EQ(SqliteConnection::or_fail("INSERT INTO t (a) VALUES (?)"),
            "INSERT OR FAIL INTO t (a) VALUES (?)");
  EXPECT_EQ(SqliteConnection::or_fail("UPDATE t SET a = 1"), "UPDATE OR FAIL t SET a = 1");
  EXPECT_THROW(SqliteConnection::or_fail("DELETE FROM t"), std::logic_error);
  EXPECT_THROW(SqliteConnection::or_fail("INSERT OR REPLACE INTO t VALUES (1)"), std::logic_error);

  SqliteConnection db(dir_ / "or_fail.db");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0))");
  db.exec("INSERT INTO t VALUES (1, 1)");
  db.exec("BEGIN IMMEDIATE");
  auto insert = db.prepare_in_batch(
      "INSERT INTO t (id, v) SELECT value, value - 3 FROM "
      "(SELECT 5 AS value UNION ALL SELECT 4 UNION ALL SELECT 3)");
  // OR FAIL keeps the rows before the failing one (5 and 4, not 3) until the batch rolls back,
  // which every failure in a batch does (BatchWriter::rollback).
  EXPECT_THROW(insert.run("inserting"), Error);
  auto count = db.prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.step("counting"));
  EXPECT_EQ(sqlite3_column_int64(count.get(), 0), 3);
  count.reset();
  db.exec("ROLLBACK");
  ASSERT_TRUE(count.step("counting"));
  EXPECT_EQ(sqlite3_column_int64(count.get(), 0), 1);
}

}  // namespace
}  // namespace marquee::store
