// The other files of SPEC 3.5 (links, keywords, credits, ratings) on both engines: last row of
// a key wins, later batches replace per key, snapshots remove what they do not hold, an older
// batch leaves newer rows alone, and rating_total always equals a recount of the ratings.
#include <random>

#include <gmock/gmock.h>

#include "store_contract.hpp"

namespace marquee::store::test {
namespace {

using dataset::DetailFile;

/// The per-movie proof that rating_total equals the rating table (the rating reports read it):
/// the movies whose kept totals differ from a recount.
constexpr const char* kTotalsThatDiffer =
    "SELECT COUNT(*) FROM rating_total t FULL OUTER JOIN (SELECT movielens_id, COUNT(*) AS n, "
    "SUM(CAST(rating * 2 AS INTEGER)) AS h FROM rating GROUP BY movielens_id) r ON "
    "r.movielens_id = t.movielens_id WHERE t.movielens_id IS NULL OR r.movielens_id IS NULL OR "
    "t.ratings <> r.n OR t.rating_halves <> r.h";

dataset::RatingRow rating(std::int64_t user, std::int64_t movie, int halves,
                          std::int64_t at = 1000) {
  return {user, movie, halves, at};
}

dataset::CreditsRow credits(std::int64_t movie, const std::string& credit, std::int64_t person,
                            const std::string& name) {
  dataset::CreditsRow row;
  row.movie_id = movie;
  row.cast.push_back({credit, {person, name, 2, std::nullopt}, "Hero", 0});
  row.crew.push_back({credit + "c", {person + 1, name + " Jr", 1, "/p.jpg"}, "Sound", "Mixer"});
  return row;
}

/// One batch: movies, then each file's rows, then the commit with the files' records.
struct BatchPlan {
  std::vector<std::int64_t> movies;
  std::vector<dataset::LinkRow> links;
  std::vector<dataset::KeywordsRow> keywords;
  std::vector<dataset::CreditsRow> credits;
  std::vector<dataset::RatingRow> ratings;
  bool snapshot = false;
};

/// What end_detail_file said of each file.
using Outcomes = std::map<DetailFile, DetailOutcome>;

Outcomes load(Store& store, const BatchSource& source, const BatchPlan& plan,
              bool roll_back = false) {
  auto writer = store.begin_batch(source);
  for (auto id : plan.movies) writer->upsert_movie(movie(id, {{18, "Drama"}}));
  auto n = static_cast<std::uint64_t>(plan.movies.size());
  writer->finish_movies({n, n, 0, 0, 0}, plan.snapshot);
  Outcomes outcomes;
  auto file = [&](DetailFile f, auto& rows, auto write) {
    if (rows.empty() && !plan.snapshot) return;
    writer->begin_detail_file(f, 0);
    for (const auto& r : rows) write(r);
    outcomes[f] = writer->end_detail_file(f, plan.snapshot);
  };
  file(DetailFile::kLinks, plan.links, [&](const auto& r) { writer->write_link(r); });
  file(DetailFile::kKeywords, plan.keywords, [&](const auto& r) { writer->write_keywords(r); });
  // Credits and ratings come in chunks, as the loader gives them (3 and 7 rows: chunks end
  // anywhere, a repeated movie in the chunk of its first row or in a later one).
  auto chunked = [&](DetailFile f, const auto& rows, std::size_t size, auto write) {
    if (rows.empty() && !plan.snapshot) return;
    writer->begin_detail_file(f, 0);
    std::span rest(rows);
    while (!rest.empty()) {
      const std::size_t n = std::min(size, rest.size());
      write(rest.first(n));
      rest = rest.subspan(n);
    }
    outcomes[f] = writer->end_detail_file(f, plan.snapshot);
  };
  chunked(DetailFile::kCredits, plan.credits, 3,
          [&](auto chunk) { writer->write_credits_chunk(chunk); });
  chunked(DetailFile::kRatings, plan.ratings, 7, [&](auto chunk) { writer->write_ratings(chunk); });
  if (roll_back) {
    writer->rollback("the test rolls it back");
    return outcomes;
  }
  FileRecord ratings{"ratings.csv", "loaded", 0xCAFEu, 123, {}};
  ratings.counts.rows_read = plan.ratings.size();
  writer->commit_loaded({ratings});
  return outcomes;
}

TEST_P(StoreContractTest, TheOtherFilesLoadWithTheirMovies) {
  auto store = open();
  BatchPlan plan;
  plan.movies = {1, 2};
  plan.links = {{10, "0114709", 1}, {11, std::nullopt, 2}, {12, "0000001", std::nullopt}};
  plan.keywords = {{1, {{931, "jealousy"}, {4290, "toy"}}}};
  plan.credits = {credits(2, "c1", 31, "Tom Hanks")};
  plan.ratings = {rating(1, 10, 8), rating(1, 11, 9), rating(2, 10, 3)};
  auto outcomes = load(*store, source("a"), plan);
  for (const auto& [file, outcome] : outcomes) EXPECT_EQ(outcome.superseded, 0u);
  EXPECT_EQ(select(*store, "SELECT movielens_id, imdb_id, tmdb_id FROM link ORDER BY 1"),
            (Rows{{"10", "0114709", "1"}, {"11", "NULL", "2"}, {"12", "0000001", "NULL"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, keyword_id FROM movie_keyword ORDER BY 2"),
            (Rows{{"1", "931"}, {"1", "4290"}}));
  EXPECT_EQ(select(*store, "SELECT name FROM keyword WHERE id = 4290"), (Rows{{"toy"}}));
  EXPECT_EQ(select(*store,
                   "SELECT credit_id, movie_id, person_id, character, cast_order FROM "
                   "cast_credit"),
            (Rows{{"c1", "2", "31", "Hero", "0"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id, person_id, department, job FROM crew_credit"),
            (Rows{{"c1c", "32", "Sound", "Mixer"}}));
  EXPECT_EQ(select(*store, "SELECT id, name, gender, profile_path FROM person ORDER BY 1"),
            (Rows{{"31", "Tom Hanks", "2", "NULL"}, {"32", "Tom Hanks Jr", "1", "/p.jpg"}}));
  EXPECT_EQ(select(*store,
                   "SELECT user_id, movielens_id, CAST(rating * 2 AS INTEGER), rated_at "
                   "FROM rating ORDER BY 1, 2"),
            (Rows{{"1", "10", "8", "1000"}, {"1", "11", "9", "1000"}, {"2", "10", "3", "1000"}}));
  EXPECT_EQ(select(*store,
                   "SELECT movielens_id, ratings, rating_halves FROM rating_total ORDER "
                   "BY 1"),
            (Rows{{"10", "2", "11"}, {"11", "1", "9"}}));
  EXPECT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}});
}

TEST_P(StoreContractTest, CreditsTextIsStoredAsEveryEngineKeepsText) {
  // A NUL becomes a space and invalid UTF-8 U+FFFD, in a person's name, a credit id, a
  // character, a department and a job, as any text a store keeps.
  auto store = open();
  BatchPlan plan;
  plan.movies = {1};
  plan.credits = {credits(1, std::string("c\0d", 3), 31, std::string("Tom\0Han\xffks", 10))};
  plan.credits[0].cast[0].character = "He\xfero";
  plan.credits[0].crew[0].department = std::string("So\0und", 6);
  plan.credits[0].crew[0].job = "Mix\xc3";
  load(*store, source("a"), plan);
  EXPECT_EQ(select(*store, "SELECT credit_id, character FROM cast_credit"),
            (Rows{{"c d", "He\uFFFDro"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id, department, job FROM crew_credit"),
            (Rows{{"c dc", "So und", "Mix\uFFFD"}}));
  EXPECT_EQ(select(*store, "SELECT id, name FROM person ORDER BY 1"),
            (Rows{{"31", "Tom Han\uFFFDks"}, {"32", "Tom Han\uFFFDks Jr"}}));
}

TEST_P(StoreContractTest, TheLastRowOfAKeyWinsAndTheEarlierOnesAreSuperseded) {
  auto store = open();
  BatchPlan plan;
  plan.movies = {1, 2};
  plan.links = {{10, "a", 1}, {11, "b", 2}, {10, "c", 2}};
  plan.keywords = {{1, {{1, "one"}}}, {1, {{2, "two"}}}};
  plan.credits = {credits(1, "x", 5, "First"), credits(1, "y", 7, "Second")};
  // Out of key order, so the SQLite loader must look each rating up.
  plan.ratings = {rating(2, 10, 4), rating(1, 10, 6), rating(2, 10, 10), rating(1, 11, 1),
                  rating(1, 10, 2)};
  auto outcomes = load(*store, source("a"), plan);
  EXPECT_EQ(outcomes[DetailFile::kLinks].superseded, 1u);
  EXPECT_EQ(outcomes[DetailFile::kKeywords].superseded, 1u);
  EXPECT_EQ(outcomes[DetailFile::kCredits].superseded, 1u);
  EXPECT_EQ(outcomes[DetailFile::kRatings].superseded, 2u);
  EXPECT_EQ(select(*store, "SELECT movielens_id, imdb_id, tmdb_id FROM link ORDER BY 1"),
            (Rows{{"10", "c", "2"}, {"11", "b", "2"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, keyword_id FROM movie_keyword"), (Rows{{"1", "2"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id FROM cast_credit"), (Rows{{"y"}}));
  EXPECT_EQ(select(*store,
                   "SELECT user_id, movielens_id, CAST(rating * 2 AS INTEGER) FROM rating "
                   "ORDER BY 1, 2"),
            (Rows{{"1", "10", "2"}, {"1", "11", "1"}, {"2", "10", "10"}}));
  EXPECT_EQ(select(*store,
                   "SELECT movielens_id, ratings, rating_halves FROM rating_total ORDER "
                   "BY 1"),
            (Rows{{"10", "2", "12"}, {"11", "1", "1"}}));
  EXPECT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}});
}

/// A first load appends ratings in key order thousands at a time (SQLite: rating_rows over a
/// buffer); across the buffer's bounds and once the order breaks, every rating lands once.
TEST_P(StoreContractTest, AFirstLoadInKeyOrderAppendsEveryRatingUntilTheOrderBreaks) {
  auto store = open();
  BatchPlan plan;
  plan.movies = {1};
  for (std::int64_t user = 1; user <= 1000; ++user) {
    for (std::int64_t movie = 1; movie <= 10; ++movie) {
      plan.ratings.push_back(
          rating(user, movie, static_cast<int>(1 + (user + movie) % 10), 1000 + user * 10 + movie));
    }
  }
  // The order breaks: a key seen already (superseded, its last value kept) and a new one.
  plan.ratings.push_back(rating(500, 5, 10, 7));
  plan.ratings.push_back(rating(3, 11, 1, 8));
  auto outcomes = load(*store, source("a"), plan);
  EXPECT_EQ(outcomes[DetailFile::kRatings].superseded, 1u);
  EXPECT_EQ(select(*store,
                   "SELECT COUNT(*), SUM(user_id * 100 + movielens_id), "
                   "SUM(CAST(rating * 2 AS INTEGER)), SUM(rated_at) FROM rating"),
            (Rows{{"10001", "500555311", "55005", "60099010"}}));
  EXPECT_EQ(select(*store,
                   "SELECT CAST(rating * 2 AS INTEGER), rated_at FROM rating WHERE user_id = 500 "
                   "AND movielens_id = 5"),
            (Rows{{"10", "7"}}));
  EXPECT_EQ(select(*store, "SELECT COUNT(DISTINCT batch_id) FROM rating"), Rows{{"1"}});
  EXPECT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}});
}

/// A person named in many movies' credits takes the values of its last mention, in a first load
/// (credits written without lookups, a person written again only when its values change) and
/// in a later batch; a movie repeated in the file keeps only its last credits.
TEST_P(StoreContractTest, APersonKeepsItsLastMentionAndARepeatedMovieItsLastCredits) {
  auto store = open();
  BatchPlan first;
  first.movies = {1, 2, 3, 4};
  first.credits = {credits(1, "a", 5, "Ann"), credits(2, "b", 5, "Bea"), credits(3, "c", 5, "Ann"),
                   credits(4, "d", 8, "Cy"),  credits(1, "e", 8, "Cy"),  credits(2, "f", 8, "Cy")};
  auto outcomes = load(*store, source("a"), first);
  EXPECT_EQ(outcomes[DetailFile::kCredits].superseded, 2u);
  EXPECT_EQ(select(*store, "SELECT id, name FROM person ORDER BY id"),
            (Rows{{"5", "Ann"}, {"6", "Ann Jr"}, {"8", "Cy"}, {"9", "Cy Jr"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id, movie_id FROM cast_credit ORDER BY 1"),
            (Rows{{"c", "3"}, {"d", "4"}, {"e", "1"}, {"f", "2"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id, movie_id FROM crew_credit ORDER BY 1"),
            (Rows{{"cc", "3"}, {"dc", "4"}, {"ec", "1"}, {"fc", "2"}}));

  BatchPlan later;
  later.credits = {credits(3, "c", 5, "Bea"), credits(4, "g", 5, "Ann"), credits(3, "c", 5, "Dee")};
  load(*store, source("b"), later);
  EXPECT_EQ(select(*store, "SELECT id, name FROM person WHERE id IN (5, 6) ORDER BY id"),
            (Rows{{"5", "Dee"}, {"6", "Dee Jr"}}));
  EXPECT_EQ(select(*store, "SELECT credit_id, movie_id FROM cast_credit ORDER BY 1"),
            (Rows{{"c", "3"}, {"e", "1"}, {"f", "2"}, {"g", "4"}}));
}

TEST_P(StoreContractTest, ALaterBatchReplacesPerKeyAndASnapshotRemovesTheRest) {
  auto store = open();
  BatchPlan first;
  first.movies = {1, 2};
  first.links = {{10, "a", 1}, {11, "b", 2}};
  first.keywords = {{1, {{1, "one"}}}, {2, {{2, "two"}}}};
  first.ratings = {rating(1, 10, 8), rating(1, 11, 8), rating(2, 11, 4)};
  load(*store, source("a"), first);

  BatchPlan second;
  second.movies = {1};
  second.links = {{10, "a2", 2}};
  second.ratings = {rating(1, 11, 2), rating(3, 10, 10)};
  load(*store, source("b"), second);
  EXPECT_EQ(select(*store, "SELECT movielens_id, imdb_id FROM link ORDER BY 1"),
            (Rows{{"10", "a2"}, {"11", "b"}}));
  EXPECT_EQ(select(*store,
                   "SELECT user_id, movielens_id, CAST(rating * 2 AS INTEGER) FROM rating "
                   "ORDER BY 1, 2"),
            (Rows{{"1", "10", "8"}, {"1", "11", "2"}, {"2", "11", "4"}, {"3", "10", "10"}}));
  EXPECT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}});

  BatchPlan snapshot;
  snapshot.movies = {1, 2};
  snapshot.links = {{11, "b3", 2}};
  snapshot.keywords = {{2, {{3, "three"}}}};
  snapshot.ratings = {rating(2, 11, 6)};
  snapshot.snapshot = true;
  load(*store, source("c"), snapshot);
  EXPECT_EQ(select(*store, "SELECT movielens_id, imdb_id FROM link"), (Rows{{"11", "b3"}}));
  EXPECT_EQ(select(*store, "SELECT movie_id, keyword_id FROM movie_keyword"), (Rows{{"2", "3"}}));
  EXPECT_EQ(select(*store, "SELECT user_id, movielens_id, CAST(rating * 2 AS INTEGER) FROM rating"),
            (Rows{{"2", "11", "6"}}));
  EXPECT_EQ(select(*store, "SELECT movielens_id, ratings, rating_halves FROM rating_total"),
            (Rows{{"11", "1", "6"}}));
}

TEST_P(StoreContractTest, AnOlderBatchLeavesTheRowsOfANewerOneAlone) {
  auto store = open();
  BatchPlan newer;
  newer.movies = {1};
  newer.links = {{10, "new", 1}};
  newer.ratings = {rating(1, 10, 10)};
  load(*store, source("new", "2026-03-01T00:00:00Z"), newer);
  BatchPlan older;
  older.movies = {1};
  older.links = {{10, "old", 1}, {12, "old", 1}};
  older.ratings = {rating(1, 10, 2), rating(1, 10, 4), rating(5, 10, 2)};
  auto outcomes = load(*store, source("old", "2026-01-01T00:00:00Z"), older);
  EXPECT_EQ(outcomes[DetailFile::kLinks].older_than_loaded, 1u);
  EXPECT_EQ(outcomes[DetailFile::kLinks].superseded, 1u);
  EXPECT_EQ(outcomes[DetailFile::kRatings].older_than_loaded, 2u);
  EXPECT_EQ(outcomes[DetailFile::kRatings].superseded, 2u);
  EXPECT_EQ(select(*store, "SELECT movielens_id, imdb_id FROM link ORDER BY 1"),
            (Rows{{"10", "new"}, {"12", "old"}}));
  EXPECT_EQ(select(*store, "SELECT user_id, CAST(rating * 2 AS INTEGER) FROM rating ORDER BY 1"),
            (Rows{{"1", "10"}, {"5", "2"}}));
  EXPECT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}});
}

TEST_P(StoreContractTest, ARolledBackBatchLeavesNoRowOfTheOtherFiles) {
  auto store = open();
  BatchPlan first;
  first.movies = {1};
  first.ratings = {rating(1, 10, 8)};
  load(*store, source("a"), first);
  BatchPlan failing;
  failing.movies = {1, 2};
  failing.links = {{10, "x", 1}};
  failing.keywords = {{2, {{5, "five"}}}};
  failing.credits = {credits(2, "z", 9, "Nobody")};
  failing.ratings = {rating(1, 10, 2), rating(4, 10, 2)};
  load(*store, source("b"), failing, true);
  for (auto table : {"link", "movie_keyword", "keyword", "cast_credit", "person"}) {
    EXPECT_EQ(count(*store, table), "0") << table;
  }
  EXPECT_EQ(select(*store, "SELECT user_id, CAST(rating * 2 AS INTEGER) FROM rating"),
            (Rows{{"1", "8"}}));
  EXPECT_EQ(select(*store, "SELECT ratings, rating_halves FROM rating_total"), (Rows{{"1", "8"}}));
}

TEST_P(StoreContractTest, TheFilesOfABatchAreRecordedForTheNextOneToCompare) {
  auto store = open();
  EXPECT_FALSE(store->last_loaded_file("ratings.csv").has_value());
  BatchPlan plan;
  plan.movies = {1};
  plan.ratings = {rating(1, 10, 8)};
  load(*store, source("a"), plan);
  auto last = store->last_loaded_file("ratings.csv");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->crc32, 0xCAFEu);
  EXPECT_EQ(last->bytes, 123u);
  EXPECT_EQ(last->counts.rows_read, 1u);
  EXPECT_FALSE(last->snapshot);
  auto batches = store->batches();
  ASSERT_EQ(store->batch_files(batches.back().id).size(), 1u);
  // A failed batch's files are not what a later archive is compared with.
  BatchPlan failing = plan;
  load(*store, source("b"), failing, true);
  EXPECT_EQ(store->last_loaded_file("ratings.csv")->counts.rows_read, 1u);
}

/// Random sequences of batches (plain, snapshot, older than the loaded data, rolled back) on a
/// few users and movies: whatever happens, rating_total equals a recount of the ratings.
TEST_P(StoreContractTest, RatingTotalsEqualARecountAfterAnySequenceOfBatches) {
  auto store = open();
  std::mt19937 random(20261204);
  auto below = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  for (int b = 0; b < 12; ++b) {
    BatchPlan plan;
    plan.movies = {1, 2, 3};
    plan.snapshot = below(5) == 0;
    for (int r = below(40); r > 0; --r) {
      plan.ratings.push_back(rating(1 + below(6), 10 + below(5), 1 + below(10)));
    }
    plan.links = {{10 + below(5), "x", 1 + below(3)}};
    const bool older = below(4) == 0;
    const std::string time = fmt::format("2026-0{}-01T00:00:00Z", older ? 1 : 2 + b / 4);
    const bool roll_back = below(6) == 0;
    load(*store, source(fmt::format("r{}", b), time), plan, roll_back);
    ASSERT_EQ(select(*store, kTotalsThatDiffer), Rows{{"0"}}) << "after batch " << b;
  }
}

}  // namespace
}  // namespace marquee::store::test
