#include "store_contract.hpp"

#include <chrono>
#include <map>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace marquee::store::test {
namespace {

using dataset::MovieRow;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const dataset::NamedItem kDrama{18, "Drama"};

/// The rows of a two-column query as a map from the first column to the second.
std::map<std::string, std::string> pairs(Store& store, std::string_view sql) {
  std::map<std::string, std::string> out;
  for (auto& row : select(store, sql)) out[row.at(0)] = row.at(1);
  return out;
}

using Pairs = std::map<std::string, std::string>;

TEST_P(StoreContractTest, MigratesAnEmptyDatabase) {
  auto store = open();
  EXPECT_EQ(store->engine(), GetParam().engine);
  EXPECT_EQ(select(*store, "SELECT max(version) FROM schema_version"), Rows{{"6"}});
  for (auto table : {"movie",
                     "genre",
                     "production_company",
                     "collection",
                     "production_country",
                     "spoken_language",
                     "movie_genre",
                     "movie_company",
                     "movie_country",
                     "movie_language",
                     "ingest_batch",
                     "data_check_result",
                     "link",
                     "keyword",
                     "movie_keyword",
                     "person",
                     "cast_credit",
                     "crew_credit",
                     "rating",
                     "rating_total",
                     "ingest_file",
                     "report_company_year",
                     "report_genre_year",
                     "report_company_genre_year"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  store.reset();
  auto again = open();
  EXPECT_EQ(select(*again, "SELECT max(version) FROM schema_version"), Rows{{"6"}});
}

TEST_P(StoreContractTest, ReopeningKeepsTheSchemaAndData) {
  {
    auto store = open();
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1, {kDrama}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto store = open();
  EXPECT_TRUE(store->loaded_batch("sha-a"));
  EXPECT_EQ(select(*store, "SELECT max(version) FROM schema_version"), Rows{{"6"}});
  EXPECT_EQ(select(*store, "SELECT id FROM movie"), Rows{{"1"}});
}

TEST_P(StoreContractTest, NewerSchemaVersionFailsClearly) {
  open();
  exec_behind_the_store(
      "INSERT INTO schema_version (version, applied_at) VALUES (99, '2099-01-01T00:00:00Z')");
  try {
    open();
    FAIL() << "opened a database of a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("schema version 99"));
    EXPECT_THAT(e.what(), HasSubstr(database_name()));
  }
}

TEST_P(StoreContractTest, AnUnopenableDatabaseExits4NamingIt) {
  auto unopenable = unopenable_url();
  try {
    open_store(unopenable);
    FAIL() << "opened " << unopenable;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr(postgres() ? database_name() + "_missing" : "no-such-folder"));
  }
}

TEST_P(StoreContractTest, MustExistRefusesAMissingDatabase) {
  auto missing = missing_url();
  try {
    open_store(missing, {.must_exist = true});
    FAIL() << "opened a database that did not exist: " << missing;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr(postgres() ? database_name() + "_missing" : "missing-db"));
  }
  EXPECT_THROW(open_store(missing, {.must_exist = true}), Error) << "the refusal created it";
  open();
  EXPECT_NE(open_store(url(), {.must_exist = true}), nullptr);
}

TEST_P(StoreContractTest, DescribeNamesTheDatabase) {
  auto store = open();
  EXPECT_THAT(store->describe(), HasSubstr(database_name()));
}

TEST_P(StoreContractTest, BatchRowsAreRecorded) {
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

TEST_P(StoreContractTest, TheLastDuplicateWinsAndEarlierOnesAreSuperseded) {
  auto store = open();
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
  // Names seen in superseded records are created on first sight.
  EXPECT_EQ(select(*store, "SELECT id, name FROM genre ORDER BY id"),
            (Rows{{"1", "Action"}, {"2", "Drama"}, {"3", "Comedy"}}));

  auto other = open({}, 1);
  auto twice = other->begin_batch(source("b"));
  EXPECT_FALSE(twice->upsert_movie(with_budget(movie(1, {kDrama}, {{7, "A"}}), 10)));
  EXPECT_TRUE(twice->upsert_movie(with_budget(movie(1, {kDrama}, {{8, "B"}}), 20)));
  twice->commit({2, 1, 0, 1, 0}, false);
  EXPECT_EQ(pairs(*other, "SELECT id, budget FROM movie"), (Pairs{{"1", "20"}}));
  EXPECT_EQ(pairs(*other, "SELECT movie_id, company_id FROM movie_company"), (Pairs{{"1", "8"}}));
}

TEST_P(StoreContractTest, NamesSettleFromTheLastSurvivingRecord) {
  auto store = open();
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

  auto other = open({}, 1);
  auto companies = other->begin_batch(source("c"));
  companies->upsert_movie(movie(2, {kDrama}, {{5, "Eta"}}));  // survives
  companies->upsert_movie(
      movie(1, {kDrama}, {{5, "Zeta Late"}}));  // superseded below: its name must not count
  companies->upsert_movie(movie(1, {kDrama}));
  companies->upsert_movie(movie(3, {kDrama}, {{6, "Old"}}));
  companies->upsert_movie(movie(4, {kDrama}, {{6, "New"}}));
  companies->commit({5, 4, 0, 1, 0}, false);
  EXPECT_EQ(pairs(*other, "SELECT id, name FROM production_company"),
            (Pairs{{"5", "Eta"}, {"6", "New"}}));
}

TEST_P(StoreContractTest, ALaterBatchReplacesTheRowAndAllItsLinks) {
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

  auto other = open({}, 1);
  auto first = other->begin_batch(source("c"));
  first->upsert_movie(movie(1, {kDrama}, {{5, "Old Name"}}));
  first->upsert_movie(movie(2, {kDrama}, {{5, "Old Name"}}));
  first->commit({2, 2, 0, 0, 0}, false);
  auto second = other->begin_batch(source("d"));
  EXPECT_FALSE(second->upsert_movie(movie(2, {kDrama}, {{5, "New Name"}, {9, "Other"}})));
  second->commit({1, 1, 0, 0, 0}, false);
  EXPECT_EQ(pairs(*other, "SELECT id, name FROM production_company"),
            (Pairs{{"5", "New Name"}, {"9", "Other"}}));
  EXPECT_EQ(count(*other, "movie_company"), "3");
}

TEST_P(StoreContractTest, ASnapshotRemovesAbsentMovies) {
  auto store = open();
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
}

TEST_P(StoreContractTest, RollbackLeavesNothingButTheFailedBatchRow) {
  auto store = open();
  std::int64_t id = 0;
  {
    auto batch = store->begin_batch(source("a"));
    id = batch->batch_id();
    for (int m = 1; m <= 5; ++m) batch->upsert_movie(movie(m, {{1, "Action"}}, {{5, "A"}}));
    batch->rollback("reject limit passed");
  }
  for (auto table : {"movie", "genre", "movie_genre", "production_company", "movie_company"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  EXPECT_EQ(select(*store, "SELECT id, status, message FROM ingest_batch"),
            (Rows{{std::to_string(id), "failed", "reject limit passed"}}));
  EXPECT_FALSE(store->loaded_batch("sha-a"));
}

TEST_P(StoreContractTest, AbandonedBatchRollsBack) {
  auto store = open();
  {
    auto abandoned = store->begin_batch(source("b"));
    for (int m = 1; m <= 3; ++m) abandoned->upsert_movie(movie(m, {kDrama}));
  }
  for (auto table : {"movie", "genre", "movie_genre"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  EXPECT_EQ(select(*store, "SELECT status, message FROM ingest_batch"),
            (Rows{{"failed", "the batch was abandoned before it committed"}}));
  EXPECT_FALSE(store->loaded_batch("sha-b"));
}

TEST_P(StoreContractTest, OlderBatchNeverOverwritesANewerMovieOrName) {
  auto store = open();
  auto newer = store->begin_batch(source("hourly", "2026-11-27T09:00:00Z"));
  newer->upsert_movie(with_budget(movie(1, {kDrama}, {{5, "New Name"}}), 100));
  newer->commit({1, 1, 0, 0, 0, 0}, false);

  auto older = store->begin_batch(source("backfill", "2025-11-27"));
  EXPECT_FALSE(
      older->upsert_movie(with_budget(movie(1, {kDrama}, {{5, "Old Name"}, {6, "Only Old"}}), 50)));
  EXPECT_TRUE(older->upsert_movie(
      with_budget(movie(1, {kDrama}, {{5, "Older Still"}}), 40)));  // same movie again
  EXPECT_FALSE(older->upsert_movie(with_budget(movie(2, {kDrama}, {{7, "Fresh"}}), 70)));
  auto counts = older->commit({3, 2, 0, 1, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 1u);
  EXPECT_EQ(counts.rows_loaded, 1u);
  EXPECT_EQ(counts.duplicate_superseded, 2u);

  EXPECT_EQ(pairs(*store, "SELECT id, budget FROM movie"), (Pairs{{"1", "100"}, {"2", "70"}}));
  EXPECT_EQ(pairs(*store, "SELECT company_id, movie_id FROM movie_company"),
            (Pairs{{"5", "1"}, {"7", "2"}}));
  // Company 6 exists (the older batch named it, as it would have in data-time order); company 5
  // keeps the name of the newer batch.
  EXPECT_EQ(pairs(*store, "SELECT id, name FROM production_company"),
            (Pairs{{"5", "New Name"}, {"6", "Only Old"}, {"7", "Fresh"}}));
  EXPECT_EQ(pairs(*store, "SELECT id, older_than_loaded FROM ingest_batch"),
            (Pairs{{"1", "0"}, {"2", "1"}}));
  auto recorded = store->batches();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].counts.older_than_loaded, 0u);
  EXPECT_EQ(recorded[0].source.data_time, "2026-11-27T09:00:00.000Z");
  EXPECT_EQ(recorded[1].counts.older_than_loaded, 1u);
  EXPECT_EQ(recorded[1].source.data_time, "2025-11-27T00:00:00.000Z");

  auto other = open({}, 1);
  auto hourly = other->begin_batch(source("hourly", "2026-11-27T09:00:00Z"));
  hourly->upsert_movie(movie(1, {{1, "Drama"}}, {{5, "New Name"}}));
  hourly->commit({1, 1, 0, 0, 0, 0}, false);
  auto backfill = other->begin_batch(source("backfill", "2025-11-27"));
  EXPECT_FALSE(backfill->upsert_movie(movie(1, {{2, "Comedy"}}, {{5, "Old Name"}})));
  backfill->upsert_movie(movie(2, {{1, "Old Drama"}}));
  auto backfill_counts = backfill->commit({2, 2, 0, 0, 0, 0}, false);
  EXPECT_EQ(backfill_counts.older_than_loaded, 1u);
  EXPECT_EQ(backfill_counts.rows_loaded, 1u);
  EXPECT_EQ(backfill_counts.duplicate_superseded, 1u);
  EXPECT_EQ(select(*other, "SELECT movie_id, genre_id FROM movie_genre ORDER BY 1"),
            (Rows{{"1", "1"}, {"2", "1"}}));
  EXPECT_EQ(select(*other, "SELECT id, name FROM genre ORDER BY id"),
            (Rows{{"1", "Drama"}, {"2", "Comedy"}}));
  EXPECT_EQ(select(*other, "SELECT name FROM production_company"), (Rows{{"New Name"}}));
}

TEST_P(StoreContractTest, NewerBatchReplacesAnOlderOneWhateverTheLoadOrder) {
  auto store = open();
  auto older = store->begin_batch(source("backfill", "2025-01-01"));
  older->upsert_movie(with_budget(movie(1, {kDrama}, {{5, "Old Name"}}), 50));
  older->commit({1, 1, 0, 0, 0, 0}, false);
  auto newer = store->begin_batch(source("hourly", "2025-01-02"));
  newer->upsert_movie(with_budget(movie(1, {kDrama}, {{5, "New Name"}}), 100));
  EXPECT_EQ(newer->commit({1, 1, 0, 0, 0, 0}, false).older_than_loaded, 0u);
  EXPECT_EQ(pairs(*store, "SELECT id, budget FROM movie"), (Pairs{{"1", "100"}}));
  EXPECT_EQ(pairs(*store, "SELECT id, name FROM production_company"), (Pairs{{"5", "New Name"}}));
}

TEST_P(StoreContractTest, OlderSnapshotKeepsTheMoviesOfNewerBatches) {
  auto store = open();
  auto newer = store->begin_batch(source("hourly", "2026-01-02"));
  newer->upsert_movie(movie(1, {kDrama}));
  newer->commit({1, 1, 0, 0, 0, 0}, false);
  auto oldest = store->begin_batch(source("first", "2024-01-01"));
  oldest->upsert_movie(movie(2, {kDrama}));
  oldest->commit({1, 1, 0, 0, 0, 0}, false);
  auto snapshot = store->begin_batch(source("snapshot", "2025-01-01"));
  snapshot->upsert_movie(movie(3, {kDrama}));
  snapshot->commit({1, 1, 0, 0, 0, 0}, true);
  EXPECT_EQ(pairs(*store, "SELECT id, batch_id FROM movie"), (Pairs{{"1", "1"}, {"3", "3"}}));
}

TEST_P(StoreContractTest, RecordsOlderThanALoadedSnapshotAreNotApplied) {
  auto store = open();
  auto first = store->begin_batch(source("first", "2025-01-01"));
  first->upsert_movie(movie(1, {kDrama}));
  first->commit({1, 1, 0, 0, 0, 0}, false);
  auto snapshot = store->begin_batch(source("snapshot", "2025-05-01"));
  snapshot->upsert_movie(movie(2, {kDrama}));
  snapshot->commit({1, 1, 0, 0, 0, 0}, true);  // removes movie 1
  // A backfill of March, loaded now: in data-time order the May snapshot came after it and
  // kept only movie 2, so neither the removed movie 1 nor the unseen movie 3 comes back.
  auto backfill = store->begin_batch(source("march", "2025-03-01"));
  backfill->upsert_movie(with_budget(movie(1, {kDrama}), 11));
  backfill->upsert_movie(with_budget(movie(3, {kDrama}), 33));
  backfill->upsert_movie(with_budget(movie(2, {kDrama}), 22));
  auto counts = backfill->commit({3, 3, 0, 0, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 3u);
  EXPECT_EQ(counts.rows_loaded, 0u);
  EXPECT_EQ(pairs(*store, "SELECT id, batch_id FROM movie"), (Pairs{{"2", "2"}}));
  // A batch newer than the snapshot adds and replaces as usual.
  auto later = store->begin_batch(source("june", "2025-06-01"));
  later->upsert_movie(with_budget(movie(1, {kDrama}), 111));
  EXPECT_EQ(later->commit({1, 1, 0, 0, 0, 0}, false).older_than_loaded, 0u);
  EXPECT_EQ(pairs(*store, "SELECT id, budget FROM movie"), (Pairs{{"1", "111"}, {"2", "NULL"}}));
}

TEST_P(StoreContractTest, RecordsDataChecksPerBatch) {
  auto store = open();
  auto writer = store->begin_batch(source("a"));
  writer->upsert_movie(movie(1, {{1, "Drama"}}));
  writer->commit({1, 1, 0, 0, 0, 0}, false);
  auto id = store->batches().front().id;
  // The engines write the same JSON array with other spacing (PostgreSQL's jsonb adds a space).
  auto failing_keys = [&] {
    return nlohmann::json::parse(
        select(*store, "SELECT failing_keys FROM data_check_result").at(0).at(0));
  };
  store->record_check(id, "release_year_in_range", 2, {"movie 1 release_year 1500", "x \"q\""});
  EXPECT_EQ(select(*store, "SELECT batch_id, check_name, failing FROM data_check_result"),
            (Rows{{std::to_string(id), "release_year_in_range", "2"}}));
  EXPECT_EQ(failing_keys(), nlohmann::json::parse(R"(["movie 1 release_year 1500", "x \"q\""])"));
  store->record_check(id, "release_year_in_range", 1, {"movie 1 release_year 1500"});
  EXPECT_EQ(select(*store, "SELECT batch_id, check_name, failing FROM data_check_result"),
            (Rows{{std::to_string(id), "release_year_in_range", "1"}}));
  EXPECT_EQ(failing_keys(), nlohmann::json::parse(R"(["movie 1 release_year 1500"])"));
  store->record_check(id, "release_year_in_range", 0, {});
  EXPECT_EQ(select(*store, "SELECT check_name, failing FROM data_check_result"),
            (Rows{{"release_year_in_range", "0"}}));
  EXPECT_EQ(failing_keys(), nlohmann::json::array());
}

TEST_P(StoreContractTest, QueryBindsQuestionMarksOutsideLiterals) {
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

TEST_P(StoreContractTest, ReadSnapshotDoesNotSeeABatchCommittedMeanwhile) {
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

TEST_P(StoreContractTest, TheRunLockAdmitsOneLoader) {
  auto first_store = open();
  auto second_store = open();
  auto lease = first_store->lock_run({.no_wait = true});
  ASSERT_NE(lease, nullptr);
  for (Store* store : {first_store.get(), second_store.get()}) {
    try {
      store->lock_run({.no_wait = true});
      FAIL() << "two loaders hold the lock";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kLocked);
      EXPECT_THAT(e.what(), HasSubstr(database_name()));
    }
  }
  auto started = std::chrono::steady_clock::now();
  try {
    second_store->lock_run({.timeout = std::chrono::milliseconds(300)});
    FAIL() << "two loaders hold the lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kLocked);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(250));
  EXPECT_NE(open({}, 1)->lock_run({.no_wait = true}), nullptr)
      << "another database has a lock of its own";
  lease.reset();
  EXPECT_NE(second_store->lock_run({.no_wait = true}), nullptr);
}

TEST_P(StoreContractTest, ReadOnlyRefusesAWrite) {
  open();
  auto store = open({.read_only = true});
  EXPECT_EQ(count(*store, "movie"), "0");
  try {
    store->record_failed_batch(source("broken"), "corrupt archive");
    FAIL() << "a read-only store wrote";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kDatabase);
    EXPECT_THAT(e.what(), HasSubstr("read-only"));
    EXPECT_THAT(e.what(), HasSubstr(database_name()));
  }
  EXPECT_EQ(count(*open(), "ingest_batch"), "0");
}

TEST_P(StoreContractTest, TextSurvivesTheRoundTrip) {
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

INSTANTIATE_TEST_SUITE_P(Engines, StoreContractTest,
                         ::testing::Values(StoreEngine{"sqlite", "sqlite"},
                                           StoreEngine{"postgresql", "postgresql"}),
                         engine_test_name);

// PostgreSQL again with COPY flushes of 1, 2 and 3 records, so that a batch's duplicates meet
// both inside one COPY buffer and across flushes (the default flushes every 10000).
INSTANTIATE_TEST_SUITE_P(CopyFlushes, StoreContractTest,
                         ::testing::Values(StoreEngine{"postgresql_every1", "postgresql", 1},
                                           StoreEngine{"postgresql_every2", "postgresql", 2},
                                           StoreEngine{"postgresql_every3", "postgresql", 3}),
                         engine_test_name);

}  // namespace
}  // namespace marquee::store::test
