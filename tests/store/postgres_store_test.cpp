#include "store/postgres_store.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "store/sqlite_store.hpp"

namespace marquee::store {
namespace {

using dataset::MovieRow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Rows = std::vector<std::vector<std::string>>;

/// The URL with its database name replaced.
std::string with_database(const std::string& url, const std::string& db) {
  auto authority = url.find("://");
  auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  auto query = url.find('?');
  std::string head = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

std::string with_parameter(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

/// A plain libpq session for what the tests do behind the store's back.
class Admin {
 public:
  explicit Admin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      ADD_FAILURE() << "cannot connect to " << url << ": " << PQerrorMessage(conn_);
    }
  }
  ~Admin() { PQfinish(conn_); }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  Rows exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    Rows rows;
    auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    } else {
      for (int i = 0; i < PQntuples(r); ++i) {
        rows.emplace_back();
        for (int c = 0; c < PQnfields(r); ++c) {
          rows.back().push_back(PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
        }
      }
    }
    PQclear(r);
    return rows;
  }
  std::string value(const std::string& sql) {
    auto rows = exec(sql);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }

 private:
  PGconn* conn_;
};

/// Every cell as text, NULL as "NULL".
Rows select(Store& store, std::string_view sql, std::vector<Param> params = {}) {
  Rows rows;
  store.query(sql, params, [&](const std::vector<std::string>&, const std::vector<Cell>& row) {
    rows.emplace_back();
    for (const auto& cell : row) rows.back().push_back(cell.value_or("NULL"));
  });
  return rows;
}

std::string count(Store& store, std::string_view table) {
  return select(store, fmt::format("SELECT COUNT(*) FROM {}", table))[0][0];
}

MovieRow movie(std::int64_t id, std::vector<dataset::NamedItem> genres = {},
               std::vector<dataset::NamedItem> companies = {}) {
  static std::uint64_t line = 1;
  MovieRow row;
  row.id = id;
  row.line = ++line;
  row.title = fmt::format("Movie {}", id);
  row.release_date = "2000-01-01";
  row.release_year = 2000;
  row.genres = std::move(genres);
  row.companies = std::move(companies);
  return row;
}

BatchSource source(const std::string& name, const std::string& data_time = "") {
  return {"file:///data/" + name + ".zip", "sha-" + name, "", "2026-01-05T10:00:00.000Z",
          data_time};
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("MARQUEE_TEST_PG");
    if (base == nullptr || *base == '\0') {
      GTEST_SKIP() << "MARQUEE_TEST_PG is not set; ./test.sh starts a server and sets it";
    }
    base_ = base;
    std::random_device random;
    db_ = fmt::format("marquee_t_{:08x}{:08x}", random(), random());
    Admin(base_).exec("CREATE DATABASE " + db_);
    url_ = with_database(base_, db_);
  }
  void TearDown() override {
    if (!db_.empty())
      Admin(base_).exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db_));
  }

  std::unique_ptr<Store> open(PostgresOptions options = {}) {
    return open_postgres_store(url_, options);
  }

  std::string base_, db_, url_;
};

TEST_F(PostgresStoreTest, MigratesAnEmptyDatabase) {
  auto store = open();
  EXPECT_EQ(store->engine(), "postgresql");
  EXPECT_EQ(select(*store, "SELECT max(version) FROM schema_version"), Rows{{"2"}});
  EXPECT_EQ(select(*store, "SELECT relkind FROM pg_class WHERE relname = 'movie_version'"),
            Rows{{"p"}});
  for (auto table : {"movie", "genre", "production_company", "collection", "production_country",
                     "spoken_language", "movie_genre", "movie_company", "movie_country",
                     "movie_language", "ingest_batch"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  store.reset();
  auto again = open();
  EXPECT_EQ(select(*again, "SELECT max(version) FROM schema_version"), Rows{{"2"}});
}

TEST_F(PostgresStoreTest, RecordsDataChecksPerBatch) {
  auto store = open();
  auto writer = store->begin_batch(source("a"));
  writer->upsert_movie(movie(1, {{1, "Drama"}}));
  writer->commit({1, 1, 0, 0, 0, 0}, false);
  auto id = store->batches().front().id;
  store->record_check(id, "release_year_in_range", 2, {"movie 1 release_year 1500", "x \"q\""});
  store->record_check(id, "release_year_in_range", 1, {"movie 1 release_year 1500"});
  EXPECT_EQ(select(*store,
                   "SELECT check_name, failing, failing_keys ->> 0, jsonb_array_length("
                   "failing_keys) FROM data_check_result"),
            (Rows{{"release_year_in_range", "1", "movie 1 release_year 1500", "1"}}));
}

TEST_F(PostgresStoreTest, OlderBatchNeverOverwritesANewerMovieOrName) {
  auto store = open();
  auto newer = store->begin_batch(source("hourly", "2026-11-27T09:00:00Z"));
  newer->upsert_movie(movie(1, {{1, "Drama"}}, {{5, "New Name"}}));
  newer->commit({1, 1, 0, 0, 0, 0}, false);
  auto older = store->begin_batch(source("backfill", "2025-11-27"));
  EXPECT_FALSE(older->upsert_movie(movie(1, {{2, "Comedy"}}, {{5, "Old Name"}})));
  older->upsert_movie(movie(2, {{1, "Old Drama"}}));
  auto counts = older->commit({2, 2, 0, 0, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 1u);
  EXPECT_EQ(counts.rows_loaded, 1u);
  EXPECT_EQ(counts.duplicate_superseded, 1u);
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1"),
            (Rows{{"1", "1"}, {"2", "1"}}));
  EXPECT_EQ(select(*store, "SELECT id, name FROM genre ORDER BY id"),
            (Rows{{"1", "Drama"}, {"2", "Comedy"}}));
  EXPECT_EQ(select(*store, "SELECT name FROM production_company"), (Rows{{"New Name"}}));
  EXPECT_EQ(select(*store,
                   "SELECT older_than_loaded, to_char(data_time AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD HH24') FROM ingest_batch ORDER BY id"),
            (Rows{{"0", "2026-11-27 09"}, {"1", "2025-11-27 00"}}));
}

TEST_F(PostgresStoreTest, ReadSnapshotDoesNotSeeABatchCommittedMeanwhile) {
  auto reader = open();
  auto writer_store = open();
  {
    ReadSnapshot snapshot(*reader);
    EXPECT_EQ(count(*reader, "movie"), "0");
    auto batch = writer_store->begin_batch(source("a"));
    batch->upsert_movie(movie(1));
    batch->commit({1, 1, 0, 0, 0, 0}, false);
    EXPECT_EQ(count(*reader, "movie"), "0");
  }
  EXPECT_EQ(count(*reader, "movie"), "1");
}

TEST_F(PostgresStoreTest, NewerSchemaVersionFailsClearly) {
  open();
  Admin(url_).exec("INSERT INTO schema_version (version) VALUES (99)");
  try {
    open();
    FAIL() << "opened a database of a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("schema version 99"));
    EXPECT_THAT(e.what(), HasSubstr(db_));
  }
}

TEST_F(PostgresStoreTest, DescribeLeavesThePasswordOut) {
  EXPECT_EQ(
      describe_postgres_url("postgresql://marquee:s3cret@db.example:5433/movies?sslmode=require"),
      "postgresql://marquee@db.example:5433/movies");
  EXPECT_EQ(describe_postgres_url("postgres://u@h/d?password=s3cret"), "postgresql://u@h/d");
  auto store = open();
  EXPECT_EQ(store->describe(), describe_postgres_url(url_));
  EXPECT_THAT(store->describe(), HasSubstr("/" + db_));
}

TEST_F(PostgresStoreTest, UpsertReplacesTheRowAndAllItsLinks) {
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    auto first = movie(1, {{1, "Action"}, {2, "Drama"}}, {{10, "Acme"}});
    first.countries = {{"US", "United States"}};
    first.languages = {{"en", "English"}};
    first.budget = 100;
    EXPECT_FALSE(batch->upsert_movie(first));
    EXPECT_FALSE(batch->upsert_movie(movie(2, {{1, "Action"}})));
    batch->commit({2, 2, 0, 0, 0}, false);
  }
  {
    auto batch = store->begin_batch(source("b"));
    auto second = movie(1, {{3, "Comedy"}});
    second.title = "Movie 1, again";
    EXPECT_FALSE(batch->upsert_movie(second)) << "a movie of an earlier batch is not superseded";
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  EXPECT_EQ(select(*store, "SELECT id, title, budget, batch_id FROM movie ORDER BY id"),
            (Rows{{"1", "Movie 1, again", "NULL", "2"}, {"2", "Movie 2", "NULL", "1"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1, 2"),
            (Rows{{"1", "3"}, {"2", "1"}}));
  EXPECT_EQ(count(*store, "movie_company"), "0");
  EXPECT_EQ(count(*store, "movie_country"), "0");
  EXPECT_EQ(count(*store, "movie_language"), "0");
  EXPECT_EQ(select(*store, "SELECT movie_id, batch_id, title FROM movie_version ORDER BY 2, 1"),
            (Rows{{"1", "1", "Movie 1"}, {"2", "1", "Movie 2"}, {"1", "2", "Movie 1, again"}}));
}

TEST_F(PostgresStoreTest, BatchRowsAreRecorded) {
  auto store = open();
  auto failed = store->record_failed_batch(source("broken"), "corrupt archive");
  {
    auto batch = store->begin_batch(source("good"));
    EXPECT_GT(batch->batch_id(), failed);
    batch->upsert_movie(movie(1));
    batch->commit({3, 1, 1, 1, 2}, false);
  }
  auto loaded = store->loaded_batch("sha-good");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->status, "loaded");
  EXPECT_EQ(loaded->source.source, "file:///data/good.zip");
  EXPECT_EQ(loaded->source.staged_at, "2026-01-05T10:00:00.000Z");
  EXPECT_EQ(loaded->counts.rows_read, 3u);
  EXPECT_EQ(loaded->counts.duplicate_superseded, 1u);
  EXPECT_EQ(loaded->counts.warnings, 2u);
  EXPECT_THAT(
      loaded->started_at,
      ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z"));
  EXPECT_FALSE(store->loaded_batch("sha-broken"));
  auto all = store->batches();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].status, "failed");
  EXPECT_EQ(all[1].status, "loaded");
}

TEST_F(PostgresStoreTest, TextSurvivesCopyEscaping) {
  auto store = open();
  auto row = movie(1);
  row.overview = std::string("tab\there\nnew line\r\\N back\\slash \"quoted\" 'single' \xC3\xA9") +
                 std::string(1, '\0') + "after NUL";
  row.tagline = "bad \xFF byte";
  row.homepage = "";
  auto batch = store->begin_batch(source("a"));
  batch->upsert_movie(row);
  batch->commit({1, 1, 0, 0, 0}, false);
  EXPECT_EQ(select(*store, "SELECT overview, tagline, homepage FROM movie"),
            (Rows{{"tab\there\nnew line\r\\N back\\slash \"quoted\" 'single' \xC3\xA9 after NUL",
                   "bad \xEF\xBF\xBD byte", ""}}));
}

/// The flush size decides whether duplicates meet in one COPY buffer or across flushes; both
/// must give the same answers.
class PostgresFlushTest : public PostgresStoreTest,
                          public ::testing::WithParamInterface<std::size_t> {
 protected:
  std::unique_ptr<Store> open_flushing() {
    PostgresOptions options;
    options.flush_rows = GetParam();
    return open(options);
  }
};

TEST_P(PostgresFlushTest, TheLastDuplicateWinsAndEarlierOnesAreSuperseded) {
  auto store = open_flushing();
  auto batch = store->begin_batch(source("a"));
  auto early = movie(7, {{1, "Action"}}, {{10, "Acme"}});
  early.budget = 5;
  early.countries = {{"FR", "France"}};
  EXPECT_FALSE(batch->upsert_movie(early));
  EXPECT_FALSE(batch->upsert_movie(movie(8)));
  auto middle = movie(7, {{2, "Drama"}});
  EXPECT_TRUE(batch->upsert_movie(middle));
  auto last = movie(7, {{3, "Comedy"}}, {{11, "Beta"}});
  last.revenue = 9;
  last.languages = {{"fr",
                     "Fran\xC3\xA7"
                     "ais"}};
  EXPECT_TRUE(batch->upsert_movie(last));
  batch->commit({4, 2, 0, 2, 0}, false);

  EXPECT_EQ(select(*store, "SELECT id, budget, revenue, source_line FROM movie ORDER BY id"),
            (Rows{{"7", "NULL", "9", std::to_string(last.line)},
                  {"8", "NULL", "NULL", std::to_string(last.line - 2)}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre"), (Rows{{"7", "3"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, company_id FROM movie_company"), (Rows{{"7", "11"}}));
  EXPECT_EQ(count(*store, "movie_country"), "0");
  EXPECT_EQ(select(*store, "SELECT movie_id, iso_639_1 FROM movie_language"), (Rows{{"7", "fr"}}));
  // As on SQLite, names seen in superseded records are created on first sight.
  EXPECT_EQ(select(*store, "SELECT id, name FROM genre ORDER BY id"),
            (Rows{{"1", "Action"}, {"2", "Drama"}, {"3", "Comedy"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, revenue FROM movie_version ORDER BY 1"),
            (Rows{{"7", "9"}, {"8", "NULL"}}));
}

TEST_P(PostgresFlushTest, NamesSettleFromTheLastSurvivingRecord) {
  auto store = open_flushing();
  {
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1, {{5, "Old"}}, {{7, "Acme"}}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto batch = store->begin_batch(source("b"));
  batch->upsert_movie(movie(2, {{5, "Early"}}, {{7, "Acme Early"}}));
  batch->upsert_movie(movie(3, {{5, "Later"}}, {{7, "Acme Later"}}));
  batch->upsert_movie(movie(4, {{6, "Only superseded"}}));
  // Movie 3 comes back without genre 5 and with another company name: its earlier record no
  // longer counts, so genre 5 settles on "Early" and company 7 on "Acme Final".
  EXPECT_TRUE(batch->upsert_movie(movie(3, {}, {{7, "Acme Final"}})));
  EXPECT_TRUE(batch->upsert_movie(movie(4)));
  batch->commit({5, 3, 0, 2, 0}, false);
  EXPECT_EQ(select(*store, "SELECT id, name FROM genre ORDER BY id"),
            (Rows{{"5", "Early"}, {"6", "Only superseded"}}));
  EXPECT_EQ(select(*store, "SELECT id, name FROM production_company"), (Rows{{"7", "Acme Final"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1"),
            (Rows{{"1", "5"}, {"2", "5"}}));
}

TEST_P(PostgresFlushTest, ASnapshotRemovesAbsentMovies) {
  auto store = open_flushing();
  {
    auto batch = store->begin_batch(source("a"));
    for (int id : {1, 2, 3}) batch->upsert_movie(movie(id, {{1, "Action"}}, {{10, "Acme"}}));
    batch->commit({3, 3, 0, 0, 0}, false);
  }
  {
    auto batch = store->begin_batch(source("b"));
    batch->upsert_movie(movie(2, {{1, "Action"}}));
    batch->upsert_movie(movie(4));
    batch->commit({2, 2, 0, 0, 0}, true);
  }
  EXPECT_EQ(select(*store, "SELECT id, batch_id FROM movie ORDER BY id"),
            (Rows{{"2", "2"}, {"4", "2"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre"), (Rows{{"2", "1"}}));
  EXPECT_EQ(count(*store, "movie_company"), "0");
  EXPECT_EQ(count(*store, "movie_version"), "5") << "history keeps what snapshots remove";
}

INSTANTIATE_TEST_SUITE_P(FlushSizes, PostgresFlushTest, ::testing::Values(1, 2, 3, 10000),
                         [](const auto& info) { return fmt::format("Every{}", info.param); });

TEST_F(PostgresStoreTest, RollbackLeavesNothingButTheFailedBatchRow) {
  auto store = open();
  std::int64_t id = 0;
  {
    PostgresOptions options;
    options.flush_rows = 2;
    auto flushing = open(options);
    auto batch = flushing->begin_batch(source("a"));
    id = batch->batch_id();
    for (int m = 1; m <= 5; ++m) batch->upsert_movie(movie(m, {{1, "Action"}}));
    batch->rollback("reject limit passed");
  }
  for (auto table : {"movie", "genre", "movie_genre", "movie_version"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  EXPECT_EQ(select(*store, "SELECT id, status, message FROM ingest_batch"),
            (Rows{{std::to_string(id), "failed", "reject limit passed"}}));
  {
    auto abandoned = store->begin_batch(source("b"));
    abandoned->upsert_movie(movie(1));
  }
  EXPECT_EQ(count(*store, "movie"), "0");
  EXPECT_EQ(select(*store, "SELECT status, message FROM ingest_batch ORDER BY id DESC LIMIT 1"),
            (Rows{{"failed", "the batch was abandoned before it committed"}}));
}

TEST_F(PostgresStoreTest, AConnectionKilledMidBatchLeavesTheDatabaseAsBefore) {
  std::string app = "kill_" + db_;
  url_ = with_parameter(url_, "application_name=" + app);
  PostgresOptions options;
  options.flush_rows = 2;
  auto store = open(options);
  {
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1, {{1, "Action"}}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto batch = store->begin_batch(source("b"));
  for (int m = 1; m <= 5; ++m) batch->upsert_movie(movie(m, {{2, "Drama"}}));  // two flushes done
  EXPECT_EQ(Admin(base_).value(fmt::format("SELECT COUNT(pg_terminate_backend(pid)) FROM "
                                           "pg_stat_activity WHERE application_name = '{}'",
                                           app)),
            "1");
  try {
    batch->commit({5, 5, 0, 0, 0}, false);
    FAIL() << "committed on a killed connection";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr(store->describe()));
    EXPECT_THAT(e.what(), HasSubstr("connection to the server was lost"));
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("\n")));
  }
  batch->rollback("lost the connection");
  batch.reset();
  EXPECT_EQ(select(*store, "SELECT id, batch_id FROM movie"), (Rows{{"1", "1"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, genre_id FROM movie_genre"), (Rows{{"1", "1"}}));
  EXPECT_EQ(select(*store, "SELECT status FROM ingest_batch ORDER BY id"),
            (Rows{{"loaded"}, {"failed"}}));
  auto rerun = store->begin_batch(source("b"));
  for (int m = 1; m <= 5; ++m) rerun->upsert_movie(movie(m, {{2, "Drama"}}));
  rerun->commit({5, 5, 0, 0, 0}, false);
  EXPECT_EQ(count(*store, "movie"), "5");
}

TEST_F(PostgresStoreTest, AStatementTimeoutFailsTheBatchCleanly) {
  url_ = with_parameter(url_, "options=-c%20statement_timeout%3D300");
  auto store = open();
  Admin blocker(url_);
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE production_company IN ACCESS EXCLUSIVE MODE");
  auto batch = store->begin_batch(source("a"));
  batch->upsert_movie(movie(1, {{1, "Action"}}, {{10, "Acme"}}));
  try {
    batch->commit({1, 1, 0, 0, 0}, false);
    FAIL() << "the merge did not wait for the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("statement timeout"));
    EXPECT_THAT(e.what(), HasSubstr("production_company"));
  }
  blocker.exec("ROLLBACK");
  batch->rollback("statement timeout");
  EXPECT_EQ(count(*store, "movie"), "0");
  EXPECT_EQ(count(*store, "genre"), "0");
  try {
    select(*store, "SELECT pg_sleep(2)");
    FAIL() << "pg_sleep outlived statement_timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("statement_timeout"));
  }
  EXPECT_EQ(select(*store, "SELECT 1"), Rows{{"1"}})
      << "the session is usable after a failed query";
}

TEST_F(PostgresStoreTest, QueryBindsQuestionMarksOutsideLiterals) {
  auto store = open();
  std::vector<std::string> seen;
  auto columns =
      store->query("SELECT ? AS a, '?''?' AS b, ? AS c, NULL AS d /* ? */ -- ?\n",
                   std::vector<Param>{std::int64_t{5000000000}, std::string("it's")},
                   [&](const std::vector<std::string>& names, const std::vector<Cell>& row) {
                     seen = names;
                     EXPECT_EQ(row[0], "5000000000");
                     EXPECT_EQ(row[1], "?'?");
                     EXPECT_EQ(row[2], "it's");
                     EXPECT_FALSE(row[3].has_value());
                   });
  EXPECT_THAT(columns, ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(seen, columns);
  int rows = 0;
  columns =
      store->query("SELECT id, title FROM movie WHERE id = ?", std::vector<Param>{std::int64_t{1}},
                   [&](const auto&, const auto&) { ++rows; });
  EXPECT_EQ(rows, 0);
  EXPECT_THAT(columns, ElementsAre("id", "title")) << "column names come without rows too";
  try {
    select(*store, "SELECT no_such_column FROM movie");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("no_such_column"));
  }
}

TEST(PostgresPlaceholders, RewritesOnlyPlaceholders) {
  EXPECT_EQ(to_postgres_placeholders("SELECT ?, ?"), "SELECT $1, $2");
  EXPECT_EQ(to_postgres_placeholders("SELECT '?', \"?\", ? -- ?\n, ?"),
            "SELECT '?', \"?\", $1 -- ?\n, $2");
  EXPECT_EQ(to_postgres_placeholders("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT E'\\' ?', ?"), "SELECT E'\\' ?', $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT /* a /* ? */ ? */ ?"), "SELECT /* a /* ? */ ? */ $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT $$?$$, $q$ ? $q$, ?"), "SELECT $$?$$, $q$ ? $q$, $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT a$b, ?"), "SELECT a$b, $1");
  EXPECT_EQ(to_postgres_placeholders("SELECT 'open ?"), "SELECT 'open ?");
}

TEST_F(PostgresStoreTest, AMissingDatabaseSaysSo) {
  try {
    open_postgres_store(with_database(base_, db_ + "_missing"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr(db_ + "_missing"));
    EXPECT_THAT(e.what(), HasSubstr("does not exist"));
    EXPECT_THAT(e.what(), HasSubstr("createdb"));
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("\n")));
  }
}

TEST(PostgresConnect, ARefusedConnectionNamesTheServerAndNotThePassword) {
  int port = 0;
  {
    // A port nobody listens on: bind one, then let it go.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::close(fd);
  }
  std::string url = fmt::format("postgresql://marquee:s3cret@127.0.0.1:{}/movies", port);
  try {
    open_postgres_store(url);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("postgresql://marquee@127.0.0.1:{}/movies", port)));
    EXPECT_THAT(e.what(), HasSubstr("Connection refused"));
    EXPECT_THAT(e.what(), HasSubstr("server is running"));
    EXPECT_THAT(e.what(), Not(HasSubstr("s3cret")));
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("\n")));
  }
}

TEST_F(PostgresStoreTest, AnUnknownRoleSaysSo) {
  auto url = with_database(base_, db_);
  url.replace(url.find("://") + 3, url.find('@') - url.find("://") - 3, "nobody_here:pw");
  try {
    open_postgres_store(url);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("nobody_here"));
    EXPECT_THAT(e.what(), Not(HasSubstr(":pw")));
  }
}

TEST_F(PostgresStoreTest, TheRunLockAdmitsOneLoader) {
  auto store = open();
  auto first = store->lock_run({});
  std::string holder_pid = Admin(url_).value(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1");
  ASSERT_FALSE(holder_pid.empty());
  try {
    auto second = store->lock_run({.no_wait = true});
    FAIL() << "two loaders hold the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
    EXPECT_THAT(e.what(), HasSubstr("another marquee load holds the PostgreSQL advisory lock"));
    EXPECT_THAT(e.what(), HasSubstr("pid " + holder_pid));
    EXPECT_THAT(e.what(), HasSubstr("application_name 'marquee'"));
    EXPECT_THAT(e.what(), HasSubstr(db_));
  }
  auto started = std::chrono::steady_clock::now();
  try {
    auto second = store->lock_run({.timeout = std::chrono::milliseconds(300)});
    FAIL() << "two loaders hold the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
    EXPECT_THAT(e.what(), HasSubstr("after waiting 300 ms"));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(250));
  first.reset();
  EXPECT_NE(store->lock_run({.no_wait = true}), nullptr);
}

TEST_F(PostgresStoreTest, ReadOnlyRefusesAWrite) {
  open();
  auto store = open_store(url_, {.read_only = true});
  EXPECT_EQ(count(*store, "movie"), "0");
  try {
    store->record_failed_batch(source("broken"), "corrupt archive");
    FAIL() << "a read-only store wrote";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("read-only"));
  }
}

TEST_F(PostgresStoreTest, HistoryPartitionsAreMadeAheadAndPruned) {
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto partitions = [&] {
    return select(*store,
                  "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = 'movie_version'::regclass ORDER BY 1");
  };
  auto made = partitions();
  ASSERT_EQ(made.size(), 2u) << "this week and the next";
  EXPECT_EQ(
      select(*store,
             "SELECT COUNT(*) FROM movie_version WHERE loaded_at >= date_trunc('week', now())"),
      Rows{{"1"}});
  Admin(url_).exec(
      "CREATE TABLE movie_version_w20200106 PARTITION OF movie_version FOR VALUES FROM "
      "('2020-01-06 00:00:00+00') TO ('2020-01-13 00:00:00+00')");
  EXPECT_EQ(store->prune_history(4), std::vector<std::string>{"movie_version_w20200106"});
  EXPECT_EQ(partitions(), made);
  EXPECT_TRUE(store->prune_history(0).empty());
  EXPECT_EQ(count(*store, "movie_version"), "1");

  auto sqlite_path = std::filesystem::temp_directory_path() / (db_ + ".db");
  auto sqlite = open_sqlite_store(sqlite_path);
  try {
    sqlite->prune_history(4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
  }
  sqlite.reset();
  std::filesystem::remove(sqlite_path);
}

MovieRow report_movie(std::int64_t id, std::optional<int> year, std::optional<std::int64_t> budget,
                      std::optional<std::int64_t> revenue, std::optional<std::int64_t> popularity,
                      std::vector<dataset::NamedItem> genres,
                      std::vector<dataset::NamedItem> companies) {
  auto row = movie(id, std::move(genres), std::move(companies));
  row.release_year = year;
  row.release_date =
      year ? std::optional<std::string>(fmt::format("{}-06-30", *year)) : std::nullopt;
  row.budget = budget;
  row.revenue = revenue;
  row.popularity_micros = popularity;
  return row;
}

void load_report_data(Store& store) {
  dataset::NamedItem action{1, "Action"}, drama{2, "Drama"}, acme{10, "Acme"},
      beta{11, "Beta, Inc."};
  auto batch = store.begin_batch(source("report"));
  batch->upsert_movie(report_movie(1, 2000, 100, 300, 1500000, {action, drama}, {acme}));
  batch->upsert_movie(report_movie(2, 2000, std::nullopt, 50, 2250000, {action}, {acme, beta}));
  batch->upsert_movie(report_movie(3, 2001, 200, 100, std::nullopt, {drama}, {beta}));
  batch->upsert_movie(report_movie(4, std::nullopt, 10, 20, 9000000, {action}, {acme}));
  batch->upsert_movie(report_movie(5, 2000, 40, 60, 1, {drama}, {}));
  batch->commit({5, 5, 0, 0, 0}, false);
}

TEST_F(PostgresStoreTest, TheReportQueriesRunUnchanged) {
  auto store = open();
  load_report_data(*store);
  EXPECT_EQ(
      select(*store, report_sql("company_yearly")),
      (Rows{{"10", "Acme", "2000", "2", "1", "100", "2", "350", "1", "200", "1.875000"},
            {"11", "Beta, Inc.", "2000", "1", "0", "NULL", "1", "50", "0", "NULL", "2.250000"},
            {"11", "Beta, Inc.", "2001", "1", "1", "200", "1", "100", "1", "-100", "NULL"}}));
  EXPECT_EQ(select(*store, report_sql("company_genre_yearly")),
            (Rows{{"10", "Acme", "2000", "1", "Action", "2"},
                  {"10", "Acme", "2000", "2", "Drama", "1"},
                  {"11", "Beta, Inc.", "2000", "1", "Action", "1"},
                  {"11", "Beta, Inc.", "2001", "2", "Drama", "1"}}));
  // Drama 2000: (1500000 + 1) / 2 = 750000.5 millionths, rounded half to even.
  EXPECT_EQ(select(*store, report_sql("genre_yearly")),
            (Rows{{"2000", "1", "Action", "2", "1.875000", "1", "1", "100", "2", "350", "1", "200"},
                  {"2000", "2", "Drama", "2", "0.750000", "2", "2", "140", "2", "360", "2", "220"},
                  {"2001", "2", "Drama", "1", "NULL", "1", "1", "200", "1", "100", "1", "-100"}}));
  EXPECT_EQ(select(*store, report_sql("most_popular_genre_by_year")),
            (Rows{{"2000", "1", "Action", "2", "1.875000"}, {"2001", "2", "Drama", "1", "NULL"}}));
}

/// The same records into SQLite and PostgreSQL: every table the reports read and every report
/// must come out the same, whatever the flush size.
class PostgresMatchesSqliteTest : public PostgresFlushTest {};

MovieRow random_movie(std::mt19937& random, std::uint64_t line) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  MovieRow row;
  row.id = 1 + pick(40);
  row.line = line;
  row.title = fmt::format("Title {} v{}", row.id, pick(3));
  if (pick(5) == 0) row.overview = "quote \" tab\t newline\n backslash \\ \xE2\x98\x85";
  if (pick(6) != 0) {
    row.release_year = 1990 + pick(4);
    row.release_date = fmt::format("{}-0{}-1{}", *row.release_year, 1 + pick(9), pick(9));
  }
  if (pick(3) != 0) row.budget = 1 + pick(1000);
  if (pick(3) != 0) row.revenue = 1 + pick(2000);
  if (pick(4) != 0) row.popularity_micros = pick(5000000);
  if (pick(3) != 0) row.adult = pick(2) == 0;
  if (pick(3) == 0)
    row.collection = dataset::Collection{100 + pick(4), fmt::format("Saga v{}", pick(3)),
                                         std::nullopt, "/b.jpg"};
  for (int g = 1; g <= 6; ++g) {
    if (pick(3) == 0) row.genres.push_back({g, fmt::format("Genre {} v{}", g, pick(3))});
  }
  for (int c = 10; c <= 15; ++c) {
    if (pick(4) == 0) row.companies.push_back({c, fmt::format("Company {} v{}", c, pick(3))});
  }
  for (const char* code : {"US", "FR", "DE"}) {
    if (pick(3) == 0) row.countries.push_back({code, fmt::format("{} v{}", code, pick(2))});
  }
  for (const char* code : {"en", "fr"}) {
    if (pick(3) == 0) row.languages.push_back({code, fmt::format("{} v{}", code, pick(2))});
  }
  return row;
}

/// The model and the reports; a movie's batch by its source, so that two stores that loaded the
/// same batches in another order compare equal.
Rows dump(Store& store, bool with_batches = true) {
  Rows out;
  std::vector<std::string> queries = {
      "SELECT id, title, overview, release_date, release_year, budget, revenue, "
      "popularity_micros, CASE WHEN adult THEN 1 WHEN NOT adult THEN 0 END, collection_id, "
      "(SELECT source FROM ingest_batch AS b WHERE b.id = movie.batch_id), source_line FROM movie "
      "ORDER BY id"};
  for (const std::string& sql : std::vector<std::string>{
           "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1, 2",
           "SELECT movie_id, company_id FROM movie_company ORDER BY 1, 2",
           "SELECT movie_id, iso_3166_1 FROM movie_country ORDER BY 1, 2",
           "SELECT movie_id, iso_639_1 FROM movie_language ORDER BY 1, 2",
           "SELECT id, name FROM genre ORDER BY id",
           "SELECT id, name FROM production_company ORDER BY id",
           "SELECT iso_3166_1, name FROM production_country ORDER BY 1",
           "SELECT iso_639_1, name FROM spoken_language ORDER BY 1",
           "SELECT id, name, poster_path, backdrop_path FROM collection ORDER BY id",
           report_sql("company_yearly"), report_sql("company_genre_yearly"),
           report_sql("genre_yearly"), report_sql("most_popular_genre_by_year")}) {
    queries.push_back(sql);
  }
  if (with_batches) {
    queries.push_back(
        "SELECT id, status, rows_read, rows_loaded, duplicate_superseded, older_than_loaded FROM "
        "ingest_batch ORDER BY id");
  }
  for (const std::string& sql : queries) {
    out.push_back({"-- " + sql.substr(0, 40)});
    for (auto& row : select(store, sql)) out.push_back(std::move(row));
  }
  return out;
}

TEST_P(PostgresMatchesSqliteTest, SameRecordsSameModel) {
  auto postgres = open_flushing();
  auto sqlite_path = std::filesystem::temp_directory_path() / (db_ + ".db");
  auto sqlite = open_sqlite_store(sqlite_path);
  std::mt19937 random(20260105);
  std::uint64_t line = 1;
  for (int b = 0; b < 3; ++b) {
    auto pw = postgres->begin_batch(source(fmt::format("b{}", b)));
    auto sw = sqlite->begin_batch(source(fmt::format("b{}", b)));
    int records = 60 + 20 * b;
    for (int i = 0; i < records; ++i) {
      auto row = random_movie(random, ++line);
      if (b == 2) row.id = 1 + row.id % 20;
      EXPECT_EQ(pw->upsert_movie(row), sw->upsert_movie(row)) << "batch " << b << " record " << i;
    }
    BatchCounts counts{static_cast<std::uint64_t>(records), 0, 0, 0, 0, 0};
    pw->commit(counts, b == 2);
    sw->commit(counts, b == 2);
    auto expected = dump(*sqlite);
    auto actual = dump(*postgres);
    ASSERT_EQ(actual.size(), expected.size()) << "after batch " << b;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(actual[i], expected[i]) << "after batch " << b << ", row " << i;
    }
  }
  sqlite.reset();
  std::filesystem::remove(sqlite_path);
  std::filesystem::remove(sqlite_path.string() + "-wal");
  std::filesystem::remove(sqlite_path.string() + "-shm");
}

/// Last writer wins by data time: batches committed in any order end as if committed in
/// data-time order. PostgreSQL takes them shuffled, SQLite in data-time order, and both must
/// hold the same model (names included) and write the same reports; then an older snapshot
/// leaves alone the movies of newer batches.
TEST_P(PostgresMatchesSqliteTest, BatchesInAnyOrderEndAsInDataTimeOrder) {
  auto postgres = open_flushing();
  auto sqlite_path = std::filesystem::temp_directory_path() / (db_ + "-order.db");
  auto sqlite = open_sqlite_store(sqlite_path);
  std::mt19937 random(20261127);
  struct Batch {
    std::string name, data_time;
    std::vector<MovieRow> rows;
    bool snapshot = false;
  };
  std::vector<Batch> batches;
  std::uint64_t line = 1;
  for (int b = 0; b < 8; ++b) {
    Batch batch{fmt::format("d{}", b), fmt::format("2025-0{}-01T00:00:00.000Z", 1 + b), {}};
    for (int i = 0; i < 30; ++i) batch.rows.push_back(random_movie(random, ++line));
    for (int k = 0; k < 3 && b < 4; ++k) {  // movies only this old batch has
      batch.rows.push_back(random_movie(random, ++line));
      batch.rows.back().id = 200 + 10 * b + k;
    }
    batches.push_back(std::move(batch));
  }
  // Batch 8: a full snapshot between d3 and d4. Loaded after it, d0-d3 change nothing of the
  // movies: the snapshot kept or removed each of them as of a later time.
  Batch snapshot{"s", "2025-04-15T00:00:00.000Z", {}, true};
  for (int i = 0; i < 30; ++i) snapshot.rows.push_back(random_movie(random, ++line));
  batches.push_back(std::move(snapshot));
  auto load = [](Store& store, const Batch& batch) {
    auto writer = store.begin_batch(source(batch.name, batch.data_time));
    std::uint64_t superseded = 0;
    for (const auto& row : batch.rows) superseded += writer->upsert_movie(row) ? 1 : 0;
    std::uint64_t read = batch.rows.size();
    auto counts = writer->commit({read, read - superseded, 0, superseded, 0, 0}, batch.snapshot);
    EXPECT_EQ(counts.rows_read, counts.rows_loaded + counts.duplicate_superseded) << batch.name;
    return counts;
  };
  for (std::size_t i : {0, 1, 2, 3, 8, 4, 5, 6, 7}) load(*sqlite, batches[i]);  // data-time order
  std::vector<std::size_t> order = {5, 1, 8, 7, 0, 3, 6, 2, 4};  // backfill between newer loads
  std::uint64_t older = 0;
  for (std::size_t i : order) older += load(*postgres, batches[i]).older_than_loaded;
  EXPECT_GT(older, 0u) << "the shuffled order must meet movies already loaded newer";
  auto expected = dump(*sqlite, false);
  auto actual = dump(*postgres, false);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << i;

  // A snapshot of an older data time than batch 7: movies of batch 7 stay, older ones go.
  MovieRow only = batches[0].rows.front();
  for (Store* store : {static_cast<Store*>(postgres.get()), static_cast<Store*>(sqlite.get())}) {
    auto writer = store->begin_batch(source("old-snapshot", "2025-06-15T00:00:00.000Z"));
    writer->upsert_movie(only);
    writer->commit({1, 1, 0, 0, 0, 0}, true);
  }
  EXPECT_NE(select(*postgres,
                   "SELECT count(*) FROM movie WHERE batch_id IN (SELECT id FROM ingest_batch "
                   "WHERE source LIKE '%/d7.zip')"),
            Rows{{"0"}});
  EXPECT_EQ(select(*postgres,
                   "SELECT count(*) FROM movie m JOIN ingest_batch b ON b.id = m.batch_id WHERE "
                   "b.data_time < '2025-06-15' AND b.source NOT LIKE '%old-snapshot%'"),
            Rows{{"0"}});
  expected = dump(*sqlite, false);
  actual = dump(*postgres, false);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << i;
  sqlite.reset();
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(sqlite_path.string() + suffix);
}

INSTANTIATE_TEST_SUITE_P(FlushSizes, PostgresMatchesSqliteTest, ::testing::Values(2, 7, 10000),
                         [](const auto& info) { return fmt::format("Every{}", info.param); });

}  // namespace
}  // namespace marquee::store
