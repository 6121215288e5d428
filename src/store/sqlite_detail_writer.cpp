#include "store/sqlite_detail_writer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "store/sqlite_rating_feed.hpp"
#include "store/sqlite_value_rows.hpp"

namespace marquee::store {
namespace {

using dataset::DetailFile;

double rating_value(int halves) {
  return halves / 2.0;
}

}  // namespace

SqliteDetailWriter::SqliteDetailWriter(SqliteConnection& db, BatchLedger& ledger,
                                       std::int64_t batch_id, std::string data_time,
                                       const std::unordered_set<std::int64_t>& newer_batches,
                                       bool behind_snapshot)
    : db_(db),
      ledger_(ledger),
      batch_id_(batch_id),
      data_time_(std::move(data_time)),
      newer_batches_(newer_batches),
      behind_snapshot_(behind_snapshot) {
  find_link_ = db_.prepare("SELECT batch_id FROM link WHERE movielens_id = ?");
  upsert_link_ = db_.prepare(
      "INSERT INTO link (movielens_id, imdb_id, tmdb_id, batch_id) VALUES (?, ?, ?, ?) ON "
      "CONFLICT (movielens_id) DO UPDATE SET imdb_id = excluded.imdb_id, tmdb_id = "
      "excluded.tmdb_id, batch_id = excluded.batch_id");
  find_keywords_owner_ =
      db_.prepare("SELECT batch_id FROM movie_keyword WHERE movie_id = ? LIMIT 1");
  delete_keywords_ = db_.prepare("DELETE FROM movie_keyword WHERE movie_id = ?");
  upsert_keyword_ = db_.prepare(
      "INSERT INTO keyword (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = "
      "excluded.name WHERE name IS NOT excluded.name");
  insert_movie_keyword_ =
      db_.prepare("INSERT INTO movie_keyword (movie_id, keyword_id, batch_id) VALUES (?, ?, ?)");
  find_credits_owner_ = db_.prepare(
      "SELECT batch_id FROM cast_credit WHERE movie_id = ?1 UNION ALL SELECT batch_id FROM "
      "crew_credit WHERE movie_id = ?1 LIMIT 1");
  delete_cast_ = db_.prepare("DELETE FROM cast_credit WHERE movie_id = ?");
  delete_crew_ = db_.prepare("DELETE FROM crew_credit WHERE movie_id = ?");
  // A chunk's rows at a time, from value_rows (WHERE true: SQLite's grammar for an upsert of a
  // SELECT); rows of one key upsert in order, so the last one is left.
  upsert_person_ = db_.prepare(
      "INSERT INTO person (id, name, gender, profile_path) SELECT c0, c1, c2, c3 FROM "
      "value_rows(?1) WHERE true ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = "
      "excluded.gender, profile_path = excluded.profile_path");
  // The batch id is a literal: a statement's bindings are cleared after each run.
  upsert_cast_ = db_.prepare(fmt::format(
      "INSERT INTO cast_credit (credit_id, movie_id, person_id, character, cast_order, batch_id) "
      "SELECT c0, c1, c2, c3, c4, {} FROM value_rows(?1) WHERE true ON CONFLICT (credit_id) DO "
      "UPDATE SET movie_id = excluded.movie_id, person_id = excluded.person_id, character = "
      "excluded.character, cast_order = excluded.cast_order, batch_id = excluded.batch_id",
      batch_id_));
  upsert_crew_ = db_.prepare(fmt::format(
      "INSERT INTO crew_credit (credit_id, movie_id, person_id, department, job, batch_id) "
      "SELECT c0, c1, c2, c3, c4, {} FROM value_rows(?1) WHERE true ON CONFLICT (credit_id) DO "
      "UPDATE SET movie_id = excluded.movie_id, person_id = excluded.person_id, department = "
      "excluded.department, job = excluded.job, batch_id = excluded.batch_id",
      batch_id_));
}

bool SqliteDetailWriter::may_replace(std::int64_t owner) {
  if (newer_batches_.count(owner) == 0) return true;
  ++outcome_.older_than_loaded;
  ++outcome_.superseded;
  return false;
}

std::optional<std::int64_t> SqliteDetailWriter::owner_of(Statement& find, std::int64_t key) {
  find.bind(1, key);
  std::optional<std::int64_t> owner;
  if (find.step("looking up a key's batch")) owner = sqlite3_column_int64(find.get(), 0);
  find.reset();
  return owner;
}

bool SqliteDetailWriter::claim(std::int64_t key, Statement& find_owner) {
  if (behind_snapshot_) {
    ++outcome_.older_than_loaded;
    ++outcome_.superseded;
    return false;
  }
  if (written_.count(key) != 0) {
    ++outcome_.superseded;  // an earlier row of this file: the last one wins
    return true;
  }
  // Only a key this file has not written yet is looked up: who wrote it before the batch.
  if (auto owner = owner_of(find_owner, key); owner && !may_replace(*owner)) return false;
  written_.insert(key);
  return true;
}

void SqliteDetailWriter::write_link(const dataset::LinkRow& row) {
  if (!claim(row.movielens_id, find_link_)) return;
  upsert_link_.bind(1, row.movielens_id).bind(2, row.imdb_id).bind(3, row.tmdb_id);
  upsert_link_.bind(4, batch_id_).run("writing link");
}

void SqliteDetailWriter::write_keywords(const dataset::KeywordsRow& row) {
  if (!claim(row.movie_id, find_keywords_owner_)) return;
  delete_keywords_.bind(1, row.movie_id).run("replacing a movie's keywords");
  for (const auto& k : row.keywords) {
    upsert_keyword_.bind(1, k.id).bind(2, std::string_view(k.name)).run("writing keyword");
    insert_movie_keyword_.bind(1, row.movie_id).bind(2, k.id).bind(3, batch_id_);
    insert_movie_keyword_.run("writing movie_keyword");
  }
}

void SqliteDetailWriter::write_credits(const dataset::CreditsRow& row) {
  write_credits({&row, 1});
}

void SqliteDetailWriter::write_credits(std::span<const dataset::CreditsRow> rows) {
  auto& pending = pending_credits_;
  auto person = [&](const dataset::PersonItem& p) {
    if (!people_written_.same_as_last(p)) pending.people.push_back(&p);
  };
  for (const auto& row : rows) {
    if (credits_were_empty_ && !written_.count(row.movie_id)) {
      // Nothing of this movie to look up or replace: the tables held no credit when the file
      // began, and every credit written since belongs to a movie of the file.
      written_.insert(row.movie_id);
    } else {
      // What is noted may hold this movie's earlier credits: written before they are deleted.
      flush_credits();
      if (!claim(row.movie_id, find_credits_owner_)) continue;
      delete_cast_.bind(1, row.movie_id).run("replacing a movie's cast");
      delete_crew_.bind(1, row.movie_id).run("replacing a movie's crew");
    }
    for (const auto& c : row.cast) {
      person(c.person);
      pending.cast.emplace_back(row.movie_id, &c);
    }
    for (const auto& c : row.crew) {
      person(c.person);
      pending.crew.emplace_back(row.movie_id, &c);
    }
  }
  flush_credits();
}

namespace {

/// A cast or crew row's columns: credit_id, movie_id, person_id, then the item's own two.
template <typename Item, typename Fourth, typename Fifth>
void result_credit(sqlite3_context* out, std::int64_t movie_id, const Item& c, int column,
                   const Fourth& fourth, const Fifth& fifth) {
  switch (column) {
    case 0:
      return result_stored_text(out, c.credit_id);
    case 1:
      return sqlite3_result_int64(out, movie_id);
    case 2:
      return sqlite3_result_int64(out, c.person.id);
    case 3:
      return result_value(out, fourth);
    case 4:
      return result_value(out, fifth);
    default:
      return sqlite3_result_null(out);
  }
}

}  // namespace

void SqliteDetailWriter::flush_credits() {
  auto& pending = pending_credits_;
  run_value_rows(upsert_person_, pending.people, "writing person",
                 [](sqlite3_context* out, const dataset::PersonItem* p, int column) {
                   switch (column) {
                     case 0:
                       return sqlite3_result_int64(out, p->id);
                     case 1:
                       return result_value(out, p->name);
                     case 2:
                       return result_value(out, p->gender);
                     case 3:
                       return result_value(out, p->profile_path);
                     default:
                       return sqlite3_result_null(out);
                   }
                 });
  run_value_rows(upsert_cast_, pending.cast, "writing cast_credit",
                 [](sqlite3_context* out, const auto& row, int column) {
                   const dataset::CastItem& c = *row.second;
                   result_credit(out, row.first, c, column, c.character, c.cast_order);
                 });
  run_value_rows(upsert_crew_, pending.crew, "writing crew_credit",
                 [](sqlite3_context* out, const auto& row, int column) {
                   const dataset::CrewItem& c = *row.second;
                   result_credit(out, row.first, c, column, c.department, c.job);
                 });
  pending.people.clear();
  pending.cast.clear();
  pending.crew.clear();
}

void SqliteDetailWriter::begin_credits() {
  auto any = db_.prepare(
      "SELECT EXISTS (SELECT 1 FROM cast_credit) OR EXISTS (SELECT 1 FROM crew_credit)");
  any.step("checking whether the credit tables are empty");
  credits_were_empty_ = sqlite3_column_int(any.get(), 0) == 0 && !behind_snapshot_;
}

void SqliteDetailWriter::begin_file(DetailFile file, std::uint64_t) {
  if (file == DetailFile::kRatings) begin_ratings();
  if (file == DetailFile::kCredits) begin_credits();
}

void SqliteDetailWriter::begin_ratings() {
  auto any = db_.prepare("SELECT EXISTS (SELECT 1 FROM rating)");
  any.step("checking whether the rating table is empty");
  ratings_were_empty_ = sqlite3_column_int(any.get(), 0) == 0;
  ratings_order_ = AscendingRatings{};
  rating_deltas_.clear();
  find_rating_ = db_.prepare(
      "SELECT CAST(rating * 2 AS INTEGER), batch_id FROM rating WHERE user_id = ? AND "
      "movielens_id = ?");
  append_ratings_ = db_.prepare(
      "INSERT INTO rating (user_id, movielens_id, rating, rated_at, batch_id) SELECT user_id, "
      "movielens_id, rating, rated_at, ?2 FROM rating_rows(?1)");
  insert_rating_ = db_.prepare(
      "INSERT INTO rating (user_id, movielens_id, rating, rated_at, batch_id) VALUES (?, ?, ?, ?, "
      "?)");
  update_rating_ = db_.prepare(
      "UPDATE rating SET rating = ?, rated_at = ?, batch_id = ? WHERE user_id = ? AND "
      "movielens_id = ?");
  add_rating_total_ = db_.prepare(
      "INSERT INTO rating_total (movielens_id, ratings, rating_halves) VALUES (?, ?, ?) ON "
      "CONFLICT (movielens_id) DO UPDATE SET ratings = ratings + excluded.ratings, "
      "rating_halves = rating_halves + excluded.rating_halves");
  ratings_prepared_ = true;
}

void SqliteDetailWriter::write_rating(const dataset::RatingRow& row) {
  write_ratings({&row, 1});
}

void SqliteDetailWriter::write_ratings(std::span<const dataset::RatingRow> rows) {
  if (!ratings_prepared_) begin_ratings();
  // A first load appends, with one statement, the part of the chunk that continues the file's
  // key order; from the first rating out of order on, each one is looked up.
  std::size_t appended = 0;
  if (ratings_were_empty_ && !behind_snapshot_) {
    while (appended < rows.size() && ratings_order_.take(rows[appended])) ++appended;
    for (const auto& row : rows.first(appended)) {
      rating_deltas_.add(row.movielens_id, 1, row.rating_halves);
    }
    append_ratings(rows.first(appended));
  }
  for (const auto& row : rows.subspan(appended)) write_looked_up(row);
}

void SqliteDetailWriter::write_looked_up(const dataset::RatingRow& row) {
  if (behind_snapshot_) {
    ++outcome_.older_than_loaded;
    ++outcome_.superseded;
    return;
  }
  bool existed = false;
  find_rating_.bind(1, row.user_id).bind(2, row.movielens_id);
  if (find_rating_.step("looking up a rating")) {
    existed = true;
    const int old_halves = sqlite3_column_int(find_rating_.get(), 0);
    const std::int64_t owner = sqlite3_column_int64(find_rating_.get(), 1);
    find_rating_.reset();
    if (owner == batch_id_) {
      ++outcome_.superseded;
    } else if (!may_replace(owner)) {
      return;
    }
    rating_deltas_.add(row.movielens_id, -1, -old_halves);
  } else {
    find_rating_.reset();
  }
  Statement& write = existed ? update_rating_ : insert_rating_;
  if (existed) {
    write.bind(1, rating_value(row.rating_halves)).bind(2, row.rated_at).bind(3, batch_id_);
    write.bind(4, row.user_id).bind(5, row.movielens_id);
  } else {
    write.bind(1, row.user_id).bind(2, row.movielens_id);
    write.bind(3, rating_value(row.rating_halves)).bind(4, row.rated_at).bind(5, batch_id_);
  }
  write.run("writing rating");
  rating_deltas_.add(row.movielens_id, 1, row.rating_halves);
}

void SqliteDetailWriter::append_ratings(std::span<const dataset::RatingRow> rows) {
  if (rows.empty()) return;
  const RatingRowsSource source{rows};
  append_ratings_.bind_pointer(1, &source, kRatingRowsPointer).bind(2, batch_id_);
  append_ratings_.run("writing rating");
}

void SqliteDetailWriter::apply_rating_totals() {
  rating_deltas_.for_each([&](std::int64_t movielens_id, const RatingTotals::Delta& delta) {
    add_rating_total_.bind(1, movielens_id).bind(2, delta.ratings).bind(3, delta.halves);
    add_rating_total_.run("keeping rating_total");
  });
  rating_deltas_.clear();
  db_.exec("DELETE FROM rating_total WHERE ratings = 0", "keeping rating_total");
}

DetailOutcome SqliteDetailWriter::end_file(DetailFile file, bool snapshot) {
  if (file == DetailFile::kRatings && ratings_prepared_) {
    apply_rating_totals();
  }
  if (snapshot && !behind_snapshot_) {
    ledger_.remove_file_rows_absent_from_snapshot(file, batch_id_, data_time_);
  }
  DetailOutcome outcome = outcome_;
  outcome_ = {};
  written_.clear();
  ratings_prepared_ = false;
  credits_were_empty_ = false;
  people_written_.clear();
  return outcome;
}

}  // namespace marquee::store
