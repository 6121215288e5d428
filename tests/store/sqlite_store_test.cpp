#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>

#include <fmt/format.h>
#include <unistd.h>

#include "common/error.hpp"

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
  auto batch = store->begin_batch({"test", "sha", "", ""});
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
  auto batch = store->begin_batch({"test", "sha", "", ""});
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
  auto first = store->begin_batch({"test", "sha1", "", ""});
  first->upsert_movie(movie(1, 2, {{5, "Old Name"}}));
  first->upsert_movie(movie(2, 3, {{5, "Old Name"}}));
  first->commit({2, 2, 0, 0, 0}, false);
  auto second = store->begin_batch({"test", "sha2", "", ""});
  EXPECT_FALSE(second->upsert_movie(movie(2, 2, {{5, "New Name"}, {9, "Other"}})));
  second->commit({1, 1, 0, 0, 0}, false);
  EXPECT_EQ(rows(*store, "SELECT id, name FROM production_company"),
            (std::map<std::string, std::string>{{"5", "New Name"}, {"9", "Other"}}));
  EXPECT_EQ(rows(*store, "SELECT movie_id || '-' || company_id, 1 FROM movie_company").size(), 3u);
}

TEST_F(SqliteStoreTest, RollbackLeavesNothingButAFailedBatchRow) {
  auto store = open_sqlite_store(dir_ / "db");
  auto batch = store->begin_batch({"test", "sha", "", ""});
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
    auto batch = store->begin_batch({"test", "sha", "", ""});
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
    auto batch = store->begin_batch({"test", "sha", "", ""});
    batch->upsert_movie(movie(1, 2, {}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto store = open_sqlite_store(dir_ / "db");
  EXPECT_TRUE(store->loaded_batch("sha"));
  EXPECT_EQ(rows(*store, "SELECT max(version), 1 FROM schema_version").begin()->first, "1");
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
