#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "common/error.hpp"

namespace marquee::store {
namespace {

using ::testing::HasSubstr;

TEST(ParseDbUrl, SqlitePrefixOrPlainPathIsAFile) {
  auto prefixed = parse_db_url("sqlite:/data/marquee.db");
  EXPECT_EQ(prefixed.engine, DbUrl::Engine::kSqlite);
  EXPECT_EQ(prefixed.target, "/data/marquee.db");
  auto plain = parse_db_url("work/marquee.db");
  EXPECT_EQ(plain.engine, DbUrl::Engine::kSqlite);
  EXPECT_EQ(plain.target, "work/marquee.db");
}

TEST(ParseDbUrl, PostgresUrlsAreKeptWhole) {
  for (const char* url : {"postgresql://u:p@h:5432/db?sslmode=require", "postgres://u@h/db"}) {
    auto db = parse_db_url(url);
    EXPECT_EQ(db.engine, DbUrl::Engine::kPostgres) << url;
    EXPECT_EQ(db.target, url);
  }
}

TEST(ParseDbUrl, AnotherSchemeIsAUsageErrorNotAFileName) {
  for (const char* url : {"mysql://u@h/db", "postgresq://u@h/db", "s3://bucket/db"}) {
    try {
      parse_db_url(url);
      ADD_FAILURE() << url << " was taken for a file";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage) << url;
      EXPECT_NE(std::string(e.what()).find("unknown database scheme"), std::string::npos);
    }
  }
  EXPECT_EQ(parse_db_url("sqlite:///tmp/x.db").target, "///tmp/x.db");
  EXPECT_EQ(parse_db_url("data/x.db").target, "data/x.db");
}

TEST(ParseDbUrl, SqliteWithoutAPathIsAUsageError) {
  for (const char* url : {"sqlite:", ""}) {
    try {
      parse_db_url(url);
      FAIL() << url;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage);
      EXPECT_STREQ(e.what(), "--db sqlite: needs a file path (sqlite:PATH)");
    }
  }
}

class SqliteOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("marquee-open-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string url() const { return "sqlite:" + (dir_ / "db").string(); }
  std::filesystem::path dir_;
};

/// The SQLite wording; that a missing database of either engine is refused is in the contract.
TEST_F(SqliteOpenTest, MustExistRefusesAMissingFile) {
  try {
    open_store(url(), {.must_exist = true});
    FAIL() << "opened a database that did not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_EQ(std::string(e.what()),
              fmt::format("sqlite:{}: no database there; load one first (marquee run SOURCE "
                          "--workdir W) or point --db/--workdir at an existing one",
                          (dir_ / "db").string()));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "db"));
}

/// Beside the database file, so that work directories sharing one --db share the lock; the
/// contract has the lock admitting one loader.
TEST_F(SqliteOpenTest, TheRunLockIsAFileBesideTheDatabase) {
  auto first_store = open_store(url());
  auto second_store = open_store(url());
  auto lease = first_store->lock_run({.no_wait = true});
  EXPECT_TRUE(std::filesystem::exists(dir_ / "db.lock"));
  try {
    second_store->lock_run({.no_wait = true});
    FAIL() << "two loaders hold the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
    EXPECT_THAT(e.what(), HasSubstr((dir_ / "db.lock").string()));
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("pid {} since", ::getpid())));
  }
}

TEST(SqliteInMemory, TheRunLockHoldsNothing) {
  auto store = open_store("sqlite::memory:");
  auto first = store->lock_run({.no_wait = true});
  auto second = store->lock_run({.no_wait = true});
  EXPECT_NE(first, nullptr);
  EXPECT_NE(second, nullptr);
}

TEST_F(SqliteOpenTest, PruneHistoryNeedsPostgres) {
  auto store = open_store(url());
  try {
    store->prune_history(4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_EQ(std::string(e.what()),
              fmt::format("marquee prune needs a PostgreSQL --db; {} keeps no movie_version "
                          "history",
                          store->describe()));
  }
}

}  // namespace
}  // namespace marquee::store
