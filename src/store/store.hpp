#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dataset/detail_rows.hpp"
#include "dataset/movie_row.hpp"

namespace marquee::store {

/// What identifies a batch before it is loaded: one staged archive.
struct BatchSource {
  std::string source;  ///< URL or path, never with credentials
  std::string sha256;
  std::string etag;
  std::string staged_at;  ///< ISO 8601 UTC
  /// When the data was true, as normalize_utc_timestamp writes it: the archive's --as-of, else
  /// its source's Last-Modified, else when it was staged. Versions of a movie are ordered by it
  /// (last writer wins by data time, not load time); empty means the load time.
  std::string data_time;
};

/// What a loaded batch did to the model, movie by movie, against the state before it: each movie
/// it applied is new, updated (its record differs from the loaded version: any column, the
/// collection, a link or a link's name) or unchanged; removed are the movies a snapshot batch
/// did not hold. A movie is counted once whatever the number of its records in the batch (by
/// its last record); records not applied (older than the loaded version) are in none.
struct MovieChanges {
  std::uint64_t added = 0;
  std::uint64_t updated = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t removed = 0;
  bool operator==(const MovieChanges&) const = default;
};

/// The report files of SPEC 5 in the order they are written, each the output of
/// sql/reports/<name>.sql: the four over the movies, then the two over the ratings.
inline constexpr std::array<std::string_view, 6> kReportNames = {
    "company_yearly",      "company_genre_yearly", "genre_yearly", "most_popular_genre_by_year",
    "genre_rating_yearly", "company_rating_yearly"};

/// How one report file differs from the one it replaced, row by row by the report's key.
struct ReportChange {
  std::string report;
  std::uint64_t rows_added = 0;
  std::uint64_t rows_changed = 0;
  std::uint64_t rows_removed = 0;
  /// The keys of the first rows added, changed or removed ("company_id=1 year=2000"), at most
  /// kChangedKeysKept.
  std::vector<std::string> changed_keys;
  static constexpr std::size_t kChangedKeysKept = 20;
};

/// The accounting of SPEC 3.4: rows_read = rows_loaded + rows_rejected + duplicate_superseded.
struct BatchCounts {
  std::uint64_t rows_read = 0;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_rejected = 0;
  std::uint64_t duplicate_superseded = 0;
  std::uint64_t warnings = 0;
  /// Movies of the batch not applied because the database holds a version of a newer data time
  /// (a backfill behind the hourly flow). They are part of duplicate_superseded (superseded by
  /// that newer version), so the accounting still balances; this says how many.
  std::uint64_t older_than_loaded = 0;
  /// Set by the writer at commit; nullopt for a batch loaded before schema version 3, or one
  /// that was not loaded.
  std::optional<MovieChanges> movies = std::nullopt;
};

/// What a batch did with one file of the archive (ingest_file): its accounting, and the entry's
/// CRC-32 and size from the ZIP directory, by which a later batch tells an unchanged entry.
struct FileRecord {
  std::string file;  ///< the entry's base name: "ratings.csv"
  /// "loaded", or "unchanged": the entry equals the one the last batch recorded, so it was not
  /// read again (its counts are zero).
  std::string status = "loaded";
  std::optional<std::uint32_t> crc32;  ///< nullopt for a file not read from a ZIP
  std::uint64_t bytes = 0;             ///< uncompressed
  BatchCounts counts;
  /// Read back only: the batch that recorded it was a snapshot (its load removed what the file
  /// did not hold).
  bool snapshot = false;
};

/// What the batch did with the rows of one of the other files (SPEC 3.5) that it did not load.
struct DetailOutcome {
  /// Rows whose key a later row of the same file replaced in this batch (the last one wins).
  std::uint64_t superseded = 0;
  /// Rows not applied because a batch of a newer data time wrote their key; part of superseded.
  std::uint64_t older_than_loaded = 0;
};

/// One row of ingest_batch (source.data_time as normalize_utc_timestamp writes it).
struct BatchRecord {
  std::int64_t id = 0;
  BatchSource source;
  std::string started_at, finished_at, status;  ///< status: started, loaded, failed
  BatchCounts counts;
  std::string message;  ///< why a failed batch failed
};

/// One batch's writes: a single transaction that either commits whole or leaves nothing.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  std::int64_t batch_id() const { return batch_id_; }
  /// Replaces the movie's row and all its link rows (SPEC 4). Returns true when the same id was
  /// already written by this batch: that earlier record is then superseded (the last one wins).
  virtual bool upsert_movie(const dataset::MovieRow& row) = 0;
  /// The records of a chunk at once, in file order; the same as upsert_movie for each. Returns
  /// how many of them superseded an earlier record of the batch.
  virtual std::uint64_t upsert_movies(std::span<const dataset::MovieRow> rows) {
    std::uint64_t superseded = 0;
    for (const auto& row : rows) superseded += upsert_movie(row) ? 1 : 0;
    return superseded;
  }
  /// Ends the movies of the batch: settles genre and company names (the last surviving record
  /// that mentions an id wins) and removes movies absent from a snapshot batch (with their
  /// keywords and credits). From here on the model's movies are what the batch leaves. Returns
  /// the counts the batch will be recorded with: the movies found older than the loaded version
  /// move from rows_loaded to duplicate_superseded and older_than_loaded.
  virtual BatchCounts finish_movies(const BatchCounts& counts, bool snapshot) = 0;
  /// The ids of the model's movies as the batch leaves them (call after finish_movies), sorted:
  /// keywords and credits of any other id are not loaded (warning unknown_movie).
  virtual std::vector<std::int64_t> movie_ids() = 0;

  /// The rows of the other files (SPEC 3.5), after finish_movies, one file at a time, each
  /// closed by end_detail_file. Within a file a later row of the same key replaces an earlier
  /// one (links by movieId, keywords and credits by movie, ratings by user and movie); across
  /// batches the later data time wins, as for movies. Keywords and credits name only movies of
  /// movie_ids().
  /// `bytes`: the file's uncompressed size (0 when unknown), which bounds its rows.
  virtual void begin_detail_file(dataset::DetailFile file, std::uint64_t bytes) = 0;
  virtual void write_link(const dataset::LinkRow& row) = 0;
  virtual void write_keywords(const dataset::KeywordsRow& row) = 0;
  virtual void write_credits(const dataset::CreditsRow& row) = 0;
  virtual void write_rating(const dataset::RatingRow& row) = 0;
  /// The ratings of a chunk at once, in file order; the same as write_rating for each.
  virtual void write_ratings(std::span<const dataset::RatingRow> rows) {
    for (const auto& row : rows) write_rating(row);
  }
  /// The credits rows of a chunk at once, in file order; the same as write_credits for each.
  virtual void write_credits_chunk(std::span<const dataset::CreditsRow> rows) {
    for (const auto& row : rows) write_credits(row);
  }
  /// Applies what the file's rows left, and for a snapshot batch removes the file's rows that
  /// it does not hold. Returns the rows superseded.
  virtual DetailOutcome end_detail_file(dataset::DetailFile file, bool snapshot) = 0;

  /// Records the batch loaded with the counts finish_movies returned and each file's record,
  /// and commits.
  virtual void commit_loaded(const std::vector<FileRecord>& files) = 0;
  /// finish_movies and commit_loaded, for a batch of movies alone.
  BatchCounts commit(const BatchCounts& counts, bool snapshot) {
    BatchCounts recorded = finish_movies(counts, snapshot);
    commit_loaded({});
    return recorded;
  }
  /// Rolls back; the batch row is marked failed with `reason`. Also what the destructor does
  /// when neither was called.
  virtual void rollback(const std::string& reason) = 0;

 protected:
  std::int64_t batch_id_ = 0;
};

using Param = std::variant<std::int64_t, std::string>;
using Cell = std::optional<std::string>;
/// Sets `cell` to `text`, reusing its buffer: a query hands its rows (a report's millions) to
/// the visitor through one vector of cells.
inline void assign_cell(Cell& cell, std::string_view text) {
  if (cell) {
    cell->assign(text);
  } else {
    cell.emplace(text);
  }
}
/// Called once per result row with the column names and the row's cells as text (NULL → nullopt).
using RowVisitor =
    std::function<void(const std::vector<std::string>& columns, const std::vector<Cell>& row)>;

/// The movies one report row counts (SPEC 5): those whose release_year is `year` and that belong
/// to the company (a company_yearly row), the genre (a genre_yearly row), or both (a
/// company_genre_yearly row). At least one of company_id and genre_id is set.
struct MovieGroup {
  std::optional<std::int64_t> company_id;
  std::optional<std::int64_t> genre_id;
  std::int64_t year = 0;
};

/// One movie of a MovieGroup, as stored: NULL budget or revenue is unknown (0 in the source).
struct GroupMovie {
  std::int64_t id = 0;
  std::optional<std::string> title;
  std::optional<std::string> release_date;  ///< YYYY-MM-DD
  std::optional<std::int64_t> budget, revenue;
  std::optional<std::int64_t> popularity_micros;  ///< popularity in millionths, as the reports
};

struct RunLockOptions {
  bool no_wait = false;  ///< fail at once (exit 5) when another run holds the lock
  /// How long to wait for the lock unless no_wait; zero waits as long as it takes.
  std::chrono::milliseconds timeout{0};
};

/// The run lock of a database, held while the object lives: one loader per database at a time.
class RunLease {
 public:
  virtual ~RunLease() = default;
};

/// The relational model behind one interface: SQLite (embedded default) or PostgreSQL.
class Store {
 public:
  virtual ~Store() = default;
  /// "sqlite" or "postgresql", for information (/api/health): nothing may decide on it.
  virtual std::string_view engine() const = 0;
  /// The database for messages, without a password ("sqlite:/path/db", "postgresql://u@h:p/db").
  virtual std::string describe() const = 0;
  /// The loaded batch with this archive sha256, if any.
  virtual std::optional<BatchRecord> loaded_batch(const std::string& sha256) = 0;
  /// Records a new batch row (status started, committed at once so its id is never reused) and
  /// opens the batch transaction.
  virtual std::unique_ptr<BatchWriter> begin_batch(const BatchSource& source) = 0;
  /// Records a batch that failed before any data was written (a corrupt archive, say).
  virtual std::int64_t record_failed_batch(const BatchSource& source,
                                           const std::string& reason) = 0;
  virtual std::vector<BatchRecord> batches() = 0;
  /// Records the outcome of one data check (sql/checks/) for a loaded batch in
  /// data_check_result, replacing an earlier result of the same check for that batch.
  virtual void record_check(std::int64_t batch_id, const std::string& check_name,
                            std::uint64_t failing,
                            const std::vector<std::string>& failing_keys) = 0;
  /// Records how the report files written after a loaded batch differ from those they replaced
  /// (report_change), replacing what was recorded for the same batch and report.
  virtual void record_report_changes(std::int64_t batch_id,
                                     const std::vector<ReportChange>& changes) = 0;
  /// The latest record of `file` (a base name) among the loaded batches: what a new archive's
  /// entry is compared with to skip an unchanged one.
  virtual std::optional<FileRecord> last_loaded_file(std::string_view file) = 0;
  /// The records of a batch's files, in the order they were loaded.
  virtual std::vector<FileRecord> batch_files(std::int64_t batch_id) = 0;
  /// What record_report_changes kept for the batch, in report order.
  virtual std::vector<ReportChange> report_changes(std::int64_t batch_id) = 0;
  /// Runs one read-only statement; `?` placeholders are bound to params in order. Returns the
  /// result's column names (known even when there are no rows).
  virtual std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                         const RowVisitor& visit) = 0;
  /// Takes the run lock of the database. PostgreSQL: a session advisory lock on a connection
  /// of its own (a crashed run's lock goes with its connection); SQLite: a flock on
  /// <database file>.lock, so two work directories sharing one --db never load at once.
  /// Throws Error kLocked naming the holder when another run holds it.
  virtual std::unique_ptr<RunLease> lock_run(const RunLockOptions& options) = 0;
  /// See ReadSnapshot.
  virtual void begin_read_snapshot() = 0;
  virtual void end_read_snapshot() = 0;
  /// `marquee prune --keep WEEKS`: detaches and drops the movie_version partitions of weeks that
  /// ended before the start of the week `keep_weeks` weeks before the current one (0 keeps only
  /// the current week). Returns the names of the dropped partitions. Throws Error kUsage when
  /// the store keeps no history (SQLite) or keep_weeks is negative.
  virtual std::vector<std::string> prune_history(int keep_weeks) = 0;

  /// The movies behind one report row (sql/movies/), most popular first (those without a
  /// popularity last), then by id. The same joins and year rule as the report SQL, so their
  /// number is the row's `movies` (`releases` for company and genre). Written once over query(),
  /// so both engines answer alike. Throws Error kUsage when the group names neither a company
  /// nor a genre.
  std::vector<GroupMovie> group_movies(const MovieGroup& group);
  /// The production company's name; nullopt when no company has this id.
  std::optional<std::string> company_name(std::int64_t id);
  /// The genre named by `id_or_name`: decimal digits are its id, anything else its name compared
  /// case-insensitively (ASCII letters only, the same on every engine; the lowest id wins if two
  /// names differ only in case). nullopt when none matches.
  std::optional<dataset::NamedItem> find_genre(std::string_view id_or_name);
};

/// The queries run while it lives see one snapshot of the database: a batch committed meanwhile
/// (a backfill load beside the reports) is in all of them or in none. A read-only transaction:
/// deferred on SQLite (WAL readers keep their snapshot), REPEATABLE READ on PostgreSQL.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Store& store);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Store& store_;
};

/// A --db value taken apart: "sqlite:PATH", a plain path, or "postgresql://…"/"postgres://…".
struct DbUrl {
  enum class Engine { kSqlite, kPostgres };
  Engine engine = Engine::kSqlite;
  /// The SQLite file path, or the PostgreSQL URL as given (passed to libpq as is).
  std::string target;
};

/// Throws Error kUsage for "sqlite:" (or an empty value) without a file path.
DbUrl parse_db_url(std::string_view url);

struct OpenOptions {
  /// The connection refuses to write, whatever a bug might try (the API server).
  bool read_only = false;
  /// A SQLite file must exist already, so that a mistyped --workdir is an error rather than an
  /// empty new database (Error kDatabase).
  bool must_exist = false;
};

/// Opens by URL (see DbUrl). Creates or migrates the schema; a database of a newer schema
/// version fails clearly (exit 4).
std::unique_ptr<Store> open_store(const std::string& url, const OpenOptions& options = {});

/// The data time a batch is recorded with: source.data_time normalized (normalize_utc_timestamp),
/// or the load time when the source gives none.
std::string batch_data_time(const BatchSource& source);

/// Failing keys as data_check_result keeps them: a JSON array of strings (invalid UTF-8 replaced).
std::string json_string_array(const std::vector<std::string>& items);

/// The schema version this build writes.
inline constexpr int kSchemaVersion = 6;

/// Text of sql/reports/<name>.sql, looked up beside the executable's source tree or installed
/// share folder, or compiled in (so a moved binary still works).
std::string report_sql(std::string_view name);

/// Text of sql/checks/<name>.sql, each `{{FILE}}` in it replaced by the text of sql/FILE (a
/// check that compares kept tables with their definitions, sql/aggregates/).
std::string check_sql(std::string_view name);

}  // namespace marquee::store
