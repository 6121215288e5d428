#include "store/postgres_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "dataset/content_hash.hpp"
#include "format/utf8.hpp"
#include "store/batch_ledger.hpp"
#include "store/embedded_sql.hpp"
#include "store/model_aggregates.hpp"
#include "store/movie_column_sql.hpp"
#include "store/movie_id_set.hpp"
#include "store/name_kind.hpp"
#include "store/postgres_detail_writer.hpp"
#include "store/postgres_run_lock.hpp"
#include "store/postgres_session.hpp"
#include "store/report_aggregates.hpp"
#include "store/stored_text.hpp"

namespace marquee::store {
namespace {

/// Taken inside the migration transaction so that two processes opening a fresh database at
/// once migrate it one after the other.
constexpr std::int64_t kMigrationLockKey = 0x6d61727175656502;
class PostgresStore;

class PostgresBatchWriter final : public BatchWriter {
 public:
  PostgresBatchWriter(PostgresStore& store, std::int64_t batch_id, std::string data_time);
  ~PostgresBatchWriter() override;
  bool upsert_movie(const dataset::MovieRow& row) override;
  BatchCounts finish_movies(const BatchCounts& counts, bool snapshot) override;
  std::vector<std::int64_t> movie_ids() override;
  void begin_detail_file(dataset::DetailFile file, std::uint64_t bytes) override;
  void write_link(const dataset::LinkRow& row) override;
  void write_keywords(const dataset::KeywordsRow& row) override;
  void write_credits(const dataset::CreditsRow& row) override;
  void write_rating(const dataset::RatingRow& row) override;
  DetailOutcome end_detail_file(dataset::DetailFile file, bool snapshot) override;
  void commit_loaded(const std::vector<FileRecord>& files) override;
  void rollback(const std::string& reason) override;

 private:
  void create_staging_tables();
  void flush();
  void merge();
  /// Collections, countries, languages, and genres and companies on first sight.
  void merge_dictionaries();
  /// Records whose movie the database holds newer go stale (older_ notes them).
  void mark_stale_records();
  void merge_links_and_history();
  void settle_names();
  /// A first load's report aggregates, added up in C++ (ModelAggregates) from one read of the
  /// new model, then copied into their tables in key order.
  void compute_report_aggregates();
  void analyze_sample(std::string_view tables);
  MovieChanges count_changes();
  PostgresDetailWriter& details();
  /// batch_latest (movie_id, seq): each superseded movie and the seq of its last record.
  void copy_latest_records();
  /// Runs `step`; an error ends the batch, and every later call reports that first error.
  template <typename F>
  void guarded(F&& step);
  Session& session();

  PostgresStore& store_;
  bool open_ = false;
  bool committed_ = false;  ///< COMMIT succeeded: the batch is loaded, whatever follows
  std::optional<Error> failure_;
  std::int64_t seq_ = 0;
  const std::string data_time_;
  /// A loaded batch has a newer data time: the movies it wrote must not be replaced.
  bool newer_loaded_ = false;
  /// A snapshot of a newer data time is loaded: it kept or removed every movie as of a later
  /// time than this batch's, so no record of this batch is applied.
  bool behind_snapshot_ = false;
  /// The model had no movie: flushes only append to the staging tables, and one merge at commit
  /// writes every table in key order. Merging flush by flush into a movie table larger than
  /// shared_buffers touched random index pages, and the time per record grew with the load.
  bool bulk_ = false;
  bool latest_copied_ = false;
  /// Movies of the batch not applied because the database holds a newer version of them.
  std::unordered_set<std::int64_t> older_;
  MovieIdSet written_;
  /// Superseded ids and the seq of their latest record: only that record's names may settle.
  std::unordered_map<std::int64_t, std::int64_t> latest_seq_;
  /// Ids in the buffer and where their row's `winner` flag sits in movies_.
  std::unordered_map<std::int64_t, std::size_t> buffered_;
  std::size_t buffered_rows_ = 0;
  /// Ids in the buffer whose earlier record went out with an earlier flush.
  std::vector<std::int64_t> crossed_;
  std::string movies_, mentions_, coded_;  // COPY text for stage_movie, stage_mention, stage_coded
  /// What finish_movies returned, recorded by commit_loaded.
  std::optional<BatchCounts> finished_;
  bool snapshot_ = false;
  std::unique_ptr<PostgresDetailWriter> details_;
};

/// The production store; also the batch ledger's connection (portable SQL on its session).
class PostgresStore final : public Store, public LedgerConnection {
 public:
  PostgresStore(const std::string& url, const PostgresOptions& options, bool read_only)
      : url_(url), options_(options), session_(url, describe_postgres_url(url)), ledger_(*this) {
    ledger_.migrate();
    if (read_only) {
      session_.exec("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                    "making the session read-only");
    }
  }

  std::string_view engine() const override { return "postgresql"; }
  std::string describe() const override { return session_.where(); }
  const PostgresOptions& options() const { return options_; }
  Session& session() { return session_; }
  BatchLedger& ledger() { return ledger_; }
  void set_batch_open(bool open) { batch_open_ = open; }

  /// Every store call outside a batch may reconnect after a lost connection; inside one a
  /// reconnect would silently continue outside the batch's transaction, so it never does.
  Session& fresh_session() {
    if (!batch_open_) session_.reconnect_if_lost();
    return session_;
  }

  std::optional<BatchRecord> loaded_batch(const std::string& sha256) override {
    return ledger_.loaded_batch(sha256);
  }

  std::unique_ptr<BatchWriter> begin_batch(const BatchSource& source) override {
    if (batch_open_) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("{}: a batch is already open on this connection", describe()));
    }
    fresh_session();
    create_history_partitions();
    std::int64_t id = ledger_.insert_batch(source, "started", "");
    return std::make_unique<PostgresBatchWriter>(*this, id, batch_data_time(source));
  }

  std::int64_t record_failed_batch(const BatchSource& source, const std::string& reason) override {
    return ledger_.insert_batch(source, "failed", reason);
  }

  std::vector<BatchRecord> batches() override { return ledger_.batches(); }

  void record_check(std::int64_t batch_id, const std::string& check_name, std::uint64_t failing,
                    const std::vector<std::string>& failing_keys) override {
    ledger_.record_check(batch_id, check_name, failing, failing_keys);
  }

  void record_report_changes(std::int64_t batch_id,
                             const std::vector<ReportChange>& changes) override {
    ledger_.record_report_changes(batch_id, changes);
  }

  std::vector<ReportChange> report_changes(std::int64_t batch_id) override {
    return ledger_.report_changes(batch_id);
  }

  std::optional<FileRecord> last_loaded_file(std::string_view file) override {
    return ledger_.last_loaded_file(file);
  }

  std::vector<FileRecord> batch_files(std::int64_t batch_id) override {
    return ledger_.batch_files(batch_id);
  }

  std::vector<std::string> query(std::string_view sql, std::span<const Param> params,
                                 const RowVisitor& visit) override {
    PGconn* conn = fresh_session().get();
    std::string text = to_postgres_placeholders(sql);
    std::vector<std::string> values;
    std::vector<unsigned> types;
    for (const auto& p : params) {
      if (auto* n = std::get_if<std::int64_t>(&p)) {
        values.push_back(std::to_string(*n));
        types.push_back(kInt8Oid);
      } else {
        values.push_back(std::get<std::string>(p));
        // Unknown: the server infers the type from the context, as SQLite's affinity would.
        types.push_back(0);
      }
    }
    std::vector<const char*> pointers;
    for (const auto& v : values) pointers.push_back(v.c_str());
    if (PQsendQueryParams(conn, text.c_str(), static_cast<int>(pointers.size()), types.data(),
                          pointers.data(), nullptr, nullptr, 0) != 1) {
      throw session_.error("running a query", nullptr);
    }
    PQsetSingleRowMode(conn);  // stream rows: a report never sits whole in memory

    std::vector<std::string> columns;
    std::vector<Cell> row;
    std::optional<Error> failure;
    auto describe_columns = [&](const PGresult* r) {
      if (!columns.empty()) return;
      int n = PQnfields(r);
      for (int c = 0; c < n; ++c) columns.emplace_back(PQfname(r, c));
      row.resize(columns.size());
    };
    try {
      while (Result r{PQgetResult(conn)}) {
        auto status = PQresultStatus(r.get());
        if (failure) continue;
        if (status == PGRES_SINGLE_TUPLE) {
          describe_columns(r.get());
          for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
            if (PQgetisnull(r.get(), 0, c)) {
              row[c].reset();
            } else {
              assign_cell(row[c], {PQgetvalue(r.get(), 0, c),
                                   static_cast<std::size_t>(PQgetlength(r.get(), 0, c))});
            }
          }
          visit(columns, row);
        } else if (status == PGRES_TUPLES_OK) {
          describe_columns(r.get());
        } else if (status != PGRES_COMMAND_OK) {
          failure = session_.error("running a query", r.get());
        }
        if (session_.lost()) break;
      }
    } catch (...) {
      // The visitor gave up: cancel the rest and drain, so the connection stays usable.
      if (PGcancel* cancel = PQgetCancel(conn)) {
        char buffer[256];
        PQcancel(cancel, buffer, sizeof buffer);
        PQfreeCancel(cancel);
      }
      while (Result r{PQgetResult(conn)}) {
        if (session_.lost()) break;
      }
      throw;
    }
    if (failure) throw *failure;
    return columns;
  }

  std::unique_ptr<RunLease> lock_run(const RunLockOptions& options) override {
    return lock_postgres_run(url_, options);
  }

  void begin_read_snapshot() override {
    fresh_session().exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                         "starting a read snapshot");
    // Mostly read from cache, as a batch's model (below): a patch of the reports then finds the
    // logged groups by key instead of hashing a whole aggregate table (0.58 s against 0.3 s
    // for a 1% batch at scale 16).
    session_.exec("SET LOCAL random_page_cost = 1.1", "setting the planner's page costs");
  }
  void end_read_snapshot() override { session_.exec("COMMIT", "ending a read snapshot"); }

  std::vector<std::string> prune_history(int keep_weeks) override {
    if (keep_weeks < 0) {
      throw Error(ExitCode::kUsage,
                  fmt::format("--keep {}: needs a number of weeks, 0 or more", keep_weeks));
    }
    Session& s = fresh_session();
    auto r = s.exec(
        "SELECT c.relname, i.inhdetachpending FROM pg_inherits i JOIN pg_class c ON c.oid = "
        "i.inhrelid WHERE i.inhparent = 'movie_version'::regclass AND c.relname ~ "
        "'^movie_version_w[0-9]{8}$' AND to_date(right(c.relname, 8), 'YYYYMMDD') + 7 <= "
        "date_trunc('week', now() AT TIME ZONE 'UTC')::date - 7 * $1::integer ORDER BY 1",
        {std::to_string(keep_weeks)}, "listing the movie_version partitions");
    std::vector<std::string> dropped;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string name = text_of(r, i, 0);
      bool pending = text_of(r, i, 1) == "t";
      // CONCURRENTLY: reports reading movie_version are not blocked while a partition goes.
      s.exec(fmt::format("ALTER TABLE movie_version DETACH PARTITION {} {}", name,
                         pending ? "FINALIZE" : "CONCURRENTLY"),
             fmt::format("detaching partition {} of movie_version", name));
      s.exec(fmt::format("DROP TABLE {}", name), fmt::format("dropping partition {}", name));
      dropped.push_back(std::move(name));
    }
    return dropped;
  }

  void run(std::string_view sql, std::span<const SqlValue> params, std::string_view what,
           const RowVisitor& visit) override {
    std::vector<TextParam> values;
    std::vector<unsigned> types;
    for (const auto& p : params) {
      if (!p) {
        values.emplace_back();
        types.push_back(0);
      } else if (auto* n = std::get_if<std::int64_t>(&*p)) {
        values.emplace_back(std::to_string(*n));
        types.push_back(kInt8Oid);
      } else {
        values.emplace_back(stored_text(std::get<std::string>(*p)));
        types.push_back(0);  // unknown: the server infers the type from the context
      }
    }
    auto r = fresh_session().exec(to_postgres_placeholders(sql), values, what, types);
    if (!visit) return;
    std::vector<std::string> columns;
    for (int c = 0; c < PQnfields(r.get()); ++c) columns.emplace_back(PQfname(r.get(), c));
    std::vector<Cell> row(columns.size());
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
        if (PQgetisnull(r.get(), i, c)) {
          row[c].reset();
        } else {
          row[c].emplace(PQgetvalue(r.get(), i, c));
        }
      }
      visit(columns, row);
    }
  }
  void run_script(const std::string& sql, std::string_view what) override {
    session_.exec(sql, what);
  }
  std::string timestamp_text(std::string_view column) const override {
    return fmt::format("coalesce(to_char({} AT TIME ZONE 'UTC', {}), '')", column, kIsoUtc);
  }
  SqlValue timestamp_value(const std::string& text) const override {
    if (auto t = timestamp_param(text)) return *t;
    return std::nullopt;
  }
  std::string_view schema_prefix() const override { return "postgres"; }
  bool has_table(std::string_view name) override {
    auto r = session_.exec("SELECT to_regclass($1) IS NOT NULL", {std::string(name)},
                           "reading the schema version");
    return text_of(r, 0, 0) == "t";
  }
  std::string_view schema_version_table_sql() const override {
    return "CREATE TABLE schema_version (version integer NOT NULL, applied_at timestamptz NOT "
           "NULL DEFAULT now())";
  }
  void begin_migration() override {
    session_.exec("BEGIN", "starting the migration");
    session_.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey),
                  "locking the database for migration");
  }
  void abandon_transaction() noexcept override {
    if (!session_.lost()) Result(PQexec(session_.get(), "ROLLBACK"));
  }

 private:
  /// The history partitions of this week and the next, created ahead of the batch and outside
  /// its transaction so that the batch never meets a missing partition and never holds the
  /// lock that creating one takes on movie_version.
  void create_history_partitions() {
    auto r = session_.exec(
        "SELECT to_char(w, 'YYYYMMDD'), to_char(w, 'YYYY-MM-DD'), to_char(w + 7, 'YYYY-MM-DD') "
        "FROM (SELECT date_trunc('week', now() AT TIME ZONE 'UTC')::date + 7 * k AS w "
        "FROM generate_series(0, 1) AS k) AS weeks ORDER BY w",
        "finding the weeks of the movie_version partitions");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string name = "movie_version_w" + text_of(r, i, 0);
      session_.exec(fmt::format("CREATE TABLE IF NOT EXISTS {} PARTITION OF movie_version FOR "
                                "VALUES FROM ('{} 00:00:00+00') TO ('{} 00:00:00+00')",
                                name, text_of(r, i, 1), text_of(r, i, 2)),
                    fmt::format("creating partition {} of movie_version", name));
    }
  }

  std::string url_;
  PostgresOptions options_;
  Session session_;
  BatchLedger ledger_;
  bool batch_open_ = false;
};

PostgresBatchWriter::PostgresBatchWriter(PostgresStore& store, std::int64_t batch_id,
                                         std::string data_time)
    : store_(store), data_time_(std::move(data_time)) {
  batch_id_ = batch_id;
  try {
    session().exec("BEGIN", "starting the batch transaction");
    open_ = true;
    store_.set_batch_open(true);
    // The model is read by key a batch at a time, mostly from cache: with the default random
    // page cost of a spinning disk, the planner hashed whole link tables to replace the links of
    // a few thousand movies (a 1% batch on 727,000 movies: 0.3 s a table instead of 0.1 s).
    session().exec("SET LOCAL random_page_cost = 1.1", "setting the planner's page costs");
    create_staging_tables();
    ReportAggregates(store_).begin_batch();
    auto newer = session().exec(
        "SELECT EXISTS (SELECT 1 FROM ingest_batch WHERE status = 'loaded' AND data_time > "
        "$1::timestamptz AND id <> $2::bigint)",
        {data_time_, std::to_string(batch_id_)}, "finding the batches of a newer data time");
    newer_loaded_ = text_of(newer, 0, 0) == "t";
    auto behind = session().exec(
        "SELECT EXISTS (SELECT 1 FROM ingest_batch WHERE status = 'loaded' AND snapshot AND "
        "data_time > $1::timestamptz AND id <> $2::bigint)",
        {data_time_, std::to_string(batch_id_)}, "finding the snapshots of a newer data time");
    behind_snapshot_ = text_of(behind, 0, 0) == "t";
    auto empty = session().exec("SELECT NOT EXISTS (SELECT 1 FROM movie)",
                                "checking whether the model is empty");
    bulk_ = text_of(empty, 0, 0) == "t" && !behind_snapshot_;
  } catch (const Error& e) {
    try {
      rollback(e.what());
    } catch (const Error&) {
    }
    throw;
  }
}

PostgresBatchWriter::~PostgresBatchWriter() {
  if (open_) {
    try {
      rollback("the batch was abandoned before it committed");
    } catch (...) {
    }
  }
}

Session& PostgresBatchWriter::session() {
  return store_.session();
}

template <typename F>
void PostgresBatchWriter::guarded(F&& step) {
  if (failure_) throw *failure_;
  if (!open_) {
    throw Error(ExitCode::kDatabase,
                fmt::format("{}: batch {} is no longer open", store_.describe(), batch_id_));
  }
  try {
    step();
  } catch (const Error& e) {
    failure_ = e;
    throw;
  }
}

/// Temporary, so never WAL-logged, and dropped with the transaction whichever way it ends.
/// stage_movie holds every buffered record, the superseded ones with winner false: collections,
/// countries and languages take their names from every record in file order, as on SQLite.
void PostgresBatchWriter::create_staging_tables() {
  static const std::string stage_movie = fmt::format(
      "CREATE TEMP TABLE stage_movie ON COMMIT DROP AS SELECT true AS winner, 0::bigint AS seq, "
      "id, source_line, content_hash, {}, NULL::text AS collection_name, NULL::text AS "
      "collection_poster_path, "
      "NULL::text AS collection_backdrop_path, false AS stale FROM movie WITH NO DATA",
      movie_column_list());
  session().exec(stage_movie, "creating the staging table stage_movie");
  // kind: kind_code(NameKind).
  session().exec(
      "CREATE TEMP TABLE stage_mention (kind smallint NOT NULL, id bigint NOT NULL, name text NOT "
      "NULL, movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table stage_mention");
  // kind 0: a production country, 1: a spoken language.
  session().exec(
      "CREATE TEMP TABLE stage_coded (kind smallint NOT NULL, code text NOT NULL, name text, "
      "movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table stage_coded");
  session().exec("CREATE TEMP TABLE stage_replaced (id bigint NOT NULL) ON COMMIT DROP",
                 "creating the staging table stage_replaced");
  // The content hash of each movie the batch replaced, as loaded before the batch: what tells
  // an updated movie from an unchanged one at commit.
  session().exec(
      "CREATE TEMP TABLE batch_prior (id bigint NOT NULL, prior_hash bigint) ON COMMIT DROP",
      "creating the staging table batch_prior");
  // The genre and company names of the records that won their flush, for settling at commit.
  session().exec(
      "CREATE TEMP TABLE batch_name (kind smallint NOT NULL, id bigint NOT NULL, name text NOT "
      "NULL, movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT DROP",
      "creating the staging table batch_name");
}

bool PostgresBatchWriter::upsert_movie(const dataset::MovieRow& row) {
  bool superseded = false;
  guarded([&] {
    std::int64_t seq = ++seq_;
    superseded = !written_.insert(row.id);
    if (superseded) {
      latest_seq_[row.id] = seq;
      if (auto it = buffered_.find(row.id); it != buffered_.end()) {
        movies_[it->second] = 'f';
      } else {
        crossed_.push_back(row.id);
      }
    }
    buffered_[row.id] = movies_.size();

    {
      CopyRow m(movies_);
      m.boolean(true).integer(seq).integer(row.id).integer(row.line).integer(
          dataset::content_hash(row));
      for (const auto& column : dataset::kMovieColumns)
        visit_movie_column(row, column, [&](const auto& value) { m.value(value); });
      if (row.collection) {
        const auto& c = *row.collection;
        m.text(c.name).text(c.poster_path).text(c.backdrop_path);
      } else {
        m.null().null().null();
      }
      m.boolean(false);  // stale: set by merge() when the database holds a newer version
    }
    for (const auto& g : row.genres)
      CopyRow(mentions_)
          .integer(kind_code(NameKind::kGenre))
          .integer(g.id)
          .text(g.name)
          .integer(row.id)
          .integer(seq);
    for (const auto& c : row.companies)
      CopyRow(mentions_)
          .integer(kind_code(NameKind::kCompany))
          .integer(c.id)
          .text(c.name)
          .integer(row.id)
          .integer(seq);
    for (const auto& c : row.countries)
      CopyRow(coded_).integer(0).text(c.code).text(c.name).integer(row.id).integer(seq);
    for (const auto& l : row.languages)
      CopyRow(coded_).integer(1).text(l.code).text(l.name).integer(row.id).integer(seq);

    std::size_t bytes = movies_.size() + mentions_.size() + coded_.size();
    if (++buffered_rows_ >= store_.options().flush_rows || bytes >= store_.options().flush_bytes) {
      flush();
    }
  });
  return superseded;
}

void PostgresBatchWriter::flush() {
  if (movies_.empty()) return;
  Session& s = session();
  if (!bulk_) {
    s.exec("TRUNCATE stage_movie, stage_mention, stage_coded, stage_replaced",
           "emptying the staging tables");
  }
  s.copy_in("COPY stage_movie FROM STDIN", movies_, "copying movies into stage_movie");
  if (!mentions_.empty()) {
    s.copy_in("COPY stage_mention FROM STDIN", mentions_,
              "copying genres and companies into stage_mention");
  }
  if (!coded_.empty()) {
    s.copy_in("COPY stage_coded FROM STDIN", coded_,
              "copying countries and languages into stage_coded");
  }
  if (!bulk_) merge();
  movies_.clear();
  mentions_.clear();
  coded_.clear();
  buffered_.clear();
  buffered_rows_ = 0;
  crossed_.clear();
}

/// Moves one flush from the staging tables into the model. Dictionary rows come first (the link
/// tables reference them); then each winning movie replaces its row and all its link rows.
void PostgresBatchWriter::merge() {
  Session& s = session();
  std::vector<TextParam> batch{std::to_string(batch_id_)};
  merge_dictionaries();
  mark_stale_records();
  auto found = s.exec(
      "INSERT INTO stage_replaced (id) SELECT s.id FROM stage_movie AS s WHERE s.winner AND NOT "
      "s.stale AND EXISTS (SELECT 1 FROM movie AS m WHERE m.id = s.id)",
      "finding the movies the batch replaces");
  if (std::string_view(PQcmdTuples(found.get())) != "0") {
    s.exec("ANALYZE stage_replaced", "analyzing the staging tables");
    // A movie an earlier flush of this batch wrote has its version before the batch noted.
    s.exec(
        "INSERT INTO batch_prior (id, prior_hash) SELECT m.id, m.content_hash FROM movie AS m "
        "JOIN stage_replaced AS r ON r.id = m.id WHERE m.batch_id <> $1::bigint",
        batch, "noting the versions the batch replaces");
    if (!bulk_) ReportAggregates(store_).note_prior("SELECT id FROM stage_replaced", {});
    for (auto table : {"movie_genre", "movie_company", "movie_country", "movie_language"}) {
      s.exec(fmt::format("DELETE FROM {} AS t USING stage_replaced AS r WHERE t.movie_id = r.id",
                         table),
             fmt::format("replacing the {} rows of the batch's movies", table));
    }
    static const std::string update_movie = fmt::format(
        "UPDATE movie AS t SET {}, batch_id = $1::bigint, source_line = s.source_line, "
        "content_hash = s.content_hash FROM "
        "stage_movie AS s JOIN stage_replaced AS r ON r.id = s.id WHERE s.winner AND t.id = s.id",
        movie_columns_set_from("s"));
    s.exec(update_movie, batch, "writing movie");
  }
  static const std::string insert_movie = fmt::format(
      "INSERT INTO movie (id, {0}, batch_id, source_line, content_hash) SELECT id, {0}, "
      "$1::bigint, source_line, content_hash FROM stage_movie AS s WHERE s.winner AND NOT s.stale "
      "AND NOT EXISTS (SELECT 1 FROM "
      "stage_replaced AS r WHERE r.id = s.id) ORDER BY id",
      movie_column_list());
  if (!bulk_) {
    s.exec(ReportAggregates::note_new_sql(
               "SELECT s.id FROM stage_movie AS s WHERE s.winner AND NOT s.stale AND NOT EXISTS "
               "(SELECT 1 FROM stage_replaced AS r WHERE r.id = s.id)"),
           "noting the movies the batch adds");
  }
  s.exec(insert_movie, batch, "writing movie");
  merge_links_and_history();
}

void PostgresBatchWriter::merge_dictionaries() {
  Session& s = session();
  std::vector<TextParam> data_time{data_time_};
  // Every record names its collection, countries and languages, even one older than the loaded
  // movie (in data-time order its names would have been written); a name is only ever replaced
  // by one of the same or a newer data time.
  s.exec(
      "INSERT INTO collection (id, name, poster_path, backdrop_path, data_time) SELECT DISTINCT "
      "ON (collection_id) collection_id, collection_name, collection_poster_path, "
      "collection_backdrop_path, $1::timestamptz FROM stage_movie WHERE collection_id IS NOT NULL "
      "ORDER BY collection_id, seq DESC ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
      "poster_path = excluded.poster_path, backdrop_path = excluded.backdrop_path, data_time = "
      "excluded.data_time WHERE collection.data_time <= excluded.data_time AND (collection.name, "
      "collection.poster_path, collection.backdrop_path, collection.data_time) IS DISTINCT FROM "
      "(excluded.name, excluded.poster_path, excluded.backdrop_path, excluded.data_time)",
      data_time, "writing collection");
  // Created on first sight with that name; commit settles the name from the last survivor.
  for (const auto& kind : kNameKinds) {
    s.exec(fmt::format("INSERT INTO {0} (id, name, data_time) SELECT DISTINCT ON (id) id, name, "
                       "$1::timestamptz FROM stage_mention AS m WHERE kind = {1} AND NOT EXISTS "
                       "(SELECT 1 FROM {0} AS t WHERE t.id = m.id) ORDER BY id, seq ON CONFLICT "
                       "(id) DO NOTHING",
                       kind.table, kind_code(kind.kind)),
           data_time, fmt::format("writing {}", kind.table));
  }
  for (auto [kind, table, key] : {std::tuple{0, "production_country", "iso_3166_1"},
                                  std::tuple{1, "spoken_language", "iso_639_1"}}) {
    s.exec(fmt::format("INSERT INTO {0} ({1}, name, data_time) SELECT DISTINCT ON (code) code, "
                       "name, $1::timestamptz FROM stage_coded WHERE kind = {2} ORDER BY code, seq "
                       "DESC ON CONFLICT ({1}) DO UPDATE SET name = excluded.name, data_time = "
                       "excluded.data_time WHERE {0}.data_time <= excluded.data_time AND "
                       "({0}.name, {0}.data_time) IS DISTINCT FROM (excluded.name, "
                       "excluded.data_time)",
                       table, key, kind),
           data_time, fmt::format("writing {}", table));
  }
}

void PostgresBatchWriter::mark_stale_records() {
  Session& s = session();
  std::vector<TextParam> data_time{data_time_};
  // Only movies already in the model (from an earlier batch or flush) lose rows: a first load
  // deletes and updates nothing, and a later one touches the replaced movies by their keys.
  if (newer_loaded_) {
    // Last writer wins by data time: a movie a newer batch wrote keeps that version.
    auto stale = s.exec(
        "UPDATE stage_movie AS s SET stale = true FROM movie AS m JOIN ingest_batch AS b ON b.id "
        "= m.batch_id WHERE s.winner AND m.id = s.id AND b.data_time > $1::timestamptz RETURNING "
        "s.id",
        data_time, "finding the movies loaded with a newer data time");
    for (int i = 0; i < PQntuples(stale.get()); ++i) older_.insert(int_of(stale, i, 0));
  }
  if (behind_snapshot_) {
    auto stale =
        s.exec("UPDATE stage_movie SET stale = true WHERE winner AND NOT stale RETURNING id",
               "marking the records older than the last snapshot");
    for (int i = 0; i < PQntuples(stale.get()); ++i) older_.insert(int_of(stale, i, 0));
  }
}

void PostgresBatchWriter::merge_links_and_history() {
  Session& s = session();
  std::vector<TextParam> batch{std::to_string(batch_id_)};
  for (const auto& kind : kNameKinds) {
    s.exec(fmt::format(
               "INSERT INTO {} (movie_id, {}) SELECT m.movie_id, m.id FROM stage_mention "
               "AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE s.winner AND NOT s.stale AND "
               "m.kind = {} ORDER BY 1, 2",
               kind.link_table, kind.link_column, kind_code(kind.kind)),
           fmt::format("writing {}", kind.link_table));
  }
  for (auto [kind, table, column] : {std::tuple{0, "movie_country", "iso_3166_1"},
                                     std::tuple{1, "movie_language", "iso_639_1"}}) {
    s.exec(fmt::format(
               "INSERT INTO {} (movie_id, {}) SELECT m.movie_id, m.code FROM stage_coded "
               "AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE s.winner AND NOT s.stale AND "
               "m.kind = {} ORDER BY 1, 2",
               table, column, kind),
           fmt::format("writing {}", table));
  }
  s.exec(
      "INSERT INTO batch_name (kind, id, name, movie_id, seq) SELECT m.kind, m.id, m.name, "
      "m.movie_id, m.seq FROM stage_mention AS m JOIN stage_movie AS s ON s.seq = m.seq WHERE "
      "s.winner",
      "keeping the genre and company names of the batch");
  // loaded_at is now(), the batch transaction's start, so one batch's rows share one partition;
  // a record superseded in a later flush gives way to the record that replaced it.
  if (!crossed_.empty()) {
    std::string ids = "{";
    for (auto id : crossed_) ids += fmt::format("{}{}", ids.size() > 1 ? "," : "", id);
    s.exec(
        "DELETE FROM movie_version WHERE batch_id = $1::bigint AND loaded_at = now() AND movie_id "
        "= ANY ($2::bigint[])",
        {batch.front(), ids + "}"}, "replacing superseded rows of movie_version");
  }
  static const std::string insert_version = fmt::format(
      "INSERT INTO movie_version (movie_id, batch_id, loaded_at, source_line, {0}) SELECT id, "
      "$1::bigint, now(), source_line, {0} FROM stage_movie WHERE winner ORDER BY id",
      movie_column_list());
  s.exec(insert_version, batch, "writing movie_version");
}

/// SPEC 4: a genre or company takes its name from the last surviving record of the batch (in
/// file order) that mentions it. batch_name holds the mentions of every record that won its
/// flush; those of records superseded by a later flush go first.
void PostgresBatchWriter::copy_latest_records() {
  if (latest_copied_) return;
  Session& s = session();
  s.exec(
      "CREATE TEMP TABLE batch_latest (movie_id bigint NOT NULL, seq bigint NOT NULL) ON COMMIT "
      "DROP",
      "creating the staging table batch_latest");
  std::string rows;
  for (auto [id, seq] : latest_seq_) CopyRow(rows).integer(id).integer(seq);
  s.copy_in("COPY batch_latest FROM STDIN", rows, "copying superseded movies into batch_latest");
  latest_copied_ = true;
}

void PostgresBatchWriter::settle_names() {
  Session& s = session();
  if (!latest_seq_.empty()) {
    copy_latest_records();
    s.exec(
        "DELETE FROM batch_name AS b USING batch_latest AS l WHERE b.movie_id = l.movie_id AND "
        "b.seq <> l.seq",
        "dropping the names of superseded records");
  }
  for (const auto& kind : kNameKinds) {
    const std::string names = fmt::format(
        "(SELECT DISTINCT ON (id) id, name FROM batch_name WHERE kind = {} ORDER BY id, seq DESC) "
        "AS n",
        kind_code(kind.kind));
    // A renamed id changes every report row of it (a first load starts the log anew).
    if (!bulk_) {
      s.exec(ReportAggregates::log_rename_sql(
                 kind.link_column, "$2::bigint",
                 fmt::format("SELECT n.id FROM {} JOIN {} AS t ON t.id = n.id WHERE t.data_time "
                             "<= $1::timestamptz AND t.name IS DISTINCT FROM n.name",
                             names, kind.table)),
             {data_time_, std::to_string(batch_id_)},
             fmt::format("logging the renamed {} rows", kind.table));
    }
    // The batch names the id unless a batch of a newer data time named it since.
    s.exec(fmt::format("UPDATE {0} AS t SET name = n.name, data_time = $1::timestamptz FROM {1} "
                       "WHERE t.id = n.id AND t.data_time <= $1::timestamptz AND (t.name, "
                       "t.data_time) IS DISTINCT FROM (n.name, $1::timestamptz)",
                       kind.table, names),
           {data_time_}, fmt::format("settling {} names", kind.table));
  }
}

/// The movies this batch wrote, against their versions before it (batch_prior): none is new,
/// a different content hash is updated (a version written before schema 3 has none), an equal
/// one unchanged.
MovieChanges PostgresBatchWriter::count_changes() {
  auto r = session().exec(
      "SELECT count(*) FILTER (WHERE p.id IS NULL), count(*) FILTER (WHERE p.id IS NOT NULL AND "
      "p.prior_hash IS DISTINCT FROM m.content_hash), count(*) FILTER (WHERE p.id IS NOT NULL AND "
      "p.prior_hash IS NOT DISTINCT FROM m.content_hash) FROM movie AS m LEFT JOIN batch_prior AS "
      "p ON p.id = m.id WHERE m.batch_id = $1::bigint",
      {std::to_string(batch_id_)}, "counting what the batch changed");
  auto at = [&](int c) { return static_cast<std::uint64_t>(int_of(r, 0, c)); };
  return MovieChanges{at(0), at(1), at(2), 0};
}

namespace {

/// The integer at the start of `text` (a field of COPY text), the rest after it in `text`.
std::int64_t take_int(std::string_view& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc()) {
    throw Error(ExitCode::kDatabase,
                fmt::format("PostgreSQL sent \"{}\" where the report aggregates read an integer; "
                            "this is a bug in marquee, report it",
                            text.substr(0, 40)));
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return v;
}

/// The next tab-separated field of a COPY text line (its newline dropped), removed from `line`.
std::string_view next_field(std::string_view& line) {
  const auto tab = line.find('\t');
  std::string_view field = line.substr(0, tab);
  line.remove_prefix(tab == std::string_view::npos ? line.size() : tab + 1);
  if (!field.empty() && field.back() == '\n') field.remove_suffix(1);
  return field;
}

std::optional<std::int64_t> optional_int(std::string_view field) {
  if (field == "\\N") return std::nullopt;
  return take_int(field);
}

/// The comma-separated ids of `field` (string_agg's text, \N for none) into `ids`.
void read_ids(std::string_view field, std::vector<std::int64_t>& ids) {
  ids.clear();
  if (field == "\\N") return;
  for (;;) {
    ids.push_back(take_int(field));
    if (field.empty()) return;
    field.remove_prefix(1);  // the comma
  }
}

/// Copies `sums`' groups, in key order, into `table` (its key columns, then its sums), one
/// COPY per 1 MiB of text.
template <std::size_t K, std::size_t V>
void copy_group_sums(Session& s, GroupSums<K, V>& sums, std::string_view table) {
  const std::string copy = fmt::format("COPY {} FROM STDIN", table);
  const std::string what = fmt::format("writing {}", table);
  std::string text;
  sums.finish([&](const GroupRow<K, V>& row) {
    for (std::int64_t v : row.key) fmt::format_to(std::back_inserter(text), "{}\t", v);
    for (std::int64_t v : row.sums) fmt::format_to(std::back_inserter(text), "{}\t", v);
    text.back() = '\n';
    if (text.size() >= (std::size_t{1} << 20)) {
      s.copy_in(copy, text, what);
      text.clear();
    }
  });
  if (!text.empty()) s.copy_in(copy, text, what);
}

}  // namespace

/// As on SQLite (SqliteBatchWriter::compute_report_aggregates): the definitions' GROUP BY over a
/// three-way join (sql/aggregates/) took 0.75 s of a 4.3 s first run at scale 1 (0.42 s of it
/// report_company_genre_year); this reads each movie with a year once, its companies and genres
/// as string_agg lists (one COPY out, 0.09 s), and copies the groups in (0.36 s): 0.53 s in all.
/// Later batches keep the aggregates by difference, and the data check compares them with the
/// definitions.
void PostgresBatchWriter::compute_report_aggregates() {
  auto started = std::chrono::steady_clock::now();
  Session& s = session();
  for (std::string_view table : ReportAggregates::kTables)
    s.exec(fmt::format("DELETE FROM {}", table), "emptying the report aggregates");
  ModelAggregates aggregates(kFirstLoadAggregateMemory);
  std::vector<std::int64_t> companies, genres;
  s.copy_out(
      "COPY (SELECT m.release_year, m.budget, m.revenue, m.popularity_micros, c.ids, g.ids FROM "
      "movie AS m LEFT JOIN (SELECT movie_id, string_agg(company_id::text, ',') AS ids FROM "
      "movie_company GROUP BY movie_id) AS c ON c.movie_id = m.id LEFT JOIN (SELECT movie_id, "
      "string_agg(genre_id::text, ',') AS ids FROM movie_genre GROUP BY movie_id) AS g ON "
      "g.movie_id = m.id WHERE m.release_year IS NOT NULL) TO STDOUT",
      "reading the new model for the report aggregates", [&](std::string_view line) {
        std::string_view year = next_field(line);
        MovieFigures movie{take_int(year), optional_int(next_field(line)),
                           optional_int(next_field(line)), optional_int(next_field(line))};
        read_ids(next_field(line), companies);
        read_ids(next_field(line), genres);
        aggregates.add_movie(movie, companies, genres);
      });
  aggregates.write_tables(
      [&](auto& sums, std::string_view table) { copy_group_sums(s, sums, table); });
  spdlog::debug("store: computed the report aggregates of the first load in one pass in {:.3f}s",
                seconds_since(started));
}

/// ANALYZE of `tables` on a small sample: enough for the keys' distinct counts.
void PostgresBatchWriter::analyze_sample(std::string_view tables) {
  Session& s = session();
  s.exec("SET LOCAL default_statistics_target = 10", "sizing the statistics sample");
  s.exec(fmt::format("ANALYZE {}", tables), fmt::format("analyzing {}", tables));
  s.exec("RESET default_statistics_target", "sizing the statistics sample");
}

BatchCounts PostgresBatchWriter::finish_movies(const BatchCounts& loaded, bool snapshot) {
  BatchCounts counts = loaded;
  guarded([&] {
    flush();
    if (bulk_) {
      // Every record is staged: only the last record of a superseded movie wins, whichever
      // flush it came in, and one merge writes the model.
      Session& s = session();
      if (!latest_seq_.empty()) {
        copy_latest_records();
        s.exec(
            "UPDATE stage_movie AS s SET winner = (s.seq = l.seq) FROM batch_latest AS l WHERE "
            "s.id = l.movie_id AND s.winner <> (s.seq = l.seq)",
            "marking the last record of each superseded movie");
      }
      // No ANALYZE of the staging tables (a second of a one-second merge at scale 1): the
      // planner sizes a table it never analyzed from its pages, which is enough for hash joins.
      crossed_.clear();
      merge();
      // The model was empty: without statistics the next batch's plans guess (autovacuum would
      // analyze it only later).
      analyze_sample("movie, movie_genre, movie_company, movie_country, movie_language");
    }
    settle_names();
    MovieChanges changes = count_changes();
    // Absent movies go unless a batch of a newer data time wrote them.
    if (snapshot)
      changes.removed = store_.ledger().remove_absent_from_snapshot(batch_id_, data_time_);
    if (bulk_) {
      compute_report_aggregates();
      ReportAggregates(store_).reset_change_log(batch_id_);
      // As the model above: without statistics a patch of the reports hashed a whole aggregate
      // table to find the groups of a few renamed companies (0.3 s at scale 16).
      analyze_sample("report_company_year, report_genre_year, report_company_genre_year");
    } else {
      ReportAggregates(store_).apply(batch_id_);
      // The log the next reports read grew by this batch's changes: with statistics of its new
      // rows the patch query finds them by key (0.57 s without, 0.15 s with, at scale 16).
      analyze_sample("report_change_log");
    }
    counts = counts_with_older(loaded, older_.size());
    counts.movies = changes;
  });
  finished_ = counts;
  snapshot_ = snapshot;
  return counts;
}

std::vector<std::int64_t> PostgresBatchWriter::movie_ids() {
  std::vector<std::int64_t> ids;
  guarded([&] {
    auto r = session().exec("SELECT id FROM movie ORDER BY id", "listing the movies");
    ids.reserve(static_cast<std::size_t>(PQntuples(r.get())));
    for (int i = 0; i < PQntuples(r.get()); ++i) ids.push_back(int_of(r, i, 0));
  });
  return ids;
}

PostgresDetailWriter& PostgresBatchWriter::details() {
  if (!details_) {
    auto r = session().exec(
        "SELECT id FROM ingest_batch WHERE status = 'loaded' AND data_time > $1::timestamptz AND "
        "id <> $2::bigint",
        {data_time_, std::to_string(batch_id_)}, "finding the batches of a newer data time");
    std::vector<std::int64_t> newer;
    for (int i = 0; i < PQntuples(r.get()); ++i) newer.push_back(int_of(r, i, 0));
    details_ = std::make_unique<PostgresDetailWriter>(
        session(), store_.ledger(), batch_id_, data_time_, std::move(newer), behind_snapshot_);
  }
  return *details_;
}

void PostgresBatchWriter::begin_detail_file(dataset::DetailFile file, std::uint64_t) {
  guarded([&] { details().begin_file(file); });
}
void PostgresBatchWriter::write_link(const dataset::LinkRow& row) {
  guarded([&] { details().write_link(row); });
}
void PostgresBatchWriter::write_keywords(const dataset::KeywordsRow& row) {
  guarded([&] { details().write_keywords(row); });
}
void PostgresBatchWriter::write_credits(const dataset::CreditsRow& row) {
  guarded([&] { details().write_credits(row); });
}
void PostgresBatchWriter::write_rating(const dataset::RatingRow& row) {
  guarded([&] { details().write_rating(row); });
}
DetailOutcome PostgresBatchWriter::end_detail_file(dataset::DetailFile file, bool snapshot) {
  DetailOutcome outcome;
  guarded([&] { outcome = details().end_file(file, snapshot); });
  return outcome;
}

void PostgresBatchWriter::commit_loaded(const std::vector<FileRecord>& files) {
  guarded([&] {
    if (!finished_) {
      throw Error(ExitCode::kDatabase,
                  fmt::format("batch {}: committed before its movies were finished; this is a "
                              "bug in marquee, report it",
                              batch_id_));
    }
    Session& s = session();
    store_.ledger().mark_loaded(batch_id_, *finished_, snapshot_, files);
    details_.reset();
    s.exec("COMMIT", "committing the batch");
    open_ = false;
    committed_ = true;
    store_.set_batch_open(false);
  });
}

void PostgresBatchWriter::rollback(const std::string& reason) {
  if (committed_) return;  // loaded: nothing to undo, and it must not be marked failed
  if (open_) {
    open_ = false;
    store_.set_batch_open(false);
    if (!session().lost()) Result(PQexec(session().get(), "ROLLBACK"));
  }
  failure_.reset();
  details_.reset();
  movies_.clear();
  mentions_.clear();
  coded_.clear();
  buffered_.clear();
  crossed_.clear();
  store_.ledger().mark_failed(batch_id_, reason);
}

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const PostgresOptions& options,
                                           bool read_only) {
  PostgresOptions checked = options;
  checked.flush_rows = std::max<std::size_t>(checked.flush_rows, 1);
  return std::make_unique<PostgresStore>(url, checked, read_only);
}

std::string describe_postgres_url(std::string_view url) {
  std::string text(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    // Unparseable: keep the scheme and host part, drop any user info and query.
    auto scheme = text.find("://");
    if (scheme == std::string::npos) return "postgresql://(unparseable URL)";
    auto rest = text.substr(scheme + 3);
    if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    if (auto q = rest.find('?'); q != std::string::npos) rest.resize(q);
    return text.substr(0, scheme + 3) + rest;
  }
  std::string user, host, hostaddr, port, dbname;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view k = o->keyword;
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr;
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  out += host;
  if (!port.empty()) out += ":" + port;
  out += "/" + dbname;
  return out;
}

}  // namespace marquee::store
