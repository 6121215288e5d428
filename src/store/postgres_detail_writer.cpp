#include "store/postgres_detail_writer.hpp"

#include <cstring>
#include <functional>
#include <iterator>

#include <fmt/format.h>

namespace marquee::store {
namespace {

using dataset::DetailFile;

/// The staging tables of each file (temporary: never WAL-logged, dropped with the transaction).
/// `seq` is the row's place in the file; `item` an item's place in its list.
std::vector<std::pair<std::string, std::string>> staging_tables(DetailFile file) {
  switch (file) {
    case DetailFile::kLinks:
      return {{"stage_link", "seq bigint, movielens_id bigint, imdb_id text, tmdb_id bigint"}};
    case DetailFile::kKeywords:
      return {{"stage_keywords", "seq bigint, movie_id bigint"},
              {"stage_keyword", "seq bigint, movie_id bigint, keyword_id bigint, name text"}};
    case DetailFile::kCredits:
      return {{"stage_credits", "seq bigint, movie_id bigint"},
              {"stage_cast",
               "seq bigint, item integer, movie_id bigint, credit_id text, person_id bigint, name "
               "text, gender bigint, profile_path text, character text, cast_order bigint"},
              {"stage_crew",
               "seq bigint, item integer, movie_id bigint, credit_id text, person_id bigint, name "
               "text, gender bigint, profile_path text, department text, job text"}};
    case DetailFile::kRatings:
      return {{"stage_rating",
               "seq bigint, user_id bigint, movielens_id bigint, halves smallint, rated_at "
               "bigint"}};
  }
  return {};
}

/// Appends a big-endian integer of N bytes.
template <typename T>
void append_big_endian(std::string& out, T value) {
  for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(value) >> shift) & 0xFF));
  }
}

/// One row of `rating` in COPY's binary format (after its header on an empty buffer): the
/// server reads five fixed-size fields instead of parsing five numbers from text, which is
/// most of what a copy costs it.
void append_binary_rating(std::string& out, const dataset::RatingRow& row, std::int64_t batch_id) {
  if (out.empty()) {
    out.append("PGCOPY\n\xff\r\n\0", 11);
    append_big_endian(out, std::uint32_t{0});  // flags
    append_big_endian(out, std::uint32_t{0});  // header extension length
  }
  append_big_endian(out, std::uint16_t{5});
  for (std::int64_t v : {row.user_id, row.movielens_id}) {
    append_big_endian(out, std::uint32_t{8});
    append_big_endian(out, static_cast<std::uint64_t>(v));
  }
  const float stars = static_cast<float>(row.rating_halves) / 2.0f;
  std::uint32_t bits = 0;
  std::memcpy(&bits, &stars, sizeof bits);
  append_big_endian(out, std::uint32_t{4});
  append_big_endian(out, bits);
  for (std::int64_t v : {row.rated_at, batch_id}) {
    append_big_endian(out, std::uint32_t{8});
    append_big_endian(out, static_cast<std::uint64_t>(v));
  }
}

/// The columns cast and crew rows share: seq, item, movie, credit and person.
void credit_columns(CopyRow& row, std::int64_t seq, std::int64_t item, std::int64_t movie_id,
                    const std::string& credit_id, const dataset::PersonItem& person) {
  row.integer(seq).integer(item).integer(movie_id).text(credit_id).integer(person.id);
  row.text(person.name).integer(person.gender).text(person.profile_path);
}

}  // namespace

PostgresDetailWriter::PostgresDetailWriter(Session& session, BatchLedger& ledger,
                                           std::int64_t batch_id, std::string data_time,
                                           std::vector<std::int64_t> newer_batches,
                                           bool behind_snapshot)
    : session_(session),
      ledger_(ledger),
      batch_id_(batch_id),
      data_time_(std::move(data_time)),
      newer_(fmt::format("{{{}}}", fmt::join(newer_batches, ","))),
      any_newer_(!newer_batches.empty()),
      behind_snapshot_(behind_snapshot) {}

void PostgresDetailWriter::begin_file(DetailFile file) {
  buffers_.clear();
  seq_ = 0;
  ratings_direct_ = false;
  if (file == DetailFile::kRatings && !behind_snapshot_) {
    auto empty = session_.exec("SELECT NOT EXISTS (SELECT 1 FROM rating)",
                               "checking whether the rating table is empty");
    ratings_direct_ = text_of(empty, 0, 0) == "t";
    if (ratings_direct_) {
      // The key's index is built once from the sorted rows at the end of the file, which costs
      // a fraction of keeping it row by row. The table is locked until the batch commits; the
      // reports and the API read rating_total, not rating.
      session_.exec("ALTER TABLE rating DROP CONSTRAINT rating_pkey",
                    "dropping the rating key for the first load");
      key_dropped_ = true;
    }
    ratings_order_ = AscendingRatings{};
    direct_rows_.clear();
    direct_totals_.clear();
  }
  for (const auto& [table, columns] : staging_tables(file)) {
    session_.exec(fmt::format("CREATE TEMP TABLE {} ({}) ON COMMIT DROP", table, columns),
                  fmt::format("creating the staging table {}", table));
    buffers_.push_back({table, {}});
  }
}

void PostgresDetailWriter::flush() {
  flush_direct();
  for (auto& b : buffers_) {
    if (b.rows.empty()) continue;
    session_.copy_in(fmt::format("COPY {} FROM STDIN", b.table), b.rows,
                     fmt::format("copying rows into {}", b.table));
    b.rows.clear();
  }
}

void PostgresDetailWriter::flush_direct() {
  if (direct_rows_.empty()) return;
  direct_rows_.append("\xff\xff", 2);  // the end of the binary COPY data
  session_.copy_in(
      "COPY rating (user_id, movielens_id, rating, rated_at, batch_id) FROM STDIN (FORMAT "
      "binary)",
      direct_rows_, "copying ratings into rating");
  direct_rows_.clear();
}

void PostgresDetailWriter::flush_if_full() {
  std::size_t held = direct_rows_.size();
  for (const auto& b : buffers_) held += b.rows.size();
  if (held >= kFlushBytes) flush();
}

void PostgresDetailWriter::write_link(const dataset::LinkRow& row) {
  CopyRow(buffers_[0].rows)
      .integer(++seq_)
      .integer(row.movielens_id)
      .text(row.imdb_id)
      .integer(row.tmdb_id);
  flush_if_full();
}

void PostgresDetailWriter::write_keywords(const dataset::KeywordsRow& row) {
  const std::int64_t seq = ++seq_;
  CopyRow(buffers_[0].rows).integer(seq).integer(row.movie_id);
  for (const auto& k : row.keywords) {
    CopyRow(buffers_[1].rows).integer(seq).integer(row.movie_id).integer(k.id).text(k.name);
  }
  flush_if_full();
}

void PostgresDetailWriter::write_credits(const dataset::CreditsRow& row) {
  const std::int64_t seq = ++seq_;
  CopyRow(buffers_[0].rows).integer(seq).integer(row.movie_id);
  std::int64_t item = 0;
  for (const auto& c : row.cast) {
    CopyRow out(buffers_[1].rows);
    credit_columns(out, seq, ++item, row.movie_id, c.credit_id, c.person);
    out.text(c.character).integer(c.cast_order);
  }
  for (const auto& c : row.crew) {
    CopyRow out(buffers_[2].rows);
    credit_columns(out, seq, ++item, row.movie_id, c.credit_id, c.person);
    out.text(c.department).text(c.job);
  }
  flush_if_full();
}

void PostgresDetailWriter::write_rating(const dataset::RatingRow& row) {
  if (ratings_direct_) ratings_direct_ = ratings_order_.take(row);
  if (ratings_direct_) {
    append_binary_rating(direct_rows_, row, batch_id_);
    direct_totals_.add(row.movielens_id, 1, row.rating_halves);
    flush_if_full();
    return;
  }
  CopyRow(buffers_[0].rows)
      .integer(++seq_)
      .integer(row.user_id)
      .integer(row.movielens_id)
      .integer(std::int64_t{row.rating_halves})
      .integer(row.rated_at);
  flush_if_full();
}

std::uint64_t PostgresDetailWriter::select_count(const std::string& sql, std::string_view what) {
  auto r = session_.exec(sql, what);
  return static_cast<std::uint64_t>(int_of(r, 0, 0));
}

DetailOutcome PostgresDetailWriter::settle_latest(
    const std::string& stage, const std::string& latest, std::string_view key,
    std::string_view columns, const std::function<std::string(char)>& owned_by_newer) {
  session_.exec(fmt::format("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT DISTINCT ON ({}) {} "
                            "FROM {} ORDER BY {}, seq DESC",
                            latest, key, columns, stage, key),
                fmt::format("finding the last row of each key of {}", stage));
  DetailOutcome outcome;
  const std::uint64_t staged =
      select_count(fmt::format("SELECT count(*) FROM {}", stage), "counting the staged rows");
  if (behind_snapshot_) {
    // A newer snapshot kept or removed every key: nothing of this file is applied.
    session_.exec(fmt::format("TRUNCATE {}", latest), "emptying the latest rows");
    return {staged, staged};
  }
  if (any_newer_) {
    outcome.older_than_loaded =
        select_count(fmt::format("SELECT count(*) FROM {} s WHERE {}", stage, owned_by_newer('s')),
                     "counting the rows older than the loaded ones");
    if (outcome.older_than_loaded > 0) {
      session_.exec(fmt::format("DELETE FROM {} l WHERE {}", latest, owned_by_newer('l')),
                    "keeping the rows of newer batches");
    }
  }
  const std::uint64_t applied =
      select_count(fmt::format("SELECT count(*) FROM {}", latest), "counting the latest rows");
  outcome.superseded = staged - applied;
  return outcome;
}

DetailOutcome PostgresDetailWriter::merge_links() {
  auto outcome = settle_latest("stage_link", "latest_link", "movielens_id",
                               "movielens_id, imdb_id, tmdb_id", [&](char alias) {
                                 return fmt::format(
                                     "EXISTS (SELECT 1 FROM link k WHERE k.movielens_id = "
                                     "{}.movielens_id AND k.batch_id = ANY('{}'::bigint[]))",
                                     alias, newer_);
                               });
  session_.exec(fmt::format("INSERT INTO link (movielens_id, imdb_id, tmdb_id, batch_id) SELECT "
                            "movielens_id, imdb_id, tmdb_id, {} FROM latest_link ON CONFLICT "
                            "(movielens_id) DO UPDATE SET imdb_id = excluded.imdb_id, tmdb_id = "
                            "excluded.tmdb_id, batch_id = excluded.batch_id",
                            batch_id_),
                "writing link");
  return outcome;
}

DetailOutcome PostgresDetailWriter::merge_keywords() {
  auto owned = [&](char alias) {
    return fmt::format(
        "EXISTS (SELECT 1 FROM movie_keyword k WHERE k.movie_id = {}.movie_id AND k.batch_id = "
        "ANY('{}'::bigint[]))",
        alias, newer_);
  };
  auto outcome =
      settle_latest("stage_keywords", "latest_keywords", "movie_id", "movie_id, seq", owned);
  session_.exec("DELETE FROM movie_keyword k USING latest_keywords l WHERE k.movie_id = l.movie_id",
                "replacing the movies' keywords");
  session_.exec(
      "INSERT INTO keyword (id, name) SELECT DISTINCT ON (s.keyword_id) s.keyword_id, s.name "
      "FROM stage_keyword s JOIN latest_keywords l ON l.seq = s.seq ORDER BY s.keyword_id, s.seq "
      "DESC ON CONFLICT (id) DO UPDATE SET name = excluded.name WHERE keyword.name IS DISTINCT "
      "FROM excluded.name",
      "writing keyword");
  session_.exec(fmt::format("INSERT INTO movie_keyword (movie_id, keyword_id, batch_id) SELECT "
                            "s.movie_id, s.keyword_id, {} FROM stage_keyword s JOIN "
                            "latest_keywords l ON l.seq = s.seq",
                            batch_id_),
                "writing movie_keyword");
  return outcome;
}

DetailOutcome PostgresDetailWriter::merge_credits() {
  auto owned = [&](char alias) {
    return fmt::format(
        "(EXISTS (SELECT 1 FROM cast_credit c WHERE c.movie_id = {0}.movie_id AND c.batch_id = "
        "ANY('{1}'::bigint[])) OR EXISTS (SELECT 1 FROM crew_credit c WHERE c.movie_id = "
        "{0}.movie_id AND c.batch_id = ANY('{1}'::bigint[])))",
        alias, newer_);
  };
  auto outcome =
      settle_latest("stage_credits", "latest_credits", "movie_id", "movie_id, seq", owned);
  session_.exec("DELETE FROM cast_credit c USING latest_credits l WHERE c.movie_id = l.movie_id",
                "replacing the movies' cast");
  session_.exec("DELETE FROM crew_credit c USING latest_credits l WHERE c.movie_id = l.movie_id",
                "replacing the movies' crew");
  // As on SQLite, where people are written item by item in file order (cast, then crew): the
  // last mention of a person gives their name, gender and picture.
  session_.exec(
      "INSERT INTO person (id, name, gender, profile_path) SELECT DISTINCT ON (p.person_id) "
      "p.person_id, p.name, p.gender, p.profile_path FROM (SELECT seq, item, person_id, name, "
      "gender, profile_path FROM stage_cast UNION ALL SELECT seq, item, person_id, name, gender, "
      "profile_path FROM stage_crew) p JOIN latest_credits l ON l.seq = p.seq ORDER BY "
      "p.person_id, p.seq DESC, p.item DESC ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
      "gender = excluded.gender, profile_path = excluded.profile_path",
      "writing person");
  session_.exec(
      fmt::format("INSERT INTO cast_credit (credit_id, movie_id, person_id, character, "
                  "cast_order, batch_id) SELECT DISTINCT ON (s.credit_id) s.credit_id, "
                  "s.movie_id, s.person_id, s.character, s.cast_order, {} FROM stage_cast s "
                  "JOIN latest_credits l ON l.seq = s.seq ORDER BY s.credit_id, s.seq DESC ON "
                  "CONFLICT (credit_id) DO UPDATE SET movie_id = excluded.movie_id, person_id "
                  "= excluded.person_id, character = excluded.character, cast_order = "
                  "excluded.cast_order, batch_id = excluded.batch_id",
                  batch_id_),
      "writing cast_credit");
  session_.exec(
      fmt::format("INSERT INTO crew_credit (credit_id, movie_id, person_id, department, job, "
                  "batch_id) SELECT DISTINCT ON (s.credit_id) s.credit_id, s.movie_id, "
                  "s.person_id, s.department, s.job, {} FROM stage_crew s JOIN latest_credits "
                  "l ON l.seq = s.seq ORDER BY s.credit_id, s.seq DESC ON CONFLICT (credit_id) "
                  "DO UPDATE SET movie_id = excluded.movie_id, person_id = excluded.person_id, "
                  "department = excluded.department, job = excluded.job, batch_id = "
                  "excluded.batch_id",
                  batch_id_),
      "writing crew_credit");
  return outcome;
}

DetailOutcome PostgresDetailWriter::merge_ratings() {
  constexpr const char* kAddTotals =
      " ON CONFLICT (movielens_id) DO UPDATE SET ratings = rating_total.ratings + "
      "excluded.ratings, rating_halves = rating_total.rating_halves + excluded.rating_halves";
  // The ratings copied straight into the table count first; the staged ones merge over them.
  std::string totals;
  direct_totals_.for_each([&](std::int64_t movielens_id, const RatingTotals::Delta& d) {
    fmt::format_to(std::back_inserter(totals), "{}\t{}\t{}\n", movielens_id, d.ratings, d.halves);
  });
  direct_totals_.clear();
  if (key_dropped_) {
    // The copied rows' keys only grew, so they are distinct: the key builds without a conflict,
    // and the staged rows below merge against it.
    session_.exec("SET LOCAL maintenance_work_mem = '256MB'", "sizing the index build");
    session_.exec(
        "ALTER TABLE rating ADD CONSTRAINT rating_pkey PRIMARY KEY (user_id, movielens_id)",
        "building the rating key");
    session_.exec("RESET maintenance_work_mem", "sizing the index build");
    key_dropped_ = false;
  }
  if (!totals.empty()) {
    session_.exec(
        "CREATE TEMP TABLE direct_total (movielens_id bigint, ratings bigint, "
        "rating_halves bigint) ON COMMIT DROP",
        "creating the staging table direct_total");
    session_.copy_in("COPY direct_total FROM STDIN", totals, "copying the rating totals");
    session_.exec(std::string("INSERT INTO rating_total (movielens_id, ratings, rating_halves) "
                              "SELECT movielens_id, ratings, rating_halves FROM direct_total") +
                      kAddTotals,
                  "adding the copied ratings to rating_total");
  }
  const std::uint64_t staged =
      select_count("SELECT count(*) FROM stage_rating", "counting the staged ratings");
  if (staged == 0) return {};
  auto owned = [&](char alias) {
    return fmt::format(
        "EXISTS (SELECT 1 FROM rating r WHERE r.user_id = {0}.user_id AND r.movielens_id = "
        "{0}.movielens_id AND r.batch_id = ANY('{1}'::bigint[]))",
        alias, newer_);
  };
  auto outcome = settle_latest("stage_rating", "latest_rating", "user_id, movielens_id",
                               "user_id, movielens_id, halves, rated_at", owned);
  // A staged rating that replaces one this batch copied straight in supersedes it.
  outcome.superseded += select_count(
      fmt::format("SELECT count(*) FROM latest_rating l JOIN rating r ON r.user_id = l.user_id "
                  "AND r.movielens_id = l.movielens_id WHERE r.batch_id = {}",
                  batch_id_),
      "counting the ratings replaced within the batch");
  // The ratings replaced leave their movie's total before the new ones join it.
  session_.exec(std::string("INSERT INTO rating_total (movielens_id, ratings, rating_halves) "
                            "SELECT r.movielens_id, -count(*), -sum((r.rating * 2)::bigint) FROM "
                            "rating r JOIN latest_rating l ON l.user_id = r.user_id AND "
                            "l.movielens_id = r.movielens_id GROUP BY r.movielens_id") +
                    kAddTotals,
                "taking the replaced ratings out of rating_total");
  session_.exec(fmt::format("INSERT INTO rating (user_id, movielens_id, rating, rated_at, "
                            "batch_id) SELECT user_id, movielens_id, halves / 2.0, rated_at, {} "
                            "FROM latest_rating ON CONFLICT (user_id, movielens_id) DO UPDATE SET "
                            "rating = excluded.rating, rated_at = excluded.rated_at, batch_id = "
                            "excluded.batch_id",
                            batch_id_),
                "writing rating");
  session_.exec(std::string("INSERT INTO rating_total (movielens_id, ratings, rating_halves) "
                            "SELECT movielens_id, count(*), sum(halves) FROM latest_rating GROUP "
                            "BY movielens_id") +
                    kAddTotals,
                "adding the new ratings to rating_total");
  session_.exec("DELETE FROM rating_total WHERE ratings = 0", "keeping rating_total");
  return outcome;
}

DetailOutcome PostgresDetailWriter::end_file(DetailFile file, bool snapshot) {
  flush();
  DetailOutcome outcome;
  switch (file) {
    case DetailFile::kLinks:
      outcome = merge_links();
      break;
    case DetailFile::kKeywords:
      outcome = merge_keywords();
      break;
    case DetailFile::kCredits:
      outcome = merge_credits();
      break;
    case DetailFile::kRatings:
      outcome = merge_ratings();
      break;
  }
  if (snapshot && !behind_snapshot_) {
    ledger_.remove_file_rows_absent_from_snapshot(file, batch_id_, data_time_);
  }
  buffers_.clear();
  return outcome;
}

}  // namespace marquee::store
