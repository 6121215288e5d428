#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/batch_ledger.hpp"
#include "store/rating_totals.hpp"
#include "store/sqlite_connection.hpp"
#include "store/store.hpp"

namespace marquee::store {

/// The values a file last wrote for recent people, in a fixed table indexed by person id (a
/// slot keeps the last person that fell in it): memory stays bounded whatever the number of
/// people, and a person written again with the values it was last written with is known to
/// change nothing.
class RecentPeople {
 public:
  /// True when `p` has the values this file last wrote for that person; else remembers them
  /// (the caller writes the person).
  bool same_as_last(const dataset::PersonItem& p) {
    if (slots_.empty()) slots_.resize(kSlots);
    auto& slot = slots_[static_cast<std::uint64_t>(p.id) * 0x9E3779B97F4A7C15ULL >> (64 - kBits)];
    if (slot.used && slot.person.id == p.id && slot.person.name == p.name &&
        slot.person.gender == p.gender && slot.person.profile_path == p.profile_path) {
      return true;
    }
    slot.used = true;
    slot.person = p;
    return false;
  }
  void clear() { slots_ = {}; }

 private:
  static constexpr int kBits = 16;
  static constexpr std::size_t kSlots = std::size_t{1} << kBits;
  struct Slot {
    bool used = false;
    dataset::PersonItem person;
  };
  std::vector<Slot> slots_;
};

/// The other files of a batch (SPEC 3.5) on SQLite: each row straight into the model tables in
/// the batch's transaction, in file order, so that the last row of a key is the one left.
class SqliteDetailWriter {
 public:
  /// `newer_batches`: loaded batches of a newer data time (what they wrote is not replaced);
  /// `behind_snapshot`: a snapshot of a newer data time is loaded, so nothing is applied.
  SqliteDetailWriter(SqliteConnection& db, BatchLedger& ledger, std::int64_t batch_id,
                     std::string data_time, const std::unordered_set<std::int64_t>& newer_batches,
                     bool behind_snapshot);

  void begin_file(dataset::DetailFile file, std::uint64_t bytes);
  void write_link(const dataset::LinkRow& row);
  void write_keywords(const dataset::KeywordsRow& row);
  void write_credits(const dataset::CreditsRow& row);
  /// A chunk of credits rows: their people, cast and crew are written with one statement per
  /// table (value_rows), except that a movie whose credits are replaced has the rows before
  /// it written first.
  void write_credits(std::span<const dataset::CreditsRow> rows);
  void write_rating(const dataset::RatingRow& row);
  /// A chunk of ratings (the loader's, at most 4,096): the part that continues the file's key
  /// order into a table that was empty is appended from where it lies, the rest row by row.
  void write_ratings(std::span<const dataset::RatingRow> rows);
  DetailOutcome end_file(dataset::DetailFile file, bool snapshot);

 private:
  /// Whether a row of this batch may replace what `owner` (the batch that wrote the key) left;
  /// counts it as older than loaded when not.
  bool may_replace(std::int64_t owner);
  /// Whether the key was written by this file already (counts a superseded row), or may be
  /// replaced (`find_owner` tells which batch wrote it); false when the row is not applied.
  bool claim(std::int64_t key, Statement& find_owner);
  std::optional<std::int64_t> owner_of(Statement& find, std::int64_t key);
  void begin_ratings();
  void begin_credits();
  /// Writes the people, cast and crew noted since the last flush, in their order.
  void flush_credits();
  /// A rating that may repeat one in the table: looked up, then inserted or updated.
  void write_looked_up(const dataset::RatingRow& row);
  /// Appends ratings that follow every rating in the table, with one statement.
  void append_ratings(std::span<const dataset::RatingRow> rows);
  void apply_rating_totals();

  SqliteConnection& db_;
  BatchLedger& ledger_;
  std::int64_t batch_id_;
  std::string data_time_;
  const std::unordered_set<std::int64_t>& newer_batches_;
  bool behind_snapshot_;
  DetailOutcome outcome_;
  /// Keys (movielens ids, movie ids) this batch wrote in the current file.
  std::unordered_set<std::int64_t> written_;

  /// Ratings. The table was empty when the file began and the rows come in key order: each one
  /// is appended without a lookup.
  bool ratings_prepared_ = false;
  bool ratings_were_empty_ = false;
  /// A first load looks nothing up until the file's key order breaks.
  AscendingRatings ratings_order_;
  /// The change to rating_total of each MovieLens movie, applied at the end of the file.
  RatingTotals rating_deltas_;

  /// Credits. The cast and crew tables held nothing when the file began (a first load): a movie
  /// the file has not written yet has no credit to look up or delete.
  bool credits_were_empty_ = false;
  /// The people this file wrote lately: a person written again with the same values is not
  /// written again (a person is named in many movies' credits).
  RecentPeople people_written_;
  /// What flush_credits writes: pointers into the rows of the chunk being written.
  struct PendingCredits {
    std::vector<const dataset::PersonItem*> people;
    std::vector<std::pair<std::int64_t, const dataset::CastItem*>> cast;  // movie id, credit
    std::vector<std::pair<std::int64_t, const dataset::CrewItem*>> crew;
  } pending_credits_;

  Statement find_link_, upsert_link_, find_keywords_owner_, delete_keywords_, upsert_keyword_,
      insert_movie_keyword_, find_credits_owner_, delete_cast_, delete_crew_, upsert_person_,
      upsert_cast_, upsert_crew_, find_rating_, insert_rating_, append_ratings_, update_rating_,
      add_rating_total_;
};

}  // namespace marquee::store
