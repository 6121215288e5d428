#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/embedded_sql.hpp"
#include "store/movie_id_set.hpp"

namespace marquee::store {
namespace {

/// One prepared statement; reset after each use so it can run again.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql, const std::string& where) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: cannot prepare a statement: {}", where, sqlite3_errmsg(db)));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&& other) noexcept {
    std::swap(db_, other.db_);
    std::swap(stmt_, other.stmt_);
    return *this;
  }

  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  /// Binding a temporary would leave SQLite a dangling pointer (values are bound SQLITE_STATIC).
  Statement& bind(int i, std::string&& v) = delete;
  Statement& bind(int i, std::string_view v) {
    // SQLITE_STATIC: every bound value outlives the step, and statements are reset after each use.
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  template <typename T>
  Statement& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind(int i, const std::optional<bool>& v) {
    if (v) return bind(i, std::int64_t{*v ? 1 : 0});
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind(int i, const std::optional<int>& v) {
    if (v) return bind(i, std::int64_t{*v});
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  /// Steps once; true when a row is available.
  bool step(const char* what) {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw Error(ExitCode::kDatabase, fmt::format("{}: {}", what, msg));
  }
  void run(const char* what) {
    step(what);
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore;

/// Secondary indexes of sql/schema/sqlite_v1.sql, with their definitions for a rebuild.
constexpr const char* kSecondaryIndexes[] = {"movie_release_year", "movie_batch",
                                             "movie_genre_genre", "movie_company_company"};
constexpr const char* kSecondaryIndexDefinitions[] = {
    "CREATE INDEX movie_release_year ON movie (release_year)",
    "CREATE INDEX movie_batch ON movie (batch_id)",
    "CREATE INDEX movie_genre_genre ON movie_genre (genre_id, movie_id)",
    "CREATE INDEX movie_company_company ON movie_company (company_id, movie_id)"};

class SqliteBatchWriter final : public BatchWriter {
 public:
  SqliteBatchWriter(SqliteStore& store, std::int64_t batch_id, std::string data_time);
  ~SqliteBatchWriter() override;
  bool upsert_movie(const dataset::MovieRow& row) override;
  BatchCounts commit(const BatchCounts& counts, bool snapshot) override;
  void rollback(const std::string& reason) override;

 private:
  void prepare();
  SqliteStore& store_;
  bool open_ = false;
  /// The store had no movie: the batch goes to temporary tables in file order (appends, never a
  /// random page) and into the model at commit sorted by key, after which the secondary indexes
  /// are built once. Row-by-row inserts at random keys into a database larger than the page
  /// cache made the time per record grow with the size of the load.
  bool bulk_ = false;
  void stage_bulk();
  /// Ids written by this bulk batch: superseded detection without a lookup.
  MovieIdSet bulk_ids_;

  /// The names a genre (kind 0) or company (kind 1) id was mentioned with in this batch are kept
  /// as runs in file order in the temporary table batch_name_run (kind, id, line, name): a run
  /// starts where the name may have changed. The name of the mention at line L is that of the
  /// last run starting at or before L. Which name an id had last is remembered in a small
  /// direct-mapped cache, so memory stays fixed whatever the number of ids: a cache miss only
  /// writes a run with the same name again, which changes no answer.
  struct CachedName {
    std::int64_t id = std::numeric_limits<std::int64_t>::min();
    std::uint64_t name_hash = 0;
  };
  static constexpr std::size_t kNameCacheSlots = std::size_t{1} << 16;
  /// Notes a mention; true when it started a run (the id may be new to the store then).
  bool note_name(int kind, std::int64_t id, std::int64_t line, const std::string& name);
  /// Notes a genre (kind 0) or company (1) mention and creates the row on a new run.
  void name_item(int kind, const dataset::NamedItem& item, std::int64_t line);
  void settle_names(int kind, const char* table, const char* link_table, const char* link_column);
  /// Writes the collection, country and language rows a record names (every record does, even
  /// one older than the loaded movie: in data-time order its names would have been written).
  void write_dictionaries(const dataset::MovieRow& row);
  std::vector<CachedName> name_cache_;
  const std::string data_time_;
  /// Loaded batches of a newer data time than this one: a movie one of them wrote is newer.
  std::unordered_set<std::int64_t> newer_batches_;
  /// A snapshot of a newer data time is loaded: no record of this batch is applied.
  bool behind_snapshot_ = false;
  /// The records not applied because their movie is newer in the database, by movie id: the
  /// line of the last such record and its genre and company ids, which still name them (SPEC 4:
  /// the last record of the batch that mentions an id names it, whether or not it is applied).
  struct OlderRecord {
    std::int64_t line;
    std::vector<std::int64_t> genres, companies;
  };
  std::unordered_map<std::int64_t, OlderRecord> older_;
  /// Country and language names already written in this batch: unchanged ones cost no statement.
  std::unordered_map<std::string, std::string> countries_seen_, languages_seen_;
  Statement find_movie_, delete_genres_, delete_companies_, delete_countries_, delete_languages_,
      upsert_collection_, upsert_movie_, insert_genre_, insert_movie_genre_, insert_company_,
      insert_movie_company_, upsert_country_, insert_movie_country_, upsert_language_,
      insert_movie_language_, insert_name_run_, find_name_run_, note_superseded_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::filesystem::path& path) : path_(path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: cannot open the database: {}; check that the folder exists and "
                              "is writable",
                              describe(), msg));
    }
    sqlite3_busy_timeout(db_, 30000);
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = FULL");
    // The loader keeps references whole inside its one transaction (placeholders before links,
    // links replaced with their movie, snapshot deletes explicit), so SQLite's per-row foreign
    // key checks, which doubled the load time, are off; the keys stay declared in the schema.
    exec("PRAGMA foreign_keys = OFF");
    exec("PRAGMA cache_size = -16384");
    exec("PRAGMA journal_size_limit = 67108864");
    migrate();
  }
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  std::string_view engine() const override { return "sqlite"; }
  std::string describe() const override { return "sqlite:" + path_.string(); }
  sqlite3* db() const { return db_; }

  void exec(std::string_view sql, const char* what = nullptr) {
    char* err = nullptr;
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      throw Error(
          ExitCode::kDatabase,
          fmt::format("{}: {}: {}", describe(), what != nullptr ? what : text.substr(0, 60), msg));
    }
  }

  Statement prepare(std::string_view sql) { return Statement(db_, sql, describe()); }

  std::optional<BatchRecord> loaded_batch(const std::string& sha256) override {
    std::optional<BatchRecord> found;
    for (auto& b : select_batches("WHERE sha256 = ? AND status = 'loaded' ORDER BY id DESC LIMIT 1",
                                  sha256)) {
      found = std::move(b);
    }
    return found;
  }

  std::int64_t insert_batch_row(const BatchSource& source, std::string_view status,
                                const std::string& message) {
    auto st = prepare(
        "INSERT INTO ingest_batch (source, sha256, etag, staged_at, started_at, status, message, "
        "finished_at, data_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    std::string now = utc_now_iso8601();
    std::string data_time = batch_data_time(source);
    st.bind(1, source.source).bind(2, source.sha256).bind(3, source.etag).bind(4, source.staged_at);
    st.bind(5, now).bind(6, status).bind(9, data_time);
    if (!message.empty()) st.bind(7, message).bind(8, now);
    st.run("recording the batch in ingest_batch");
    return sqlite3_last_insert_rowid(db_);
  }

  std::unique_ptr<BatchWriter> begin_batch(const BatchSource& source) override {
    std::int64_t id = insert_batch_row(source, "started", "");
    return std::make_unique<SqliteBatchWriter>(*this, id, batch_data_time(source));
  }

  std::int64_t record_failed_batch(const BatchSource& source, const std::string& reason) override {
    return insert_batch_row(source, "failed", reason);
  }

  std::vector<BatchRecord> batches() override { return select_batches("ORDER BY id", ""); }

  void record_check(std::int64_t batch_id, const std::string& check_name, std::uint64_t failing,
                    const std::vector<std::string>& failing_keys) override {
    auto st = prepare(
        "INSERT INTO data_check_result (batch_id, check_name, failing, failing_keys, checked_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id, check_name) DO UPDATE SET failing = "
        "excluded.failing, failing_keys = excluded.failing_keys, checked_at = excluded.checked_at");
    std::string keys = json_string_array(failing_keys);
    std::string now = utc_now_iso8601();
    st.bind(1, batch_id).bind(2, check_name).bind(3, static_cast<std::int64_t>(failing));
    st.bind(4, keys).bind(5, now).run("recording a data check in data_check_result");
  }

  std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                 const RowVisitor& visit) override {
    auto st = prepare(sql);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (auto* n = std::get_if<std::int64_t>(&params[i])) {
        st.bind(static_cast<int>(i + 1), *n);
      } else {
        st.bind(static_cast<int>(i + 1), std::get<std::string>(params[i]));
      }
    }
    int ncol = sqlite3_column_count(st.get());
    std::vector<std::string> columns;
    for (int c = 0; c < ncol; ++c) columns.emplace_back(sqlite3_column_name(st.get(), c));
    std::vector<Cell> row(static_cast<std::size_t>(ncol));
    std::string what = describe() + ": query";
    while (st.step(what.c_str())) {
      for (int c = 0; c < ncol; ++c) {
        if (sqlite3_column_type(st.get(), c) == SQLITE_NULL) {
          row[c].reset();
        } else {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c));
          row[c].emplace(text, static_cast<std::size_t>(sqlite3_column_bytes(st.get(), c)));
        }
      }
      visit(columns, row);
    }
    return columns;
  }

 private:
  std::vector<BatchRecord> select_batches(const std::string& where, const std::string& arg) {
    auto st = prepare(
        "SELECT id, source, sha256, coalesce(etag, ''), coalesce(staged_at, ''), started_at, "
        "coalesce(finished_at, ''), status, rows_read, rows_loaded, rows_rejected, "
        "duplicate_superseded, warnings, older_than_loaded, coalesce(data_time, '') FROM "
        "ingest_batch " +
        where);
    if (!arg.empty()) st.bind(1, arg);
    std::vector<BatchRecord> out;
    auto text = [&](int c) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c)));
    };
    while (st.step("reading ingest_batch")) {
      BatchRecord b;
      b.id = sqlite3_column_int64(st.get(), 0);
      b.source = {text(1), text(2), text(3), text(4), text(14)};
      b.started_at = text(5);
      b.finished_at = text(6);
      b.status = text(7);
      b.counts = {static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 8)),
                  static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 9)),
                  static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 10)),
                  static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 11)),
                  static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 12)),
                  static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 13))};
      out.push_back(std::move(b));
    }
    return out;
  }

  int schema_version() {
    bool has_table = false;
    {
      auto st =
          prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
      has_table = st.step("reading the schema version");
    }
    if (!has_table) return 0;
    auto st = prepare("SELECT max(version) FROM schema_version");
    st.step("reading the schema version");
    return sqlite3_column_int(st.get(), 0);
  }

  /// Versioned migrations: each step moves the schema one version up, in its own transaction.
  void migrate() {
    exec("BEGIN IMMEDIATE", "locking the database for migration");
    try {
      int version = schema_version();
      if (version > kSchemaVersion) {
        throw Error(ExitCode::kDatabase,
                    fmt::format("{}: the database has schema version {}, newer than this marquee "
                                "understands ({}); use a newer marquee or another --db",
                                describe(), version, kSchemaVersion));
      }
      if (version == 0) {
        exec("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)");
      }
      for (int v = version + 1; v <= kSchemaVersion; ++v) {
        exec(embedded_sql(fmt::format("schema/sqlite_v{}.sql", v)),
             fmt::format("migrating to schema version {}", v).c_str());
        auto st = prepare("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
        std::string applied_at = utc_now_iso8601();
        st.bind(1, std::int64_t{v}).bind(2, applied_at).run("recording the schema version");
      }
      exec("COMMIT", "committing the migration");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

SqliteBatchWriter::SqliteBatchWriter(SqliteStore& store, std::int64_t batch_id,
                                     std::string data_time)
    : store_(store), data_time_(std::move(data_time)) {
  batch_id_ = batch_id;
  store_.exec("BEGIN IMMEDIATE", "starting the batch transaction");
  open_ = true;
  try {
    prepare();
  } catch (...) {
    rollback("could not prepare the batch statements");
    throw;
  }
}

void SqliteBatchWriter::prepare() {
  {
    // Behind a snapshot: a loaded snapshot batch of a newer data time kept or removed every
    // movie, so no record of this batch is newer than what the database says of it.
    auto behind = store_.prepare(
        "SELECT EXISTS (SELECT 1 FROM ingest_batch WHERE status = 'loaded' AND snapshot <> 0 AND "
        "data_time > ? AND id <> ?)");
    behind.bind(1, data_time_).bind(2, batch_id_);
    behind.step("finding the snapshots of a newer data time");
    behind_snapshot_ = sqlite3_column_int(behind.get(), 0) != 0;
  }
  {
    auto any = store_.prepare("SELECT EXISTS (SELECT 1 FROM movie)");
    any.step("checking whether the store is empty");
    bulk_ = sqlite3_column_int(any.get(), 0) == 0 && !behind_snapshot_;
  }
  {
    auto newer = store_.prepare(
        "SELECT id FROM ingest_batch WHERE status = 'loaded' AND data_time > ? AND id <> ?");
    newer.bind(1, data_time_).bind(2, batch_id_);
    while (newer.step("finding the batches of a newer data time"))
      newer_batches_.insert(sqlite3_column_int64(newer.get(), 0));
  }
  if (bulk_) {
    // A first load into an empty store: building each secondary index once from sorted keys
    // at commit is several times cheaper than updating it row by row.
    for (const char* index : kSecondaryIndexes)
      store_.exec(fmt::format("DROP INDEX IF EXISTS {}", index));
    stage_bulk();
  }

  name_cache_.assign(kNameCacheSlots, CachedName{});
  // Temporary: on its own file (temp_store), never in the database, gone with the connection.
  store_.exec(
      "CREATE TEMP TABLE IF NOT EXISTS batch_name_run (kind INTEGER NOT NULL, id INTEGER NOT NULL, "
      "line INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (kind, id, line)) WITHOUT ROWID",
      "creating batch_name_run");
  store_.exec("DELETE FROM temp.batch_name_run", "emptying batch_name_run");
  insert_name_run_ = store_.prepare(
      "INSERT INTO temp.batch_name_run (kind, id, line, name) VALUES (?, ?, ?, ?) ON CONFLICT "
      "(kind, id, line) DO UPDATE SET name = excluded.name");
  find_name_run_ = store_.prepare(
      "SELECT name FROM temp.batch_name_run WHERE kind = ? AND id = ? AND line <= ? ORDER BY "
      "line DESC LIMIT 1");
  find_movie_ = store_.prepare("SELECT batch_id FROM movie WHERE id = ?");
  delete_genres_ = store_.prepare("DELETE FROM movie_genre WHERE movie_id = ?");
  delete_companies_ = store_.prepare("DELETE FROM movie_company WHERE movie_id = ?");
  delete_countries_ = store_.prepare("DELETE FROM movie_country WHERE movie_id = ?");
  delete_languages_ = store_.prepare("DELETE FROM movie_language WHERE movie_id = ?");
  // A name is only ever replaced by one of the same or a newer data time.
  upsert_collection_ = store_.prepare(
      "INSERT INTO collection (id, name, poster_path, backdrop_path, data_time) VALUES (?, ?, ?, "
      "?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, poster_path = "
      "excluded.poster_path, backdrop_path = excluded.backdrop_path, data_time = "
      "excluded.data_time WHERE collection.data_time <= excluded.data_time");
  upsert_movie_ = store_.prepare(
      "INSERT INTO movie (id, imdb_id, title, original_title, original_language, overview, "
      "tagline, homepage, poster_path, status, adult, video, release_date, release_year, budget, "
      "revenue, popularity, popularity_micros, runtime, vote_average, vote_count, collection_id, "
      "batch_id, source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET imdb_id = excluded.imdb_id, title = "
      "excluded.title, original_title = excluded.original_title, original_language = "
      "excluded.original_language, overview = excluded.overview, tagline = excluded.tagline, "
      "homepage = excluded.homepage, poster_path = excluded.poster_path, status = "
      "excluded.status, adult = excluded.adult, video = excluded.video, release_date = "
      "excluded.release_date, release_year = excluded.release_year, budget = excluded.budget, "
      "revenue = excluded.revenue, popularity = excluded.popularity, popularity_micros = "
      "excluded.popularity_micros, runtime = excluded.runtime, vote_average = "
      "excluded.vote_average, vote_count = excluded.vote_count, collection_id = "
      "excluded.collection_id, batch_id = excluded.batch_id, source_line = excluded.source_line");
  insert_genre_ = store_.prepare(
      "INSERT INTO genre (id, name, data_time) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING");
  insert_movie_genre_ =
      store_.prepare("INSERT INTO movie_genre (movie_id, genre_id) VALUES (?, ?)");
  insert_company_ = store_.prepare(
      "INSERT INTO production_company (id, name, data_time) VALUES (?, ?, ?) ON CONFLICT (id) DO "
      "NOTHING");
  insert_movie_company_ =
      store_.prepare("INSERT INTO movie_company (movie_id, company_id) VALUES (?, ?)");
  upsert_country_ = store_.prepare(
      "INSERT INTO production_country (iso_3166_1, name, data_time) VALUES (?, ?, ?) "
      "ON CONFLICT (iso_3166_1) DO UPDATE SET name = excluded.name, data_time = "
      "excluded.data_time WHERE production_country.data_time <= excluded.data_time");
  insert_movie_country_ =
      store_.prepare("INSERT INTO movie_country (movie_id, iso_3166_1) VALUES (?, ?)");
  upsert_language_ = store_.prepare(
      "INSERT INTO spoken_language (iso_639_1, name, data_time) VALUES (?, ?, ?) "
      "ON CONFLICT (iso_639_1) DO UPDATE SET name = excluded.name, data_time = "
      "excluded.data_time WHERE spoken_language.data_time <= excluded.data_time");
  insert_movie_language_ =
      store_.prepare("INSERT INTO movie_language (movie_id, iso_639_1) VALUES (?, ?)");
  if (bulk_) {
    // The same parameters, into the staging tables; ?3 of a link is the record's line.
    upsert_movie_ = store_.prepare(
        "INSERT INTO temp.stage_movie (id, imdb_id, title, original_title, original_language, "
        "overview, tagline, homepage, poster_path, status, adult, video, release_date, "
        "release_year, budget, revenue, popularity, popularity_micros, runtime, vote_average, "
        "vote_count, collection_id, batch_id, source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert_movie_genre_ = store_.prepare(
        "INSERT INTO temp.stage_movie_genre (movie_id, genre_id, line) VALUES (?1, ?2, ?3)");
    insert_movie_company_ = store_.prepare(
        "INSERT INTO temp.stage_movie_company (movie_id, company_id, line) VALUES (?1, ?2, ?3)");
    insert_movie_country_ = store_.prepare(
        "INSERT INTO temp.stage_movie_country (movie_id, iso_3166_1, line) VALUES (?1, ?2, ?3)");
    insert_movie_language_ = store_.prepare(
        "INSERT INTO temp.stage_movie_language (movie_id, iso_639_1, line) VALUES (?1, ?2, ?3)");
    note_superseded_ = store_.prepare(
        "INSERT INTO temp.stage_superseded (id, line) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
        "SET line = excluded.line");
  }
}

/// Temporary tables (their own file, see temp_store; emptied here and at commit, rolled back
/// with the batch). A record is identified by its line; stage_superseded holds the ids seen
/// more than once with the line of their last record, the one that wins.
void SqliteBatchWriter::stage_bulk() {
  store_.exec("CREATE TEMP TABLE IF NOT EXISTS stage_movie AS SELECT * FROM main.movie WHERE 0",
              "creating stage_movie");
  for (const char* ddl :
       {"CREATE TEMP TABLE IF NOT EXISTS stage_movie_genre (movie_id INTEGER, genre_id INTEGER, "
        "line INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS stage_movie_company (movie_id INTEGER, company_id "
        "INTEGER, line INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS stage_movie_country (movie_id INTEGER, iso_3166_1 TEXT, "
        "line INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS stage_movie_language (movie_id INTEGER, iso_639_1 TEXT, "
        "line INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS stage_superseded (id INTEGER PRIMARY KEY, line INTEGER "
        "NOT NULL)"}) {
    store_.exec(ddl, "creating the bulk staging tables");
  }
  for (const char* table : {"stage_movie", "stage_movie_genre", "stage_movie_company",
                            "stage_movie_country", "stage_movie_language", "stage_superseded"}) {
    store_.exec(fmt::format("DELETE FROM temp.{}", table), "emptying the bulk staging tables");
  }
}

SqliteBatchWriter::~SqliteBatchWriter() {
  if (open_) {
    try {
      rollback("the batch was abandoned before it committed");
    } catch (...) {
    }
  }
}

bool SqliteBatchWriter::upsert_movie(const dataset::MovieRow& row) {
  bool existed = false;
  bool superseded = false;
  bool newer_loaded = false;
  const auto line = static_cast<std::int64_t>(row.line);
  if (bulk_) {
    // An empty store: nothing older or newer to meet, only earlier records of this batch.
    superseded = !bulk_ids_.insert(row.id);
    if (superseded) {
      note_superseded_.bind(1, row.id).bind(2, line).run("noting a superseded movie");
    }
  } else {
    find_movie_.bind(1, row.id);
    if (find_movie_.step("looking up a movie")) {
      existed = true;
      std::int64_t holder = sqlite3_column_int64(find_movie_.get(), 0);
      superseded = holder == batch_id_;
      newer_loaded = newer_batches_.contains(holder);
    }
    find_movie_.reset();
    newer_loaded = newer_loaded || behind_snapshot_;
  }
  // Genre and company names are settled at commit from the surviving records only (matched by
  // movie and line), so the mentions of a superseded record simply stop counting.
  if (newer_loaded) {
    // The database holds a newer version: this record is not applied, but it still names what
    // it mentions, as it would have had the batches been loaded in data-time order.
    auto [it, first] = older_.try_emplace(row.id);
    it->second.line = line;
    it->second.genres.clear();
    it->second.companies.clear();
    for (const auto& g : row.genres) {
      name_item(0, g, line);
      it->second.genres.push_back(g.id);
    }
    for (const auto& c : row.companies) {
      name_item(1, c, line);
      it->second.companies.push_back(c.id);
    }
    write_dictionaries(row);
    return !first;
  }
  if (existed) {
    for (Statement* st :
         {&delete_genres_, &delete_companies_, &delete_countries_, &delete_languages_}) {
      st->bind(1, row.id).run("replacing a movie's link rows");
    }
  }
  write_dictionaries(row);
  std::optional<double> popularity;
  if (row.popularity_micros) popularity = static_cast<double>(*row.popularity_micros) / 1e6;
  auto& m = upsert_movie_;
  m.bind(1, row.id).bind(2, row.imdb_id).bind(3, row.title).bind(4, row.original_title);
  m.bind(5, row.original_language).bind(6, row.overview).bind(7, row.tagline).bind(8, row.homepage);
  m.bind(9, row.poster_path).bind(10, row.status).bind(11, row.adult).bind(12, row.video);
  m.bind(13, row.release_date)
      .bind(14, row.release_year)
      .bind(15, row.budget)
      .bind(16, row.revenue);
  m.bind(17, popularity).bind(18, row.popularity_micros).bind(19, row.runtime);
  m.bind(20, row.vote_average).bind(21, row.vote_count);
  m.bind(22, row.collection ? std::optional<std::int64_t>(row.collection->id) : std::nullopt);
  m.bind(23, batch_id_).bind(24, static_cast<std::int64_t>(row.line));
  m.run("writing movie");

  for (const auto& g : row.genres) {
    name_item(0, g, line);
    if (bulk_) insert_movie_genre_.bind(3, line);
    insert_movie_genre_.bind(1, row.id).bind(2, g.id).run("writing movie_genre");
  }
  for (const auto& c : row.companies) {
    name_item(1, c, line);
    if (bulk_) insert_movie_company_.bind(3, line);
    insert_movie_company_.bind(1, row.id).bind(2, c.id).run("writing movie_company");
  }
  for (const auto& c : row.countries) {
    if (bulk_) insert_movie_country_.bind(3, line);
    insert_movie_country_.bind(1, row.id).bind(2, c.code).run("writing movie_country");
  }
  for (const auto& l : row.languages) {
    if (bulk_) insert_movie_language_.bind(3, line);
    insert_movie_language_.bind(1, row.id).bind(2, l.code).run("writing movie_language");
  }
  return superseded;
}

void SqliteBatchWriter::write_dictionaries(const dataset::MovieRow& row) {
  if (row.collection) {
    const auto& c = *row.collection;
    upsert_collection_.bind(1, c.id)
        .bind(2, c.name)
        .bind(3, c.poster_path)
        .bind(4, c.backdrop_path)
        .bind(5, data_time_);
    upsert_collection_.run("writing collection");
  }
  // Countries and languages take the last name seen; unchanged names cost no statement.
  auto write_coded = [this](const auto& items, auto& seen, Statement& upsert, const char* what) {
    for (const auto& item : items) {
      auto [it, added] = seen.try_emplace(item.code, item.name);
      if (!added && it->second == item.name) continue;
      it->second = item.name;
      upsert.bind(1, item.code).bind(2, item.name).bind(3, data_time_).run(what);
    }
  };
  write_coded(row.countries, countries_seen_, upsert_country_, "writing production_country");
  write_coded(row.languages, languages_seen_, upsert_language_, "writing spoken_language");
}

void SqliteBatchWriter::name_item(int kind, const dataset::NamedItem& item, std::int64_t line) {
  if (!note_name(kind, item.id, line, item.name)) return;
  Statement& insert = kind == 0 ? insert_genre_ : insert_company_;
  insert.bind(1, item.id).bind(2, item.name).bind(3, data_time_);
  insert.run(kind == 0 ? "writing genre" : "writing production_company");
}

bool SqliteBatchWriter::note_name(int kind, std::int64_t id, std::int64_t line,
                                  const std::string& name) {
  std::uint64_t hash = std::hash<std::string>{}(name);
  auto key = static_cast<std::uint64_t>(id) * 2 + static_cast<std::uint64_t>(kind);
  CachedName& slot = name_cache_[(key * 0x9E3779B97F4A7C15ULL) >> 48];
  auto tagged = static_cast<std::int64_t>(key);
  if (slot.id == tagged && slot.name_hash == hash) return false;  // same run goes on
  slot = {tagged, hash};
  // Two mentions of one id on one line (a record naming it twice): the later name is the run's.
  insert_name_run_.bind(1, std::int64_t{kind}).bind(2, id).bind(3, line).bind(4, name);
  insert_name_run_.run("noting a genre or company name");
  return true;
}

/// The name of an id is the one in the last surviving record (in file order) that mentions it
/// (SPEC 4): its line is the largest source_line among this batch's movies linked to the id,
/// since a superseded record's movie row and links were replaced by the later record's.
void SqliteBatchWriter::settle_names(int kind, const char* table, const char* link_table,
                                     const char* link_column) {
  const bool genres = kind == 0;
  // The last line naming each id: from the applied records' link rows (streamed), and from the
  // records not applied because their movie is newer in the database (few, kept in memory).
  std::unordered_map<std::int64_t, std::int64_t> older_lines;
  for (const auto& [movie, record] : older_) {
    for (std::int64_t id : genres ? record.genres : record.companies) {
      auto [it, added] = older_lines.try_emplace(id, record.line);
      if (!added) it->second = std::max(it->second, record.line);
    }
  }
  // The batch names the id unless a batch of a newer data time named it since.
  auto rename = store_.prepare(
      fmt::format("UPDATE {} SET name = ?, data_time = ? WHERE id = ? AND data_time <= ? AND "
                  "(name IS NOT ? OR data_time <> ?)",
                  table));
  std::string what = fmt::format("settling {} names", table);
  std::string name;
  auto settle = [&](std::int64_t id, std::int64_t line) {
    find_name_run_.bind(1, std::int64_t{kind}).bind(2, id).bind(3, line);
    bool found = find_name_run_.step(what.c_str());
    if (found) {
      name.assign(reinterpret_cast<const char*>(sqlite3_column_text(find_name_run_.get(), 0)),
                  static_cast<std::size_t>(sqlite3_column_bytes(find_name_run_.get(), 0)));
    }
    find_name_run_.reset();
    if (!found) return;
    rename.bind(1, name).bind(2, data_time_).bind(3, id).bind(4, data_time_);
    rename.bind(5, name).bind(6, data_time_).run(what.c_str());
  };
  // A first load still has its link rows staged with their lines: reading them there spares a
  // lookup into the (by then large) movie table for every link row.
  auto last_lines = store_.prepare(
      bulk_ ? fmt::format("SELECT s.{0}, MAX(s.line) FROM temp.stage_{1} s WHERE NOT EXISTS "
                          "(SELECT 1 FROM temp.stage_superseded d WHERE d.id = s.movie_id AND "
                          "d.line <> s.line) GROUP BY s.{0}",
                          link_column, link_table)
            : fmt::format("SELECT l.{0}, MAX(m.source_line) FROM {1} l JOIN movie m ON m.id = "
                          "l.movie_id WHERE m.batch_id = ? GROUP BY l.{0}",
                          link_column, link_table));
  if (!bulk_) last_lines.bind(1, batch_id_);
  while (last_lines.step(what.c_str())) {
    std::int64_t id = sqlite3_column_int64(last_lines.get(), 0);
    std::int64_t line = sqlite3_column_int64(last_lines.get(), 1);
    if (auto older = older_lines.find(id); older != older_lines.end()) {
      line = std::max(line, older->second);
      older_lines.erase(older);
    }
    settle(id, line);
  }
  last_lines.reset();
  for (const auto& [id, line] : older_lines) settle(id, line);
}

BatchCounts SqliteBatchWriter::commit(const BatchCounts& loaded, bool snapshot) {
  BatchCounts counts = loaded;
  counts.older_than_loaded = older_.size();
  counts.rows_loaded -= std::min(counts.rows_loaded, counts.older_than_loaded);
  counts.duplicate_superseded += counts.older_than_loaded;
  if (bulk_) {
    // Each table filled once, in key order: pages are appended, never revisited. A staged
    // record goes in unless a later record of the same movie superseded it.
    constexpr const char* kWinner =
        "NOT EXISTS (SELECT 1 FROM temp.stage_superseded d WHERE d.id = s.{} AND d.line <> s.{})";
    store_.exec(fmt::format("INSERT INTO movie SELECT * FROM temp.stage_movie s WHERE {} ORDER "
                            "BY s.id",
                            fmt::format(kWinner, "id", "source_line")),
                "writing movie");
    for (auto [table, key] :
         {std::pair{"movie_genre", "genre_id"}, std::pair{"movie_company", "company_id"},
          std::pair{"movie_country", "iso_3166_1"}, std::pair{"movie_language", "iso_639_1"}}) {
      store_.exec(fmt::format("INSERT INTO {0} (movie_id, {1}) SELECT s.movie_id, s.{1} FROM "
                              "temp.stage_{0} s WHERE {2} ORDER BY 1, 2",
                              table, key, fmt::format(kWinner, "movie_id", "line")),
                  fmt::format("writing {}", table).c_str());
    }
    for (const char* definition : kSecondaryIndexDefinitions)
      store_.exec(definition, "building an index");
  }
  settle_names(0, "genre", "movie_genre", "genre_id");
  settle_names(1, "production_company", "movie_company", "company_id");
  store_.exec("DELETE FROM temp.batch_name_run", "emptying batch_name_run");
  if (bulk_) {
    for (const char* table : {"stage_movie", "stage_movie_genre", "stage_movie_company",
                              "stage_movie_country", "stage_movie_language", "stage_superseded"}) {
      store_.exec(fmt::format("DELETE FROM temp.{}", table), "emptying the bulk staging tables");
    }
  }
  if (snapshot) {
    // Absent movies go unless a batch of a newer data time wrote them.
    constexpr const char* kAbsent =
        "SELECT m.id FROM movie m JOIN ingest_batch b ON b.id = m.batch_id WHERE m.batch_id <> ? "
        "AND b.data_time <= ?";
    for (const char* table : {"movie_genre", "movie_company", "movie_country", "movie_language"}) {
      auto links =
          store_.prepare(fmt::format("DELETE FROM {} WHERE movie_id IN ({})", table, kAbsent));
      links.bind(1, batch_id_).bind(2, data_time_);
      links.run("removing links of movies absent from the snapshot");
    }
    auto st = store_.prepare(fmt::format("DELETE FROM movie WHERE id IN ({})", kAbsent));
    st.bind(1, batch_id_).bind(2, data_time_).run("removing movies absent from the snapshot");
  }
  auto st = store_.prepare(
      "UPDATE ingest_batch SET status = 'loaded', finished_at = ?, rows_read = ?, rows_loaded = ?, "
      "rows_rejected = ?, duplicate_superseded = ?, warnings = ?, older_than_loaded = ?, snapshot "
      "= ? WHERE id = ?");
  std::string finished_at = utc_now_iso8601();
  st.bind(1, finished_at).bind(2, static_cast<std::int64_t>(counts.rows_read));
  st.bind(3, static_cast<std::int64_t>(counts.rows_loaded))
      .bind(4, static_cast<std::int64_t>(counts.rows_rejected));
  st.bind(5, static_cast<std::int64_t>(counts.duplicate_superseded));
  st.bind(6, static_cast<std::int64_t>(counts.warnings));
  st.bind(7, static_cast<std::int64_t>(counts.older_than_loaded));
  st.bind(8, std::int64_t{snapshot ? 1 : 0}).bind(9, batch_id_);
  st.run("recording the batch counts");
  store_.exec("COMMIT", "committing the batch");
  open_ = false;
  // Move the batch from the WAL into the database file now: readers (the reports next) then
  // find pages in the file instead of searching a WAL as large as the batch.
  // PASSIVE: never waits for a reader (a report's snapshot, the API); once the WAL is fully
  // copied back, readers skip it, and journal_size_limit trims the file when it is reset.
  store_.exec("PRAGMA wal_checkpoint(PASSIVE)", "checkpointing the batch");
  return counts;
}

void SqliteBatchWriter::rollback(const std::string& reason) {
  if (open_) {
    open_ = false;
    sqlite3_exec(store_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  auto st = store_.prepare(
      "UPDATE ingest_batch SET status = 'failed', finished_at = ?, message = ? WHERE id = ?");
  std::string finished_at = utc_now_iso8601();
  st.bind(1, finished_at).bind(2, reason).bind(3, batch_id_).run("marking the batch failed");
}

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace marquee::store
