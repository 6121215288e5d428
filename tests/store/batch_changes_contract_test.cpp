#include "store_contract.hpp"

#include <gmock/gmock.h>

namespace marquee::store::test {
namespace {

using dataset::MovieRow;

const dataset::NamedItem kDrama{18, "Drama"};
const dataset::NamedItem kAcme{10, "Acme"};

MovieChanges changes_of_last_batch(Store& store) {
  auto batches = store.batches();
  EXPECT_FALSE(batches.empty());
  if (batches.empty() || !batches.back().counts.movies) {
    ADD_FAILURE() << "the last batch has no movie changes recorded";
    return {};
  }
  return *batches.back().counts.movies;
}

std::string describe(const MovieChanges& c) {
  return fmt::format("added {} updated {} unchanged {} removed {}", c.added, c.updated, c.unchanged,
                     c.removed);
}

#define EXPECT_CHANGES(store, added, updated, unchanged, removed) \
  EXPECT_EQ(describe(changes_of_last_batch(store)),               \
            describe(MovieChanges{added, updated, unchanged, removed}))

TEST_P(StoreContractTest, AFirstLoadCountsEveryMovieOnceAsNew) {
  auto store = open();
  auto batch = store->begin_batch(source("a"));
  batch->upsert_movie(movie(1, {kDrama}));
  batch->upsert_movie(movie(2));
  batch->upsert_movie(with_budget(movie(1, {kDrama}), 5));  // a duplicate: still one movie
  auto counts = batch->commit({3, 2, 0, 1, 0}, false);
  ASSERT_TRUE(counts.movies.has_value());
  EXPECT_EQ(describe(*counts.movies), describe(MovieChanges{2, 0, 0, 0}));
  EXPECT_CHANGES(*store, 2, 0, 0, 0);
}

TEST_P(StoreContractTest, ALaterSnapshotCountsNewUpdatedUnchangedAndRemovedMovies) {
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    for (int id : {1, 2, 3, 4}) batch->upsert_movie(movie(id, {kDrama}, {kAcme}));
    batch->commit({4, 4, 0, 0, 0}, false);
  }
  auto batch = store->begin_batch(source("b"));
  auto same = movie(1, {kDrama}, {kAcme});
  batch->upsert_movie(same);                                         // unchanged
  batch->upsert_movie(with_budget(movie(2, {kDrama}, {kAcme}), 7));  // a column changed
  batch->upsert_movie(movie(3, {{18, "Drama!"}}, {kAcme}));          // a link's name changed
  batch->upsert_movie(movie(5));                                     // new; 4 is absent
  batch->commit({4, 4, 0, 0, 0}, true);
  EXPECT_CHANGES(*store, 1, 2, 1, 1);

  // The unchanged movie is the batch's version now, with its links and its line.
  EXPECT_EQ(select(*store, "SELECT id, batch_id, source_line FROM movie WHERE id = 1"),
            (Rows{{"1", "2", std::to_string(same.line)}}));
  EXPECT_EQ(select(*store, "SELECT genre_id FROM movie_genre WHERE movie_id = 1"), (Rows{{"18"}}));
  EXPECT_EQ(select(*store, "SELECT company_id FROM movie_company WHERE movie_id = 1"),
            (Rows{{"10"}}));
  EXPECT_EQ(select(*store, "SELECT name FROM genre WHERE id = 18"), (Rows{{"Drama!"}}));
  EXPECT_EQ(select(*store, "SELECT id FROM movie ORDER BY id"), (Rows{{"1"}, {"2"}, {"3"}, {"5"}}));
}

TEST_P(StoreContractTest, TheOrderOfALinkListIsNoChange) {
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1, {kDrama, {35, "Comedy"}}, {kAcme, {11, "Beta"}}));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  auto batch = store->begin_batch(source("b"));
  batch->upsert_movie(movie(1, {{35, "Comedy"}, kDrama}, {{11, "Beta"}, kAcme}));
  batch->commit({1, 1, 0, 0, 0}, false);
  EXPECT_CHANGES(*store, 0, 0, 1, 0);
  EXPECT_EQ(count(*store, "movie_genre"), "2");
  EXPECT_EQ(count(*store, "movie_company"), "2");
}

TEST_P(StoreContractTest, DuplicatesInABatchAreComparedWithTheVersionBeforeIt) {
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    for (int id : {1, 2, 3}) batch->upsert_movie(with_budget(movie(id, {kDrama}), 100));
    batch->commit({3, 3, 0, 0, 0}, false);
  }
  auto batch = store->begin_batch(source("b"));
  // 1: changed, then back as it was: unchanged. 2: unchanged, then changed: updated.
  // 3: changed twice: updated once. 6: new twice: added once.
  batch->upsert_movie(with_budget(movie(1, {kDrama}), 200));
  batch->upsert_movie(with_budget(movie(2, {kDrama}), 100));
  batch->upsert_movie(with_budget(movie(3, {kDrama}), 300));
  batch->upsert_movie(movie(6));
  EXPECT_TRUE(batch->upsert_movie(with_budget(movie(1, {kDrama}), 100)));
  EXPECT_TRUE(batch->upsert_movie(with_budget(movie(2, {kDrama}), 250)));
  EXPECT_TRUE(batch->upsert_movie(with_budget(movie(3, {kDrama}), 400)));
  EXPECT_TRUE(batch->upsert_movie(with_budget(movie(6), 1)));
  batch->commit({8, 4, 0, 4, 0}, false);
  EXPECT_CHANGES(*store, 1, 2, 1, 0);
  EXPECT_EQ(select(*store, "SELECT id, budget FROM movie ORDER BY id"),
            (Rows{{"1", "100"}, {"2", "250"}, {"3", "400"}, {"6", "1"}}));
  EXPECT_EQ(count(*store, "movie_genre"), "3");
}

TEST_P(StoreContractTest, RecordsOlderThanTheLoadedVersionAreInNoChangeCount) {
  auto store = open();
  {
    auto hourly = store->begin_batch(source("hourly", "2026-11-27T09:00:00Z"));
    hourly->upsert_movie(with_budget(movie(1, {kDrama}), 100));
    hourly->commit({1, 1, 0, 0, 0}, false);
  }
  auto backfill = store->begin_batch(source("backfill", "2025-11-27"));
  backfill->upsert_movie(with_budget(movie(1, {kDrama}), 50));
  backfill->upsert_movie(movie(2));
  backfill->commit({2, 2, 0, 0, 0}, false);
  EXPECT_CHANGES(*store, 1, 0, 0, 0);
  EXPECT_EQ(select(*store, "SELECT budget FROM movie WHERE id = 1"), (Rows{{"100"}}));
}

TEST_P(StoreContractTest, AnUnchangedMovieStillOrdersLaterBackfills) {
  // In data-time order: a (X), then the backfill (Y), then b (X again): the movie ends as X.
  auto store = open();
  for (auto [name, time] : {std::pair{"a", "2026-01-01"}, std::pair{"b", "2026-03-01"}}) {
    auto batch = store->begin_batch(source(name, time));
    batch->upsert_movie(with_budget(movie(1, {kDrama}), 100));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  EXPECT_CHANGES(*store, 0, 0, 1, 0);
  auto backfill = store->begin_batch(source("backfill", "2026-02-01"));
  backfill->upsert_movie(with_budget(movie(1, {kDrama}), 50));
  auto counts = backfill->commit({1, 1, 0, 0, 0}, false);
  EXPECT_EQ(counts.older_than_loaded, 1u);
  EXPECT_EQ(select(*store, "SELECT budget, batch_id FROM movie"), (Rows{{"100", "2"}}));
}

TEST_P(StoreContractTest, AVersionWithoutAHashCountsAsUpdated) {
  // Movies loaded before schema version 3 carry no content hash.
  auto store = open();
  {
    auto batch = store->begin_batch(source("a"));
    batch->upsert_movie(movie(1));
    batch->commit({1, 1, 0, 0, 0}, false);
  }
  exec_behind_the_store("UPDATE movie SET content_hash = NULL");
  exec_behind_the_store(
      "UPDATE ingest_batch SET movies_new = NULL, movies_updated = NULL, movies_unchanged = NULL, "
      "movies_removed = NULL");
  auto reopened = open();
  EXPECT_FALSE(reopened->batches().back().counts.movies.has_value());
  auto batch = reopened->begin_batch(source("b"));
  batch->upsert_movie(movie(1));
  batch->commit({1, 1, 0, 0, 0}, false);
  EXPECT_CHANGES(*reopened, 0, 1, 0, 0);
}

TEST_P(StoreContractTest, ReportChangesAreKeptPerBatchAndReport) {
  auto store = open();
  auto batch = store->begin_batch(source("a"));
  batch->upsert_movie(movie(1));
  batch->commit({1, 1, 0, 0, 0}, false);
  std::int64_t id = store->batches().back().id;
  EXPECT_TRUE(store->report_changes(id).empty());
  store->record_report_changes(
      id, {{"genre_yearly", 1, 2, 3, {"year=2000 genre_id=18"}}, {"company_yearly", 0, 0, 0, {}}});
  store->record_report_changes(id, {{"genre_yearly", 4, 5, 6, {"a \"q\"", "b"}}});
  auto kept = store->report_changes(id);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].report, "company_yearly");
  EXPECT_EQ(kept[1].report, "genre_yearly");
  EXPECT_EQ(kept[1].rows_added, 4u);
  EXPECT_EQ(kept[1].rows_changed, 5u);
  EXPECT_EQ(kept[1].rows_removed, 6u);
  EXPECT_THAT(kept[1].changed_keys, ::testing::ElementsAre("a \"q\"", "b"));
}

}  // namespace
}  // namespace marquee::store::test
