#include "store/postgres_store.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "store/postgres_session.hpp"
#include "store/sqlite_store.hpp"
#include "store_contract.hpp"

// What the store contract (store_contract_test.cpp) checks on both engines is not repeated here:
// these are PostgreSQL's own behaviours (history, connections, sessions, its messages).
namespace marquee::store::test {
namespace {

using dataset::MovieRow;
using ::testing::HasSubstr;
using ::testing::Not;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("MARQUEE_TEST_PG");
    if (base == nullptr || *base == '\0') {
      GTEST_SKIP() << "MARQUEE_TEST_PG is not set; ./test.sh starts a server and sets it";
    }
    base_ = base;
    db_ = scratch_postgres_name();
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

TEST_F(PostgresStoreTest, DescribeLeavesThePasswordOut) {
  EXPECT_EQ(
      describe_postgres_url("postgresql://marquee:s3cret@db.example:5433/movies?sslmode=require"),
      "postgresql://marquee@db.example:5433/movies");
  EXPECT_EQ(describe_postgres_url("postgres://u@h/d?password=s3cret"), "postgresql://u@h/d");
  auto store = open();
  EXPECT_EQ(store->describe(), describe_postgres_url(url_));
  EXPECT_THAT(store->describe(), HasSubstr("/" + db_));
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

/// movie_version keeps each version a batch loaded: not the records a later duplicate of the
/// same batch superseded, but still the movies a later batch replaced or a snapshot removed; a
/// rolled-back batch leaves none, even after some of its records went out in a flush.
TEST_P(PostgresFlushTest, HistoryKeepsEveryLoadedVersion) {
  auto store = open_flushing();
  {
    auto batch = store->begin_batch(source("a"));
    auto early = movie(7, {{1, "Action"}});
    early.revenue = 5;
    EXPECT_FALSE(batch->upsert_movie(early));
    EXPECT_FALSE(batch->upsert_movie(movie(8)));
    auto last = movie(7, {{3, "Comedy"}});
    last.revenue = 9;
    EXPECT_TRUE(batch->upsert_movie(last));
    EXPECT_FALSE(batch->upsert_movie(movie(1)));
    batch->commit({4, 3, 0, 1, 0}, false);
  }
  {
    auto batch = store->begin_batch(source("b"));
    auto again = movie(1);
    again.title = "Movie 1, again";
    batch->upsert_movie(again);
    batch->commit({1, 1, 0, 0, 0}, true);  // a snapshot: removes movies 7 and 8
  }
  {
    auto batch = store->begin_batch(source("c"));
    for (int m = 1; m <= 5; ++m) batch->upsert_movie(movie(m, {{1, "Action"}}));
    batch->rollback("reject limit passed");
  }
  EXPECT_EQ(select(*store, "SELECT id, title FROM movie"), (Rows{{"1", "Movie 1, again"}}));
  EXPECT_EQ(
      select(*store,
             "SELECT movie_id, batch_id, title, revenue FROM movie_version ORDER BY batch_id, 1"),
      (Rows{{"1", "1", "Movie 1", "NULL"},
            {"7", "1", "Movie 7", "9"},
            {"8", "1", "Movie 8", "NULL"},
            {"1", "2", "Movie 1, again", "NULL"}}));
}

INSTANTIATE_TEST_SUITE_P(FlushSizes, PostgresFlushTest, ::testing::Values(1, 2, 3, 10000),
                         [](const auto& info) { return fmt::format("Every{}", info.param); });

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

// A first load reads the new model back with COPY … TO STDOUT (its report aggregates): every
// row reaches the reader as one line, and a reader that fails leaves the session usable, so the
// batch's rollback can still run on it.
TEST_F(PostgresStoreTest, CopyOutHandsEachRowToTheReaderAndSurvivesAReaderThatFails) {
  Session s(url_, "the test database");
  std::vector<std::string> lines;
  s.copy_out(
      "COPY (SELECT i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'a\tb' END FROM "
      "generate_series(1, 4) AS i) TO STDOUT",
      "reading rows", [&](std::string_view line) { lines.emplace_back(line); });
  EXPECT_THAT(lines, ::testing::ElementsAre("1\ta\\tb\n", "2\t\\N\n", "3\ta\\tb\n", "4\t\\N\n"));

  std::size_t seen = 0;
  try {
    s.copy_out("COPY (SELECT i FROM generate_series(1, 100000) AS i) TO STDOUT", "reading rows",
               [&](std::string_view) {
                 if (++seen == 10) throw Error(ExitCode::kDatabase, "the reader gave up");
               });
    FAIL() << "the reader's failure was lost";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the reader gave up");
  }
  EXPECT_EQ(seen, 10U);  // the rows after the failure were drained, not handed on
  auto r = s.exec("SELECT 41 + 1", "checking the session");
  EXPECT_EQ(int_of(r, 0, 0), 42);

  try {
    s.copy_out("COPY (SELECT 1 / 0) TO STDOUT", "dividing by zero", [](std::string_view) {});
    FAIL() << "a failing query was not reported";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("dividing by zero"));
    EXPECT_THAT(e.what(), HasSubstr("division by zero"));
  }
  EXPECT_EQ(int_of(s.exec("SELECT 7", "checking the session"), 0, 0), 7);
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

/// The contract has the lock admitting one loader; PostgreSQL's message names the session that
/// holds it.
TEST_F(PostgresStoreTest, TheLockMessageNamesTheHolder) {
  auto store = open();
  auto first = store->lock_run({});
  // This database's lock only: the suite runs beside other tests whose databases on the same
  // server hold advisory locks of their own (one of them once answered here instead).
  std::string holder_pid = Admin(url_).value(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND "
      "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
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
  try {
    auto second = store->lock_run({.timeout = std::chrono::milliseconds(300)});
    FAIL() << "two loaders hold the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
    EXPECT_THAT(e.what(), HasSubstr("after waiting 300 ms"));
  }
}

TEST_F(PostgresStoreTest, HistoryPartitionsAreMadeAheadAndPruned) {
  auto store = open();
  EXPECT_EQ(select(*store, "SELECT relkind FROM pg_class WHERE relname = 'movie_version'"),
            Rows{{"p"}});
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
    // SQLite takes the records in chunks of 7, as the loader gives them; the first load (a
    // bulk load on SQLite) and the last batch repeat movies, within a chunk and across chunks.
    std::vector<MovieRow> rows;
    for (int i = 0; i < records; ++i) {
      rows.push_back(random_movie(random, ++line));
      if (b == 2 || (b == 0 && i % 4 == 0)) rows.back().id = 1 + rows.back().id % 20;
    }
    for (std::size_t at = 0; at < rows.size(); at += 7) {
      std::span chunk = std::span(rows).subspan(at, std::min<std::size_t>(7, rows.size() - at));
      std::uint64_t superseded = 0;
      for (const auto& row : chunk) superseded += pw->upsert_movie(row) ? 1 : 0;
      EXPECT_EQ(sw->upsert_movies(chunk), superseded) << "batch " << b << " record " << at;
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
}  // namespace marquee::store::test
